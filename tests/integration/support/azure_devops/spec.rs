//! The vendored Azure DevOps specs (`specs/`, see its README) and the
//! request checker: each request is matched to the operations of the specs
//! by method and path template (`paths` and `x-ms-paths`, whose keys may
//! carry a `?query` part), then its path and query parameters (required,
//! type, enum, the `api-version` the operation names) and its JSON body
//! ([`super::schema`]) are checked against the closest operation.

use std::sync::OnceLock;

use serde_json::Value;

use super::schema::{self, Scope};

/// One vendored spec file.
pub(crate) struct SpecFile {
    pub(crate) name: &'static str,
    pub(crate) doc: Value,
    operations: Vec<Operation>,
}

struct Operation {
    /// Lower case, as the spec writes it.
    method: String,
    /// The template's path segments, e.g. `["{organization}", "{project}", "_apis", ...]`.
    segments: Vec<String>,
    id: String,
    operation: Value,
}

/// An operation a request's method and path fit, with the path's parameters.
type Candidate<'a> = (&'a SpecFile, &'a Operation, Vec<(String, String)>);

/// Every vendored spec, parsed once per test process.
pub struct Specs {
    files: Vec<SpecFile>,
}

/// A request as the checker sees it. `path` is percent-encoded, as sent.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// The vendored specs.
pub fn specs() -> &'static Specs {
    static SPECS: OnceLock<Specs> = OnceLock::new();
    SPECS.get_or_init(|| Specs {
        files: vec![
            load("testPlan.json", include_str!("specs/testPlan.json")),
            load("test.json", include_str!("specs/test.json")),
            load("testResults.json", include_str!("specs/testResults.json")),
        ],
    })
}

fn load(name: &'static str, text: &str) -> SpecFile {
    // The published files start with a UTF-8 byte order mark.
    let doc: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .unwrap_or_else(|e| panic!("parse the vendored spec {name}: {e}"));
    let mut operations = Vec::new();
    for table in ["paths", "x-ms-paths"] {
        for (template, item) in doc[table].as_object().into_iter().flatten() {
            let path = template.split('?').next().unwrap_or_default();
            for (method, operation) in item.as_object().into_iter().flatten() {
                if method == "parameters" {
                    continue;
                }
                operations.push(Operation {
                    method: method.clone(),
                    segments: path
                        .trim_start_matches('/')
                        .split('/')
                        .map(str::to_string)
                        .collect(),
                    id: operation["operationId"]
                        .as_str()
                        .unwrap_or(template)
                        .to_string(),
                    operation: operation.clone(),
                });
            }
        }
    }
    SpecFile {
        name,
        doc,
        operations,
    }
}

