//! The marketplace package: one version everywhere; task.json checked against
//! the official `tasks.schema.json` and the rules the task editor and agent
//! apply; the manifest complete and in step with the task; the .vsix that
//! `scripts/package.sh` builds, unpacked as the agent unpacks it and run end
//! to end; and the cross-built binaries run under qemu and wine when those
//! are installed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::e2e::{Scenario, published_junit};
use crate::support::TaskResult;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Handlers the launcher is written for, and the first agent version that
/// has each (the `Node20_1HandlerData` and `Node24HandlerData` tags of
/// microsoft/azure-pipelines-agent).
const HANDLERS: &[(&str, [u64; 3])] = &[("Node20_1", [3, 232, 1]), ("Node24", [4, 265, 0])];

/// `visibleRule` operators the task editor evaluates, as in-box tasks use them.
const RULE_OPERATORS: &[&str] = &["NotEndsWith", "EndsWith", "!=", "==", "="];

fn root() -> &'static Path {
    Path::new(ROOT)
}

fn read_json(rel: &str) -> Value {
    let text = fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {rel}: {e}"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

// --- one version -----------------------------------------------------------

/// The version of the `postman-cli-task` entry in a Cargo.lock.
fn lock_version(lock: &str) -> Option<String> {
    lock.split("[[package]]")
        .find(|entry| entry.lines().any(|l| l == r#"name = "postman-cli-task""#))?
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .map(|v| v.trim_end_matches('"').to_string())
}

/// task.json's `{Major, Minor, Patch}`, each required to be a JSON number.
fn task_version(task: &Value) -> String {
    let part = |key: &str| {
        task["version"][key]
            .as_u64()
            .unwrap_or_else(|| panic!("task.json version.{key} must be a whole number"))
    };
    format!("{}.{}.{}", part("Major"), part("Minor"), part("Patch"))
}

#[test]
fn one_version_in_cargo_toml_cargo_lock_task_json_and_the_manifest() {
    let lock = fs::read_to_string(root().join("Cargo.lock")).expect("read Cargo.lock");
    let versions = BTreeMap::from([
        ("Cargo.toml", VERSION.to_string()),
        (
            "Cargo.lock",
            lock_version(&lock).expect("Cargo.lock has postman-cli-task"),
        ),
        ("task/task.json", task_version(&read_json("task/task.json"))),
        (
            "vss-extension.json",
            read_json("vss-extension.json")["version"]
                .as_str()
                .expect("vss-extension.json has a version")
                .to_string(),
        ),
    ]);
    assert!(
        versions.values().all(|v| v == VERSION),
        "the versions disagree: {versions:?}; change them together with scripts/bump-version.sh"
    );
}

#[test]
fn bump_version_changes_the_four_version_fields_and_nothing_else() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = [
        "Cargo.toml",
        "Cargo.lock",
        "task/task.json",
        "vss-extension.json",
    ];
    for rel in files.iter().chain(&["scripts/bump-version.sh"]) {
        let to = dir.path().join(rel);
        fs::create_dir_all(to.parent().expect("a folder")).expect("create folder");
        fs::copy(root().join(rel), &to).expect("copy into the scratch tree");
    }
    let [major, minor, patch]: [u64; 3] = VERSION
        .split('.')
        .map(|p| p.parse().expect("numeric version"))
        .collect::<Vec<_>>()
        .try_into()
        .expect("three parts");
    let bump = |args: &[&str]| {
        Command::new("bash")
            .arg(dir.path().join("scripts/bump-version.sh"))
            .args(args)
            .output()
            .expect("run bump-version.sh")
    };

    let next = format!("{major}.{minor}.{}", patch + 1);
    let out = bump(&[&next]);
    assert!(out.status.success(), "{}", text(&out));
    for rel in files {
        let before = fs::read_to_string(root().join(rel)).expect("read original");
        let after = fs::read_to_string(dir.path().join(rel)).expect("read bumped");
        let changed: Vec<(&str, &str)> = before
            .lines()
            .zip(after.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(before.lines().count(), after.lines().count(), "{rel}");
        assert_eq!(changed.len(), 1, "{rel}: one line changes: {changed:?}");
        assert!(
            changed[0].1.contains(&(patch + 1).to_string()),
            "{changed:?}"
        );
    }
    let bumped = |rel: &str| {
        let text = fs::read_to_string(dir.path().join(rel)).expect("read bumped");
        serde_json::from_str::<Value>(&text).expect("still JSON")
    };
    assert_eq!(task_version(&bumped("task/task.json")), next);
    assert_eq!(bumped("vss-extension.json")["version"], json!(next));
    let lock = fs::read_to_string(dir.path().join("Cargo.lock")).expect("read bumped lock");
    assert_eq!(lock_version(&lock).as_deref(), Some(next.as_str()));

    // Never backwards or sideways, and a new task major only when asked.
    assert!(!bump(&[&next]).status.success(), "the same version again");
    let major_bump = format!("{}.0.0", major + 1);
    let refused = bump(&[&major_bump]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("--major"), "{}", text(&refused));
    assert!(!bump(&["1.2"]).status.success());
    assert!(bump(&["--major", &major_bump]).status.success());
}

// --- task.json -------------------------------------------------------------

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
    let empty = Vec::new();
    let inputs = task["inputs"].as_array().unwrap_or(&empty);
    let groups = task["groups"].as_array().unwrap_or(&empty);

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
        let aliases = input["aliases"].as_array().unwrap_or(&empty);
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

    // `$(input)` in the step's display name.
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

    let mut outputs = BTreeSet::new();
    for output in task["outputVariables"].as_array().unwrap_or(&empty) {
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

    // Handlers: the ones the launcher is written for, each target present,
    // and an agent floor that has at least one of them.
    for section in ["prejobexecution", "postjobexecution"] {
        if !task[section].is_null() {
            problems.push(format!("{section}: the task has no pre- or post-job step"));
        }
    }
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
    problems
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

// --- the manifest ------------------------------------------------------------

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is a PNG",
        path.display()
    );
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (be(16), be(20))
}

#[test]
fn the_manifest_is_complete_and_matches_the_task() {
    let m = read_json("vss-extension.json");
    let task = read_json("task/task.json");
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let is_id = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };

    assert_eq!(m["manifestVersion"], json!(1));
    assert!(
        is_id(&s(&m["id"])) && is_id(&s(&m["publisher"])),
        "id and publisher"
    );
    assert!(!s(&m["name"]).is_empty());
    let description = s(&m["description"]);
    assert!(
        !description.is_empty() && description.chars().count() < 200,
        "tfx needs a description under 200 characters ({})",
        description.chars().count()
    );
    assert_eq!(m["categories"], json!(["Azure Pipelines"]));
    assert_eq!(
        m["targets"],
        json!([{"id": "Microsoft.VisualStudio.Services"}])
    );
    assert!(m["tags"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        png_size(&root().join(s(&m["icons"]["default"]))),
        (128, 128)
    );
    assert_eq!(png_size(&root().join("task/icon.png")), (32, 32));
    let details = s(&m["content"]["details"]["path"]);
    assert!(
        root().join(&details).is_file(),
        "content.details {details:?}"
    );
    assert_eq!(m["repository"]["type"], json!("git"));
    assert!(s(&m["repository"]["uri"]).starts_with("https://"));
    assert!(s(&m["links"]["support"]["uri"]).starts_with("https://"));

    let contributions = m["contributions"].as_array().expect("contributions");
    let ids: BTreeSet<String> = contributions.iter().map(|c| s(&c["id"])).collect();
    assert_eq!(
        ids.len(),
        contributions.len(),
        "contribution ids are unique"
    );

    // The task contribution points at the folder holding task.json, and
    // that folder is packaged.
    let tasks: Vec<&Value> = contributions
        .iter()
        .filter(|c| c["type"] == json!("ms.vss-distributed-task.task"))
        .collect();
    assert_eq!(tasks.len(), 1, "one task contribution");
    assert_eq!(
        tasks[0]["targets"],
        json!(["ms.vss-distributed-task.tasks"])
    );
    let folder = s(&tasks[0]["properties"]["name"]);
    assert_eq!(folder, "task");
    let files: Vec<String> = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| s(&f["path"]))
        .collect();
    assert!(
        files.contains(&folder),
        "files {files:?} package the task folder"
    );

    // The Postman tab: on the results page of builds that ran the task,
    // served from packaged, addressable files, reading builds and nothing more.
    assert_eq!(
        m["scopes"],
        json!(["vso.build"]),
        "the smallest scope that reads build attachments"
    );
    let tabs: Vec<&Value> = contributions
        .iter()
        .filter(|c| c["type"] == json!("ms.vss-build-web.build-results-tab"))
        .collect();
    assert_eq!(tabs.len(), 1, "one build results tab");
    assert_eq!(
        tabs[0]["targets"],
        json!(["ms.vss-build-web.build-results-view"])
    );
    assert_eq!(tabs[0]["properties"]["name"], json!("Postman"));
    assert_eq!(
        tabs[0]["properties"]["supportsTasks"],
        json!([task["id"]]),
        "shown only on builds that ran the task"
    );
    let uri = s(&tabs[0]["properties"]["uri"]);
    assert_eq!(uri, "web/dist/postman-tab.html");
    assert!(
        m["files"].as_array().expect("files").iter().any(|f| {
            f["addressable"] == json!(true) && uri.starts_with(&format!("{}/", s(&f["path"])))
        }),
        "{uri} is in an addressable files entry"
    );
    assert!(
        root().join("web/src/postman-tab.html").is_file(),
        "web/build.mjs builds the page from web/src/postman-tab.html"
    );

    // The service connection type every connectedService input names.
    let endpoints: Vec<&Value> = contributions
        .iter()
        .filter(|c| c["type"] == json!("ms.vss-endpoint.service-endpoint-type"))
        .collect();
    assert_eq!(endpoints.len(), 1, "one service connection type");
    let endpoint = &endpoints[0]["properties"];
    assert_eq!(
        endpoints[0]["targets"],
        json!(["ms.vss-endpoint.endpoint-types"])
    );
    assert_eq!(endpoint["name"], json!("postmanapi"));
    assert_eq!(
        endpoint["url"]["value"],
        json!("https://api.getpostman.com")
    );
    assert_eq!(endpoint["url"]["isVisible"], json!("true"));
    let schemes = endpoint["authenticationSchemes"]
        .as_array()
        .expect("schemes");
    assert_eq!(schemes.len(), 1);
    assert_eq!(
        schemes[0]["type"],
        json!("ms.vss-endpoint.endpoint-auth-scheme-token")
    );
    let token = &schemes[0]["inputDescriptors"][0];
    assert_eq!(
        token["id"],
        json!("apitoken"),
        "the agent passes ..._APITOKEN"
    );
    assert_eq!(token["name"], json!("API key"));
    assert_eq!(token["isConfidential"], json!(true));
    for input in task["inputs"].as_array().expect("inputs") {
        if let Some(kind) = input["type"]
            .as_str()
            .and_then(|t| t.strip_prefix("connectedService:"))
        {
            assert!(
                kind.eq_ignore_ascii_case(&s(&endpoint["name"])),
                "{} uses a connection type the extension does not contribute: {kind}",
                input["name"]
            );
        }
    }
}

// --- the package ---------------------------------------------------------------

/// Runs scripts/package.sh with `args`, panicking with its output on failure.
fn package(args: &[&str]) -> String {
    let output = Command::new("bash")
        .arg(root().join("scripts/package.sh"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run scripts/package.sh");
    let text = text(&output);
    assert!(
        output.status.success(),
        "scripts/package.sh {args:?} failed\n{text}"
    );
    text
}

/// Builds one platform's binary (no package) and returns its path.
fn cross_binary(platform: &str) -> PathBuf {
    let out = package(&["--target", platform, "--build-only"]);
    let path = out
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(&format!("{platform}: ")))
        .unwrap_or_else(|| panic!("package.sh printed no path for {platform}\n{out}"));
    PathBuf::from(path.trim())
}

/// Extracts a .vsix the way the agent extracts a task (.NET's
/// `ZipFile.ExtractToDirectory`: an entry's Unix mode is applied only when
/// the zip records one, otherwise the file gets the default mode), and
/// returns each entry's recorded mode.
const EXTRACT_LIKE_DOTNET: &str = r#"
import json, os, sys, zipfile
modes = {}
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        mode = (info.external_attr >> 16) & 0o777
        modes[info.filename] = mode
        path = z.extract(info, sys.argv[2])
        if mode and not info.is_dir():
            os.chmod(path, mode)
print(json.dumps(modes))
"#;

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
}

#[cfg(unix)]
#[test]
fn the_vsix_unpacked_as_the_agent_unpacks_it_runs_a_collection() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let log = package(&[
        "--host-only",
        "--out-dir",
        &out_dir.path().display().to_string(),
    ]);

    // tfx said nothing but its report (package.sh fails on warnings too).
    let tfx: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.starts_with("==> tfx extension create"))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect();
    assert!(
        tfx.iter()
            .any(|l| l.contains("Completed operation: create extension")),
        "{log}"
    );
    assert!(
        !tfx.iter().any(|l| l.to_ascii_lowercase().contains("warn")),
        "tfx warned:\n{}",
        tfx.join("\n")
    );

    let m = read_json("vss-extension.json");
    let (publisher, id) = (
        m["publisher"].as_str().expect("publisher"),
        m["id"].as_str().expect("id"),
    );
    let vsix = out_dir
        .path()
        .join(format!("{publisher}.{id}-{VERSION}.vsix"));
    assert!(vsix.is_file(), "{} missing\n{log}", vsix.display());

    let unpacked = out_dir.path().join("unpacked");
    let output = Command::new("python3")
        .args(["-c", EXTRACT_LIKE_DOTNET])
        .arg(&vsix)
        .arg(&unpacked)
        .output()
        .expect("run python3 to unzip the .vsix");
    assert!(output.status.success(), "{}", text(&output));
    let modes: BTreeMap<String, u32> =
        serde_json::from_slice(&output.stdout).expect("entry modes as JSON");

    let binary_entry = format!(
        "task/bin/{}/postman-cli-task",
        crate::support::agent::node_platform()
    );
    assert_eq!(
        modes.get(&binary_entry),
        Some(&0),
        "tfx stores no mode for {binary_entry}: {modes:?}"
    );
    let unpacked_binary = unpacked.join(&binary_entry);
    assert_eq!(
        mode(&unpacked_binary) & 0o111,
        0,
        "the binary arrives without its run bit"
    );
    let bins: Vec<&String> = modes
        .keys()
        .filter(|k| k.starts_with("task/bin/") && !k.ends_with('/'))
        .collect();
    assert_eq!(bins, vec![&binary_entry], "--host-only packages one binary");
    for same in ["task/task.json", "task/launcher.js", "overview.md"] {
        assert_eq!(
            fs::read(unpacked.join(same)).expect("read unpacked"),
            fs::read(root().join(same)).expect("read source"),
            "{same} is packaged as it is"
        );
    }
    for tab in ["postman-tab.html", "postman-tab.js", "postman-tab.css"] {
        assert!(
            modes.contains_key(&format!("web/dist/{tab}")),
            "the Postman tab's {tab} is packaged: {modes:?}"
        );
    }
    let vsixmanifest = fs::read_to_string(unpacked.join("extension.vsixmanifest"))
        .expect("read extension.vsixmanifest");
    assert!(
        vsixmanifest.contains(&format!(
            r#"<Identity Language="en-US" Id="{id}" Version="{VERSION}" Publisher="{publisher}""#
        )),
        "{vsixmanifest}"
    );
    assert!(
        vsixmanifest.contains("Microsoft.VisualStudio.Services.Content.Details"),
        "{vsixmanifest}"
    );

    // The unpacked task, installed and run as the agent runs it.
    let mut s = Scenario::new();
    s.job.with_task_dir(unpacked.join("task"));
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json");
    s.job.install_task();
    let installed = s.job.binary_path();
    assert_eq!(
        fs::read(&installed).expect("read installed binary"),
        fs::read(&unpacked_binary).expect("read unpacked binary"),
        "the job runs the packaged binary"
    );
    assert_eq!(mode(&installed) & 0o111, 0, "installed without its run bit");

    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_ne!(
        mode(&installed) & 0o111,
        0,
        "the launcher restored the run bit"
    );
    let (_, xml) = published_junit(&run);
    assert!(xml.contains(r#"tests="3""#), "{xml}");
    assert_eq!(s.api.requests().len(), 2, "the collection reached the API");

    // Every output variable the task sets is declared, so the agent treats
    // it as an output.
    let declared: BTreeSet<String> = read_json("task/task.json")["outputVariables"]
        .as_array()
        .expect("outputVariables")
        .iter()
        .filter_map(|o| o["name"].as_str().map(str::to_ascii_lowercase))
        .collect();
    for (name, var) in run.variables() {
        if var.is_output {
            assert!(
                declared.contains(&name.to_ascii_lowercase()),
                "{name} is set as an output but task.json does not declare it"
            );
        }
    }
}

// --- the cross builds under emulators ----------------------------------------

/// The first of `names` found on PATH.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Runs `binary --version` and `binary run x.json --dry-run` through
/// `runner`, in a scratch folder holding a small collection.
fn version_and_dry_run(runner: &[&Path], binary: &Path, env: &[(&str, &Path)]) {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::copy(
        root().join("tests/fixtures/passing.postman_collection.json"),
        dir.path().join("x.json"),
    )
    .expect("copy the collection");
    let run = |args: &[&str]| {
        let mut command = Command::new(runner[0]);
        command
            .args(&runner[1..])
            .arg(binary)
            .args(args)
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .env_remove("TF_BUILD")
            .env_remove("AGENT_TOOLSDIRECTORY");
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().expect("start the emulator")
    };

    let version = run(&["--version"]);
    assert!(version.status.success(), "{}", text(&version));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("postman-cli-task {VERSION}")
    );

    let dry = run(&["run", "x.json", "--dry-run"]);
    let out = text(&dry);
    assert!(dry.status.success(), "{out}");
    assert!(out.contains("Run 1: Passing API"), "{out}");
    assert!(out.contains("postman collection run"), "{out}");
    assert!(out.contains("--reporter-json-export"), "{out}");
}

