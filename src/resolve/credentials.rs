//! The credentials a run can send, known before it starts: the values of
//! credential headers (see [`crate::secrets::is_credential_header`]) and
//! query parameters, and the secret fields of auth blocks (see
//! [`crate::secrets::is_auth_secret`]), at every level of a collection,
//! v2.1 (its JSON file) and v3 (its request and definition files) alike.
//!
//! A value that holds `{{variables}}` is resolved where the variable is
//! known: the environments, the globals, `envVars`, `globalVars` and the
//! collection's own variables. Every value a variable used there may take is
//! a credential (a URL aside), and so is the whole value once resolved. What
//! only a script sets at run time is not known here; the copied reports
//! still mask the headers the CLI's JSON report shows.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::v3::{Item, V3Collection};
use super::variables::read_variables;
use super::{Resolved, Resource};
use crate::files::{Bounds, Limit};
use crate::plan::Plan;
use crate::secrets::{credential_parts, is_auth_secret, is_credential_header};

/// How deep a variable may refer to another.
const DEPTH: usize = 4;
/// The most ways a value with several candidates per variable is resolved.
const EXPANSIONS: usize = 16;

/// Every credential the runs of `resolved` can send, as far as the files
/// and inputs say.
pub(crate) fn collect(plan: &Plan, resolved: &Resolved) -> Vec<String> {
    let mut found = Found::default();
    for (key, value) in plan
        .env_vars
        .iter()
        .chain(&plan.global_vars)
        .map(|kv| (&kv.key, &kv.value))
    {
        found.variable(key, value);
    }
    let files = resolved
        .environments
        .iter()
        .filter_map(|e| match &e.resource {
            Resource::File(p) => Some(p),
            Resource::Uid(_) => None,
        })
        .chain(&resolved.globals);
    for path in files {
        if let Some(vars) =
            read(&resolved.bounds, path, Limit::SMALL).and_then(|b| read_variables(&b, path).ok())
        {
            for v in vars.values {
                found.variable(&v.key, &text(&v.value));
            }
        }
    }
    let mut seen: Vec<&Path> = Vec::new();
    for run in &resolved.runs {
        let super::CollectionSource::File(path) = &run.source else {
            continue;
        };
        if seen.contains(&path.as_path()) {
            continue;
        }
        seen.push(path);
        if let Some(v3) = &run.v3 {
            v3_collection(&resolved.bounds, v3, &mut found);
        } else if path.is_dir() {
            // A v3 collection the CLI runs through its v2 path.
            if let Ok(read) = V3Collection::read_within(path, &resolved.bounds, None) {
                v3_collection(&resolved.bounds, &read.collection, &mut found);
            }
        } else if let Some(doc) = read(&resolved.bounds, path, Limit::LARGE)
            .and_then(|b| super::decode::json(&b).ok())
            .and_then(|(text, _)| serde_json::from_str::<Value>(&text).ok())
        {
            v21_item(&doc, &mut found);
        }
    }
    found.resolve()
}

/// What the files hold: credentials as written, and the variables.
#[derive(Default)]
struct Found {
    /// Credential values as written, `{{variables}}` unresolved, each with
    /// the header name it goes in, if any (for its parts).
    templates: Vec<(Option<String>, String)>,
    /// Every value each variable takes somewhere.
    variables: BTreeMap<String, Vec<String>>,
}

impl Found {
    fn variable(&mut self, key: &str, value: &str) {
        let values = self.variables.entry(key.to_owned()).or_default();
        if !value.is_empty() && !values.iter().any(|v| v == value) {
            values.push(value.to_owned());
        }
    }

    fn credential(&mut self, header: Option<&str>, value: &str) {
        if !value.trim().is_empty() {
            self.templates
                .push((header.map(str::to_owned), value.to_owned()));
        }
    }

    /// Each credential resolved, its parts, and the values of the variables
    /// it uses.
    fn resolve(self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |v: String| {
            if !v.trim().is_empty() && !out.contains(&v) {
                out.push(v);
            }
        };
        for (header, template) in &self.templates {
            let mut used = Vec::new();
            for value in expand(template, &self.variables, DEPTH, &mut used) {
                match header {
                    Some(name) => credential_parts(name, &value)
                        .into_iter()
                        .for_each(&mut push),
                    None => push(value),
                }
            }
            // A variable that only names where the credential goes
            // (`{{baseUrl}}/token`) is no secret; masking it would hide
            // every URL of the run.
            used.into_iter()
                .filter(|v| !v.starts_with("http://") && !v.starts_with("https://"))
                .for_each(&mut push);
        }
        out
    }
}

