//! What the Tests tab shows is what happened: the real CLI runs collections
//! against an API that sends what Azure's JUnit reader refuses or merges
//! (characters outside XML 1.0, repeated test names, names over 512
//! characters), and a run cut off by its time limit; the published JUnit
//! is read as Azure reads it ([`crate::support::azure_junit`]). Every step
//! also passes the harness's own check of the Tests tab
//! (`TaskRun::assert_tests_tab_tells_the_truth`).

use serde_json::{Value, json};

use crate::e2e::Scenario;
use crate::support::azure_junit::{AzureResult, Outcome, TimedBy};
use crate::support::{MAX_FULL_NAME, TaskResult, fixtures_dir};

/// A v2.1 collection of `items`, under `tests/<file>.postman_collection.json`.
fn write_collection(s: &Scenario, file: &str, items: Value) -> String {
    let text = json!({
        "info": {
            "name": "Hostile",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        },
        "item": items,
    });
    let rel = format!("tests/{file}.postman_collection.json");
    s.job.write_source(&rel, &text.to_string());
    rel
}

/// A request to `path` with a test script.
fn request(id: &str, name: &str, path: &str, script: &[&str]) -> Value {
    json!({
        "id": id,
        "name": name,
        "event": [{"listen": "test", "script": {"exec": script}}],
        "request": {"method": "GET", "url": format!("{{{{baseUrl}}}}{path}")}
    })
}

fn outcomes(results: &[AzureResult]) -> Vec<(String, Outcome)> {
    results
        .iter()
        .map(|r| (r.title.clone(), r.outcome))
        .collect()
}

#[test]
fn characters_xml_refuses_reach_the_tests_tab_written_out() {
    let mut s = Scenario::new();
    let c = write_collection(
        &s,
        "characters",
        json!([request(
            "r-values",
            "Values",
            "/hostile",
            &[
                "const body = pm.response.json();",
                "pm.test('value ' + body.odd + body.control, () => pm.response.to.have.status(200));",
                "pm.test('throws', () => { throw new Error('bad value ' + body.odd); });",
            ],
        )]),
    );
    s.job.input("collection", c);
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let shown = run.tests_tab_runs();
    assert_eq!(
        outcomes(&shown.results),
        [
            (r"Values › value \uFFFF\u0001".to_owned(), Outcome::Passed),
            ("Values › throws".to_owned(), Outcome::Failed),
        ]
    );
    let message = shown.results[1].error_message.as_deref().unwrap();
    assert!(message.contains(r"bad value \uFFFF"), "{message}");
}

#[test]
fn repeated_tests_are_told_apart_in_the_tests_tab() {
    let mut s = Scenario::new();
    let status = ["pm.test('status is 200', () => pm.response.to.have.status(200));"];
    let c = write_collection(
        &s,
        "repeats",
        json!([
            request(
                "r-items",
                "Items",
                "/hostile",
                &[
                    "const body = pm.response.json();",
                    "[0, 1].forEach(i => pm.test('item has an id', () => pm.expect(body.items[i]).to.have.property('id')));",
                ],
            ),
            request(
                "r-poll",
                "Poll",
                "/ok",
                &[
                    "const n = Number(pm.collectionVariables.get('polls') || 0) + 1;",
                    "pm.collectionVariables.set('polls', n);",
                    "pm.test('status is 200', () => pm.expect(n).to.be.below(3));",
                    "if (n < 3) { postman.setNextRequest('Poll'); }",
                ],
            ),
            request("r-list-1", "List", "/ok", &status),
            request("r-list-2", "List", "/ok", &status),
            request("r-list-3", "List (2)", "/ok", &status),
        ]),
    );
    s.job.input("collection", c);
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let shown = run.tests_tab_runs();
    let expected = [
        ("Items › item has an id", Outcome::Passed),
        ("Items › item has an id (2)", Outcome::Failed),
        ("Poll › status is 200", Outcome::Passed),
        ("Poll › status is 200 (2)", Outcome::Passed),
        ("Poll › status is 200 (3)", Outcome::Failed),
        ("List › status is 200", Outcome::Passed),
        ("List (3) › status is 200", Outcome::Passed),
        ("List (2) › status is 200", Outcome::Passed),
    ]
    .map(|(t, o)| (t.to_owned(), o));
    assert_eq!(outcomes(&shown.results), expected);
}

#[test]
fn names_over_512_characters_fit_and_stay_apart() {
    let mut s = Scenario::new();
    let c = write_collection(
        &s,
        "long",
        json!([request(
            "r-long",
            "Long",
            "/hostile",
            &[
                "const body = pm.response.json();",
                "pm.test(body.long, () => {});",
                "const late = c => 'x'.repeat(540) + c + 'e'.repeat(14);",
                "pm.test(late('a'), () => {});",
                "pm.test(late('b'), () => { throw new Error('late b failed'); });",
            ],
        )]),
    );
    s.job.input("collection", c);
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let shown = run.tests_tab_runs();
    assert_eq!(shown.results.len(), 3);
    for r in &shown.results {
        assert!(r.full_name().encode_utf16().count() <= MAX_FULL_NAME);
        assert!(r.title.starts_with("Long › "), "{}", r.title);
    }
    assert_ne!(shown.results[1].title, shown.results[2].title);
    // The failing one says its name in full where the Tests tab shows it.
    let failed = &shown.results[2];
    let full = format!("Long › {}b{}", "x".repeat(540), "e".repeat(14));
    assert_eq!(failed.outcome, Outcome::Failed);
    for shown_in in [&failed.stack_trace, &failed.console_log] {
        let first = shown_in.as_deref().unwrap().lines().next().unwrap();
        assert_eq!(first, format!("Full name: {full}"));
    }
}

#[test]
fn a_run_cut_off_by_its_time_limit_lasts_from_its_start_to_the_cut() {
    let mut s = Scenario::new();
    s.fixture("slow.postman_collection.json");
    s.job
        .input("collection", "tests/slow.postman_collection.json")
        .input(
            "envVars",
            format!("baseUrl={}\ndelayMs=60000", s.api.base_url()),
        )
        .input("timeoutMinutes", "0.05");
    assert!(
        fixtures_dir()
            .join("slow.postman_collection.json")
            .is_file()
    );
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let shown = run.tests_tab_runs();
    assert_eq!(shown.timed_by, TimedBy::SuiteTimestamps);
    assert!(shown.started.is_some());
    // The CLI was stopped after 3 s (timeoutMinutes 0.05), so the run took
    // at least that long; without a time, Azure would add up its test
    // cases' times, which are 0 here.
    assert!(shown.duration_ms >= 3000.0, "{} ms", shown.duration_ms);
    assert_eq!(shown.results.len(), 1);
    assert_eq!(shown.results[0].outcome, Outcome::Failed);
}
