//! Git-native (v3) collections end to end (issue 12): the same collection
//! run as v2.1 JSON and, migrated by the real CLI's `collection migrate`,
//! as a v3 folder in Postman's layout, in one step, two at a time; and the
//! files the CLI runs that the task once refused.

use std::path::Path;

use crate::e2e::{Scenario, published_junit, shared_cli};
use crate::support::cloud::Cloud;
use crate::support::{TEST_API_KEY, TargetApi, TaskResult, TaskRun};

/// A passing assertion, a failing one (in iteration 1 only, from the data
/// file), a skipped test, a script error and a request error in the
/// selected folder `Smoke`; `Other` is not selected.
const SHOP: &str = r#"{"info":{"name":"Mixed shop","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
"item":[
 {"name":"Smoke","item":[
  {"name":"Health (check) › ✓","request":{"method":"GET","url":"{{baseUrl}}/ok"},
   "event":[{"listen":"test","script":{"exec":["pm.test('responds 200', () => pm.response.to.have.status(200));","pm.test('qty is 2 [data]', () => pm.expect(pm.iterationData.get('qty')).to.eql(2));","pm.test.skip('later', () => {});"]}}]},
  {"name":"Script error","request":{"method":"GET","url":"{{baseUrl}}/ok"},
   "event":[{"listen":"test","script":{"exec":["pm.test('before the error', () => {});","JSON.parse('not json');"]}}]},
  {"name":"Unreachable","request":{"method":"GET","url":"http://127.0.0.1:1/x"}}
 ]},
 {"name":"Other","item":[{"name":"Not selected","request":{"method":"GET","url":"{{baseUrl}}/ok"},"event":[{"listen":"test","script":{"exec":["pm.test('never', () => {});"]}}]}]}
]}"#;

/// `postman collection migrate <file> -o <dir>` with the pinned CLI.
fn migrate(file: &Path, out: &Path) {
    let home = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(shared_cli())
        .args(["collection", "migrate"])
        .arg(file)
        .arg("-o")
        .arg(out)
        .env("HOME", home.path())
        .env("POSTMAN_CLI_DISABLE_UPDATE_CHECK", "1")
        .output()
        .expect("run postman collection migrate");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
    assert!(out.join(".resources/definition.yaml").is_file());
}

/// Each suite's test cases: `name | failure type: message` or `| skipped`.
fn suites(xml: &str) -> Vec<(String, Vec<String>)> {
    let attr = |text: &str, name: &str| {
        let start = text.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        text[start..start + text[start..].find('"').unwrap()].to_owned()
    };
    xml.split("<testsuite ")
        .skip(1)
        .map(|suite| {
            let cases = suite
                .split("<testcase ")
                .skip(1)
                .map(|case| {
                    let case = &case[..case.find("</testcase>").unwrap_or(case.len())];
                    let outcome = if let Some(at) = case.find("<failure ") {
                        let f = &case[at..];
                        format!("{}: {}", attr(f, "type"), attr(f, "message"))
                    } else if case.contains("<skipped") {
                        "skipped".to_owned()
                    } else {
                        "passed".to_owned()
                    };
                    format!("{} | {outcome}", attr(case, "name"))
                })
                .collect();
            (attr(suite, "name"), cases)
        })
        .collect()
}

