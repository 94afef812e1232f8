//! One version: Cargo.toml, Cargo.lock, task/task.json and the manifest
//! agree, and scripts/bump-version.sh changes the four together.

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

use serde_json::{Value, json};

use super::{VERSION, read_json, root, text};

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
