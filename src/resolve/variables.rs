//! Environments and globals in every shape the Postman CLI runs, and the
//! JSON copies with overrides the task hands it.
//!
//! Measured with Postman CLI 1.62.0 against a local server:
//! - `postman environment new staging` (in a `postman init --no-fetch
//!   --no-cloud` repository) writes `postman/environments/staging.environment.yaml`:
//!   `name: staging` / `values: []`; `postman environment var set baseUrl
//!   <url> --environment <file>` adds `- key: baseUrl` / `value: <url>` /
//!   `enabled: true`. Globals files are `*.globals.yaml` of the same shape
//!   (`postman globals lint`).
//! - `collection run` (v2.1 and v3 alike) accepts with `-e`/`-g`: the YAML
//!   shape, Postman's JSON export (`{"name", "values": [{"key", "value",
//!   "enabled"}]}`), globals as a bare JSON array of `{"key", "value"}`, and a
//!   JSON environment in UTF-16 LE with a byte-order mark (what Windows
//!   PowerShell 5.1's `Out-File` writes), and a file in another encoding as
//!   `super::decode` says. So the task writes its merged copy as plain UTF-8
//!   JSON whatever the input's shape and encoding.
//! - A v2.1 collection with `item` but no `info` (older exports) runs (see
//!   `resolve::collection`).

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::decode::{BadUtf16, Encoding};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum VariablesError {
    #[error("{0}")]
    Encoding(#[from] BadUtf16),
    #[error("it is neither JSON nor YAML ({0})")]
    Syntax(String),
    #[error(
        "the file holds no variables (expected `values: [...]` or a list of `key`/`value` pairs)"
    )]
    NotVariables,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `{"name", "values": [...]}`, Postman's export.
    JsonObject,
    /// `[{"key", "value"}, ...]`.
    JsonArray,
    /// `name:` / `values:` (`*.environment.yaml`, `*.globals.yaml`).
    Yaml,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Environment,
    Globals,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Variables {
    pub(crate) name: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) values: Vec<Variable>,
    pub(crate) shape: Shape,
    pub(crate) encoding: Encoding,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Variable {
    pub(crate) key: String,
    /// As written: a string, or a number or boolean in JSON files.
    pub(crate) value: Value,
    pub(crate) enabled: bool,
    /// `default`, `secret`, …
    pub(crate) kind: Option<String>,
}

/// Decodes an environment or globals file as the CLI does: by its name,
/// as YAML (`.yaml`, `.yml`) or JSON (see [`super::decode`]).
pub(crate) fn decode(bytes: &[u8], path: &Path) -> Result<(String, Encoding), VariablesError> {
    let yaml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    Ok(if yaml {
        super::decode::yaml(bytes)?
    } else {
        super::decode::json(bytes)?
    })
}

/// Reads an environment or globals file in any of the shapes above; `path`
/// tells how it is decoded.
pub(crate) fn read_variables(bytes: &[u8], path: &Path) -> Result<Variables, VariablesError> {
    let (text, encoding) = decode(bytes, path)?;
    let trimmed = text.trim_start();
    let (doc, json_shape) = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let doc: Value =
            serde_json::from_str(trimmed).map_err(|e| VariablesError::Syntax(e.to_string()))?;
        let shape = if doc.is_array() {
            Shape::JsonArray
        } else {
            Shape::JsonObject
        };
        (doc, shape)
    } else {
        let doc: YamlVariables = serde_saphyr::from_str(&text).map_err(|e| {
            // The YAML error draws the line under it; its first line says it.
            VariablesError::Syntax(e.to_string().lines().next().unwrap_or_default().to_owned())
        })?;
        let values = doc
            .values
            .unwrap_or_default()
            .into_iter()
            .map(|v| {
                json!({
                    "key": v.key.and_then(|k| k.text()),
                    "value": v.value.and_then(|k| k.text()).unwrap_or_default(),
                    "enabled": v.enabled.unwrap_or(true),
                    "type": v.kind,
                })
            })
            .collect();
        let name = doc.name.and_then(|n| n.text());
        (
            json!({"name": name, "id": doc.id, "values": Value::Array(values)}),
            Shape::Yaml,
        )
    };
    let (meta, items) = match &doc {
        Value::Array(items) => (None, items),
        Value::Object(o) => match o.get("values") {
            Some(Value::Array(items)) => (Some(o), items),
            _ => return Err(VariablesError::NotVariables),
        },
        _ => return Err(VariablesError::NotVariables),
    };
    let values = items
        .iter()
        .filter_map(|item| {
            let key = item.get("key")?.as_str()?.to_owned();
            Some(Variable {
                key,
                value: item
                    .get("value")
                    .cloned()
                    .unwrap_or(Value::String(String::new())),
                enabled: item.get("enabled").and_then(Value::as_bool).unwrap_or(true),
                kind: item.get("type").and_then(Value::as_str).map(str::to_owned),
            })
        })
        .collect();
    let text_of = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Ok(Variables {
        name: text_of("name"),
        id: text_of("id"),
        values,
        shape: json_shape,
        encoding,
    })
}

