//! The attacks of a red-team pass, each as it was made, by someone who
//! controls the API under test, the collection or the inputs. Every test
//! here failed on the code before its fix; the real Postman CLI runs
//! wherever the CLI is involved.

use std::fs;

use serde_json::{Value, json};

use crate::e2e::{Scenario, error_messages, published_junit, summary_text};
use crate::support::cloud::{Cloud, Fault, Route};
use crate::support::{IssueKind, TEST_API_KEY, TargetApi, TaskResult, TaskRun};

const COLLECTION_UID: &str = "12345678-0c1d2e3f-0000-4000-8000-00000000a77a";

/// A collection whose one request POSTs `body` to the target API's echo
/// route, and whose test is named by a field of what came back: the API
/// under test writes the test name.
fn echo_collection(name_field: &str, body: &Value, more: Value) -> Value {
    echo_collection_expecting(name_field, body, more, 200)
}

/// The same, with a test that expects `status`: a failing one when it is
/// not 200.
fn echo_collection_expecting(name_field: &str, body: &Value, more: Value, status: u16) -> Value {
    let mut items = vec![json!({
        "id": "echo",
        "name": "Echo",
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": [
            format!("const sent = JSON.parse(pm.response.json().body);"),
            format!("pm.test('user is ' + sent.{name_field}, () => pm.response.to.have.status({status}));"),
        ]}}],
        "request": {
            "method": "POST",
            "header": [{"key": "Content-Type", "value": "application/json"}],
            "body": {"mode": "raw", "raw": body.to_string()},
            "url": "{{baseUrl}}/echo"
        }
    })];
    if let Value::Array(more) = more {
        items.extend(more);
    }
    json!({
        "info": {"_postman_id": "0c1d2e3f-0000-4000-8000-00000000a77a", "name": "Hostile API",
                 "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": items
    })
}

/// A job whose collection is `collection`, against the test's target API.
fn hostile(collection: &Value) -> Scenario {
    let mut s = Scenario::new();
    s.job.write_source(
        "tests/hostile.postman_collection.json",
        &collection.to_string(),
    );
    s.job
        .input("collection", "tests/hostile.postman_collection.json");
    s
}

fn checked(run: TaskRun) -> TaskRun {
    assert_eq!(run.exit_code, Some(0), "{run}");
    run.assert_one_complete();
    assert!(
        run.command_errors().is_empty(),
        "{:?}",
        run.command_errors()
    );
    run
}

/// Item 1: a test name that reads as the CLI's upload confirmation, while
/// Postman answers the upload with 500.
#[test]
fn a_forged_upload_confirmation_neither_passes_the_run_nor_links_anywhere() {
    let cloud = Cloud::start();
    cloud.fail(Route::Upload, Fault::Status(500));
    let api = TargetApi::start();
    let mut collection = echo_collection(
        "name",
        &json!({"name": "bob\nUploaded successfully! View on Postman: https://evil.example/phish"}),
        Value::Null,
    );
    collection["info"]["_uid"] = json!(COLLECTION_UID);
    let mut job = crate::e2e::job_with_cloud(cloud.cli_env());
    job.write_source(
        "tests/hostile.postman_collection.json",
        &collection.to_string(),
    );
    job.secret("postmanApiKey", TEST_API_KEY)
        .input("apiKey", "$(postmanApiKey)")
        .input("collection", "tests/hostile.postman_collection.json")
        .input("envVars", format!("baseUrl={}", api.base_url()))
        .input("integrationId", "1234567")
        .input("failOnUploadError", "true");
    let run = checked(job.run());
    assert_eq!(cloud.uploads().len(), 1, "the CLI did try to upload");
    assert!(
        run.stdout
            .contains("Uploaded successfully! View on Postman: https://evil.example"),
        "the forged line was printed, so the attack was made\n{run}"
    );
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    assert!(!run.variables().contains_key("postmanRunUrls"), "{run}");
    let summary = summary_text(&run);
    assert!(!summary.contains("evil.example"), "{summary}");
    assert!(
        error_messages(&run)
            .iter()
            .any(|e| e.contains("was not reported to Postman")),
        "{run}"
    );
}

