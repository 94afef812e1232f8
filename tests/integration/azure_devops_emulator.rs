//! The Azure DevOps emulator itself (`support/azure_devops`), driven with
//! plain HTTP: the spec checker names what a request gets wrong, lists page,
//! faults fire, and a run goes from created to completed with its points'
//! outcomes and flaky marks. The agent emulation hands it to the task.

use serde_json::{Value, json};

use crate::support::AgentJob;
use crate::support::agent::SYSTEM_ACCESS_TOKEN;
use crate::support::azure_devops::client::{self, Answer};
use crate::support::azure_devops::{AzureDevOps, Fault, PROJECT_ID, Reply};

mod checker;

pub(super) fn good_run() -> Value {
    json!({
        "name": "Postman: Shop API",
        "automated": true,
        "plan": { "id": "7" },
        "pointIds": [11, 12],
        "state": "InProgress",
        "startDate": "2026-12-07T16:00:00.000Z",
        "comment": "From build 4242",
        "build": { "id": "4242" },
    })
}

pub(super) fn one_containing<'a>(found: &'a [String], parts: &[&str]) -> &'a String {
    found
        .iter()
        .find(|v| parts.iter().all(|p| v.contains(p)))
        .unwrap_or_else(|| panic!("no violation names all of {parts:?}: {found:#?}"))
}

/// An emulator with plan 7 ("Regression"): root suite 70 with suites 71 and
/// 72 under it, configurations 1 and 2, and five points.
fn seeded() -> AzureDevOps {
    let emulator = AzureDevOps::start();
    emulator.plan(7, "Regression");
    emulator.plan(8, "Smoke");
    emulator.suite(7, 70, "Regression", None);
    emulator.suite(7, 71, "Users", Some(70));
    emulator.suite(7, 72, "Orders", Some(70));
    emulator.configuration(1, "Chrome");
    emulator.configuration(2, "Firefox");
    emulator.point(7, 71, 11, 101, "Get user", 1);
    emulator.point(7, 71, 12, 101, "Get user", 2);
    emulator.point(7, 71, 13, 102, "Create user", 1);
    emulator.point(7, 72, 14, 103, "List orders", 1);
    emulator.point(7, 72, 15, 104, "Cancel order", 2);
    emulator
}

fn get(emulator: &AzureDevOps, path: &str) -> Answer {
    send(emulator, "GET", path, None)
}

fn send(emulator: &AzureDevOps, method: &str, path: &str, body: Option<Value>) -> Answer {
    let url = format!("{}{path}", emulator.collection_url());
    let bearer = format!("Bearer {SYSTEM_ACCESS_TOKEN}");
    client::send(method, &url, Some(&bearer), body.as_ref()).expect("the emulator answers")
}

fn ids(answer: &Answer) -> Vec<u64> {
    answer.json()["value"]
        .as_array()
        .expect("a value list")
        .iter()
        .map(|v| v["id"].as_u64().expect("a numeric id"))
        .collect()
}

