//! task.json checked against the official `tasks.schema.json` and the rules
//! the task editor, tfx and the agent apply that no schema states.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};

use super::{read_json, root};

/// Handlers the launcher is written for, and the first agent version that
/// has each (the `Node20_1HandlerData` and `Node24HandlerData` tags of
/// microsoft/azure-pipelines-agent).
const HANDLERS: &[(&str, [u64; 3])] = &[("Node20_1", [3, 232, 1]), ("Node24", [4, 265, 0])];

/// `visibleRule` operators the task editor evaluates, as in-box tasks use them.
const RULE_OPERATORS: &[&str] = &["NotEndsWith", "EndsWith", "!=", "==", "="];

/// Errors of `task` against the vendored schema, less one known mistake of
/// the schema: it types an input's `properties.resizable` as a boolean, while
/// the task editor reads the string, as all 113 uses in the in-box tasks
/// (microsoft/azure-pipelines-tasks `Tasks/*/task.json`) write it: `"true"`.
fn schema_errors(task: &Value) -> Vec<String> {
    let schema = read_json("tests/fixtures/schema/tasks.schema.json");
    let validator = jsonschema::draft4::new(&schema).expect("the vendored schema compiles");
    validator
        .iter_errors(task)
        .filter(|e| {
            let path = e.instance_path().to_string();
            let parts: Vec<&str> = path.split('/').collect();
            let resizable = matches!(parts[..], ["", "inputs", _, "properties", "resizable"]);
            !(resizable
                && matches!(e.instance().as_ref(), Value::String(s) if s == "true" || s == "false"))
        })
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn task_json_is_valid_against_the_official_schema() {
    let errors = schema_errors(&read_json("task/task.json"));
    assert!(errors.is_empty(), "task/task.json: {errors:#?}");
}

#[test]
fn the_schema_check_rejects_what_the_schema_forbids() {
    let mut task = read_json("task/task.json");
    task["inputs"][0]["name"] = json!("bad-name");
    task["inputs"][1]["type"] = json!("text");
    task["category"] = json!("Testing");
    task["minimumAgentVersion"] = json!("v4");
    task["notAField"] = json!(true);
    task["inputs"][0]["properties"]["rows"] = json!(3);
    task["inputs"][0]["properties"]["resizable"] = json!("yes");
    let errors = schema_errors(&task);
    for needle in [
        "/inputs/0/name",
        "/inputs/1/type",
        "/category",
        "/minimumAgentVersion",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(needle)),
            "{needle} not reported in {errors:#?}"
        );
    }
    assert!(
        errors.iter().any(|e| e.contains("notAField")),
        "{errors:#?}"
    );
}

fn is_input_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric())
}

fn parse_version(text: &str) -> Option<[u64; 3]> {
    let parts: Vec<u64> = text
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match parts[..] {
        [a, b] => Some([a, b, 0]),
        [a, b, c] => Some([a, b, c]),
        _ => None,
    }
}

/// The rules no schema states: what the task editor needs to show the task
/// (rules naming real inputs, groups that exist, defaults among the options),
/// what tfx checks, and what the agent needs to run it.
fn task_json_problems(task: &Value, task_dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let by_name = input_problems(task, &mut problems);
    display_problems(task, &by_name, &mut problems);
    output_problems(task, &mut problems);
    handler_problems(task, task_dir, &mut problems);
    problems
}

