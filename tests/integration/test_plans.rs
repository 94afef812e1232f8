//! Azure Test Plans (`testPlan`) with the real CLI through the agent
//! emulation, against the Azure DevOps emulator: test case IDs on a
//! folder, a request and a test, one ID not in the plan; a failing, a
//! skipped and a flaky test under `retryFailedRuns: 1`. The points' final
//! outcomes, the plan's run and its links, the flaky mark, the warnings,
//! the build's totals, the specs, the token kept secret; and each failure
//! mode, with the Tests tab publishing as without `testPlan`.

use serde_json::json;

use crate::e2e::{Scenario, published_junit, summary_text};
use crate::support::agent::SYSTEM_ACCESS_TOKEN;
use crate::support::azure_devops::{AzureDevOps, Fault, Reply};
use crate::support::leaks::Leaks;
use crate::support::{IssueKind, TaskResult, TaskRun};

const PLAN: u32 = 7;
const LINUX: u32 = 1;
const WINDOWS: u32 = 2;

/// `Release 1`: a root suite with `API` and `Smoke` under it; `Linux` and
/// `Windows`. Points: 101 on both configurations, 102 and 104 in API, 105
/// and 106 (which no test names) in Smoke.
fn plan() -> AzureDevOps {
    let emu = AzureDevOps::start();
    emu.plan(PLAN, "Release 1");
    emu.suite(PLAN, 10, "Release 1", None);
    emu.suite(PLAN, 11, "API", Some(10));
    emu.suite(PLAN, 12, "Smoke", Some(10));
    emu.configuration(LINUX, "Linux");
    emu.configuration(WINDOWS, "Windows");
    emu.point(PLAN, 11, 1001, 101, "Users", LINUX);
    emu.point(PLAN, 11, 1002, 101, "Users", WINDOWS);
    emu.point(PLAN, 11, 1003, 102, "Create order", LINUX);
    emu.point(PLAN, 11, 1004, 104, "List orders", LINUX);
    emu.point(PLAN, 12, 1005, 105, "Paging", LINUX);
    emu.point(PLAN, 12, 1006, 106, "Not automated", LINUX);
    // Two per page: every list is followed through its continuation.
    emu.page_size(2);
    emu
}

fn request(name: &str, path: &str, tests: &[&str]) -> serde_json::Value {
    json!({
        "name": name,
        "event": [{"listen": "test", "script": {"exec": tests}}],
        "request": {"method": "GET", "url": format!("{{{{baseUrl}}}}{path}")}
    })
}

/// The collection: the folder `Users [TC101]` (a passing and a flaky
/// request), the request `Create order TC102` (failing), a test
/// `… TC104` and a skipped test `… TC105`, and `Health TC999`, in no plan.
fn write_collection(s: &Scenario) -> String {
    let status = "pm.test('status is 200', () => pm.response.to.have.status(200));";
    let text = json!({
        "info": {
            "name": "Shop",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        },
        "item": [
            {"name": "Users [TC101]", "item": [
                request("Get user", "/ok", &[status]),
                request("Get user again", "/flaky/users", &[status]),
            ]},
            {"name": "Orders", "item": [
                request("Create order TC102", "/status/500", &[status]),
                request("List orders", "/ok", &[
                    "pm.test('lists orders TC104', () => pm.response.to.have.status(200));",
                    "pm.test.skip('pages orders TC105', () => {});",
                ]),
            ]},
            request("Health TC999", "/ok", &[status]),
        ]
    });
    let rel = "tests/shop.postman_collection.json";
    s.job.write_source(rel, &text.to_string());
    rel.to_owned()
}

/// A scenario with the collection and `retryFailedRuns: 1`, its job on the
/// emulator; `testPlan` is set by the caller.
fn scenario(emu: &AzureDevOps) -> Scenario {
    let mut s = Scenario::new();
    let c = write_collection(&s);
    s.job
        .input("collection", c)
        .input("retryFailedRuns", "1")
        .azure_devops(emu);
    s
}

