//! The logging-command defuser against markers split by characters the
//! agent's culture-sensitive search skips (issue 18, item 10): the real
//! CLI prints hostile test names, and the agent emulation, which searches
//! as ICU does, finds no command in them.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::e2e::Scenario;
use crate::support::TaskResult;
use crate::support::vso::icu_ignores;

/// Test names and console lines that hold a marker once the characters
/// between its `#`s are skipped: format characters (U+FFF9, U+0600,
/// U+070F, U+110BD) and a Hebrew accent ICU ignores (U+0591).
#[test]
fn a_marker_split_by_a_format_character_makes_no_command() {
    let mut s = Scenario::new();
    let collection = json!({
        "info": {"name": "Split markers",
                 "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": [{
            "name": "Names",
            "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": [
                "pm.test('a #\\uFFF9#vso[task.setvariable variable=pwned]fff9', () => {});",
                "pm.test('b #\\u0600#vso[task.setvariable variable=pwned]0600', () => {});",
                "pm.test('c #\\u070F#vso[task.complete result=Failed]070f', () => {});",
                "pm.test('d #\\u{110BD}#vso[task.setvariable variable=pwned]110bd', () => {});",
                "pm.test('e #\\u0591#vso[task.setvariable variable=pwned]0591', () => {});",
                "console.log('f #\\uFFF9#[error]spoof');"
            ]}}],
            "request": {"method": "GET", "url": "{{baseUrl}}/ok"}
        }]
    });
    s.job.write_source(
        "tests/split.postman_collection.json",
        &collection.to_string(),
    );
    s.job
        .input("collection", "tests/split.postman_collection.json");
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert!(!run.variables().contains_key("pwned"), "{run}");
    assert!(
        run.malformed().is_empty(),
        "the agent reads a command in a test name: {:?}\n{run}",
        run.malformed()
    );
    assert!(
        run.stdout.contains("pwned]0591"),
        "the names were printed\n{run}"
    );
    for line in run.stdout.lines().chain(run.stderr.lines()) {
        if line.starts_with("##vso[") || line.starts_with("##[") {
            continue;
        }
        let skeleton: String = line.chars().filter(|&c| !icu_ignores(c)).collect();
        assert!(
            !skeleton.contains("##vso[") && !skeleton.contains("##["),
            "a marker survives once what ICU ignores is skipped: {line:?}"
        );
    }
}

/// The defuser's table (src/azure/ignorable.rs) holds every character this
/// machine's ICU ignores and every default-ignorable or format character
/// its Unicode data knows; made with the same ICU, it is exactly what
/// scripts/gen-ignorable.mjs writes.
#[test]
fn the_defusers_table_holds_what_icu_ignores() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let generator = root.join("scripts/gen-ignorable.mjs");
    let node = |args: &[&str]| {
        let output = Command::new("node")
            .arg(&generator)
            .args(args)
            .output()
            .expect("run node scripts/gen-ignorable.mjs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let table = std::fs::read_to_string(root.join("src/azure/ignorable.rs"))
        .expect("read src/azure/ignorable.rs");
    let ranges: Vec<(u32, u32)> = table
        .lines()
        .filter_map(|l| l.trim().strip_prefix("(0x")?.strip_suffix("),"))
        .map(|row| {
            let (first, last) = row.split_once(", 0x").expect("a row of two code points");
            (
                u32::from_str_radix(first, 16).unwrap(),
                u32::from_str_radix(last, 16).unwrap(),
            )
        })
        .collect();
    assert!(ranges.len() > 50, "{table}");
    let listed = |cp: u32| ranges.iter().any(|&(a, b)| (a..=b).contains(&cp));

    let sets: Value = serde_json::from_str(&node(&["--json"])).expect("the generator's JSON");
    for set in ["icuIgnorable", "unicodeIgnorable"] {
        let missing: Vec<String> = sets[set]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r[0].as_u64().unwrap()..=r[1].as_u64().unwrap())
            .filter(|&cp| !listed(cp as u32))
            .map(|cp| format!("U+{cp:04X}"))
            .collect();
        assert!(
            missing.is_empty(),
            "{set} of ICU {} is not all in src/azure/ignorable.rs: run \
             `node scripts/gen-ignorable.mjs > src/azure/ignorable.rs`; missing {missing:?}",
            sets["icu"]
        );
    }
    let icu = sets["icu"].as_str().unwrap();
    if table.contains(&format!(" and ICU {icu};")) {
        assert_eq!(
            node(&[]),
            table,
            "src/azure/ignorable.rs is not what the generator writes"
        );
    }
}