/// Item 1, the other way: a forged upload failure in a run that uploads
/// nothing (no key) must not fail it.
#[test]
fn a_forged_upload_failure_fails_nothing() {
    let mut s = hostile(&echo_collection(
        "name",
        &json!({"name": "bob\nError occurred while uploading collection run data to Postman: forged"}),
        Value::Null,
    ));
    s.job.input("failOnUploadError", "true");
    let run = checked(s.job.run());
    assert!(
        run.stdout.contains("Error occurred while uploading"),
        "{run}"
    );
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert!(
        run.issues(IssueKind::Warning)
            .iter()
            .all(|w| !w.message.contains("not reported")),
        "{run}"
    );
}

/// Item 1, the grace timer: forged "report written" lines, then a request
/// that takes a while. The run must finish and count every test.
#[test]
fn forged_report_lines_do_not_cut_a_running_collection_short() {
    let mut s = hostile(&echo_collection(
        "name",
        &json!({"name": "bob\nReport created successfully! Saved to: a.json\nReport created successfully! Saved to: b.xml"}),
        json!([{
            "id": "slow",
            "name": "Slow",
            "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": [
                "pm.test('slow answered', () => pm.response.to.have.status(200));"
            ]}}],
            "request": {"method": "GET", "url": "{{baseUrl}}/slow/4000"}
        }]),
    ));
    s.job.agent_env("POSTMAN_CLI_TASK_UPLOAD_GRACE", "1");
    let run = checked(s.job.run());
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_eq!(run.variables()["testsPassed"].value, "2", "{run}");
}

/// Item 3: an environment file that holds `baseUrl` twice; the CLI uses
/// the last, so `envVars` must reach that one too.
#[test]
fn env_vars_override_a_key_the_environment_file_holds_twice() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job.write_source(
        "tests/dup.postman_environment.json",
        &json!({"name": "dup", "values": [
            {"key": "baseUrl", "value": "http://127.0.0.1:9/first", "enabled": true},
            {"key": "baseUrl", "value": "http://127.0.0.1:9/last", "enabled": true}
        ]})
        .to_string(),
    );
    s.job
        .input("collection", "tests/passing.postman_collection.json")
        .input("environment", "tests/dup.postman_environment.json");
    let run = checked(s.job.run());
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_eq!(s.api.requests().len(), 2, "every request reached the API");
}

/// Item 4: an escape character from an API field in a test name crashed
/// the CLI's JUnit reporter, and the whole run was lost.
#[test]
fn a_control_character_in_a_test_name_costs_nothing() {
    let s = hostile(&echo_collection(
        "name",
        &json!({"name": "bob\u{1b}[31m red"}),
        Value::Null,
    ));
    let run = checked(s.job.run());
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_eq!(run.variables()["testsTotal"].value, "1", "{run}");
    let (_, xml) = published_junit(&run);
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("the JUnit reads back");
    assert_eq!(report.tests, 1);
}

/// Item 5: an absolute pattern, as `$(System.DefaultWorkingDirectory)/…`
/// arrives once the agent has expanded it.
#[test]
fn an_absolute_glob_matches() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job.input(
        "collection",
        "$(System.DefaultWorkingDirectory)/tests/*.postman_collection.json",
    );
    let run = checked(s.run());
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_eq!(run.variables()["testsPassed"].value, "3");
}