impl Specs {
    /// The definition a `$ref` names, in `file` or another vendored file:
    /// the file it is in, its name and its schema.
    pub(crate) fn definition<'a>(
        &'a self,
        file: &'a SpecFile,
        reference: &str,
    ) -> Option<(&'a SpecFile, &'a str, &'a Value)> {
        let (other, pointer) = reference.split_once('#')?;
        let file = if other.is_empty() {
            file
        } else {
            let base = other.rsplit('/').next().unwrap_or(other);
            self.files.iter().find(|f| f.name == base)?
        };
        // The name is borrowed from the spec, not from `reference`.
        let (parent, last) = pointer.rsplit_once('/')?;
        let (name, target) = file.doc.pointer(parent)?.as_object()?.get_key_value(last)?;
        Some((file, name.as_str(), target))
    }

    /// Violations of the closest operation (none when one operation of the
    /// specs accepts the request), each prefixed with the request line and
    /// the operation's id.
    pub fn check_request(&self, request: &Request<'_>) -> Vec<String> {
        let line = format!("{} {}", request.method, request.path);
        let candidates = self.candidates(request.method, request.path);
        if candidates.is_empty() {
            let allowed = self.methods_at(request.path);
            return vec![if allowed.is_empty() {
                format!("{line}: no operation of the vendored specs has this path")
            } else {
                format!(
                    "{line}: the specs allow only {} on this path",
                    allowed.join(", ")
                )
            }];
        }
        let mut best: Option<(&Operation, Vec<String>)> = None;
        for (file, operation, params) in candidates {
            let found = self.check_operation(file, operation, &params, request);
            if best.as_ref().is_none_or(|(_, b)| found.len() < b.len()) {
                best = Some((operation, found));
            }
        }
        let (operation, found) = best.expect("at least one candidate");
        found
            .into_iter()
            .map(|v| format!("{line} ({}): {v}", operation.id))
            .collect()
    }

    /// Checks a response body the emulator sends against the operation's
    /// `200` schema; a `{value, count}` list is checked by its `value`, as
    /// the specs describe lists as bare arrays.
    pub fn check_response(&self, method: &str, path: &str, body: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for (file, operation, _) in self.candidates(method, path) {
            let Some(schema) = operation.operation.pointer("/responses/200/schema") else {
                continue;
            };
            let body = match (
                schema.get("type").and_then(Value::as_str),
                body.get("value"),
            ) {
                (Some("array"), Some(list)) => list,
                _ => body,
            };
            let scope = Scope {
                specs: self,
                file,
                model: None,
            };
            schema::check(scope, schema, body, "response", &mut out);
            return out
                .into_iter()
                .map(|v| format!("{method} {path} ({}): {v}", operation.id))
                .collect();
        }
        out
    }

    fn candidates(&self, method: &str, path: &str) -> Vec<Candidate<'_>> {
        let mut found = Vec::new();
        for file in &self.files {
            for operation in &file.operations {
                if !operation.method.eq_ignore_ascii_case(method) {
                    continue;
                }
                if let Some(params) = match_path(&operation.segments, path) {
                    found.push((file, operation, params));
                }
            }
        }
        found
    }

    fn methods_at(&self, path: &str) -> Vec<String> {
        let mut methods: Vec<String> = self
            .files
            .iter()
            .flat_map(|f| &f.operations)
            .filter(|o| match_path(&o.segments, path).is_some())
            .map(|o| o.method.to_uppercase())
            .collect();
        methods.sort();
        methods.dedup();
        methods
    }

    fn check_operation(
        &self,
        file: &SpecFile,
        operation: &Operation,
        path_params: &[(String, String)],
        request: &Request<'_>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let params: Vec<&Value> = operation.operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| match p.get("$ref").and_then(Value::as_str) {
                Some(reference) => self.definition(file, reference).map(|(_, _, v)| v),
                None => Some(p),
            })
            .collect();
        let mut body_param = None;
        for param in &params {
            let name = param["name"].as_str().unwrap_or_default();
            let required = param["required"].as_bool().unwrap_or(false);
            match param["in"].as_str() {
                Some("path") => {
                    if let Some((_, value)) = path_params.iter().find(|(k, _)| k == name) {
                        check_simple(param, value, &format!("path parameter {name}"), &mut out);
                    }
                }
                Some("query") => {
                    let given: Vec<&String> = request
                        .query
                        .iter()
                        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v)
                        .collect();
                    if given.is_empty() && required {
                        out.push(format!("the required query parameter {name:?} is missing"));
                    }
                    for value in given {
                        check_simple(param, value, &format!("query parameter {name}"), &mut out);
                        check_api_version(param, value, &mut out);
                    }
                }
                Some("body") => body_param = Some(*param),
                _ => {}
            }
        }
        for (key, _) in request.query {
            let known = params.iter().any(|p| {
                p["in"] == "query"
                    && p["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(key))
            });
            if !known {
                out.push(format!("the operation has no query parameter {key:?}"));
            }
        }
        match body_param {
            Some(param) => self.check_body(file, param, request, &mut out),
            None if !request.body.is_empty() => {
                out.push("a request body, where the operation takes none".to_string());
            }
            None => {}
        }
        out
    }

    fn check_body(
        &self,
        file: &SpecFile,
        param: &Value,
        request: &Request<'_>,
        out: &mut Vec<String>,
    ) {
        if request.body.is_empty() {
            if param["required"].as_bool().unwrap_or(false) {
                out.push("the required JSON body is missing".to_string());
            }
            return;
        }
        let media = request.content_type.map(|c| {
            c.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
        if media.as_deref() != Some("application/json") {
            out.push(format!(
                "the body's Content-Type is {:?}, where the operation consumes application/json",
                request.content_type.unwrap_or("(none)")
            ));
        }
        let body: Value = match serde_json::from_slice(request.body) {
            Ok(body) => body,
            Err(e) => {
                out.push(format!("the body is not JSON: {e}"));
                return;
            }
        };
        let scope = Scope {
            specs: self,
            file,
            model: None,
        };
        schema::check(scope, &param["schema"], &body, "body", out);
    }
}

/// The path parameters when `path` (percent-encoded, as sent) fits the
/// template. Literal segments match ignoring case, as Azure's routes do.
fn match_path(template: &[String], path: &str) -> Option<Vec<(String, String)>> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if segments.len() != template.len() {
        return None;
    }
    let mut params = Vec::new();
    for (pattern, segment) in template.iter().zip(segments) {
        if let Some(name) = pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if segment.is_empty() {
                return None;
            }
            params.push((name.to_string(), percent_decode(segment, false)));
        } else if !pattern.eq_ignore_ascii_case(segment) {
            return None;
        }
    }
    Some(params)
}

/// A path or query parameter's value against its declared type and enum.
fn check_simple(param: &Value, value: &str, what: &str, out: &mut Vec<String>) {
    match param["type"].as_str() {
        Some("integer") => {
            let fits = match param["format"].as_str() {
                Some("int32") => value.parse::<i32>().is_ok(),
                _ => value.parse::<i64>().is_ok(),
            };
            if !fits {
                out.push(format!(
                    "{what}: {value:?} is not an integer ({})",
                    param["format"]
                ));
            }
        }
        Some("boolean")
            if !value.eq_ignore_ascii_case("true") && !value.eq_ignore_ascii_case("false") =>
        {
            out.push(format!("{what}: {value:?} is not a boolean"));
        }
        _ => {}
    }
    if let Some(allowed) = param["enum"].as_array() {
        let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
        if !names.iter().any(|n| n.eq_ignore_ascii_case(value)) {
            out.push(format!(
                "{what}: {value:?} is not one of {}",
                names.join(", ")
            ));
        }
    }
}

/// The specs say which `api-version` an operation takes only in prose:
/// "This should be set to '7.1-preview.4' to use this version of the api."
fn check_api_version(param: &Value, value: &str, out: &mut Vec<String>) {
    if param["name"] != "api-version" {
        return;
    }
    let description = param["description"].as_str().unwrap_or_default();
    let expected = description
        .split_once("set to '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(version, _)| version);
    if let Some(expected) = expected.filter(|e| *e != value) {
        out.push(format!(
            "api-version is {value:?}, where this operation is {expected:?}"
        ));
    }
}

/// Splits a query string into decoded pairs (`+` is a space, as in forms).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key, true), percent_decode(value, true))
        })
        .collect()
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(u8::try_from(high * 16 + low).expect("two hex digits fit a byte"));
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
