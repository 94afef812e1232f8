//! The Azure Test Plans sink (`testPlan`): the plan's test points of the
//! test cases the Postman tests name get the tests' outcomes, through one
//! automated test run tied to the plan.
//!
//! In named steps: the plan (by ID or name), its suites and the chosen
//! configurations; the points of the linked test cases; a run of those
//! points (`plan.id`, `pointIds`); each point's result set (Failed if a
//! linked test failed, NotExecuted if all were skipped, else Passed, with
//! the duration, the failing tests and links); the run completed; the
//! tests that passed only on a retry marked flaky on their test case
//! reference, for the build's branch. Points no test names are untouched.
//! The Tests tab's own run, which the agent creates after the step, gets
//! its flaky marks from the task's post-job step ([`tests_tab`]).
//!
//! **Totals.** The run carries no `build` (nor a classic release's
//! `releaseUri`): the build's Tests tab counts every run tied to the build,
//! and the JUnit run (`results.publish`) already holds these tests. The
//! plan's run is tied to the build by its name, its comment and each
//! result's links instead.
//!
//! Nothing here fails the step or loses a result: every problem is a
//! warning saying what to do, and the Tests tab, the summary and the
//! Postman tab publish as without `testPlan`. The sink prints nothing; the
//! conductor shows what [`TestPlanReport`] holds.

mod api;
pub(crate) mod summary;
#[cfg(test)]
mod tests;
pub(crate) mod tests_tab;
mod words;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};

use crate::azure::agent::AgentEnv;
use crate::azure::devops::JobConnection;
use crate::azure::devops::rest::DevOps;
use crate::events::Events;
use crate::http::HttpSettings;
use crate::plan::{ItemRef, TestPlanPlan};
use crate::report::model::RunResult;
use crate::resolve::TestCaseMap;
use crate::results::test_cases::{self, Linked, LinkedTest};
use crate::run::upload::Upload;

/// What the sink needs.
pub(crate) struct TestPlanInput<'a> {
    pub(crate) settings: &'a TestPlanPlan,
    pub(crate) runs: &'a [RunResult],
    pub(crate) map: Option<&'a TestCaseMap>,
    pub(crate) env: &'a AgentEnv,
    pub(crate) network: &'a HttpSettings,
    /// `testRunTitle`: the Tests tab's run, which the plan's run is named after.
    pub(crate) title: &'a str,
    /// The most one REST call may take.
    pub(crate) call_timeout: Duration,
}

/// What happened in Test Plans, for the conductor and the summary.
#[derive(Clone, Debug, Default)]
pub(crate) struct TestPlanReport {
    /// The plan, once found.
    pub(crate) plan: Option<(u32, String)>,
    /// The plan's run, once created.
    pub(crate) run: Option<PlanRun>,
    /// Each linked test case, by ID.
    pub(crate) cases: Vec<LinkedCase>,
    /// Test case IDs the tests name that have no point in the chosen suites
    /// and configurations.
    pub(crate) not_in_plan: Vec<u32>,
    /// What the user should know, each with what to do.
    pub(crate) warnings: Vec<String>,
    /// What was done, for the log.
    pub(crate) lines: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlanRun {
    pub(crate) id: u32,
    /// The run in the web UI, when the server said.
    pub(crate) url: Option<String>,
}

/// One test case the tests update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LinkedCase {
    pub(crate) id: u32,
    /// Its title in the plan.
    pub(crate) name: String,
    /// `Passed`, `Failed` or `NotExecuted`.
    pub(crate) outcome: &'static str,
    /// How many of its points were set.
    pub(crate) points: usize,
    pub(crate) tests: usize,
    /// A linked test passed only on a retry.
    pub(crate) flaky: bool,
}

/// Updates the plan; never fails, says what it could not do.
pub(crate) async fn publish(input: &TestPlanInput<'_>, events: &dyn Events) -> TestPlanReport {
    let mut report = TestPlanReport::default();
    let linked = test_cases::link(input.runs, &input.settings.pattern, input.map);
    if linked.is_empty() {
        report
            .warnings
            .push(words::nothing_linked(&input.settings.pattern));
        return report;
    }
    let connection = match JobConnection::from_env(input.env) {
        Ok(c) => c,
        Err(e) => {
            report.warnings.push(words::not_updated(&e.to_string()));
            return report;
        }
    };
    let http = match input.network.client() {
        Ok(c) => c,
        Err(e) => {
            report.warnings.push(words::not_updated(&e.to_string()));
            return report;
        }
    };
    let api = DevOps::new(http, &connection, events, input.call_timeout);
    if let Err(why) = update(&api, input, &linked, &mut report).await {
        report.warnings.push(why);
    }
    report
}