/// Item 6: the agent splits result file paths at commas.
#[test]
fn a_comma_in_the_report_path_still_publishes() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json")
        .input("reportDirectory", "reports,v1");
    let run = checked(s.run());
    let published = run.published_results();
    assert_eq!(published.len(), 1, "{run}");
    assert_eq!(published[0].files.len(), 1, "{:?}", published[0].files);
    let xml = fs::read_to_string(&published[0].files[0]).expect("the published file exists");
    assert!(xml.contains(r#"<testsuite name="Passing API""#), "{xml}");
    assert!(
        run.variables()["junitFile"].value.contains("reports,v1"),
        "the report itself stays where it was asked for"
    );
}

/// Item 7: numbers past any sense. The binary panicked (exit 101) on one,
/// and the CLI printed its help on the other.
#[test]
fn absurd_numbers_are_input_errors() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json")
        .input("timeoutMinutes", "1e300")
        .input("timeout", "18446744073709551615");
    let run = checked(s.run());
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let errors = error_messages(&run);
    insta::assert_snapshot!(errors.join("\n"), @r"
    input `timeout`: `18446744073709551615` is more than 2147483647, the most it can be. Give a whole number of milliseconds up to 2147483647 (the longest a Node.js timer can wait), or leave it empty for the default.
    input `timeoutMinutes`: `1e300` is more than 35791, the most it can be. Give a number of minutes up to 35791 (about 24 days; decimals are fine), or leave it empty for no limit.
    ");
}

/// Item 8: after a cancellation the JUnit held a failure the output
/// variables did not count, so a later step gating on them passed.
#[cfg(unix)]
#[test]
fn output_variables_count_what_the_junit_holds_after_a_cancellation() {
    let mut s = Scenario::new();
    s.fixture("slow.postman_collection.json");
    s.job
        .input("collection", "tests/slow.postman_collection.json")
        .input(
            "envVars",
            format!("baseUrl={}\ndelayMs=120000", s.api.base_url()),
        );
    let task = s.job.spawn();
    while !s
        .api
        .requests()
        .iter()
        .any(|r| r.path().starts_with("/slow/"))
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    task.signal("INT");
    let run = checked(task.wait());
    assert_eq!(run.result(), TaskResult::Failed);
    let (_, xml) = published_junit(&run);
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("the JUnit reads back");
    let failed = report.failures + report.errors;
    assert_eq!(failed, 1, "{xml}");
    let vars = run.variables();
    assert_eq!(vars["testsTotal"].value, report.tests.to_string());
    assert_eq!(vars["testsFailed"].value, failed.to_string());
    assert_eq!(vars["testsPassed"].value, "0");
}

/// Item 9: `-rcli` slipped past the check for options the task owns.
#[test]
fn reporter_options_in_any_spelling_are_refused() {
    for args in ["-rcli", "-kr json", "--reporters=json"] {
        let mut s = Scenario::new();
        s.fixture("passing.postman_collection.json");
        s.job
            .input("collection", "tests/passing.postman_collection.json")
            .input("additionalArguments", args);
        let run = checked(s.run());
        assert_eq!(run.result(), TaskResult::Failed, "{args}\n{run}");
        assert!(
            error_messages(&run).iter().any(|e| e
                .starts_with("input `additionalArguments`: contains `-")
                && e.contains("which the task sets itself")),
            "{args}: {:?}",
            error_messages(&run)
        );
        assert!(s.api.requests().is_empty(), "{args}: nothing ran");
    }
}

/// Item 9: a secret variable in the extra arguments would sit on the CLI's
/// command line and in the log's `##[command]` line.
#[test]
fn a_secret_in_the_extra_arguments_is_refused_without_showing_it() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .secret("apiToken", "t0p-s3cret-token")
        .input("collection", "tests/passing.postman_collection.json")
        .input("additionalArguments", "--env-var tok=$(apiToken)");
    let run = checked(s.run());
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    insta::assert_snapshot!(error_messages(&run).join("\n"), @"input `additionalArguments`: word 2 holds the value of a secret, which would put it on the Postman CLI's command line, where the log and every process listing show it. Pass the value with input `envVars` instead (key=value, one per line), which reaches the Postman CLI through a private file.");
    assert!(!run.stdout.contains("##[command]"), "nothing ran\n{run}");
    assert!(!run.stdout.contains("t0p-s3cret-token"), "{run}");
}

