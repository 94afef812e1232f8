//! A JSON value checked against a Swagger 2.0 schema: only the subset the
//! vendored Azure DevOps specs use (`$ref` to `#/definitions/..` in the same
//! file or `other.json#/definitions/..` in another vendored file, `type`,
//! `format`, `enum`, `properties`, `allOf`, `additionalProperties`, `items`,
//! `required`).
//!
//! Azure's models are strict in the way that matters to a client: a property
//! the model does not declare is dropped silently by the server, so a typo in
//! a request body (`startedDate` for `startDate`) loses data without an
//! error. The checker therefore names every unknown property, and a property
//! that differs from a declared one only by case.

use serde_json::Value;

use super::spec::{SpecFile, Specs};

/// Where a schema lives: the file its `$ref`s resolve in, and the
/// definition's name once one has been followed (for messages).
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub(crate) specs: &'a Specs,
    pub(crate) file: &'a SpecFile,
    pub(crate) model: Option<&'a str>,
}

/// Checks `value` (found at `at`, e.g. `body[0].outcome`) against `schema`,
/// pushing one message per violation.
pub(crate) fn check(
    scope: Scope<'_>,
    schema: &Value,
    value: &Value,
    at: &str,
    out: &mut Vec<String>,
) {
    let Some((scope, schema)) = resolve(scope, schema, at, out) else {
        return;
    };
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        check_enum(allowed, value, at, out);
        return;
    }
    let kind = schema.get("type").and_then(Value::as_str);
    if value.is_null() {
        // Azure reads null as "not given" for references; a value type
        // (number, boolean) cannot be null in its .NET model.
        if matches!(kind, Some("integer" | "number" | "boolean")) {
            out.push(format!(
                "{at}: null where {} {kind:?} is required",
                model_of(scope)
            ));
        }
        return;
    }
    match kind {
        Some("object") | None if is_object_schema(schema) => {
            check_object(scope, schema, value, at, out);
        }
        Some(kind @ ("object" | "array" | "string" | "number" | "boolean"))
            if !fits(kind, value) =>
        {
            let article = if kind.starts_with(['a', 'o']) {
                "an"
            } else {
                "a"
            };
            out.push(format!(
                "{at}: expected {article} {kind}, found {}",
                describe(value)
            ));
        }
        Some("array") => {
            let items = value.as_array().into_iter().flatten();
            if let Some(item) = schema.get("items") {
                for (i, element) in items.enumerate() {
                    check(scope, item, element, &format!("{at}[{i}]"), out);
                }
            }
        }
        Some("string") => check_string_format(schema, value.as_str().unwrap_or_default(), at, out),
        Some("integer") => check_integer(schema, value, at, out),
        Some("object" | "number" | "boolean") | None => {}
        Some(other) => out.push(format!(
            "{at}: the spec has a type the checker does not know: {other}"
        )),
    }
}

/// Whether `value` has the JSON type `kind`.
fn fits(kind: &str, value: &Value) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    }
}

/// Follows `$ref`s (several in a row, across files) to the schema itself.
fn resolve<'a>(
    mut scope: Scope<'a>,
    mut schema: &'a Value,
    at: &str,
    out: &mut Vec<String>,
) -> Option<(Scope<'a>, &'a Value)> {
    let mut hops = 0;
    while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        hops += 1;
        match scope.specs.definition(scope.file, reference) {
            Some((file, name, target)) if hops < 32 => {
                scope = Scope {
                    specs: scope.specs,
                    file,
                    model: Some(name),
                };
                schema = target;
            }
            _ => {
                out.push(format!(
                    "{at}: the spec's $ref {reference:?} does not resolve"
                ));
                return None;
            }
        }
    }
    Some((scope, schema))
}

fn is_object_schema(schema: &Value) -> bool {
    schema.get("properties").is_some()
        || schema.get("allOf").is_some()
        || schema.get("additionalProperties").is_some()
}

fn model_of(scope: Scope<'_>) -> String {
    scope
        .model
        .map_or_else(|| "the schema".to_string(), str::to_string)
}