#[derive(Deserialize)]
struct YamlVariables {
    name: Option<YamlScalar>,
    id: Option<String>,
    values: Option<Vec<YamlVariable>>,
}

#[derive(Deserialize)]
struct YamlVariable {
    key: Option<YamlScalar>,
    value: Option<YamlScalar>,
    enabled: Option<bool>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// A scalar as text: `value: 42` is the string `42`, as the CLI uses it.
#[derive(Deserialize)]
#[serde(untagged)]
enum YamlScalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl YamlScalar {
    fn text(self) -> Option<String> {
        Some(match self {
            YamlScalar::Text(s) => s,
            YamlScalar::Int(n) => n.to_string(),
            YamlScalar::Float(n) => n.to_string(),
            YamlScalar::Bool(b) => b.to_string(),
        })
    }
}

impl Variables {
    /// Postman's JSON export of these variables, which the CLI takes with
    /// `-e`/`-g` for v2.1 and v3 collections alike.
    pub(crate) fn to_json(&self, scope: Scope) -> String {
        let values: Vec<Value> = self
            .values
            .iter()
            .map(|v| {
                let mut item = Map::new();
                item.insert("key".into(), Value::String(v.key.clone()));
                item.insert("value".into(), v.value.clone());
                item.insert("enabled".into(), Value::Bool(v.enabled));
                if let Some(kind) = &v.kind {
                    item.insert("type".into(), Value::String(kind.clone()));
                }
                Value::Object(item)
            })
            .collect();
        let mut doc = Map::new();
        if let Some(id) = &self.id {
            doc.insert("id".into(), Value::String(id.clone()));
        }
        let default_name = match scope {
            Scope::Environment => "environment",
            Scope::Globals => "globals",
        };
        doc.insert(
            "name".into(),
            Value::String(self.name.clone().unwrap_or_else(|| default_name.to_owned())),
        );
        doc.insert("values".into(), Value::Array(values));
        doc.insert(
            "_postman_variable_scope".into(),
            Value::String(default_name.to_owned()),
        );
        serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "e.environment.yaml";
    const JSON: &str = "e.json";

    fn read(bytes: &[u8], name: &str) -> Result<Variables, VariablesError> {
        read_variables(bytes, Path::new(name))
    }

    fn utf16le_bom(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn reads_what_postman_environment_new_writes() {
        // `postman environment new staging` + `environment var set`.
        let v = read(b"name: staging\nvalues:\n  - key: baseUrl\n    value: http://127.0.0.1:1\n    enabled: true\n", YAML).unwrap();
        assert_eq!(v.shape, Shape::Yaml);
        assert_eq!(v.name.as_deref(), Some("staging"));
        assert_eq!(v.values.len(), 1);
        assert_eq!(v.values[0].key, "baseUrl");
        assert_eq!(v.values[0].value, json!("http://127.0.0.1:1"));
        let empty = read(b"name: staging\nvalues: []\n", YAML).unwrap();
        assert!(empty.values.is_empty());
    }

    #[test]
    fn reads_the_example_environment_and_lint_fixtures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let v = read(
            &std::fs::read(
                root.join("examples/shop-v3/postman/environments/local.environment.yaml"),
            )
            .unwrap(),
            YAML,
        )
        .unwrap();
        assert_eq!(v.values[0].key, "baseUrl");
        // Numbers and odd types read as the CLI would use them.
        let bad = read(
            &std::fs::read(
                root.join("tests/fixtures/v3/environment-lint-files/bad.environment.yaml"),
            )
            .unwrap(),
            YAML,
        )
        .unwrap();
        assert_eq!(bad.values[0].value, json!("1"));
    }

    #[test]
    fn reads_bare_array_globals_and_utf16_environments() {
        let g = read(br#"[{"key":"baseUrl","value":"http://x"}]"#, JSON).unwrap();
        assert_eq!(g.shape, Shape::JsonArray);
        assert_eq!(g.values[0].value, json!("http://x"));
        assert!(g.values[0].enabled);

        let text = r#"{"name":"local ✓","values":[{"key":"n","value":3,"enabled":false}]}"#;
        let e = read(&utf16le_bom(text), JSON).unwrap();
        assert_eq!(e.encoding, Encoding::Utf16Le);
        assert_eq!(e.name.as_deref(), Some("local ✓"));
        assert_eq!(e.values[0].value, json!(3));
        assert!(!e.values[0].enabled);

        let bom = read(b"\xEF\xBB\xBF{\"values\":[]}", JSON).unwrap();
        assert_eq!(bom.encoding, Encoding::Utf8Bom);
        assert_eq!(
            read(&[0xFF, 0xFE, 0x00], JSON),
            Err(VariablesError::Encoding(BadUtf16))
        );
        assert_eq!(
            read(b"{\"item\": []}", JSON),
            Err(VariablesError::NotVariables)
        );
    }

    #[test]
    fn reads_files_that_are_not_utf8_as_the_cli_does() {
        // `Montréal` saved in Latin-1 by a Windows editor: JSON files are
        // read as Latin-1 (the CLI's `chardet`), YAML files with U+FFFD.
        let json = read(
            b"{\"name\":\"Qu\xE9bec\",\"values\":[{\"key\":\"city\",\"value\":\"Montr\xE9al\"}]}",
            JSON,
        )
        .unwrap();
        assert_eq!(json.encoding, Encoding::Latin1);
        assert_eq!(json.name.as_deref(), Some("Québec"));
        assert_eq!(json.values[0].value, json!("Montréal"));
        let yaml = read(
            b"name: Qu\xE9bec\nvalues:\n  - key: city\n    value: Montr\xE9al\n",
            YAML,
        )
        .unwrap();
        assert_eq!(yaml.encoding, Encoding::Utf8Replaced);
        assert_eq!(yaml.values[0].value, json!("Montr\u{FFFD}al"));
    }

    #[test]
    fn writes_postman_json_for_every_shape() {
        for (name, input) in [
            (
                YAML,
                b"name: staging\nvalues:\n  - key: a\n    value: '1'\n    enabled: false\n"
                    .to_vec(),
            ),
            (
                JSON,
                br#"[{"key":"a","value":"1","enabled":false}]"#.to_vec(),
            ),
            (
                JSON,
                utf16le_bom(
                    r#"{"name":"staging","values":[{"key":"a","value":"1","enabled":false}]}"#,
                ),
            ),
        ] {
            let v = read(&input, name).unwrap();
            let out: Value = serde_json::from_str(&v.to_json(Scope::Environment)).unwrap();
            assert_eq!(
                out["values"],
                json!([{"key": "a", "value": "1", "enabled": false}])
            );
            assert_eq!(out["_postman_variable_scope"], "environment");
            assert!(out["name"].is_string());
        }
        let g: Value =
            serde_json::from_str(&read(b"[]", JSON).unwrap().to_json(Scope::Globals)).unwrap();
        assert_eq!(g["name"], "globals");
    }
}