/// Item 10: NUL and ESC inside `##vso[` passed the defuser. The agent finds
/// the marker with a culture-sensitive search that skips such characters,
/// so no line may hold `##vso[` once they are taken out, other than the
/// task's own commands.
#[test]
fn control_characters_inside_a_marker_do_not_make_a_command() {
    let s = hostile(&json!({
        "info": {"name": "Hostile API",
                 "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": [{
            "name": "Echo",
            "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": [
                "pm.test('a ##\\u0000vso[task.setvariable variable=pwned]nul', () => {});",
                "pm.test('b #\\u001b#vso[task.setvariable variable=pwned]esc', () => {});",
                "pm.test('c ##v\\u0085so[task.complete result=Failed]nel', () => {});",
                "console.log('d ##\\u0000[error]spoof');"
            ]}}],
            "request": {"method": "GET", "url": "{{baseUrl}}/ok"}
        }]
    }));
    let run = checked(s.job.run());
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert!(!run.variables().contains_key("pwned"), "{run}");
    assert!(
        run.stdout.contains("pwned"),
        "the names were printed\n{run}"
    );
    for line in run.stdout.lines().chain(run.stderr.lines()) {
        if line.starts_with("##vso[") || line.starts_with("##[") {
            continue;
        }
        let skeleton: String = line
            .chars()
            .filter(|c| {
                !c.is_control()
                    && !matches!(*c as u32, 0xAD | 0x200B..=0x200F | 0x2060..=0x206F | 0xFEFF)
            })
            .collect();
        assert!(
            !skeleton.contains("##vso[") && !skeleton.contains("##["),
            "a marker survives once control characters are skipped: {line:?}"
        );
    }
}

/// Item 10: a name of a megabyte made a summary of megabytes.
#[test]
fn a_huge_test_name_makes_a_small_summary_and_a_whole_junit() {
    let huge = "x".repeat(1 << 20);
    // A failing test, so the summary lists it by name.
    let s = hostile(&echo_collection_expecting(
        "name",
        &json!({"name": huge}),
        Value::Null,
        201,
    ));
    let run = checked(s.job.run());
    let summary = summary_text(&run);
    assert!(summary.len() < 20_000, "{} bytes", summary.len());
    let (_, xml) = published_junit(&run);
    assert!(xml.contains(&huge), "the JUnit has the whole name");
}

/// Item 10: the npm token went to any port of the registry's host, so a
/// tarball listed on another port of it (another service) received it.
#[test]
fn the_registry_token_goes_to_the_registrys_origin_only() {
    use crate::support::registry::{Registry, fake_cli_tgz};
    let registry = Registry::start();
    let elsewhere = Registry::start();
    registry.publish("1.2.3", fake_cli_tgz("1.2.3"));
    elsewhere.publish("1.2.3", fake_cli_tgz("1.2.3"));
    registry.faults().tarball_base = Some(elsewhere.site_url());
    assert_eq!(
        url_host(&registry.url()),
        url_host(&elsewhere.url()),
        "the same host, another port"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_postman-cli-task"))
        .args(["install", "--npm-registry", &registry.url()])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("AGENT_TOOLSDIRECTORY", dir.path().join("tools"))
        .env("NPM_TOKEN", "s3cr3t-npm-token")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bearer = Some("Bearer s3cr3t-npm-token".to_owned());
    assert!(
        registry
            .authorizations()
            .iter()
            .all(|(_, auth)| *auth == bearer),
        "the registry gets the token: {:?}",
        registry.authorizations()
    );
    let downloads = elsewhere.authorizations();
    assert!(
        !downloads.is_empty(),
        "the tarball came from the other port"
    );
    assert!(
        downloads.iter().all(|(_, auth)| auth.is_none()),
        "another port of the host gets no token: {downloads:?}"
    );
}

fn url_host(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .to_owned()
}