#[test]
fn lists_page_with_continuation_tokens() {
    let emulator = seeded();
    emulator.page_size(2);
    let points = format!(
        "{PROJECT_ID}/_apis/testplan/Plans/7/Suites/70/TestPoint?api-version=7.1&isRecursive=true"
    );
    let first = get(&emulator, &points);
    assert_eq!((first.status, ids(&first)), (200, vec![11, 12]));
    assert_eq!(first.json()["count"], 2);
    let token = first
        .header("x-ms-continuationtoken")
        .expect("a next page")
        .to_string();
    let encoded = token.replace(';', "%3B");
    let second = get(&emulator, &format!("{points}&continuationToken={encoded}"));
    assert_eq!(ids(&second), [13, 14]);
    let token = second
        .header("x-ms-continuationtoken")
        .expect("a last page")
        .replace(';', "%3B");
    let third = get(&emulator, &format!("{points}&continuationToken={token}"));
    assert_eq!(
        (ids(&third), third.header("x-ms-continuationtoken")),
        (vec![15], None)
    );

    // Not recursive: the suite's own points; filtered by test case.
    let own = get(
        &emulator,
        &format!(
            "{PROJECT_ID}/_apis/testplan/Plans/7/Suites/71/TestPoint?api-version=7.1&testCaseId=101"
        ),
    );
    assert_eq!(ids(&own), [11, 12]);
    let point = &own.json()["value"][1];
    assert_eq!(
        point["configuration"],
        json!({ "id": 2, "name": "Firefox" })
    );
    assert_eq!(
        point["testCaseReference"],
        json!({ "id": 101, "name": "Get user" })
    );

    let suites = get(
        &emulator,
        "Shop/_apis/testplan/Plans/7/suites?api-version=7.1",
    );
    assert_eq!(ids(&suites), [70, 71]);
    assert_eq!(suites.json()["value"][1]["parentSuite"]["id"], 70);
    let plans = get(&emulator, "Shop/_apis/testplan/plans?api-version=7.1");
    assert_eq!(
        (
            ids(&plans),
            plans.header("x-ms-continuationtoken").is_none()
        ),
        (vec![7, 8], true)
    );
    let configurations = get(
        &emulator,
        "Shop/_apis/testplan/configurations?api-version=7.1",
    );
    assert_eq!(ids(&configurations), [1, 2]);

    let bad = get(&emulator, &format!("{points}&continuationToken=nonsense"));
    assert_eq!(bad.status, 400);
    let violations = emulator.spec_violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(violations[0].contains("\"nonsense\""));
}

#[test]
fn the_emulator_answers_as_azure_does_when_something_is_wrong() {
    let emulator = seeded();
    let plan = format!("{PROJECT_ID}/_apis/testplan/plans/99?api-version=7.1");
    let missing = get(&emulator, &plan);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["message"], "Test plan 99 not found.");
    assert_eq!(missing.json()["typeKey"], "TestObjectNotFoundException");
    assert_eq!(
        emulator.spec_violations(),
        Vec::<String>::new(),
        "a missing plan is no violation"
    );

    let url = format!("{}{plan}", emulator.collection_url());
    for authorization in [
        None,
        Some("Bearer someone-else"),
        Some("Basic Zm9vOmJhcg=="),
    ] {
        let answer = client::send("GET", &url, authorization, None).expect("an answer");
        assert_eq!(answer.status, 401, "{authorization:?}");
        assert!(answer.header("www-authenticate").is_some());
    }
    assert_eq!(emulator.requests()[1].authorization, None);
    assert_eq!(
        emulator.requests()[2].authorization.as_deref(),
        Some("Bearer someone-else")
    );

    let other = get(
        &emulator,
        "Elsewhere/_apis/testplan/plans/7?api-version=7.1",
    );
    assert_eq!(other.status, 404);
    assert!(
        other.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("TF200016")
    );
    let unknown = get(&emulator, "Shop/_apis/test/nothing?api-version=7.1");
    assert_eq!(unknown.status, 404);
    let violations = emulator.spec_violations();
    // A route that neither the specs nor the emulator know is named twice.
    assert_eq!(violations.len(), 3, "{violations:#?}");
    one_containing(&violations, &["\"Elsewhere\"", PROJECT_ID]);
    one_containing(
        &violations,
        &[
            "GET /contoso/Shop/_apis/test/nothing",
            "no operation of the vendored specs",
        ],
    );
    one_containing(
        &violations,
        &["GET /contoso/Shop/_apis/test/nothing", "no such route"],
    );
}

#[test]
fn faults_fire_on_matching_requests() {
    let emulator = seeded();
    emulator.fault(Fault::on("/suites", Reply::Status(500)).times(1));
    emulator.fault(Fault::on("/configurations", Reply::RetryAfter(429, 7)).method("GET"));
    emulator.fault(Fault::on("/test/runs", Reply::Status(403)).method("POST"));
    let suites = "Shop/_apis/testplan/Plans/7/suites?api-version=7.1";
    assert_eq!(get(&emulator, suites).status, 500);
    assert_eq!(get(&emulator, suites).status, 200, "times(1): once only");
    let throttled = get(
        &emulator,
        "Shop/_apis/testplan/configurations?api-version=7.1",
    );
    assert_eq!(
        (throttled.status, throttled.header("retry-after")),
        (429, Some("7"))
    );
    let denied = send(
        &emulator,
        "POST",
        "Shop/_apis/test/runs?api-version=7.1",
        Some(good_run()),
    );
    assert_eq!(denied.status, 403);
    assert!(
        denied.json()["message"]
            .as_str()
            .unwrap()
            .contains("Create test runs")
    );
    assert_eq!(emulator.runs(), Vec::new());
    // Faulted requests are recorded and checked all the same.
    assert_eq!(emulator.requests().len(), 4);
    assert_eq!(emulator.spec_violations(), Vec::<String>::new());
}