#[test]
fn a_v3_collection_gives_the_same_junit_as_its_v2_1_json_in_one_parallel_step() {
    let mut s = Scenario::new();
    let v2 = s
        .job
        .write_source("tests/shop.postman_collection.json", SHOP);
    migrate(
        &v2,
        &s.job.sources_dir().join("postman/collections/Mixed shop"),
    );
    s.job
        .write_source("tests/rows.json", r#"[{"qty":1},{"qty":2}]"#);
    s.job
        .input(
            "collection",
            "tests/shop.postman_collection.json\npostman/collections/*",
        )
        .input("folder", "Smoke")
        .input("iterationData", "tests/rows.json")
        .input("parallel", "2");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");

    let (_, xml) = published_junit(&run);
    let suites = suites(&xml);
    assert_eq!(suites.len(), 2, "{xml}");
    assert_eq!(
        suites[0].0,
        "Mixed shop (tests/shop.postman_collection.json)"
    );
    assert_eq!(suites[1].0, "Mixed shop (postman/collections/Mixed shop)");
    // The v3 run's cases, failure messages and skips are the v2.1 run's.
    // (Where the CLI counts a v3 run differently: after a request error it
    // skips that request's test script, so `Unreachable` has none here.)
    assert_eq!(suites[1].1, suites[0].1, "{xml}");
    assert_eq!(suites[1].1, expected_shop_cases(), "{xml}");

    let vars = run.variables();
    assert_eq!(vars["testsTotal"].value, "24");
    assert_eq!(vars["testsFailed"].value, "10");
    // The v3 run was started with the console reporter only, analytics off.
    let log = run.to_string();
    assert!(
        log.contains("--reporters cli --color off --disable-unicode"),
        "{run}"
    );
    assert!(log.contains("--no-report-events"), "{run}");
    // Two runs, two iterations, two requests of `Smoke` each: the folder
    // selection held (`Other / Not selected` would add four).
    assert_eq!(s.api.requests().len(), 8);
}

/// The cases of the migrated `SHOP` collection's v3 run.
fn expected_shop_cases() -> Vec<String> {
    (1..=2)
        .flat_map(|i| {
            [
                format!("Smoke / Health (check) › ✓ › responds 200 (iteration {i}) | passed"),
                format!(
                    "Smoke / Health (check) › ✓ › qty is 2 [data] (iteration {i}) | {}",
                    if i == 1 {
                        "AssertionError: expected 1 to deeply equal 2"
                    } else {
                        "passed"
                    }
                ),
                format!("Smoke / Health (check) › ✓ › later (iteration {i}) | skipped"),
                format!("Smoke / Script error › before the error (iteration {i}) | passed"),
                format!(
                    "Smoke / Script error › test script (iteration {i}) | ScriptError: JSONError: Unexpected token &apos;n&apos; at 1:1"
                ),
                format!(
                    "Smoke / Unreachable › request (iteration {i}) | RequestError: connect ECONNREFUSED 127.0.0.1:1"
                ),
            ]
        })
        .collect()
}

/// The `SHOP` collection, migrated to v3, run alone with a Postman API key
/// against the cloud emulator, whose runtime agent tells the key's team's
/// plan (`userType`).
/// Returns the run, its suites, and whether the Postman tab shows a
/// response's headers (read before the job's folder goes).
/// The run, its JUnit suites, whether the tab shows response headers, and
/// the YAML files kept in the report folder's `runs/`.
type ShopRun = (TaskRun, Vec<(String, Vec<String>)>, bool, Vec<String>);

fn shop_v3_with_key(user_type: &str) -> ShopRun {
    let cloud = Cloud::start();
    cloud.set_user_type(user_type);
    let api = TargetApi::start();
    let mut job = crate::e2e::job_with_cloud(cloud.cli_env());
    let v2 = job.write_source("tests/shop.postman_collection.json", SHOP);
    migrate(
        &v2,
        &job.sources_dir().join("postman/collections/Mixed shop"),
    );
    job.write_source("tests/rows.json", r#"[{"qty":1},{"qty":2}]"#);
    job.secret("postmanApiKey", TEST_API_KEY)
        .input("apiKey", "$(postmanApiKey)")
        .input("collection", "postman/collections/Mixed shop")
        .input("envVars", format!("baseUrl={}", api.base_url()))
        .input("folder", "Smoke")
        .input("iterationData", "tests/rows.json");
    let run = job.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    // The task asked as the CLI asks, with the key in a header.
    let asked = cloud.requests_to("/handshake/token");
    assert!(!asked.is_empty(), "{:?}", cloud.requests());
    assert!(
        asked
            .iter()
            .all(|r| r.header("x-api-key") == Some(TEST_API_KEY))
    );
    let (_, xml) = published_junit(&run);
    let headers = tab_has_response_headers(&run);
    let runs = Path::new(&run.variables()["reportDirectory"].value).join("runs");
    let kept = std::fs::read_dir(&runs)
        .into_iter()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    (run, suites(&xml), headers, kept)
}

/// Whether the Postman tab shows a response's headers: only the YAML run
/// report has them.
fn tab_has_response_headers(run: &TaskRun) -> bool {
    run.attachments().iter().any(|(_, _, path)| {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        doc["runs"].as_array().into_iter().flatten().any(|r| {
            r["requests"].as_array().into_iter().flatten().any(|q| {
                q["response"]["headers"]
                    .as_array()
                    .is_some_and(|h| !h.is_empty())
            })
        })
    })
}

#[test]
fn an_enterprise_key_reads_a_v3_run_from_its_yaml_report_with_the_same_junit() {
    let (yaml_run, yaml_suites, yaml_headers, yaml_kept) = shop_v3_with_key("enterprise");
    let log = yaml_run.to_string();
    assert!(
        log.contains("read from the Postman CLI's YAML run report"),
        "{yaml_run}"
    );
    assert!(log.contains("--output "), "{yaml_run}");
    assert!(!log.contains("--reporters cli"), "{yaml_run}");
    assert!(!log.contains("could not be read"), "{yaml_run}");
    assert!(yaml_headers, "{yaml_run}");
    // The YAML run report is kept beside the task's reports.
    assert!(
        yaml_kept
            .iter()
            .any(|n| n.ends_with(".collection-run-summary.yaml"))
            && yaml_kept
                .iter()
                .any(|n| n.ends_with(".collection-run-executions.yaml")),
        "{yaml_kept:?}\n{yaml_run}"
    );

    let (console_run, console_suites, console_headers, console_kept) = shop_v3_with_key("free");
    let log = console_run.to_string();
    assert!(
        log.contains("only for Postman Enterprise teams"),
        "{console_run}"
    );
    assert!(log.contains("--reporters cli"), "{console_run}");
    assert!(!log.contains("--output "), "{console_run}");
    assert!(!console_headers, "{console_run}");
    assert!(console_kept.is_empty(), "{console_kept:?}");

    assert_eq!(yaml_suites.len(), 1);
    assert_eq!(yaml_suites, console_suites);
    assert_eq!(yaml_suites[0].1, expected_shop_cases());
    assert_eq!(
        yaml_run.variables()["testsTotal"].value,
        console_run.variables()["testsTotal"].value
    );
}

#[test]
fn files_the_cli_runs_are_not_refused() {
    let mut s = Scenario::new();
    // A collection with `item` but no `info`, globals as a bare array, and
    // an environment in UTF-16 LE with a byte-order mark.
    s.job.write_source(
        "old.json",
        r#"{"item":[{"name":"Health","request":{"method":"GET","url":"{{baseUrl}}/ok"},"event":[{"listen":"test","script":{"exec":["pm.test('g is 1', () => pm.expect(pm.globals.get('g')).to.eql('1'));","pm.test('e is 2', () => pm.expect(pm.environment.get('e')).to.eql('2'));"]}}]}]}"#,
    );
    s.job
        .write_source("globals.json", r#"[{"key":"g","value":"1"}]"#);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        r#"{"name":"ps","values":[{"key":"e","value":"2","enabled":true}]}"#
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    std::fs::write(s.job.sources_dir().join("ps.json"), utf16).unwrap();
    s.job
        .input("collection", "old.json")
        .input("globals", "globals.json")
        .input("environment", "ps.json");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let vars = run.variables();
    assert_eq!(vars["testsTotal"].value, "2", "{run}");
    assert_eq!(vars["testsPassed"].value, "2", "{run}");
}

/// A v3 collection linked to Postman (`.postman/resources.yaml`) with
/// `postmanAnalytics` on: the CLI runs it through its v2 path, whose
/// output is v2.1's, so the task reads its JSON report and says why.
#[test]
fn a_cloud_linked_v3_collection_with_reporting_on_runs_as_v2_1() {
    let mut s = Scenario::new();
    let dir = "postman/collections/Linked";
    s.job.write_source(
        &format!("{dir}/.resources/definition.yaml"),
        "$kind: collection\nname: Linked\n",
    );
    s.job.write_source(
        &format!("{dir}/Health.request.yaml"),
        "$kind: http-request\nid: health\nurl: \"{{baseUrl}}/ok\"\nmethod: GET\nscripts:\n  - type: afterResponse\n    code: pm.test('is up', () => pm.response.to.have.status(200));\n    language: text/javascript\n",
    );
    s.job.write_source(
        ".postman/resources.yaml",
        "cloudResources:\n  collections:\n    ../postman/collections/Linked: 12345678-0f1e2d3c-4b5a-4678-9abc-def012345678\n",
    );
    s.job
        .input("collection", dir)
        .input("postmanAnalytics", "true");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let vars = run.variables();
    assert_eq!(vars["testsTotal"].value, "1", "{run}");
    assert_eq!(vars["testsPassed"].value, "1", "{run}");
    assert!(
        run.issues(crate::support::IssueKind::Warning)
            .iter()
            .any(|w| w.message.contains("runs it as a v2.1 collection")),
        "{run}"
    );
}