#[test]
fn the_linux_arm64_binary_runs_under_qemu() {
    let Some(qemu) = on_path(&["qemu-aarch64", "qemu-aarch64-static"]) else {
        eprintln!(
            "skipped: qemu-aarch64 is not installed (Debian: apt-get install qemu-user), \
             so the linux-arm64 binary was not run"
        );
        return;
    };
    let binary = cross_binary("linux-arm64");
    version_and_dry_run(&[&qemu], &binary, &[]);
}

/// A stand-in for Windows' `bcryptprimitives.dll`, whose `ProcessPrng`
/// Rust's standard library imports for random numbers. Windows 10 and later
/// and wine 9 have it; Debian 12's wine 8 does not, so the test puts this
/// next to the binary there. It fills the buffer from `RtlGenRandom`.
const PROCESS_PRNG_SHIM: &str = r#"
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
"#;

/// Builds [`PROCESS_PRNG_SHIM`] into `dir` with the zig that
/// scripts/package.sh installed for the cross builds.
fn build_prng_shim(dir: &Path) {
    let source = dir.join("bcryptprimitives.c");
    fs::write(&source, PROCESS_PRNG_SHIM).expect("write the shim's source");
    let output = Command::new(root().join("target/tools/zig-venv/bin/python"))
        .args([
            "-m",
            "ziglang",
            "cc",
            "-target",
            "x86_64-windows-gnu",
            "-shared",
            "-O2",
            "-s",
        ])
        .arg("-o")
        .arg(dir.join("bcryptprimitives.dll"))
        .arg(&source)
        .arg("-ladvapi32")
        .output()
        .expect("run zig cc");
    assert!(output.status.success(), "zig cc: {}", text(&output));
}

