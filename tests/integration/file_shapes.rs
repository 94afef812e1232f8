//! Never refuse what the Postman CLI runs (issue 18, item 7): collections
//! shaped as Postman's own repositories shape them (an `item` that is one
//! object, at the top and in a folder, no `info.schema`) and files saved
//! in Latin-1 by a Windows editor (a JSON and a YAML environment, a v3
//! definition and request file), each run through the task and by the real
//! CLI alone, with the same counts. The task once refused every one.

use std::fs;

use crate::e2e::{Scenario, published_junit, shared_cli};
use crate::support::TaskResult;

/// Two assertions per request: the status, and the environment's `city`
/// (as JavaScript escapes write it, so the script itself is ASCII).
const TESTS: &str = r#"[{"listen":"test","script":{"exec":[
    "pm.test('status 200', () => pm.response.to.have.status(200));",
    "pm.test('city', () => pm.expect(pm.environment.get('city')).to.eql('Montr\\u00e9al'));"]}}]"#;

fn corpus(s: &Scenario) {
    let sources = s.job.sources_dir();
    // postman-runtime's test shape: one object as the top `item`.
    s.job.write_source(
        "shapes/single-top.postman_collection.json",
        &format!(
            r#"{{"info":{{"name":"Single top"}},"item":{{"name":"Only","request":"{{{{baseUrl}}}}/ok","event":{TESTS}}}}}"#
        ),
    );
    // One object as a folder's `item`, beside a list at the top.
    s.job.write_source(
        "shapes/single-folder.postman_collection.json",
        &format!(
            r#"{{"info":{{"name":"Single folder"}},"item":[
                {{"name":"Folder","item":{{"name":"Inner","request":"{{{{baseUrl}}}}/ok","event":{TESTS}}}}},
                {{"name":"Top","request":"{{{{baseUrl}}}}/ok","event":{TESTS}}}]}}"#
        ),
    );
    // A v3 collection whose definition and request file are Latin-1.
    let v3 = sources.join("shapes/latin-v3");
    fs::create_dir_all(v3.join(".resources")).unwrap();
    fs::write(
        v3.join(".resources/definition.yaml"),
        b"$kind: collection\nname: Qu\xE9bec v3\n",
    )
    .unwrap();
    fs::write(
        v3.join("Cafe.request.yaml"),
        [
            &b"$kind: http-request\nid: cafe\nname: Caf\xE9\nurl: \"{{baseUrl}}/ok\"\nmethod: GET\n"[..],
            b"scripts:\n  - type: afterResponse\n    language: text/javascript\n    code: |-\n",
            b"      pm.test('status 200', () => pm.response.to.have.status(200));\n",
            b"      pm.test('city', () => pm.expect(pm.environment.get('city')).to.eql('Montr\\u00e9al'));\n",
        ]
        .concat(),
    )
    .unwrap();
    // `Montréal` in Latin-1: the CLI reads the JSON one as Latin-1
    // (`chardet`), the YAML one with U+FFFD (so its `city` test fails).
    fs::create_dir_all(sources.join("env")).unwrap();
    fs::write(
        sources.join("env/latin.postman_environment.json"),
        b"{\"name\":\"Latin JSON\",\"values\":[{\"key\":\"city\",\"value\":\"Montr\xE9al\",\"enabled\":true}]}",
    )
    .unwrap();
    fs::write(
        sources.join("env/latin.environment.yaml"),
        b"name: Latin YAML\nvalues:\n  - key: city\n    value: Montr\xE9al\n    enabled: true\n",
    )
    .unwrap();
}

/// `(executed, failed)` assertions of a run of the CLI alone, from its
/// totals table.
fn cli_alone(s: &Scenario, collection: &str, environment: &str) -> (u32, u32) {
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(shared_cli())
        .args(["collection", "run", collection, "-e", environment])
        .args(["--env-var", &format!("baseUrl={}", s.api.base_url())])
        .args(["--reporters", "cli", "--color", "off", "--disable-unicode"])
        .current_dir(s.job.sources_dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("POSTMAN_CLI_DISABLE_UPDATE_CHECK", "1")
        .envs(s.cloud.cli_env())
        .output()
        .expect("run the Postman CLI");
    let text = String::from_utf8_lossy(&out.stdout);
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with('|') && l.contains(" assertions "))
        .unwrap_or_else(|| panic!("no totals from the CLI alone:\n{text}"));
    let cells: Vec<u32> = row
        .split('|')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    (cells[0], cells[1])
}

/// `(name, tests, failures + errors)` of each suite in a JUnit file.
fn suites(xml: &str) -> Vec<(String, u32, u32)> {
    let attr = |text: &str, name: &str| -> String {
        let start = text.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        text[start..start + text[start..].find('"').unwrap()].to_owned()
    };
    let number = |text: &str, name: &str| attr(text, name).parse::<u32>().unwrap();
    xml.split("<testsuite ")
        .skip(1)
        .map(|s| {
            let head = format!(" {}", &s[..s.find('>').unwrap()]);
            (
                attr(&head, "name"),
                number(&head, "tests"),
                number(&head, "failures") + number(&head, "errors"),
            )
        })
        .collect()
}

#[test]
fn collections_and_files_the_cli_runs_count_the_same_through_the_task() {
    let mut s = Scenario::new();
    corpus(&s);
    let collections = [
        ("shapes/single-top.postman_collection.json", "Single top"),
        (
            "shapes/single-folder.postman_collection.json",
            "Single folder",
        ),
        ("shapes/latin-v3", "Qu\u{FFFD}bec v3"),
    ];
    let environments = [
        ("env/latin.postman_environment.json", "Latin JSON"),
        ("env/latin.environment.yaml", "Latin YAML"),
    ];
    s.job
        .input("collection", collections.map(|(path, _)| path).join("\n"))
        .input("environment", environments.map(|(path, _)| path).join("\n"))
        .input("collectionLint", "false");
    let run = s.run();
    let (_, xml) = published_junit(&run);
    let mut expected = Vec::new();
    for (path, name) in collections {
        for (env, env_name) in environments {
            let (executed, failed) = cli_alone(&s, path, env);
            expected.push((format!("{name} · {env_name}"), executed, failed));
        }
    }
    assert_eq!(suites(&xml), expected, "{xml}\n{run}");
    // The YAML environment's `city` is `Montr\u{FFFD}al` for the CLI as for
    // the task: that test fails in both, and nothing else does.
    assert!(expected.iter().all(|(name, executed, failed)| {
        *executed > 0 && *failed == u32::from(name.ends_with("YAML")) * (executed / 2)
    }));
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    // Each file that is not UTF-8 is named in a warning.
    let log = run.to_string();
    for file in [
        "env/latin.postman_environment.json",
        "env/latin.environment.yaml",
        "shapes/latin-v3",
    ] {
        assert!(
            log.contains(&format!("`{file}")) && log.contains("is not UTF-8 text"),
            "no warning names {file}\n{run}"
        );
    }
}
