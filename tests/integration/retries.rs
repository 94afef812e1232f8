//! `retryFailedRuns` with the real CLI: a collection run that failed is run
//! again as a whole; one that passes on a retry is reported as passed and
//! flaky, with the earlier attempt's failure kept; one that fails every
//! time keeps every attempt's failures. Also the naming rules that keep
//! the Tests tab's history, read back as Azure reads the JUnit.

use std::path::PathBuf;

use crate::e2e::{Scenario, published_junit, summary_text};
use crate::support::TaskResult;

/// A collection of one request to `path` that expects a 200, under
/// `tests/<file>.postman_collection.json`.
fn write_collection(s: &Scenario, file: &str, name: &str, path: &str) -> String {
    let text = serde_json::json!({
        "info": {
            "name": name,
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        },
        "item": [{
            "name": "Call",
            "event": [{"listen": "test", "script": {"exec": [
                "pm.test('status is 200', () => pm.response.to.have.status(200));"
            ]}}],
            "request": {"method": "GET", "url": format!("{{{{baseUrl}}}}{path}")}
        }]
    });
    let rel = format!("tests/{file}.postman_collection.json");
    s.job.write_source(&rel, &text.to_string());
    rel
}

fn report_dir(run: &crate::support::TaskRun) -> PathBuf {
    PathBuf::from(&run.variables()["reportDirectory"].value)
}

