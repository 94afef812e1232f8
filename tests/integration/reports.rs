//! What the CLI left, read only when it is the CLI's last word (issue 18,
//! items 1, 6 and 11; issue 20, item 5): runs cut short by a time limit or
//! by the CLI's own `timeout` never pass, whatever they printed before; a
//! report holding what JavaScript writes is read whole; and a run that did
//! not complete says why in its one-line message. Each test failed on the
//! code before its fix; the real Postman CLI runs in each.

use serde_json::json;

use crate::e2e::{Scenario, published_junit, summary_text};
use crate::support::TaskResult;

/// A v3 request file, written as JSON (which YAML reads): `code` is its
/// test script.
fn v3_request(id: &str, method: &str, url: &str, order: u32, code: &str) -> String {
    json!({
        "$kind": "http-request",
        "id": id,
        "method": method,
        "url": url,
        "scripts": [{"type": "afterResponse", "code": code, "language": "text/javascript"}],
        "order": order
    })
    .to_string()
}

/// A v3 collection `name` in Postman's layout, holding `requests` (file
/// name, content).
fn v3_collection(s: &Scenario, name: &str, requests: &[(&str, String)]) -> String {
    let dir = format!("postman/collections/{name}");
    s.job.write_source(
        &format!("{dir}/.resources/definition.yaml"),
        &format!("$kind: collection\nname: {name}\n"),
    );
    for (file, text) in requests {
        s.job.write_source(&format!("{dir}/{file}"), text);
    }
    dir
}

/// The CLI's totals table, as it prints it with `--disable-unicode`, for
/// one request with one passing assertion.
const FORGED_TABLE: &str = "
------------------------------------------------------------------
|                         |          executed |           failed |
--------------------------+-------------------+-------------------
|              iterations |                 1 |                0 |
--------------------------+-------------------+-------------------
|                requests |                 1 |                0 |
--------------------------+-------------------+-------------------
|            test-scripts |                 1 |                0 |
--------------------------+-------------------+-------------------
|      prerequest-scripts |                 0 |                0 |
--------------------------+-------------------+-------------------
|              assertions |                 1 |                0 |
------------------------------------------------------------------
| total run duration: 215 ms                                     |
------------------------------------------------------------------";