/// The steps, in order; the first that fails says why.
async fn update(
    api: &DevOps<'_>,
    input: &TestPlanInput<'_>,
    linked: &Linked,
    report: &mut TestPlanReport,
) -> Result<(), String> {
    let settings = input.settings;
    let plan = find_plan(api, &settings.plan).await?;
    report.plan = Some((plan.id, plan.name.clone()));
    let suites = choose_suites(api, plan.id, &settings.suites, report).await?;
    let configurations = choose_configurations(api, &settings.configurations, report).await?;
    let points = linked_points(api, plan.id, &suites, configurations.as_ref(), linked).await?;
    report.not_in_plan = linked
        .keys()
        .filter(|id| !points.iter().any(|p| test_case(p) == Some(**id)))
        .copied()
        .collect();
    if !report.not_in_plan.is_empty() {
        report
            .warnings
            .push(words::not_in_plan(&report.not_in_plan, &plan.name, &suites));
    }
    if points.is_empty() {
        return Err(words::no_points(&plan.name));
    }
    let links = Links::from_env(input, &api.project_url());
    let run = api::create_run(api, &run_body(input, &plan, &points, &links))
        .await
        .map_err(|e| words::failed("create the test run", &e))?;
    report.run = Some(PlanRun {
        id: run.id,
        url: run.web_access_url.clone(),
    });
    let set = set_results(api, run.id, &points, linked, input.runs, &links).await;
    // The run is completed even when its results could not be set, so it
    // does not stay "in progress" in the plan.
    let completed = api::complete_run(api, run.id, &now())
        .await
        .map_err(|e| words::failed("complete the test run", &e));
    let (results, cases) = set?;
    report.cases = cases;
    report
        .lines
        .push(words::updated(&plan.name, run.id, &report.cases));
    completed?;
    mark_flaky(api, input.env, &results, &points, linked, report).await;
    Ok(())
}

/// Reads the run's results (one per point) and sets each; the results
/// and the cases as the summary lists them.
async fn set_results(
    api: &DevOps<'_>,
    run: u32,
    points: &[api::Point],
    linked: &Linked,
    runs: &[RunResult],
    links: &Links,
) -> Result<(Vec<api::RunResult>, Vec<LinkedCase>), String> {
    let results = api::results(api, run)
        .await
        .map_err(|e| words::failed("read the test run's results", &e))?;
    let (updates, cases) = result_updates(&results, points, linked, runs, links);
    api::update_results(api, run, &updates)
        .await
        .map_err(|e| words::failed("set the test points' outcomes", &e))?;
    Ok((results, cases))
}

async fn find_plan(api: &DevOps<'_>, wanted: &ItemRef) -> Result<api::Named, String> {
    match wanted {
        ItemRef::Id(id) => api::plan(api, *id).await.map_err(|e| match e {
            crate::http::fetch::FetchError::Status { status: 404, .. } => {
                words::plan_not_found(wanted, &[])
            }
            e => words::failed("find the test plan", &e),
        }),
        ItemRef::Name(_) => {
            let plans = api::plans(api)
                .await
                .map_err(|e| words::failed("list the test plans", &e))?;
            plans
                .iter()
                .find(|p| wanted.is(p.id, &p.name))
                .cloned()
                .ok_or_else(|| words::plan_not_found(wanted, &plans))
        }
    }
}

async fn choose_suites(
    api: &DevOps<'_>,
    plan: u32,
    wanted: &[ItemRef],
    report: &mut TestPlanReport,
) -> Result<Vec<api::Named>, String> {
    let all = api::suites(api, plan)
        .await
        .map_err(|e| words::failed("list the test plan's suites", &e))?;
    if wanted.is_empty() {
        return Ok(all);
    }
    let (chosen, missing) = choose(&all, wanted);
    if !missing.is_empty() {
        report
            .warnings
            .push(words::not_found("suite", "testSuite", &missing, &all));
    }
    if chosen.is_empty() {
        return Err(words::nothing_chosen("suites", "testSuite"));
    }
    Ok(chosen)
}

