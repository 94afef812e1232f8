//! The spec checker on its own: the calls the task makes pass, and what a
//! request or an answer gets wrong is named.

use serde_json::{Value, json};

use super::{good_run, one_containing};
use crate::support::azure_devops::{PROJECT_ID, SpecRequest, parse_query, specs};

const RUNS: &str = "/contoso/Shop/_apis/test/runs";

/// What the checker says about one request.
fn check(method: &str, path_and_query: &str, body: Option<Value>) -> Vec<String> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    specs().check_request(&SpecRequest {
        method,
        path,
        query: &parse_query(query),
        content_type: Some("application/json; charset=utf-8"),
        body: &body,
    })
}

#[test]
fn the_checker_passes_the_calls_the_task_makes() {
    let runs = format!("{RUNS}?api-version=7.1");
    assert_eq!(check("POST", &runs, Some(good_run())), Vec::<String>::new());
    let base = format!("/contoso/{PROJECT_ID}/_apis");
    for get in [
        format!("{base}/testplan/plans/7?api-version=7.1"),
        format!("{base}/testplan/plans?api-version=7.1&continuationToken=2%3B5"),
        format!("{base}/testplan/Plans/7/suites?api-version=7.1&expand=children"),
        // Get Points List lives in the spec's x-ms-paths, without pointId.
        format!("{base}/testplan/Plans/7/Suites/70/TestPoint?api-version=7.1&isRecursive=true"),
        format!("{base}/testplan/configurations?api-version=7.1"),
        format!("{base}/test/Runs/1001/results?api-version=7.1&$top=100"),
    ] {
        assert_eq!(check("GET", &get, None), Vec::<String>::new(), "{get}");
    }
    let results = json!([{ "id": 100000, "outcome": "Passed", "state": "Completed",
        "durationInMs": 12.5, "errorMessage": "x", "comment": "y",
        "completedDate": "2026-12-07T16:01:00Z" }]);
    let patch = format!("{base}/test/Runs/1001/results?api-version=7.1");
    assert_eq!(check("PATCH", &patch, Some(results)), Vec::<String>::new());
    let update = json!({ "state": "Completed", "completedDate": "2026-12-07T16:02:00Z" });
    let run = format!("{base}/test/runs/1001?api-version=7.1");
    assert_eq!(check("PATCH", &run, Some(update)), Vec::<String>::new());
    let flaky =
        json!({ "flakyIdentifiers": [{ "branchName": "refs/heads/main", "isFlaky": true }] });
    let meta = format!("{base}/testresults/results/resultmetadata/5001?api-version=7.1-preview.4");
    assert_eq!(check("PATCH", &meta, Some(flaky)), Vec::<String>::new());
}