/// Names, groups, defaults and visibility rules of the inputs; returns the
/// inputs by name for the checks that follow.
fn input_problems<'a>(task: &'a Value, problems: &mut Vec<String>) -> BTreeMap<&'a str, &'a Value> {
    static EMPTY: Vec<Value> = Vec::new();
    let empty = &EMPTY;
    let inputs = task["inputs"].as_array().unwrap_or(empty);
    let groups = task["groups"].as_array().unwrap_or(empty);

    let friendly = task["friendlyName"].as_str().unwrap_or_default();
    if friendly.is_empty() || friendly.chars().count() > 40 {
        problems.push(format!(
            "friendlyName must be 1 to 40 characters: {friendly:?}"
        ));
    }

    let mut group_names = BTreeSet::new();
    for group in groups {
        let name = group["name"].as_str().unwrap_or_default();
        if !group_names.insert(name) {
            problems.push(format!("group {name:?} is declared twice"));
        }
    }

    // Input names (and aliases) are case-insensitive to the agent.
    let mut seen = BTreeSet::new();
    let mut by_name: BTreeMap<&str, &Value> = BTreeMap::new();
    for input in inputs {
        let name = input["name"].as_str().unwrap_or_default();
        by_name.insert(name, input);
        let aliases = input["aliases"].as_array().unwrap_or(empty);
        for id in std::iter::once(name).chain(aliases.iter().filter_map(Value::as_str)) {
            if !is_input_name(id) {
                problems.push(format!("input name {id:?} is not ^[A-Za-z][A-Za-z0-9]*$"));
            }
            if !seen.insert(id.to_ascii_lowercase()) {
                problems.push(format!(
                    "input name {id:?} is used twice (names ignore case)"
                ));
            }
        }
    }

    for input in inputs {
        let name = input["name"].as_str().unwrap_or_default();
        let kind = input["type"].as_str().unwrap_or_default();
        let default = match &input["defaultValue"] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        if let Some(group) = input["groupName"].as_str()
            && !group_names.contains(group)
        {
            problems.push(format!(
                "{name}: groupName {group:?} is not a declared group"
            ));
        }
        if input["label"].as_str().unwrap_or_default().is_empty()
            || input["helpMarkDown"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        {
            problems.push(format!("{name}: needs a label and helpMarkDown"));
        }
        match kind {
            "boolean" if !["true", "false"].contains(&default.as_str()) => {
                problems.push(format!("{name}: a boolean's default must be true or false"));
            }
            "pickList" | "radio" => {
                let options = input["options"].as_object();
                let editable = input["properties"]["EditableOptions"]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                match options {
                    None => problems.push(format!("{name}: a {kind} needs options")),
                    Some(options) if !editable && !options.contains_key(&default) => {
                        problems.push(format!(
                            "{name}: default {default:?} is not one of its options {:?}",
                            options.keys().collect::<Vec<_>>()
                        ));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        if let Some(rule) = input["visibleRule"].as_str() {
            problems.extend(
                rule_problems(rule, &by_name)
                    .into_iter()
                    .map(|p| format!("{name}: visibleRule {rule:?}: {p}")),
            );
        }
    }
    for group in groups {
        if let Some(rule) = group["visibleRule"].as_str() {
            let name = group["name"].as_str().unwrap_or_default();
            problems.extend(
                rule_problems(rule, &by_name)
                    .into_iter()
                    .map(|p| format!("group {name}: visibleRule {rule:?}: {p}")),
            );
        }
    }
    by_name
}

/// `$(input)` in the step's display name.
fn display_problems(task: &Value, by_name: &BTreeMap<&str, &Value>, problems: &mut Vec<String>) {
    let format = task["instanceNameFormat"].as_str().unwrap_or_default();
    if format.is_empty() {
        problems.push("instanceNameFormat is required".to_string());
    }
    for part in format.split("$(").skip(1) {
        let referenced = part.split(')').next().unwrap_or_default();
        if !by_name.contains_key(referenced) {
            problems.push(format!(
                "instanceNameFormat names no input: $({referenced})"
            ));
        }
    }
}

/// Output variables: well-formed names, each declared once and described.
fn output_problems(task: &Value, problems: &mut Vec<String>) {
    let mut outputs = BTreeSet::new();
    for output in task["outputVariables"].as_array().into_iter().flatten() {
        let name = output["name"].as_str().unwrap_or_default();
        if !is_input_name(name) || !outputs.insert(name.to_ascii_lowercase()) {
            problems.push(format!(
                "output variable {name:?} is malformed or declared twice"
            ));
        }
        if output["description"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
        {
            problems.push(format!("output variable {name} needs a description"));
        }
    }
}

/// Handlers: the ones the launcher is written for, each target present,
/// and an agent floor that has at least one of them; no pre-job step, and
/// the post-job step (`post.js`, which marks the Tests tab's flaky tests)
/// with the main step's handlers, never the launcher itself (that would
/// run the collections again).
fn handler_problems(task: &Value, task_dir: &Path, problems: &mut Vec<String>) {
    if !task["prejobexecution"].is_null() {
        problems.push("prejobexecution: the task has no pre-job step".to_string());
    }
    post_job_problems(task, task_dir, problems);
    let execution = task["execution"].as_object();
    let mut floors = Vec::new();
    for (handler, body) in execution.into_iter().flatten() {
        match HANDLERS.iter().find(|(h, _)| h == handler) {
            Some((_, since)) => floors.push(*since),
            None => problems.push(format!(
                "execution.{handler}: use {:?} (the launcher is written for those; older ones are end-of-life)",
                HANDLERS.iter().map(|(h, _)| *h).collect::<Vec<_>>()
            )),
        }
        let target = body["target"].as_str().unwrap_or_default();
        if target.is_empty() || !task_dir.join(target).is_file() {
            problems.push(format!(
                "execution.{handler}.target {target:?} is not a file of the task"
            ));
        }
    }
    if floors.is_empty() {
        problems.push("execution declares no handler".to_string());
    }
    let minimum = task["minimumAgentVersion"].as_str().unwrap_or_default();
    match (parse_version(minimum), floors.iter().min()) {
        (None, _) => problems.push(format!("minimumAgentVersion {minimum:?} is not a version")),
        (Some(min), Some(floor)) if min < *floor => problems.push(format!(
            "minimumAgentVersion {minimum} is older than the first agent with any declared handler ({})",
            floor.map(|n| n.to_string()).join(".")
        )),
        _ => {}
    }

    // Publishing results and summaries needs commands restricted mode blocks.
    if task["restrictions"]["commands"]["mode"].as_str() == Some("restricted") {
        problems.push("restrictions: restricted mode blocks results.publish".to_string());
    }
}

/// The post-job step: the same handlers as `execution`, each targeting
/// `post.js`, which is there.
fn post_job_problems(task: &Value, task_dir: &Path, problems: &mut Vec<String>) {
    let handlers = |section: &str| -> Vec<String> {
        let mut keys: Vec<String> = task[section]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    };
    if handlers("postjobexecution") != handlers("execution") {
        problems.push(format!(
            "postjobexecution: the handlers must be execution's ({:?}), not {:?}",
            handlers("execution"),
            handlers("postjobexecution")
        ));
    }
    for (handler, body) in task["postjobexecution"].as_object().into_iter().flatten() {
        let target = body["target"].as_str().unwrap_or_default();
        if target != "post.js" || !task_dir.join(target).is_file() {
            problems.push(format!(
                "postjobexecution.{handler}.target {target:?}: the post-job step is post.js, a file of the task"
            ));
        }
    }
}

/// Checks a `visibleRule`: `input op value` clauses joined by `&&` or `||`
/// (not both), each naming a declared input and, for booleans and closed
/// pick lists, a value that input can have.
fn rule_problems(rule: &str, inputs: &BTreeMap<&str, &Value>) -> Vec<String> {
    let mut problems = Vec::new();
    let bare = rule.replace(['(', ')'], " ");
    if bare.contains("&&") && bare.contains("||") {
        problems.push("mixes && and ||".to_string());
    }
    for clause in bare.split("&&").flat_map(|c| c.split("||")) {
        let clause = clause.trim();
        let Some((name, op, value)) = RULE_OPERATORS.iter().find_map(|op| {
            let word = op.chars().all(|c| c.is_ascii_alphabetic());
            let needle = if word {
                format!(" {op} ")
            } else {
                op.to_string()
            };
            clause
                .split_once(&needle)
                .map(|(l, r)| (l.trim(), *op, r.trim()))
        }) else {
            problems.push(format!(
                "{clause:?} has no operator the editor knows ({RULE_OPERATORS:?})"
            ));
            continue;
        };
        let Some(input) = inputs.get(name) else {
            problems.push(format!("{name:?} is not an input"));
            continue;
        };
        if value.is_empty() || value.contains(char::is_whitespace) {
            problems.push(format!("{clause:?}: the value must be one word"));
        }
        if matches!(op, "=" | "==" | "!=") {
            let allowed: Option<Vec<String>> = match input["type"].as_str() {
                Some("boolean") => Some(vec!["true".into(), "false".into()]),
                Some("pickList" | "radio")
                    if input["properties"]["EditableOptions"].as_str() != Some("True") =>
                {
                    input["options"]
                        .as_object()
                        .map(|o| o.keys().cloned().collect())
                }
                _ => None,
            };
            if let Some(allowed) = allowed
                && !allowed.iter().any(|a| a == value)
            {
                problems.push(format!(
                    "{name} can never be {value:?} (it is one of {allowed:?})"
                ));
            }
        }
    }
    problems
}

#[test]
fn task_json_follows_the_rules_of_the_task_editor_tfx_and_the_agent() {
    let problems = task_json_problems(&read_json("task/task.json"), &root().join("task"));
    assert!(problems.is_empty(), "task/task.json: {problems:#?}");
}

#[test]
fn the_rule_checks_catch_each_kind_of_mistake() {
    let mut task = read_json("task/task.json");
    let inputs = task["inputs"].as_array_mut().expect("inputs");
    let find = |inputs: &[Value], kind: &str| {
        inputs
            .iter()
            .position(|i| i["type"] == json!(kind))
            .unwrap_or_else(|| panic!("task.json has a {kind} input"))
    };
    let pick = find(inputs, "pickList");
    inputs[pick]["defaultValue"] = json!("nowhere");
    let boolean = find(inputs, "boolean");
    inputs[boolean]["defaultValue"] = json!("yes");
    inputs[0]["groupName"] = json!("nosuchgroup");
    inputs[1]["visibleRule"] = json!("nosuchinput = true");
    inputs[2]["visibleRule"] = json!("bail Contains x");
    let bool_name = inputs[boolean]["name"].clone();
    inputs[3]["visibleRule"] = json!(format!("{} = maybe", bool_name.as_str().unwrap()));
    let mut twin = inputs[4].clone();
    twin["name"] = json!(inputs[4]["name"].as_str().unwrap().to_uppercase());
    inputs.push(twin);
    task["execution"] =
        json!({"Node16": {"target": "launcher.js"}, "Node24": {"target": "missing.js"}});
    task["prejobexecution"] = json!({"Node24": {"target": "post.js"}});
    task["postjobexecution"] = json!({"Node24": {"target": "launcher.js"}});
    task["minimumAgentVersion"] = json!("2.144.0");
    task["instanceNameFormat"] = json!("Postman: $(nosuch)");
    task["restrictions"] = json!({"commands": {"mode": "restricted"}});

    let problems = task_json_problems(&task, &root().join("task"));
    for needle in [
        "is not one of its options",
        "a boolean's default must be true or false",
        "groupName \"nosuchgroup\"",
        "\"nosuchinput\" is not an input",
        "no operator the editor knows",
        "can never be \"maybe\"",
        "is used twice",
        "execution.Node16",
        "execution.Node24.target \"missing.js\"",
        "prejobexecution: the task has no pre-job step",
        "postjobexecution: the handlers must be execution's",
        "postjobexecution.Node24.target \"launcher.js\"",
        "minimumAgentVersion 2.144.0 is older",
        "$(nosuch)",
        "restricted mode",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{needle:?} not reported in {problems:#?}"
        );
    }
}