/// The ways `template` resolves (none when a variable is unknown), and in
/// `used` the resolved values of the variables it refers to.
fn expand(
    template: &str,
    variables: &BTreeMap<String, Vec<String>>,
    depth: usize,
    used: &mut Vec<String>,
) -> Vec<String> {
    let mut results = vec![String::new()];
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        let name = rest[open + 2..open + 2 + close].trim();
        for r in &mut results {
            r.push_str(&rest[..open]);
        }
        rest = &rest[open + 2 + close + 2..];
        // Dynamic variables (`{{$guid}}`) are made up at run time.
        let values: Vec<String> = match variables.get(name) {
            Some(values) if depth > 0 && !name.starts_with('$') => values
                .iter()
                .flat_map(|v| expand(v, variables, depth - 1, used))
                .collect(),
            _ => return Vec::new(),
        };
        for v in &values {
            if !used.contains(v) {
                used.push(v.clone());
            }
        }
        results = results
            .iter()
            .flat_map(|r| values.iter().map(move |v| format!("{r}{v}")))
            .take(EXPANSIONS)
            .collect();
    }
    for r in &mut results {
        r.push_str(rest);
    }
    results
}

/// A v2.1 (or v2.0) collection or item: its variables, auth, request
/// headers and query, and its items, recursively.
fn v21_item(item: &Value, found: &mut Found) {
    for v in item
        .get("variable")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(key), Some(value)) = (v.get("key").and_then(Value::as_str), v.get("value")) {
            found.variable(key, &text(value));
        }
    }
    auth(item.get("auth"), found);
    if let Some(request) = item.get("request").filter(|r| r.is_object()) {
        auth(request.get("auth"), found);
        pairs(request.get("header"), true, found);
        pairs(
            request.get("url").and_then(|u| u.get("query")),
            false,
            found,
        );
    }
    for child in item
        .get("item")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        v21_item(child, found);
    }
}

/// A v3 collection: every definition (variables, auth) and request file
/// (headers, query parameters, auth).
fn v3_collection(bounds: &Bounds, v3: &V3Collection, found: &mut Found) {
    fn items(bounds: &Bounds, list: &[Item], found: &mut Found) {
        for item in list {
            match item {
                Item::Folder(f) => {
                    v3_definition(bounds, &f.dir, found);
                    items(bounds, &f.items, found);
                }
                Item::Request(r) => v3_file(bounds, &r.file, found),
            }
        }
    }
    v3_definition(bounds, &v3.root, found);
    items(bounds, &v3.items, found);
}

fn v3_definition(bounds: &Bounds, dir: &Path, found: &mut Found) {
    let resources = dir.join(".resources");
    for name in ["definition.yaml", "definition.yml"] {
        v3_file(bounds, &resources.join(name), found);
    }
}

/// A v3 request or definition file: read as resolve read it (the same
/// bounds and limit, decoded as the CLI decodes it), so nothing resolve
/// refused is read here.
fn v3_file(bounds: &Bounds, path: &Path, found: &mut Found) {
    let Some(doc) = read(bounds, path, Limit::SMALL)
        .and_then(|b| super::decode::yaml(&b).ok())
        .and_then(|(t, _)| serde_saphyr::from_str::<Value>(&t).ok())
    else {
        return;
    };
    for v in doc
        .get("variables")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(key), Some(value)) = (v.get("key").and_then(Value::as_str), v.get("value")) {
            found.variable(key, &text(value));
        }
    }
    match doc.get("auth") {
        // Several auth configurations (`multiAuth`) in a definition.
        Some(Value::Array(list)) => list.iter().for_each(|a| auth(Some(a), found)),
        one => auth(one, found),
    }
    pairs(doc.get("headers"), true, found);
    pairs(doc.get("queryParams"), false, found);
}

/// An auth block: `{type, <type>: [{key, value}]}` (v2.1), `{type,
/// <type>: {key: value}}` (v2.0) or `{type, credentials: [{key, value}]}`
/// (v3); its secret fields are credentials.
fn auth(block: Option<&Value>, found: &mut Found) {
    let Some(block) = block else {
        return;
    };
    let Some(kind) = block.get("type").and_then(Value::as_str) else {
        return;
    };
    let fields = block.get(kind).or_else(|| block.get("credentials"));
    let mut field = |key: &str, value: &Value| {
        if is_auth_secret(kind, key) {
            found.credential(None, &text(value));
        }
    };
    match fields {
        Some(Value::Array(list)) => {
            for f in list {
                if let (Some(key), Some(value)) =
                    (f.get("key").and_then(Value::as_str), f.get("value"))
                {
                    field(key, value);
                }
            }
        }
        Some(Value::Object(map)) => map.iter().for_each(|(k, v)| field(k, v)),
        _ => {}
    }
}