#[test]
fn the_checker_names_what_a_request_gets_wrong() {
    let runs = format!("{RUNS}?api-version=7.1");
    // RunCreateModel says startDate; a typo is silently dropped by Azure.
    let mut body = good_run();
    body["startedDate"] = json!("2026-12-07T16:00:00Z");
    body["pointIds"] = json!(["11"]);
    body["plan"]["id"] = json!(7);
    body["Automated"] = json!(true);
    let found = check("POST", &runs, Some(body));
    one_containing(
        &found,
        &[
            "Runs_Create",
            "body.startedDate",
            "RunCreateModel has no property",
        ],
    );
    one_containing(
        &found,
        &["body.pointIds[0]", "expected an integer", "\"11\""],
    );
    one_containing(&found, &["body.plan.id", "expected a string"]);
    one_containing(
        &found,
        &["body.Automated", "spells this property \"automated\""],
    );
    assert_eq!(found.len(), 4, "{found:#?}");

    let found = check("POST", RUNS, Some(good_run()));
    one_containing(
        &found,
        &["required query parameter \"api-version\" is missing"],
    );

    let base = format!("/contoso/{PROJECT_ID}/_apis");
    let flaky = json!({ "flakyIdentifiers": [{ "branchName": "main", "isFlaky": "yes" }] });
    let meta = format!("{base}/testresults/results/resultmetadata/5001?api-version=7.1");
    let found = check("PATCH", &meta, Some(flaky));
    one_containing(&found, &["api-version is \"7.1\"", "\"7.1-preview.4\""]);
    one_containing(
        &found,
        &["body.flakyIdentifiers[0].isFlaky", "expected a boolean"],
    );

    let results = json!([{ "id": "100000", "durationInMs": "12", "completedDate": "yesterday" }]);
    let found = check(
        "PATCH",
        &format!("{base}/test/Runs/1001/results?api-version=7.1"),
        Some(results),
    );
    one_containing(&found, &["body[0].id", "expected an integer"]);
    one_containing(&found, &["body[0].durationInMs", "expected a number"]);
    one_containing(
        &found,
        &["body[0].completedDate", "not an RFC 3339 date-time"],
    );

    let found = check(
        "GET",
        &format!("{base}/testplan/Plans/x/suites?api-version=7.1&expand=all&top=5"),
        None,
    );
    one_containing(&found, &["path parameter planId", "not an integer"]);
    one_containing(
        &found,
        &[
            "query parameter expand",
            "not one of none, children, defaultTesters",
        ],
    );
    one_containing(&found, &["no query parameter \"top\""]);

    let found = check(
        "GET",
        &format!("{base}/testplan/plans/7/points?api-version=7.1"),
        None,
    );
    one_containing(
        &found,
        &["no operation of the vendored specs has this path"],
    );
    let found = check(
        "PUT",
        &format!("{base}/test/runs/1001?api-version=7.1"),
        None,
    );
    one_containing(&found, &["the specs allow only DELETE, GET, PATCH"]);
}

#[test]
fn the_checker_holds_the_emulators_answers_to_the_response_models() {
    let path = format!("/contoso/{PROJECT_ID}/_apis/testplan/Plans/7/Suites/70/TestPoint");
    let good = json!({ "count": 1, "value": [{ "id": 11, "configuration": { "id": 1, "name": "Chrome" } }] });
    assert_eq!(
        specs().check_response("GET", &path, &good),
        Vec::<String>::new()
    );
    let bad = json!({ "count": 1, "value": [{ "id": 11, "configuration": { "id": "1" }, "outcome": "passed" }] });
    let found = specs().check_response("GET", &path, &bad);
    one_containing(
        &found,
        &["response[0].configuration.id", "expected an integer"],
    );
    one_containing(
        &found,
        &["response[0].outcome", "TestPoint has no property"],
    );
}

#[test]
fn the_checker_reads_queries_and_bodies_as_azure_does() {
    assert_eq!(
        parse_query("continuationToken=2%3B5&name=a+b&%24top=10&flag"),
        [
            ("continuationToken".to_string(), "2;5".to_string()),
            ("name".to_string(), "a b".to_string()),
            ("$top".to_string(), "10".to_string()),
            ("flag".to_string(), String::new()),
        ]
    );
    let body = good_run().to_string().into_bytes();
    let mut request = SpecRequest {
        method: "POST",
        path: RUNS,
        query: &[("API-Version".to_string(), "7.1".to_string())],
        content_type: Some("text/plain"),
        body: &body,
    };
    let found = specs().check_request(&request);
    one_containing(
        &found,
        &["Content-Type is \"text/plain\"", "application/json"],
    );
    assert_eq!(found.len(), 1, "query names ignore case: {found:#?}");
    request.content_type = Some("application/json");
    request.body = b"{\"name\": ";
    one_containing(&specs().check_request(&request), &["the body is not JSON"]);
    request.body = b"";
    one_containing(
        &specs().check_request(&request),
        &["the required JSON body is missing"],
    );
    let get = SpecRequest {
        method: "GET",
        path: "/contoso/Shop/_apis/testplan/configurations",
        query: &[("api-version".to_string(), "7.1".to_string())],
        content_type: Some("application/json"),
        body: b"{}",
    };
    one_containing(
        &specs().check_request(&get),
        &["a request body, where the operation takes none"],
    );
}