#[test]
fn a_hang_holds_the_connection_until_the_emulator_drops() {
    let emulator = seeded();
    emulator.fault(Fault::on("/plans/7", Reply::Hang));
    let url = format!(
        "{}Shop/_apis/testplan/plans/7?api-version=7.1",
        emulator.collection_url()
    );
    let bearer = format!("Bearer {SYSTEM_ACCESS_TOKEN}");
    // Never answered: the read gives up, whatever the wait.
    let error = client::send_raw(
        "GET",
        &url,
        Some(&bearer),
        None,
        Some(std::time::Duration::from_millis(300)),
    )
    .expect_err("no answer");
    assert!(
        matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{error}"
    );
    // Another hung request in flight while the emulator drops: drop returns.
    let client = std::thread::spawn(move || client::send("GET", &url, Some(&bearer), None));
    while emulator.requests().len() < 2 {
        std::thread::yield_now();
    }
    drop(emulator);
    let after = client.join().expect("the client thread");
    assert!(
        after.is_err(),
        "the dropped emulator closed the connection: {after:?}"
    );
}

#[test]
fn a_run_goes_from_created_to_completed() {
    let emulator = seeded();
    let created = send(
        &emulator,
        "POST",
        &format!("{PROJECT_ID}/_apis/test/runs?api-version=7.1"),
        Some(good_run()),
    );
    assert_eq!(created.status, 200, "{:?}", created.json());
    let run = created.json();
    assert_eq!(run["id"], 1001);
    assert_eq!(run["state"], "InProgress");
    assert_eq!(run["totalTests"], 2);
    assert_eq!(
        run["webAccessUrl"],
        format!(
            "{}Shop/_TestManagement/Runs?runId=1001&_a=runCharts",
            emulator.collection_url()
        )
    );

    let results = get(
        &emulator,
        "Shop/_apis/test/Runs/1001/results?api-version=7.1",
    )
    .json();
    assert_eq!(results["count"], 2);
    let first = &results["value"][0];
    assert_eq!(
        (first["id"].as_u64(), first["state"].as_str()),
        (Some(100_000), Some("Pending"))
    );
    assert_eq!(first["testPoint"]["id"], "11");
    assert_eq!(first["testCase"]["id"], "101");
    assert_eq!(first["configuration"]["id"], "1");
    let reference = first["testCaseReferenceId"].as_u64().unwrap();
    assert_eq!(
        results["value"][1]["testCaseReferenceId"], reference,
        "one reference per test case"
    );

    let update = json!([
        { "id": 100000, "outcome": "Passed", "state": "Completed", "durationInMs": 120.0, "comment": "ok" },
        { "id": 100001, "outcome": "Failed", "state": "Completed", "errorMessage": "Status code is 200" },
    ]);
    let updated = send(
        &emulator,
        "PATCH",
        "Shop/_apis/test/Runs/1001/results?api-version=7.1",
        Some(update),
    );
    assert_eq!(
        (updated.status, updated.json()["count"].as_u64()),
        (200, Some(2))
    );
    assert_eq!(emulator.point_outcome(11).as_deref(), Some("Passed"));
    assert_eq!(emulator.point_outcome(12).as_deref(), Some("Failed"));
    assert_eq!(
        emulator.point_outcome(13),
        None,
        "points outside the run are left alone"
    );
    let point = get(
        &emulator,
        "Shop/_apis/testplan/Plans/7/Suites/71/TestPoint?api-version=7.1&testPointIds=12",
    );
    assert_eq!(point.json()["value"][0]["results"]["outcome"], "failed");

    let bad = json!([{ "id": 100000, "outcome": "Fine" }]);
    let rejected = send(
        &emulator,
        "PATCH",
        "Shop/_apis/test/Runs/1001/results?api-version=7.1",
        Some(bad),
    );
    assert_eq!(rejected.status, 400);
    assert_eq!(
        emulator.point_outcome(11).as_deref(),
        Some("Passed"),
        "a rejected update changes nothing"
    );

    let flaky =
        json!({ "flakyIdentifiers": [{ "branchName": "refs/heads/main", "isFlaky": true }] });
    let meta = format!(
        "Shop/_apis/testresults/results/resultmetadata/{reference}?api-version=7.1-preview.4"
    );
    assert_eq!(send(&emulator, "PATCH", &meta, Some(flaky)).status, 200);
    let done =
        json!({ "state": "Completed", "completedDate": "2026-12-07T16:05:00Z", "comment": "done" });
    let completed = send(
        &emulator,
        "PATCH",
        "Shop/_apis/test/runs/1001?api-version=7.1",
        Some(done),
    );
    assert_eq!(
        (completed.status, completed.json()["state"].as_str()),
        (200, Some("Completed"))
    );

    let runs = emulator.runs();
    let run = &runs[0];
    assert_eq!(
        (
            run.state.as_str(),
            run.plan_id.as_deref(),
            run.build_id.as_deref()
        ),
        ("Completed", Some("7"), Some("4242"))
    );
    assert_eq!(
        (run.point_ids.clone(), run.automated, run.comment.as_deref()),
        (vec![11, 12], true, Some("done"))
    );
    assert_eq!(run.results[0].duration_ms, Some(120.0));
    assert_eq!(
        run.results[1].error_message.as_deref(),
        Some("Status code is 200")
    );
    assert_eq!(run.body, good_run());
    let reference = u32::try_from(reference).unwrap();
    assert_eq!(
        emulator.flaky_marks(),
        [(reference, "refs/heads/main".to_string(), true)]
    );
    let violations = emulator.spec_violations();
    assert_eq!(
        violations.len(),
        1,
        "only the unknown outcome: {violations:#?}"
    );
    one_containing(&violations, &["the outcome \"Fine\" is unknown to Azure"]);
}