/// Headers (or query parameters) as `[{key, value}]`, or v2.1's header
/// text (`Name: value` lines); those named as credentials are credentials.
fn pairs(list: Option<&Value>, headers: bool, found: &mut Found) {
    let mut pair = |key: &str, value: &str| {
        if is_credential_header(key) {
            found.credential(headers.then_some(key), value);
        }
    };
    match list {
        Some(Value::Array(list)) => {
            for p in list {
                if let (Some(key), Some(value)) =
                    (p.get("key").and_then(Value::as_str), p.get("value"))
                {
                    pair(key, &text(value));
                }
            }
        }
        Some(Value::String(text)) if headers => {
            for line in text.lines() {
                if let Some((key, value)) = line.split_once(':') {
                    pair(key.trim(), value.trim());
                }
            }
        }
        _ => {}
    }
}

/// A value as the CLI sends it: a string as is, any other scalar as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A file as the other readers of resolve read it: a regular file inside
/// the bounds, within `limit`; `None` when it is missing or refused (resolve
/// has said why already).
fn read(bounds: &Bounds, path: &Path, limit: Limit) -> Option<Vec<u8>> {
    bounds.read(path, limit).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            map.entry((*k).to_owned())
                .or_default()
                .push((*v).to_owned());
        }
        map
    }

    #[test]
    fn templates_resolve_through_variables() {
        let v = vars(&[
            ("tok", "abc"),
            ("nested", "x-{{tok}}"),
            ("env", "one"),
            ("env", "two"),
        ]);
        let mut used = Vec::new();
        assert_eq!(
            expand("Bearer {{tok}}", &v, DEPTH, &mut used),
            ["Bearer abc"]
        );
        assert_eq!(used, ["abc"]);
        let mut used = Vec::new();
        assert_eq!(expand("{{ nested }}!", &v, DEPTH, &mut used), ["x-abc!"]);
        assert_eq!(used, ["abc", "x-abc"]);
        let mut used = Vec::new();
        assert_eq!(
            expand("k-{{env}}", &v, DEPTH, &mut used),
            ["k-one", "k-two"]
        );
        // Unknown and dynamic variables leave nothing to know.
        assert!(expand("{{missing}}", &v, DEPTH, &mut Vec::new()).is_empty());
        assert!(expand("{{$guid}}", &v, DEPTH, &mut Vec::new()).is_empty());
        // A variable that refers to itself stops at the depth.
        let v = vars(&[("loop", "{{loop}}")]);
        assert!(expand("{{loop}}", &v, DEPTH, &mut Vec::new()).is_empty());
    }

    #[test]
    fn a_v21_collection_gives_its_headers_auth_and_query() {
        let doc = serde_json::json!({
            "info": {"name": "c"},
            "variable": [{"key": "apiKey", "value": "ocp-key-1234"}],
            "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{tok}}"}]},
            "item": [{
                "name": "folder",
                "auth": {"type": "basic", "basic": {"username": "u", "password": "b-pass"}},
                "item": [{
                    "name": "r",
                    "request": {
                        "method": "GET",
                        "header": [
                            {"key": "Ocp-Apim-Subscription-Key", "value": "{{apiKey}}"},
                            {"key": "Accept", "value": "not-a-secret"},
                            {"key": "X-Token-Endpoint", "value": "{{baseUrl}}/token"},
                            {"key": "Authorization", "value": "Token t1"}
                        ],
                        "url": {"raw": "x", "query": [{"key": "access_token", "value": "q-tok"}]},
                        "auth": {"type": "apikey", "apikey": [
                            {"key": "key", "value": "X-Api-Key"},
                            {"key": "value", "value": "ak-987"}
                        ]}
                    }
                }]
            }]
        });
        let mut found = Found::default();
        found.variable("tok", "bearer-from-env");
        found.variable("baseUrl", "http://127.0.0.1:1");
        v21_item(&doc, &mut found);
        let all = found.resolve();
        for expected in [
            "bearer-from-env",
            "b-pass",
            "ocp-key-1234",
            "Token t1",
            "t1",
            "q-tok",
            "ak-987",
            "http://127.0.0.1:1/token",
        ] {
            assert!(all.iter().any(|v| v == expected), "{expected}: {all:?}");
        }
        // A URL a credential header is built on masks no URL of the run.
        for not in ["not-a-secret", "X-Api-Key", "u", "http://127.0.0.1:1"] {
            assert!(!all.iter().any(|v| v == not), "{not}: {all:?}");
        }
    }
}