#[test]
fn the_windows_binary_runs_under_wine() {
    let Some(wine) = on_path(&["wine", "wine64"]) else {
        eprintln!(
            "skipped: wine is not installed (Debian: apt-get install wine wine64), \
             so the win32-x64 binary was not run"
        );
        return;
    };
    let binary = cross_binary("win32-x64");
    // A prefix of its own, no Mono or Gecko prompts, and its wineserver
    // stopped afterwards.
    let prefix = tempfile::tempdir().expect("temp dir");
    let app = tempfile::tempdir().expect("temp dir");
    let overrides = Path::new("mscoree,mshtml=");
    let quiet = Path::new("-all");
    let env = [
        ("WINEPREFIX", prefix.path()),
        ("WINEDLLOVERRIDES", overrides),
        ("WINEDEBUG", quiet),
    ];
    let result = std::panic::catch_unwind(|| {
        let init = Command::new(&wine)
            .args(["cmd", "/c", "exit"])
            .envs(env)
            .output()
            .expect("start wine");
        assert!(
            init.status.success(),
            "wine could not set up its prefix\n{}",
            text(&init)
        );
        let exe = app.path().join("postman-cli-task.exe");
        fs::copy(&binary, &exe).expect("copy the binary");
        let system32 = prefix.path().join("drive_c/windows/system32");
        if !system32.join("bcryptprimitives.dll").exists() {
            eprintln!(
                "note: this wine has no bcryptprimitives.dll (wine 9 and Windows 10 do); \
                 the test adds a stand-in for its ProcessPrng"
            );
            build_prng_shim(app.path());
        }
        version_and_dry_run(&[&wine], &exe, &env);
    });
    let _ = Command::new("wineserver")
        .arg("-k")
        .env("WINEPREFIX", prefix.path())
        .status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
