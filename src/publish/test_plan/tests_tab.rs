//! The Tests tab's own run: its flaky tests marked in Azure too.
//!
//! The build's Tests tab shows the run the agent creates from the JUnit
//! the step publishes (`results.publish`), and the agent creates it only
//! after the step ends. So the step records the tests that passed only on a
//! retry ([`record`]: each case's `classname` and `name`, which the agent's
//! `JUnitResultReader` makes the result's `automatedTestStorage` and
//! `automatedTestName`) in a file under the agent's temporary folder, and
//! the task's post-job step (`task/post.js`, which starts the binary only
//! when such a file is there) finds the build's runs, their results of
//! those tests, and marks each result's test case reference flaky on the
//! build's branch ([`mark`]), as the plan's run is marked. The file holds
//! test names only, nothing secret.
//!
//! Nothing here fails the step or the job: every problem is a warning.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{Report, TestCaseStatus};
use serde::{Deserialize, Serialize};

use super::{api, words};
use crate::azure::agent::AgentEnv;
use crate::azure::devops::JobConnection;
use crate::azure::devops::rest::DevOps;
use crate::events::Events;
use crate::http::HttpSettings;

/// The folder under the agent's temporary folder (`Agent.TempDirectory`,
/// emptied after every job) that holds the records; `task/post.js` looks
/// for `.json` files in it, and must agree on its name.
pub(crate) const RECORD_DIR: &str = "postman-cli-task-flaky";
/// The most a record may weigh when read back.
const RECORD_LIMIT: u64 = 16 * 1024 * 1024;

/// A test as the Tests tab's run knows it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct FlakyTest {
    /// The JUnit case's `classname`: the result's `automatedTestStorage`.
    pub(crate) storage: String,
    /// The JUnit case's `name`: the result's `automatedTestName`.
    pub(crate) name: String,
}

/// What one step left for the post-job step.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    tests: Vec<FlakyTest>,
}

/// The cases of a JUnit report that passed after an earlier attempt
/// failed (those with `flakyFailure` elements), as the agent names them.
pub(crate) fn flaky_tests(report: &Report) -> Vec<FlakyTest> {
    let mut found = BTreeSet::new();
    for suite in &report.test_suites {
        for case in &suite.test_cases {
            if let TestCaseStatus::Success { flaky_runs } = &case.status
                && !flaky_runs.is_empty()
            {
                found.insert(FlakyTest {
                    storage: case
                        .classname
                        .as_ref()
                        .map(|c| c.as_str().to_owned())
                        .unwrap_or_default(),
                    name: case.name.as_str().to_owned(),
                });
            }
        }
    }
    found.into_iter().collect()
}

/// Writes the report's flaky tests for the post-job step into `temp_dir`'s
/// [`RECORD_DIR`]; the file, or `None` when there are none.
pub(crate) fn record(report: &Report, temp_dir: &Path) -> std::io::Result<Option<PathBuf>> {
    let tests = flaky_tests(report);
    if tests.is_empty() {
        return Ok(None);
    }
    let dir = temp_dir.join(RECORD_DIR);
    std::fs::create_dir_all(&dir)?;
    let mut file = tempfile::Builder::new()
        .prefix("flaky-")
        .suffix(".json")
        .tempfile_in(&dir)?;
    serde_json::to_writer(file.as_file_mut(), &Record { tests }).map_err(std::io::Error::other)?;
    let (_, path) = file.keep().map_err(|e| e.error)?;
    Ok(Some(path))
}

/// What the post-job step did, for its output.
#[derive(Debug, Default)]
pub(crate) struct MarkReport {
    pub(crate) lines: Vec<String>,
    pub(crate) warnings: Vec<String>,
}

/// What the post-job step needs.
pub(crate) struct MarkInput<'a> {
    pub(crate) env: &'a AgentEnv,
    pub(crate) network: &'a HttpSettings,
    /// The job's temporary folder, where the records are.
    pub(crate) temp_dir: &'a Path,
    /// The most one REST call may take.
    pub(crate) call_timeout: Duration,
}

/// Reads every record in the job's temporary folder (and removes it, so a
/// second step's post-job step does not mark them again), then marks the
/// build's results of those tests flaky. Never fails; says what it could
/// not do.
pub(crate) async fn mark(input: &MarkInput<'_>, events: &dyn Events) -> MarkReport {
    let mut report = MarkReport::default();
    let tests = take_records(&input.temp_dir.join(RECORD_DIR), &mut report);
    if tests.is_empty() {
        return report;
    }
    let Some(build) = input.env.variable("Build.BuildId") else {
        report.warnings.push(words::tests_tab_not_marked(
            "the agent gave no build ID (Build.BuildId): the Tests tab belongs to a build",
        ));
        return report;
    };
    let Some(branch) = input.env.variable("Build.SourceBranch") else {
        report.warnings.push(words::no_branch());
        return report;
    };
    // The job's connection and an HTTP client: either missing, nothing is marked.
    let ready = JobConnection::from_env(input.env)
        .map_err(|e| e.to_string())
        .and_then(|c| Ok((c, input.network.client().map_err(|e| e.to_string())?)));
    let (connection, http) = match ready {
        Ok(ready) => ready,
        Err(e) => {
            report.warnings.push(words::tests_tab_not_marked(&e));
            return report;
        }
    };
    let api = DevOps::new(http, &connection, events, input.call_timeout);
    match mark_results(&api, build, branch, &tests).await {
        Ok(line) => report.lines.push(line),
        Err(why) => report.warnings.push(why),
    }
    report
}

