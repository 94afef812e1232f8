//! task.json and the input tables of the README and of the marketplace
//! page (overview.md), held to the table in [`super::table`]: the same
//! inputs in the same order and groups, with the same types, defaults,
//! visibility rules and first sentence of help. A failure names the input
//! and what to write.

use serde_json::Value;

use super::{DefaultValue, Field, Group, Kind};

pub(crate) fn task_json() -> Value {
    serde_json::from_str(include_str!("../../task/task.json")).unwrap()
}

/// The documents with input tables, by name.
const DOCUMENTS: &[(&str, &str)] = &[
    ("README.md", include_str!("../../README.md")),
    ("overview.md", include_str!("../../overview.md")),
];

/// task.json's `type` for a kind.
fn task_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Lines => "multiLine",
        Kind::Text | Kind::Secret | Kind::Args => "string",
        Kind::Bool => "boolean",
        Kind::Pick(_) => "pickList",
        Kind::Connection => "connectedService:postmanapi",
    }
}

/// `help` is the whole text, or its first sentence followed by more.
fn starts_with_sentence(text: &str, sentence: &str) -> bool {
    text.strip_prefix(sentence)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

/// What is wrong with one task.json input, against its row.
fn task_input_problems(field: Field, input: &Value) -> Vec<String> {
    let spec = field.spec();
    let name = spec.input;
    let mut problems = Vec::new();
    let mut expect = |what: &str, found: &Value, wanted: Value| {
        if *found != wanted {
            problems.push(format!(
                "{name}: {what} is {found}, the table says {wanted}"
            ));
        }
    };
    expect("type", &input["type"], task_type(spec.kind).into());
    let default = match spec.default {
        DefaultValue::Is(value) => value,
        _ => "",
    };
    expect("defaultValue", &input["defaultValue"], default.into());
    expect(
        "required",
        &input["required"],
        (spec.default == DefaultValue::Required).into(),
    );
    expect(
        "groupName",
        &input["groupName"],
        spec.group.name().map_or(Value::Null, Into::into),
    );
    expect(
        "visibleRule",
        &input["visibleRule"],
        spec.visible.map_or(Value::Null, Into::into),
    );
    if let Kind::Pick(choices) = spec.kind {
        // serde_json may sort an object's keys: compare them as sets.
        let mut options: Vec<&str> = input["options"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        options.sort_unstable();
        let mut choices = choices.to_vec();
        choices.sort_unstable();
        if options != choices {
            problems.push(format!(
                "{name}: options are {options:?}, the table says {choices:?}"
            ));
        }
    }
    let help = input["helpMarkDown"].as_str().unwrap_or_default();
    if !starts_with_sentence(help, spec.help) {
        problems.push(format!(
            "{name}: helpMarkDown must start with the table's sentence:\n  {}\nbut is:\n  {help}",
            spec.help
        ));
    }
    problems
}

#[test]
fn task_json_declares_the_table_s_inputs_in_its_order() {
    let task = task_json();
    let inputs = task["inputs"].as_array().unwrap();
    let declared: Vec<&str> = inputs.iter().map(|i| i["name"].as_str().unwrap()).collect();
    let ours: Vec<&str> = Field::ALL.iter().map(|f| f.input()).collect();
    assert_eq!(declared, ours, "task.json's inputs, against the table");
    let problems: Vec<String> = Field::ALL
        .iter()
        .zip(inputs)
        .flat_map(|(field, input)| task_input_problems(*field, input))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn task_json_groups_are_titled_as_the_readme_tables() {
    let task = task_json();
    for field in Field::ALL {
        let group = field.spec().group;
        let Some(name) = group.name() else { continue };
        let declared = task["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap_or_else(|| panic!("task.json has no group {name}"));
        assert_eq!(declared["displayName"], group.title(), "group {name}");
    }
}

/// A document's input tables: each `**Title**` and its rows' cells, from
/// its section `## Inputs` to the next heading.
fn input_tables(text: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let start = text.find("\n## Inputs\n").expect("a section `## Inputs`");
    let section = &text[start + 1..];
    let end = section[1..]
        .find("\n#")
        .expect("a heading after the inputs")
        + 1;
    let mut tables: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for line in section[..end].lines() {
        if let Some(title) = line.strip_prefix("**").and_then(|l| l.strip_suffix("**")) {
            tables.push((title.to_owned(), Vec::new()));
        } else if line.starts_with('|')
            && !line.starts_with("| Input")
            && !line.starts_with("| ---")
        {
            // A cell holds no `|`: markdown would end the cell there.
            let cells = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect();
            tables
                .last_mut()
                .expect("a table after a **Title**")
                .1
                .push(cells);
        }
    }
    tables
}

#[test]
fn the_readme_and_overview_have_a_table_per_group_and_a_row_per_input() {
    for (name, text) in DOCUMENTS {
        let problems = table_problems(text);
        assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
    }
}

/// What a document's input tables get wrong.
fn table_problems(text: &str) -> Vec<String> {
    // The groups in the order their first input comes, with their inputs.
    let mut wanted: Vec<(Group, Vec<Field>)> = Vec::new();
    for field in Field::ALL {
        let group = field.spec().group;
        match wanted.last_mut() {
            Some((g, fields)) if *g == group => fields.push(*field),
            _ => wanted.push((group, vec![*field])),
        }
    }
    let tables = input_tables(text);
    let titles: Vec<&str> = tables.iter().map(|(t, _)| t.as_str()).collect();
    let wanted_titles: Vec<&str> = wanted.iter().map(|(g, _)| g.title()).collect();
    if titles != wanted_titles {
        return vec![format!(
            "the input tables are {titles:?}, the table's groups {wanted_titles:?}"
        )];
    }
    let mut problems = Vec::new();
    for ((_, rows), (group, fields)) in tables.iter().zip(&wanted) {
        let names: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
        let wanted_names: Vec<String> = fields.iter().map(|f| format!("`{}`", f.input())).collect();
        if names != wanted_names {
            problems.push(format!(
                "table {}: rows are {names:?}, the table says {wanted_names:?}",
                group.title()
            ));
            continue;
        }
        for (row, field) in rows.iter().zip(fields) {
            let spec = field.spec();
            let default = match spec.default {
                DefaultValue::Required => "(required)".to_owned(),
                DefaultValue::Empty => String::new(),
                DefaultValue::Is(v) | DefaultValue::EmptyMeans(v) => format!("`{v}`"),
            };
            if row.len() != 3 || row[1] != default {
                problems.push(format!(
                    "{}: the default cell must be {default:?}: {row:?}",
                    spec.input
                ));
            } else if !starts_with_sentence(&row[2], spec.help) {
                problems.push(format!(
                    "{}: the row must start with the table's sentence:\n  {}\nbut is:\n  {}",
                    spec.input, spec.help, row[2]
                ));
            }
        }
    }
    problems
}