#[test]
fn a_run_that_passes_on_its_second_attempt_is_passed_and_flaky() {
    let mut s = Scenario::new();
    let c = write_collection(&s, "flaky", "Flaky API", "/flaky/one");
    s.job.input("collection", c).input("retryFailedRuns", "2");
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let vars = run.variables();
    assert_eq!(vars["flakyRuns"].value, "1", "{run}");
    assert!(vars["flakyRuns"].is_output);
    assert_eq!(vars["testsFailed"].value, "0", "{run}");
    assert_eq!(vars["testsTotal"].value, "1", "{run}");
    assert_eq!(
        s.api
            .requests()
            .iter()
            .filter(|r| r.path() == "/flaky/one")
            .count(),
        2
    );

    let (_, xml) = published_junit(&run);
    assert!(xml.contains("<flakyFailure "), "{xml}");
    assert!(
        xml.contains(r#"<property name="flaky" value="true"/>"#),
        "{xml}"
    );
    assert!(xml.contains("attempt 1 of 3"), "{xml}");
    let back = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!((back.tests, back.failures, back.errors), (1, 0, 0));

    let summary = summary_text(&run);
    assert!(summary.contains("passed on attempt 2 of 3"), "{summary}");
    assert!(summary.contains("| 🔁 | Flaky API"), "{summary}");
    assert!(
        summary.contains(
            "Call › status is 200 › expected response to have status code 200 but got 503"
        ),
        "the first attempt's failure\n{summary}"
    );
    let runs = report_dir(&run).join("runs/01-flaky-api");
    assert!(runs.join("attempt-1/postman-report.json").is_file());
    assert!(runs.join("attempt-2/postman-report.json").is_file());
    assert!(!runs.join("attempt-3").exists(), "no third attempt");
}

#[test]
fn a_run_that_fails_every_attempt_keeps_every_attempts_failures() {
    let mut s = Scenario::new();
    let c = write_collection(&s, "down", "Down API", "/status/500");
    s.job.input("collection", c).input("retryFailedRuns", "1");
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    assert_eq!(run.variables()["flakyRuns"].value, "0");
    assert_eq!(
        run.variables()["testsFailed"].value,
        "1",
        "the last attempt's results"
    );
    assert_eq!(s.api.requests().len(), 2, "run twice");
    let (_, xml) = published_junit(&run);
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert_eq!(xml.matches("<rerunFailure ").count(), 1, "{xml}");
    let summary = summary_text(&run);
    assert!(
        summary.contains("| ❌ | Down API (failed 2 attempts)"),
        "{summary}"
    );
    assert!(summary.contains("Attempt 1 of 2:"), "{summary}");
    assert_eq!(summary.matches("but got 500").count(), 2, "{summary}");
}

#[test]
fn retries_go_parallel_within_a_shard() {
    let mut s = Scenario::new();
    for i in 1..=4 {
        write_collection(
            &s,
            &format!("many/c{i}"),
            &format!("Collection {i:02}"),
            &format!("/flaky/c{i}"),
        );
    }
    s.job
        .input("collection", "tests/many/*.postman_collection.json")
        .input("retryFailedRuns", "1")
        .input("parallel", "2")
        .input("shard", "1/2");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let (_, xml) = published_junit(&run);
    let back = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let suites = back.test_suites.len();
    assert!((1..4).contains(&suites), "a share of the runs: {suites}");
    assert_eq!(
        run.variables()["flakyRuns"].value,
        suites.to_string(),
        "{run}"
    );
    assert_eq!(xml.matches("<flakyFailure ").count(), suites, "{xml}");
    assert_eq!(
        s.api.requests().len(),
        2 * suites,
        "each of this shard's runs twice"
    );
    assert_eq!(
        run.published_results()[0].run_title.as_deref(),
        Some("Postman (shard 1/2)")
    );
}

#[cfg(unix)]
#[test]
fn cancelling_during_a_retry_publishes_what_finished() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    let hang = write_collection(&s, "hang", "Hanging API", "/fail-then-hang/h");
    s.job
        .input(
            "collection",
            format!("tests/passing.postman_collection.json\n{hang}"),
        )
        .input("retryFailedRuns", "2")
        .input("parallel", "2");
    let task = s.job.spawn();
    assert!(
        task.wait_for_output("running it again"),
        "the failed run was never retried"
    );
    while s
        .api
        .requests()
        .iter()
        .filter(|r| r.path() == "/fail-then-hang/h")
        .count()
        < 2
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    task.signal("INT");
    let run = task.wait();
    assert_eq!(run.exit_code, Some(0), "{run}");
    run.assert_one_complete();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let (_, xml) = published_junit(&run);
    assert!(
        xml.contains(
            r#"<testsuite name="Passing API" tests="3" skipped="0" errors="0" failures="0""#
        ),
        "{xml}"
    );
    assert_eq!(xml.matches(r#"type="Aborted""#).count(), 1, "{xml}");
    assert_eq!(
        xml.matches("<rerunFailure ").count(),
        1,
        "the first attempt's failure\n{xml}"
    );
    let summary = summary_text(&run);
    assert!(summary.contains("the run was cut short"), "{summary}");
    assert!(summary.contains("Attempt 1 of 3:"), "{summary}");
}

/// A request saved without a name, run twice: the same test names, named
/// by method and URL, and no dot in a class name, as Azure reads them.
#[test]
fn unnamed_requests_keep_their_names_from_run_to_run() {
    let names = || {
        let mut s = Scenario::new();
        let text = serde_json::json!({
            "info": {"name": "Echo v1.2", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
            "item": [{"name": "api.example.com", "item": [{
                "event": [{"listen": "test", "script": {"exec": [
                    "pm.test('status is 200', () => pm.response.to.have.status(200));",
                    "pm.test('skipped', () => {}); pm.test.skip('later', () => {});"
                ]}}],
                "request": {"method": "GET", "url": {"raw": "{{baseUrl}}/ok", "host": ["{{baseUrl}}"], "path": ["ok"]}}
            }]}]
        });
        s.job
            .write_source("tests/unnamed.postman_collection.json", &text.to_string());
        s.job
            .input("collection", "tests/unnamed.postman_collection.json");
        let run = s.run();
        assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
        let (_, xml) = published_junit(&run);
        let back = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!((back.tests, back.failures, back.errors), (3, 0, 0), "{xml}");
        assert_eq!(back.test_suites[0].skipped, 1, "{xml}");
        assert!(
            summary_text(&run).contains("| 2 | 0 | 1 | 0 |"),
            "the table shows the skipped test\n{}",
            summary_text(&run)
        );
        back.test_suites[0]
            .test_cases
            .iter()
            .map(|c| {
                let class = c.classname.as_ref().unwrap().as_str().to_owned();
                assert!(!class.contains('.'), "{class}");
                assert!(c.time.is_some());
                format!("{class} | {}", c.name.as_str())
            })
            .collect::<Vec<_>>()
    };
    let first = names();
    assert_eq!(
        first[0],
        "Echo v1\u{2024}2 › api\u{2024}example\u{2024}com | api.example.com / GET {{baseUrl}}/ok › status is 200"
    );
    assert_eq!(first, names());
}