/// The flaky tests of every record in `dir`, each once; the records gone.
fn take_records(dir: &Path, report: &mut MarkReport) -> BTreeSet<FlakyTest> {
    let mut tests = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return tests;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    files.sort();
    for file in files {
        match read_record(&file) {
            Ok(record) => tests.extend(record.tests),
            Err(e) => report.warnings.push(words::tests_tab_not_marked(&format!(
                "the step's record of its flaky tests, {}, cannot be read ({e})",
                file.display()
            ))),
        }
        let _ = std::fs::remove_file(&file);
    }
    tests
}

fn read_record(file: &Path) -> std::io::Result<Record> {
    use std::io::Read;
    let mut text = Vec::new();
    std::fs::File::open(file)?
        .take(RECORD_LIMIT)
        .read_to_end(&mut text)?;
    serde_json::from_slice(&text).map_err(std::io::Error::other)
}

/// The build's runs, their results of the flaky tests, each result's test
/// case reference marked; the line saying so, or why not.
async fn mark_results(
    api: &DevOps<'_>,
    build: &str,
    branch: &str,
    tests: &BTreeSet<FlakyTest>,
) -> Result<String, String> {
    let build_uri = format!("vstfs:///Build/Build/{build}");
    let runs = api::build_runs(api, &build_uri)
        .await
        .map_err(|e| words::tests_tab_failed("list the build's test runs", &e))?;
    if runs.is_empty() {
        return Err(words::tests_tab_not_marked(&format!(
            "build {build} has no test run: the Tests tab's run was not published (publishTestResults: false, or the agent could not publish it)"
        )));
    }
    let mut references = BTreeSet::new();
    for run in &runs {
        let results = api::results(api, run.id)
            .await
            .map_err(|e| words::tests_tab_failed("read a test run's results", &e))?;
        references.extend(
            results
                .iter()
                .filter(|r| r.is_one_of(tests))
                .filter_map(|r| r.test_case_reference_id),
        );
    }
    if references.is_empty() {
        return Err(words::tests_tab_not_marked(&format!(
            "none of build {build}'s {} holds the {} that passed only on a retry",
            crate::text::plural(runs.len(), "test run", "test runs"),
            crate::text::plural(tests.len(), "test", "tests"),
        )));
    }
    for reference in &references {
        api::mark_flaky(api, *reference, branch)
            .await
            .map_err(|e| words::tests_tab_failed("mark a test result flaky", &e))?;
    }
    Ok(format!(
        "Tests tab: {} marked flaky on {branch}.",
        crate::text::plural(references.len(), "test result", "test results")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_junit::{NonSuccessKind, TestCase, TestRerun, TestSuite};

    fn report() -> Report {
        let mut flaky = TestCaseStatus::success();
        if let TestCaseStatus::Success { flaky_runs } = &mut flaky {
            flaky_runs.push(TestRerun::new(NonSuccessKind::Failure));
        }
        let mut suite = TestSuite::new("Shop");
        for (name, status) in [
            ("Get user › status is 200", TestCaseStatus::success()),
            ("Get user again › status is 200", flaky),
            (
                "Create order › status is 200",
                TestCaseStatus::non_success(NonSuccessKind::Failure),
            ),
        ] {
            let mut case = TestCase::new(name, status);
            case.set_classname("Shop › Users");
            suite.add_test_case(case);
        }
        let mut report = Report::new("Postman");
        report.add_test_suite(suite);
        report
    }

    #[test]
    fn the_flaky_cases_are_recorded_and_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = record(&report(), dir.path()).unwrap().unwrap();
        assert!(file.starts_with(dir.path().join(RECORD_DIR)));
        let mut out = MarkReport::default();
        let tests = take_records(&dir.path().join(RECORD_DIR), &mut out);
        assert_eq!(
            tests.into_iter().collect::<Vec<_>>(),
            [FlakyTest {
                storage: "Shop › Users".into(),
                name: "Get user again › status is 200".into(),
            }]
        );
        assert!(out.warnings.is_empty());
        assert!(!file.exists(), "taken once");
        assert!(take_records(&dir.path().join(RECORD_DIR), &mut out).is_empty());
    }

    #[test]
    fn nothing_flaky_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut plain = Report::new("Postman");
        plain.add_test_suite(TestSuite::new("Shop"));
        assert_eq!(record(&plain, dir.path()).unwrap(), None);
        assert!(!dir.path().join(RECORD_DIR).exists());
    }
}