fn check_object(scope: Scope<'_>, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let Some(object) = value.as_object() else {
        out.push(format!(
            "{at}: expected an object ({}), found {}",
            model_of(scope),
            describe(value)
        ));
        return;
    };
    let mut declared: Vec<(Scope<'_>, &str, &Value)> = Vec::new();
    let mut extra: Option<(Scope<'_>, &Value)> = None;
    let mut required: Vec<String> = Vec::new();
    collect(
        scope,
        schema,
        &mut declared,
        &mut extra,
        &mut required,
        at,
        out,
    );
    for name in &required {
        if !object.contains_key(name) {
            out.push(format!(
                "{at}: {} requires the property {name:?}",
                model_of(scope)
            ));
        }
    }
    for (key, element) in object {
        let here = format!("{at}.{key}");
        if let Some((owner, _, property)) = declared.iter().find(|(_, name, _)| name == key) {
            check(*owner, property, element, &here, out);
        } else if let Some((owner, property)) = extra {
            check(owner, property, element, &here, out);
        } else if let Some((_, name, _)) = declared
            .iter()
            .find(|(_, name, _)| name.eq_ignore_ascii_case(key))
        {
            out.push(format!(
                "{here}: {} spells this property {name:?}",
                model_of(scope)
            ));
        } else {
            out.push(format!(
                "{here}: {} has no property {key:?}",
                model_of(scope)
            ));
        }
    }
}

/// The properties of an object schema and of every schema it extends
/// (`allOf`), each with the scope its own `$ref`s resolve in.
fn collect<'a>(
    scope: Scope<'a>,
    schema: &'a Value,
    declared: &mut Vec<(Scope<'a>, &'a str, &'a Value)>,
    extra: &mut Option<(Scope<'a>, &'a Value)>,
    required: &mut Vec<String>,
    at: &str,
    out: &mut Vec<String>,
) {
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        declared.extend(properties.iter().map(|(k, v)| (scope, k.as_str(), v)));
    }
    if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        *extra = Some((scope, additional));
    }
    if let Some(names) = schema.get("required").and_then(Value::as_array) {
        required.extend(names.iter().filter_map(Value::as_str).map(str::to_string));
    }
    for parent in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some((scope, parent)) = resolve(scope, parent, at, out) {
            collect(scope, parent, declared, extra, required, at, out);
        }
    }
}

/// Azure reads enums by name, ignoring case, or by number.
fn check_enum(allowed: &[Value], value: &Value, at: &str, out: &mut Vec<String>) {
    let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
    let ok = match value {
        Value::String(text) => names.iter().any(|n| n.eq_ignore_ascii_case(text)),
        Value::Number(n) => n.is_u64() || n.is_i64(),
        Value::Null => true,
        _ => false,
    };
    if !ok {
        out.push(format!("{at}: {value} is not one of {}", names.join(", ")));
    }
}

fn check_integer(schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let Some(number) = value
        .as_i64()
        .map(i128::from)
        .or(value.as_u64().map(i128::from))
    else {
        out.push(format!(
            "{at}: expected an integer, found {}",
            describe(value)
        ));
        return;
    };
    let (low, high) = match schema.get("format").and_then(Value::as_str) {
        Some("int32") => (i128::from(i32::MIN), i128::from(i32::MAX)),
        Some("int16") => (i128::from(i16::MIN), i128::from(i16::MAX)),
        Some("byte") => (i128::from(u8::MIN), i128::from(u8::MAX)),
        _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
    };
    if number < low || number > high {
        out.push(format!(
            "{at}: {number} is out of range for {}",
            schema["format"]
        ));
    }
}

fn check_string_format(schema: &Value, text: &str, at: &str, out: &mut Vec<String>) {
    let hex = text.replace('-', "");
    let guid = text.len() == 36 && hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit());
    let expected = match schema.get("format").and_then(Value::as_str) {
        Some("date-time") if chrono::DateTime::parse_from_rfc3339(text).is_err() => {
            "an RFC 3339 date-time"
        }
        Some("uuid") if !guid => "a GUID",
        _ => return,
    };
    out.push(format!("{at}: {text:?} is not {expected}"));
}

/// A value's JSON type, for messages.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}