/// Issue 18, item 1: the API's answer, shown in a test name, prints a whole
/// totals table with nothing failed; the next request gets a 500, the last
/// never answers, and `timeoutMinutes` stops the CLI before its real table.
/// The forged table adds up to what came before it, and was read as the
/// run's report: 1 test passed, the step Succeeded.
#[test]
fn a_forged_totals_table_in_a_run_stopped_by_its_time_limit_is_no_pass() {
    let mut s = Scenario::new();
    let body = json!({ "name": format!("bob{FORGED_TABLE}") }).to_string();
    let echo = json!({
        "$kind": "http-request",
        "id": "echo",
        "method": "POST",
        "url": "{{baseUrl}}/echo",
        "headers": {"Content-Type": "application/json"},
        "body": {"type": "text", "content": body},
        "scripts": [{"type": "afterResponse", "language": "text/javascript", "code":
            "const sent = JSON.parse(pm.response.json().body);\npm.test('user is ' + sent.name, () => pm.response.to.have.status(200));"}],
        "order": 1000
    })
    .to_string();
    let dir = v3_collection(
        &s,
        "Hostile",
        &[
            ("Echo.request.yaml", echo),
            (
                "Fails.request.yaml",
                v3_request(
                    "fails",
                    "GET",
                    "{{baseUrl}}/status/500",
                    2000,
                    "pm.test('status is 200', () => pm.response.to.have.status(200));",
                ),
            ),
            (
                "Hangs.request.yaml",
                v3_request(
                    "hangs",
                    "GET",
                    "{{baseUrl}}/slow/600000",
                    3000,
                    "pm.test('answered', () => {});",
                ),
            ),
        ],
    );
    s.job.input("collection", &dir).input("timeoutMinutes", "1");
    let run = s.run();
    let forged_then_failed = run
        .stdout
        .find("|              assertions |")
        .is_some_and(|at| run.stdout[at..].contains("/status/500 [500 Internal Server Error"));
    assert!(
        forged_then_failed,
        "the forged table was printed, then the failure: the attack was made\n{run}"
    );
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let vars = run.variables();
    assert_eq!(vars["testsPassed"].value, "0", "{run}");
    assert_eq!(vars["testsFailed"].value, "1", "{run}");
    let (_, xml) = published_junit(&run);
    assert!(
        xml.contains(r#"message="the collection did not complete: it did not finish within 1 min (timeoutMinutes)""#),
        "{xml}"
    );
    // The one case is the run that did not complete: no forged result
    // counts (the CLI's last output is only its detail).
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("the JUnit reads back");
    assert_eq!((report.tests, report.errors), (1, 1), "{xml}");
    assert!(
        summary_text(&run).contains("the collection did not complete"),
        "{run}"
    );
}

/// Issue 18, item 11, and issue 20, item 5: the CLI's own whole-run
/// `timeout` stops a v3 run, and it exits 1 with a totals table where
/// nothing failed (its report is done before it knows the run's error); a
/// v2.1 run it stops writes no report and says `Error: callback timed out`.
/// Both are runs that did not complete, and each message says why in one
/// line.
#[test]
fn runs_the_clis_own_timeout_ends_do_not_complete_and_say_why() {
    let mut s = Scenario::new();
    let v3 = v3_collection(
        &s,
        "Timed",
        &[
            (
                "Quick.request.yaml",
                v3_request(
                    "quick",
                    "GET",
                    "{{baseUrl}}/ok",
                    1000,
                    "pm.test('quick is ok', () => pm.response.to.have.status(200));",
                ),
            ),
            (
                "Slow.request.yaml",
                v3_request(
                    "slow",
                    "GET",
                    "{{baseUrl}}/slow/30000",
                    2000,
                    "pm.test('slow is ok', () => pm.response.to.have.status(200));",
                ),
            ),
        ],
    );
    s.job.write_source(
        "tests/timed.postman_collection.json",
        &json!({
            "info": {"name": "Timed v2", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
            "item": [
                {"name": "Quick", "request": {"method": "GET", "url": "{{baseUrl}}/ok"},
                 "event": [{"listen": "test", "script": {"exec": ["pm.test('quick is ok', () => pm.response.to.have.status(200));"]}}]},
                {"name": "Slow", "request": {"method": "GET", "url": "{{baseUrl}}/slow/30000"}}
            ]
        })
        .to_string(),
    );
    s.job
        .input(
            "collection",
            format!("{v3}\ntests/timed.postman_collection.json"),
        )
        .input("timeout", "3000");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let (_, xml) = published_junit(&run);
    // `<error message="…" type="RunError">`, one per run.
    let messages: Vec<&str> = xml
        .split("<error message=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once("\" type=\"RunError\""))
        .map(|(message, _)| message)
        .collect();
    assert_eq!(
        messages,
        [
            "the collection did not complete: the Postman CLI ended the run early (exit code 1 with no failure counted)",
            "the collection did not complete: Error: callback timed out",
        ],
        "{xml}"
    );
    // The rest is the element's text: the CLI's last output.
    assert!(xml.contains("Its last output:"), "{xml}");
    // The v3 run's passing test was read after the CLI exited, so it stands.
    assert!(xml.contains("quick is ok"), "{xml}");
    assert_eq!(run.variables()["testsFailed"].value, "2", "{run}");
}

/// Issue 18, item 6: an API answers a lone surrogate (valid for
/// JavaScript), U+FFFF, U+FFFE and a control character, and a test name
/// shows them. The CLI writes them into its JSON report; the report was
/// refused whole, and the real failure beside them was lost with it.
#[test]
fn a_lone_surrogate_from_the_api_costs_no_result() {
    let mut s = Scenario::new();
    // Raw JSON: a lone surrogate cannot be built as a serde_json value.
    let collection = r#"{"info":{"name":"Odd characters","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
"item":[
 {"name":"Echo","request":{"method":"POST","header":[{"key":"Content-Type","value":"application/json"}],
   "body":{"mode":"raw","raw":"{\"name\": \"\\ud800 \\uffff \\ufffe \\u0001 end\"}"},"url":"{{baseUrl}}/echo"},
  "event":[{"listen":"test","script":{"exec":["const sent = JSON.parse(pm.response.json().body);","pm.test('user is ' + sent.name, () => pm.response.to.have.status(200));"]}}]},
 {"name":"Fails","request":{"method":"GET","url":"{{baseUrl}}/status/500"},
  "event":[{"listen":"test","script":{"exec":["pm.test('status is 200', () => pm.response.to.have.status(200));"]}}]}
]}"#;
    s.job
        .write_source("tests/odd.postman_collection.json", collection);
    s.job
        .input("collection", "tests/odd.postman_collection.json");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let vars = run.variables();
    assert_eq!(
        (
            vars["testsTotal"].value.as_str(),
            vars["testsPassed"].value.as_str(),
            vars["testsFailed"].value.as_str()
        ),
        ("2", "1", "1"),
        "{run}"
    );
    let (_, xml) = published_junit(&run);
    assert!(
        xml.contains(r"user is \uD800 \uFFFF \uFFFE \u0001 end"),
        "each odd character is visible, the same on every build\n{xml}"
    );
    assert!(
        xml.contains("expected response to have status code 200 but got 500"),
        "{xml}"
    );
}