/// The chosen configurations' IDs; `None` for every configuration.
async fn choose_configurations(
    api: &DevOps<'_>,
    wanted: &[ItemRef],
    report: &mut TestPlanReport,
) -> Result<Option<BTreeSet<u32>>, String> {
    if wanted.is_empty() {
        return Ok(None);
    }
    let all = api::configurations(api)
        .await
        .map_err(|e| words::failed("list the test configurations", &e))?;
    let (chosen, missing) = choose(&all, wanted);
    if !missing.is_empty() {
        report.warnings.push(words::not_found(
            "configuration",
            "testConfiguration",
            &missing,
            &all,
        ));
    }
    if chosen.is_empty() {
        return Err(words::nothing_chosen("configurations", "testConfiguration"));
    }
    Ok(Some(chosen.iter().map(|c| c.id).collect()))
}

/// The items `wanted` names, in the server's order, and the names that
/// match none.
fn choose(all: &[api::Named], wanted: &[ItemRef]) -> (Vec<api::Named>, Vec<ItemRef>) {
    let chosen = all
        .iter()
        .filter(|item| wanted.iter().any(|w| w.is(item.id, &item.name)))
        .cloned()
        .collect();
    let missing = wanted
        .iter()
        .filter(|w| !all.iter().any(|item| w.is(item.id, &item.name)))
        .cloned()
        .collect();
    (chosen, missing)
}

/// The points of the linked test cases in the chosen suites and
/// configurations, each once.
async fn linked_points(
    api: &DevOps<'_>,
    plan: u32,
    suites: &[api::Named],
    configurations: Option<&BTreeSet<u32>>,
    linked: &Linked,
) -> Result<Vec<api::Point>, String> {
    let mut points: BTreeMap<u32, api::Point> = BTreeMap::new();
    for suite in suites {
        let found = api::points(api, plan, suite.id)
            .await
            .map_err(|e| words::failed("list the test points", &e))?;
        for point in found {
            let in_configuration = configurations.is_none_or(|c| {
                point
                    .configuration
                    .as_ref()
                    .is_some_and(|pc| c.contains(&pc.id))
            });
            if in_configuration && test_case(&point).is_some_and(|id| linked.contains_key(&id)) {
                points.entry(point.id).or_insert(point);
            }
        }
    }
    Ok(points.into_values().collect())
}

fn test_case(point: &api::Point) -> Option<u32> {
    point.test_case.as_ref().map(|t| t.id)
}

/// Links from a result back to the build.
struct Links {
    /// The build (or release) page.
    build: Option<String>,
    /// The build's Postman tab.
    tab: Option<String>,
    /// `Build 20261207.3`, or the release's name.
    label: String,
}

/// The Postman tab's contribution, `publisher.extension.contribution`.
const TAB_VIEW: &str = "postman-cli-task.postman-cli.postman-build-results-tab";

impl Links {
    fn from_env(input: &TestPlanInput<'_>, base: &str) -> Links {
        let env = input.env;
        let build_id = env.variable("Build.BuildId");
        let build = build_id.map(|id| format!("{base}_build/results?buildId={id}"));
        let tab = build.as_ref().map(|b| format!("{b}&view={TAB_VIEW}"));
        let label = match (
            env.variable("Release.ReleaseName"),
            env.variable("Build.BuildNumber"),
        ) {
            (Some(release), _) => format!("release {release}"),
            (None, Some(number)) => format!("build {number}"),
            (None, None) => "this run".to_owned(),
        };
        Links {
            build: env
                .variable("Release.ReleaseWebUrl")
                .map(str::to_owned)
                .or(build),
            tab,
            label,
        }
    }
}

/// The run's create body: automated, tied to the plan and its points;
/// deliberately no `build` or `releaseUri` (see the module's note).
fn run_body(
    input: &TestPlanInput<'_>,
    plan: &api::Named,
    points: &[api::Point],
    links: &Links,
) -> Value {
    let mut comment = format!(
        "Postman tests of {}, updating the test points of plan {}. Kept out of the build's test totals: the Tests tab's run \"{}\" holds the same tests.",
        links.label, plan.name, input.title
    );
    if let Some(build) = &links.build {
        comment.push_str(&format!(" {build}"));
    }
    json!({
        "name": format!("{} (Test Plans) – {}", input.title, links.label),
        "automated": true,
        "plan": { "id": plan.id.to_string() },
        "pointIds": points.iter().map(|p| p.id).collect::<Vec<_>>(),
        "state": "InProgress",
        "startDate": now(),
        "comment": cut(&comment, 1000),
    })
}