/// The Postman tab's attachment of the step.
fn attachment(run: &TaskRun) -> serde_json::Value {
    let (_, _, path) = run
        .attachments()
        .into_iter()
        .find(|(kind, _, _)| kind == "postman-cli-task.results")
        .expect("the Postman tab's attachment");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn warnings(run: &TaskRun) -> Vec<String> {
    run.issues(IssueKind::Warning)
        .into_iter()
        .map(|i| i.message)
        .collect()
}

/// What the Tests tab gets, times left out: each test's name and outcome.
fn tests_tab(run: &TaskRun) -> Vec<(String, String)> {
    let (_, xml) = published_junit(run);
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let mut cases = Vec::new();
    for suite in &report.test_suites {
        for case in &suite.test_cases {
            let status = match &case.status {
                quick_junit::TestCaseStatus::Success { .. } => "passed",
                quick_junit::TestCaseStatus::NonSuccess { .. } => "failed",
                quick_junit::TestCaseStatus::Skipped { .. } => "skipped",
            };
            cases.push((case.name.to_string(), status.to_owned()));
        }
    }
    cases
}

/// The Tests tab's run, which the agent publishes after the step: the
/// post-job step marks the flaky test's result there too, after the plan
/// run's mark.
fn assert_post_job_marks_the_tests_tab(s: &Scenario, emu: &AzureDevOps, run: &TaskRun) {
    assert_eq!(s.job.publish_tests_tab(run, emu).len(), 1);
    let post = s.job.run_post_job(run);
    assert_eq!(post.result(), TaskResult::Succeeded, "{post}");
    assert!(warnings(&post).is_empty(), "{post}");
    assert!(
        post.stdout
            .contains("Tests tab: 1 test result marked flaky on refs/heads/main."),
        "{post}"
    );
    let (storage, name) = flaky_case(run);
    let reference = emu.automated_reference(&storage, &name).unwrap();
    assert_eq!(
        emu.flaky_marks()[1..],
        [(reference, "refs/heads/main".to_owned(), true)],
        "{post}"
    );
    assert!(
        emu.spec_violations().is_empty(),
        "{:#?}",
        emu.spec_violations()
    );
}

/// The one JUnit case that passed only on a retry: its classname and name.
fn flaky_case(run: &TaskRun) -> (String, String) {
    let (_, xml) = published_junit(run);
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let flaky: Vec<(String, String)> = report
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .filter(|c| {
            matches!(&c.status, quick_junit::TestCaseStatus::Success { flaky_runs } if !flaky_runs.is_empty())
        })
        .map(|c| (c.classname.as_ref().unwrap().to_string(), c.name.to_string()))
        .collect();
    assert_eq!(flaky.len(), 1, "{flaky:?}");
    flaky[0].clone()
}

/// The same collection without `testPlan`: what the Tests tab, the result
/// and the output variables are when Test Plans is off.
fn baseline() -> (TaskResult, Vec<(String, String)>, String) {
    let emu = AzureDevOps::start();
    let s = scenario(&emu);
    let run = s.run();
    assert!(emu.requests().is_empty(), "no call without testPlan");
    assert!(
        attachment(&run).get("testPlan").is_none(),
        "as before testPlan came"
    );
    let vars = run.variables();
    (
        run.result(),
        tests_tab(&run),
        vars["testsTotal"].value.clone(),
    )
}

#[test]
fn points_get_the_outcomes_of_their_tests_in_one_run_kept_out_of_the_build_totals() {
    let emu = plan();
    let mut s = scenario(&emu);
    s.job.input("testPlan", "Release 1");
    let run = s.run();

    // The step: failed by the failing test, as without testPlan.
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    assert!(
        emu.spec_violations().is_empty(),
        "{:#?}",
        emu.spec_violations()
    );

    // The points: a folder's ID covers both its requests (the flaky one
    // passed on the retry), a request's its test, a test itself.
    for (point, outcome) in [
        (1001, Some("Passed")),
        (1002, Some("Passed")),
        (1003, Some("Failed")),
        (1004, Some("Passed")),
        (1005, Some("NotExecuted")),
        (1006, None),
    ] {
        assert_eq!(
            emu.point_outcome(point).as_deref(),
            outcome,
            "point {point}\n{run}"
        );
    }

    // One automated run, tied to the plan and not to the build, completed.
    let runs = emu.runs();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    let plan_run = &runs[0];
    assert!(plan_run.automated);
    assert_eq!(plan_run.plan_id.as_deref(), Some("7"));
    assert_eq!(plan_run.state, "Completed");
    assert_eq!(plan_run.build_id, None, "kept out of the build's totals");
    assert_eq!(plan_run.release_uri, None);
    let mut points = plan_run.point_ids.clone();
    points.sort_unstable();
    assert_eq!(points, [1001, 1002, 1003, 1004, 1005]);
    assert!(
        plan_run.name.contains("build 20261125.1"),
        "{}",
        plan_run.name
    );
    let comment = plan_run.comment.clone().unwrap_or_default();
    assert!(comment.contains("_build/results?buildId=4242"), "{comment}");

    // Each result: its duration, the failing test named, the tab linked.
    let failed = plan_run
        .results
        .iter()
        .find(|r| r.point_id == 1003)
        .unwrap();
    let message = failed.error_message.clone().unwrap_or_default();
    assert!(
        message.contains("Create order TC102 › status is 200"),
        "{message}"
    );
    for result in &plan_run.results {
        assert_eq!(result.state, "Completed");
        assert!(result.duration_ms.is_some());
        let comment = result.comment.clone().unwrap_or_default();
        assert!(
            comment.contains("view=postman-cli-task.postman-cli.postman-build-results-tab"),
            "{comment}"
        );
    }

    // The flaky test's test case reference, marked on the build's branch.
    let users = plan_run
        .results
        .iter()
        .find(|r| r.point_id == 1001)
        .unwrap();
    let marks = emu.flaky_marks();
    assert_eq!(
        marks,
        [(
            users.test_case_reference_id,
            "refs/heads/main".to_owned(),
            true
        )],
        "{run}"
    );

    assert_post_job_marks_the_tests_tab(&s, &emu, &run);

    // The ID in no suite of the plan, named with what to do.
    let warned = warnings(&run);
    assert!(
        warned
            .iter()
            .any(|w| w.contains("test cases 999 are named by Postman tests but have no test point")),
        "{warned:#?}"
    );

    // The build's totals count each Postman test once: the Tests tab holds
    // the JUnit's tests (6 in it), the plan's run its 5 points, apart.
    let (base_result, base_tab, base_total) = baseline();
    assert_eq!(run.result(), base_result);
    assert_eq!(
        tests_tab(&run),
        base_tab,
        "the Tests tab as without testPlan"
    );
    assert_eq!(run.variables()["testsTotal"].value, base_total);
    assert_eq!(base_total, "6");

    // The summary lists the linked test cases and links the run.
    let summary = summary_text(&run);
    assert!(summary.contains("#### 🧪 Azure Test Plans"), "{summary}");
    assert!(
        summary.contains("Plan **Release 1** (7): [run "),
        "{summary}"
    );
    assert!(
        summary.contains("set 5 test points of 4 test cases"),
        "{summary}"
    );
    assert!(
        summary.contains("| 101 Users | ✅ Passed (flaky: passed on a retry) | 2 | 2 |"),
        "{summary}"
    );
    assert!(
        summary.contains("| 102 Create order | ❌ Failed | 1 | 1 |"),
        "{summary}"
    );
    assert!(
        summary.contains("| 105 Paging | ⏭️ Not executed | 1 | 1 |"),
        "{summary}"
    );

    // The Postman tab lists them too.
    let tab = attachment(&run);
    assert_eq!(tab["testPlan"]["planId"], 7);
    assert_eq!(tab["testPlan"]["runId"], plan_run.id);
    let outcomes: Vec<(u64, &str)> = tab["testPlan"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_u64().unwrap(), c["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (101, "Passed"),
            (102, "Failed"),
            (104, "Passed"),
            (105, "NotExecuted")
        ]
    );

    // The token: sent as the bearer, in no log line or file.
    assert!(
        emu.requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {SYSTEM_ACCESS_TOKEN}")))
    );
    Leaks::new([SYSTEM_ACCESS_TOKEN]).assert_none_in_run(&run, &s.job);
    assert!(!run.stdout.contains(SYSTEM_ACCESS_TOKEN) && !run.stderr.contains(SYSTEM_ACCESS_TOKEN));
}

#[test]
fn suites_and_configurations_narrow_the_points_and_unknown_ones_are_named() {
    let emu = plan();
    let mut s = scenario(&emu);
    s.job
        .input("testPlan", "7")
        .input("testSuite", "API\nNightly")
        .input("testConfiguration", "linux")
        .input("testCaseMap", "tests/test-cases.yml");
    // Test case 104 also stands for the failing request, by its path.
    s.job.write_source(
        "tests/test-cases.yml",
        "104: [\"Shop/Orders/Create order*\"]\n",
    );
    let run = s.run();
    assert!(
        emu.spec_violations().is_empty(),
        "{:#?}",
        emu.spec_violations()
    );
    let runs = emu.runs();
    assert_eq!(runs.len(), 1, "{run}");
    let mut points = runs[0].point_ids.clone();
    points.sort_unstable();
    assert_eq!(points, [1001, 1003, 1004]);
    assert_eq!(emu.point_outcome(1002), None, "Windows is not chosen");
    assert_eq!(emu.point_outcome(1004).as_deref(), Some("Failed"), "mapped");
    assert_eq!(emu.point_outcome(1005), None, "Smoke is not chosen");
    let warned = warnings(&run);
    assert!(
        warned
            .iter()
            .any(|w| w.contains("no test suite `Nightly` here") && w.contains("Fix testSuite")),
        "{warned:#?}"
    );
}

/// Each failure mode: a warning that says what to do, the step's result
/// and Tests tab as without `testPlan`.
fn assert_unchanged(run: &TaskRun, base: &(TaskResult, Vec<(String, String)>, String)) {
    assert_eq!(run.result(), base.0, "{run}");
    assert_eq!(tests_tab(run), base.1, "{run}");
    assert_eq!(run.variables()["testsTotal"].value, base.2);
    assert_eq!(
        summary_text(run)
            .matches("#### 🧪 Azure Test Plans")
            .count(),
        1
    );
}

fn warned(run: &TaskRun, needle: &str) {
    let warned = warnings(run);
    assert!(
        warned.iter().any(|w| w.contains(needle)),
        "no warning with {needle:?}: {warned:#?}\n{run}"
    );
}

#[test]
fn every_failure_mode_is_a_warning_and_the_tests_tab_is_unchanged() {
    let base = baseline();

    // No token in the job's connection.
    let emu = plan();
    let mut s = scenario(&emu);
    s.job.input("testPlan", "Release 1").without_system_token();
    let run = s.run();
    assert_unchanged(&run, &base);
    warned(&run, "the job's access token is not there");
    assert!(emu.requests().is_empty());

    // 403: the Build Service may not create runs.
    let emu = plan();
    emu.fault(Fault::on("/_apis/test/runs", Reply::Status(403)).method("POST"));
    let mut s = scenario(&emu);
    s.job.input("testPlan", "Release 1");
    let run = s.run();
    assert_unchanged(&run, &base);
    warned(
        &run,
        "needs the \"View test runs\" and \"Create test runs\" permissions",
    );
    assert!(emu.runs().is_empty());

    // 401: the token refused.
    let emu = plan();
    emu.fault(Fault::on("/_apis/testplan/plans", Reply::Status(401)));
    let mut s = scenario(&emu);
    s.job.input("testPlan", "Release 1");
    let run = s.run();
    assert_unchanged(&run, &base);
    warned(&run, "The job's access token was refused");

    // Results that cannot be set: the run is completed all the same.
    let emu = plan();
    emu.fault(Fault::on("/results", Reply::Status(500)).method("PATCH"));
    let mut s = scenario(&emu);
    s.job.input("testPlan", "Release 1");
    let run = s.run();
    assert_unchanged(&run, &base);
    warned(&run, "could not set the test points' outcomes");
    assert_eq!(emu.runs()[0].state, "Completed", "{run}");

    // A plan that does not exist, by ID and by name.
    for (plan_input, needle) in [
        ("99", "test plan 99 does not exist"),
        (
            "Nope",
            "test plan `Nope` does not exist in this project; its plans are `Release 1` (7)",
        ),
    ] {
        let emu = plan();
        let mut s = scenario(&emu);
        s.job.input("testPlan", plan_input);
        let run = s.run();
        assert_unchanged(&run, &base);
        warned(&run, needle);
        assert!(
            emu.spec_violations().is_empty(),
            "{:#?}",
            emu.spec_violations()
        );
    }

    // Configurations that do not exist.
    let emu = plan();
    let mut s = scenario(&emu);
    s.job
        .input("testPlan", "Release 1")
        .input("testConfiguration", "macOS");
    let run = s.run();
    assert_unchanged(&run, &base);
    warned(&run, "no test configuration `macOS` here");
    warned(
        &run,
        "none of the test configurations testConfiguration names exists",
    );

    // A call that never answers: bounded, then a warning.
    let emu = plan();
    emu.fault(Fault::on("/TestPoint", Reply::Hang));
    let mut s = scenario(&emu);
    s.job
        .input("testPlan", "Release 1")
        .agent_env("POSTMAN_CLI_TASK_READ_TIMEOUT", "1");
    let run = s.run();
    assert_unchanged(&run, &base);
    warned(&run, "could not list the test points");
    warned(&run, "did not answer in time");
}

#[test]
fn transient_errors_are_retried_as_retry_after_asks() {
    let emu = plan();
    emu.fault(
        Fault::on("/_apis/test/runs", Reply::RetryAfter(429, 1))
            .method("POST")
            .times(1),
    );
    emu.fault(
        Fault::on("/results", Reply::Status(503))
            .method("PATCH")
            .times(1),
    );
    let mut s = scenario(&emu);
    s.job.input("testPlan", "Release 1");
    let run = s.run();
    assert!(
        emu.spec_violations().is_empty(),
        "{:#?}",
        emu.spec_violations()
    );
    let runs = emu.runs();
    assert_eq!(runs.len(), 1, "one run despite the retry\n{run}");
    assert_eq!(runs[0].state, "Completed");
    assert_eq!(emu.point_outcome(1003).as_deref(), Some("Failed"));
    warned(
        &run,
        "answered 429 and asked to wait 1 s; trying again in 1 s",
    );
}

#[test]
fn the_post_job_step_starts_nothing_without_flaky_tests_and_never_fails_the_job() {
    // No retry, so nothing passed only on one: no record, and the post-job
    // step starts no binary (it is gone) and says nothing.
    let emu = plan();
    let mut s = scenario(&emu);
    s.job
        .input("testPlan", "Release 1")
        .input("retryFailedRuns", "0");
    let run = s.run();
    s.job.publish_tests_tab(&run, &emu);
    let calls = emu.requests().len();
    std::fs::remove_file(s.job.binary_path()).unwrap();
    let post = s.job.run_post_job(&run);
    assert_eq!(post.exit_code, Some(0), "{post}");
    assert_eq!((post.stdout.as_str(), post.stderr.as_str()), ("", ""));
    assert_eq!(emu.requests().len(), calls, "no call");

    // A 403 on the metadata call: a warning in the step and in the post-job
    // step, whose result stays Succeeded; the step's as without testPlan.
    let base = baseline();
    let emu = plan();
    emu.fault(Fault::on("/resultmetadata/", Reply::Status(403)));
    let mut s = scenario(&emu);
    s.job.input("testPlan", "Release 1");
    let run = s.run();
    assert_unchanged(&run, &base);
    warned(&run, "could not mark a test result flaky");
    s.job.publish_tests_tab(&run, &emu);
    let post = s.job.run_post_job(&run);
    assert_eq!(
        (post.exit_code, post.result()),
        (Some(0), TaskResult::Succeeded),
        "{post}"
    );
    warned(
        &post,
        "not marked flaky in the Tests tab: could not mark a test result flaky",
    );
    warned(&post, "needs the \"View test runs\"");
    assert!(emu.flaky_marks().is_empty());
}