#[test]
fn a_run_rejects_points_outside_its_plan_and_the_checker_sees_bad_bodies() {
    let emulator = seeded();
    let runs = "Shop/_apis/test/runs?api-version=7.1";
    let mut body = good_run();
    body["pointIds"] = json!([11, 99]);
    assert_eq!(send(&emulator, "POST", runs, Some(body)).status, 400);
    let mut body = good_run();
    body["startedDate"] = body["startDate"].take();
    body.as_object_mut().unwrap().remove("startDate");
    assert_eq!(
        send(&emulator, "POST", runs, Some(body)).status,
        200,
        "Azure drops what it does not know"
    );
    let violations = emulator.spec_violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
    one_containing(
        &violations,
        &[
            "POST /contoso/Shop/_apis/test/runs (Runs_Create)",
            "body.startedDate",
        ],
    );
}

#[test]
fn the_agent_hands_the_task_the_emulators_connection() {
    let emulator = AzureDevOps::start();
    let mut job = AgentJob::new();
    job.azure_devops(&emulator);
    let env = job.environment();
    let url = emulator.collection_url();
    assert_eq!(env["ENDPOINT_URL_SYSTEMVSSCONNECTION"], url);
    assert_eq!(env["SYSTEM_COLLECTIONURI"], url);
    assert_eq!(env["SYSTEM_TEAMFOUNDATIONCOLLECTIONURI"], url);
    assert_eq!(env["SYSTEM_TEAMPROJECTID"], PROJECT_ID);
    assert_eq!(
        env["ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"],
        SYSTEM_ACCESS_TOKEN
    );

    job.without_system_token();
    let env = job.environment();
    assert_eq!(env["ENDPOINT_URL_SYSTEMVSSCONNECTION"], url);
    assert!(!env.contains_key("ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"));
    assert_eq!(
        env["ENDPOINT_AUTH_SYSTEMVSSCONNECTION"],
        r#"{"parameters":{},"scheme":"OAuth"}"#
    );
}