/// Each result's update, and the cases as the summary lists them.
fn result_updates(
    results: &[api::RunResult],
    points: &[api::Point],
    linked: &Linked,
    runs: &[RunResult],
    links: &Links,
) -> (Vec<Value>, Vec<LinkedCase>) {
    let mut updates = Vec::new();
    let mut cases: BTreeMap<u32, LinkedCase> = BTreeMap::new();
    let completed = now();
    for result in results {
        let Some(point) = result
            .point()
            .and_then(|id| points.iter().find(|p| p.id == id))
        else {
            continue;
        };
        let Some(case) = point.test_case.as_ref() else {
            continue;
        };
        let Some(tests) = linked.get(&case.id) else {
            continue;
        };
        let outcome = test_cases::point_outcome(tests);
        let mut update = json!({
            "id": result.id,
            "outcome": outcome,
            "state": "Completed",
            "durationInMs": tests.iter().map(|t| t.duration_ms).sum::<u64>() as f64,
            "completedDate": completed,
            "comment": cut(&comment(tests, runs, links), 1000),
        });
        if let Some(message) = error_message(tests) {
            update["errorMessage"] = Value::String(cut(&message, 4000));
        }
        updates.push(update);
        let entry = cases.entry(case.id).or_insert_with(|| LinkedCase {
            id: case.id,
            name: case.name.clone(),
            outcome,
            points: 0,
            tests: tests.len(),
            flaky: tests.iter().any(|t| t.flaky),
        });
        entry.points += 1;
    }
    (updates, cases.into_values().collect())
}

/// `2 of 3 Postman tests failed: A › b; C › d`.
fn error_message(tests: &[LinkedTest]) -> Option<String> {
    let failed: Vec<String> = tests
        .iter()
        .filter(|t| t.outcome == test_cases::TestOutcome::Failed)
        .map(|t| match &t.message {
            Some(m) if !m.is_empty() => format!("{}: {m}", t.title),
            _ => t.title.clone(),
        })
        .collect();
    (!failed.is_empty()).then(|| {
        format!(
            "{} of {} Postman tests failed: {}",
            failed.len(),
            tests.len(),
            failed.join("; ")
        )
    })
}

/// The tests behind a result, and where to see them.
fn comment(tests: &[LinkedTest], runs: &[RunResult], links: &Links) -> String {
    let mut text = format!(
        "{} Postman {} in {}.",
        tests.len(),
        if tests.len() == 1 { "test" } else { "tests" },
        links.label
    );
    let flaky = tests.iter().filter(|t| t.flaky).count();
    if flaky > 0 {
        text.push_str(&format!(" {flaky} passed only on a retry (flaky)."));
    }
    if let Some(tab) = &links.tab {
        text.push_str(&format!(" Requests and responses: {tab}"));
    }
    let mut seen = BTreeSet::new();
    for test in tests {
        if let Some(Upload::Uploaded { url: Some(url) }) = runs.get(test.run).map(|r| &r.upload)
            && seen.insert(url.clone())
        {
            text.push_str(&format!(" Run in Postman: {url}"));
        }
    }
    text
}

/// Marks the results whose point's tests passed only on a retry flaky, on
/// the build's branch. A failure here is a warning; the outcomes stand.
async fn mark_flaky(
    api: &DevOps<'_>,
    env: &AgentEnv,
    results: &[api::RunResult],
    points: &[api::Point],
    linked: &Linked,
    report: &mut TestPlanReport,
) {
    let flaky_refs: BTreeSet<u32> = results
        .iter()
        .filter(|r| {
            let case = r
                .point()
                .and_then(|id| points.iter().find(|p| p.id == id))
                .and_then(test_case);
            case.and_then(|c| linked.get(&c)).is_some_and(|tests| {
                tests.iter().any(|t| t.flaky) && test_cases::point_outcome(tests) == "Passed"
            })
        })
        .filter_map(|r| r.test_case_reference_id)
        .collect();
    if flaky_refs.is_empty() {
        return;
    }
    let Some(branch) = env.variable("Build.SourceBranch") else {
        report.warnings.push(words::no_branch());
        return;
    };
    for reference in &flaky_refs {
        if let Err(e) = api::mark_flaky(api, *reference, branch).await {
            report
                .warnings
                .push(words::failed("mark a test result flaky", &e));
            return;
        }
    }
    report.lines.push(format!(
        "Azure Test Plans: {} marked flaky on {branch}.",
        crate::text::plural(flaky_refs.len(), "test result", "test results")
    ));
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// At most `max` characters, with an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
