//! What the Tests tab would hold after a step: each JUnit file the step
//! published (`##vso[results.publish]`, one test run per file), read as
//! Azure's own reader reads it ([`crate::support::azure_junit`]), and held
//! against what the step says it did. Every step the emulated agent runs
//! passes through [`TaskRun::assert_tests_tab_tells_the_truth`].

use std::collections::HashSet;
use std::path::PathBuf;

use super::run::TaskRun;
use crate::support::azure_devops::AzureDevOps;
use crate::support::azure_junit::{self, AzureTestRun, Dropped, Outcome, TimedBy};

/// Microsoft's limit on a test's fully qualified name, in UTF-16 units.
pub const MAX_FULL_NAME: usize = 512;

/// One published file and what Azure makes of it.
pub struct PublishedRun {
    pub file: PathBuf,
    pub run_title: Option<String>,
    pub read: Result<AzureTestRun, Dropped>,
}

impl PublishedRun {
    /// The lint's test run, as opposed to the collection runs'.
    pub fn is_lint(&self) -> bool {
        self.file
            .file_name()
            .is_some_and(|n| n == "postman-lint-junit.xml")
    }

    /// What Azure shows, or a panic saying why it would show nothing.
    pub fn shown(&self) -> &AzureTestRun {
        self.read.as_ref().unwrap_or_else(|dropped| {
            panic!(
                "Azure would publish nothing of {}: {dropped}",
                self.file.display()
            )
        })
    }
}

impl TaskRun {
    /// Every JUnit file the step published that is still there, read as
    /// Azure reads it. (A missing file is a command error of its own.)
    pub fn tests_tab(&self) -> Vec<PublishedRun> {
        self.published_results()
            .into_iter()
            .filter(|p| p.kind.eq_ignore_ascii_case("junit"))
            .flat_map(|p| {
                p.files
                    .into_iter()
                    .filter(|f| f.is_file())
                    .map(move |file| PublishedRun {
                        read: azure_junit::read(&file),
                        run_title: p.run_title.clone(),
                        file,
                    })
            })
            .collect()
    }

    /// The collection runs' test run, as Azure shows it.
    pub fn tests_tab_runs(&self) -> AzureTestRun {
        let runs: Vec<PublishedRun> = self
            .tests_tab()
            .into_iter()
            .filter(|p| !p.is_lint())
            .collect();
        assert_eq!(runs.len(), 1, "one test run for the collections\n{self}");
        runs[0].shown().clone()
    }

    /// Panics where Azure's Tests tab would show something other than what
    /// the step did: a file it would drop; two results with one name; a
    /// name over 512 characters; a message over several lines; a run timed
    /// by anything but its suites' start and length; counts other than the
    /// suites' own and the output variables'.
    pub fn assert_tests_tab_tells_the_truth(&self) {
        let variables = self.variables();
        let var = |name: &str| -> Option<usize> {
            variables
                .get(name)
                .and_then(|v| v.value.trim().parse().ok())
        };
        for published in self.tests_tab() {
            let file = published.file.display().to_string();
            let run = published.shown();
            check_results(run, &file);
            check_timing(run, &file);
            let counts = check_counts(run, &file);
            if published.is_lint() {
                if let Some(found) = var("lintViolations") {
                    assert!(
                        counts.total >= found,
                        "{found} lint findings, {} results, {file}",
                        counts.total
                    );
                }
            } else if let (Some(total), Some(passed), Some(failed)) =
                (var("testsTotal"), var("testsPassed"), var("testsFailed"))
            {
                assert_eq!(
                    (counts.total, counts.passed, counts.failed),
                    (total, passed, failed),
                    "the Tests tab's total, passed and failed against testsTotal, testsPassed and testsFailed, {file}"
                );
            }
        }
    }
}

/// Each result a test of its own, with a name Azure keeps and a message
/// its summary line shows.
fn check_results(run: &AzureTestRun, file: &str) {
    let mut names = HashSet::new();
    for r in &run.results {
        assert!(
            names.insert((r.storage.clone(), r.automated_name.clone())),
            "two results named {:?} in the test run of {file}",
            r.full_name()
        );
        let length: usize = r.full_name().encode_utf16().count();
        assert!(
            length <= MAX_FULL_NAME,
            "{length} characters in the name {:?} ({file})",
            r.full_name()
        );
        if let Some(message) = &r.error_message {
            assert!(
                !message.contains(['\n', '\r']),
                "a message of several lines: {message:?} ({file})"
            );
        }
    }
}

/// The run timed by its suites' starts and lengths, and as long as each.
fn check_timing(run: &AzureTestRun, file: &str) {
    assert_eq!(
        run.timed_by,
        TimedBy::SuiteTimestamps,
        "Azure would time the test run of {file} by {:?}: a suite has no timestamp or time\n{:#?}",
        run.timed_by,
        run.suites
    );
    for suite in &run.suites {
        let time = suite
            .time_ms
            .unwrap_or_else(|| panic!("suite {:?} of {file} has no time", suite.name));
        assert!(
            run.duration_ms + 0.001 >= time,
            "the test run ({} ms) is shorter than its suite {:?} ({time} ms), {file}",
            run.duration_ms,
            suite.name
        );
    }
}

struct Counts {
    total: usize,
    passed: usize,
    failed: usize,
}

/// What Azure counts, suite by suite, against the counts each suite says
/// it has.
fn check_counts(run: &AzureTestRun, file: &str) -> Counts {
    for suite in &run.suites {
        let [tests, failures, errors, skipped] = suite.declared;
        assert_eq!(
            (tests, failures.zip(errors).map(|(f, e)| f + e), skipped),
            (
                Some(suite.results),
                Some(suite.failed),
                Some(suite.not_executed)
            ),
            "Azure reads other counts than suite {:?} says, {file}",
            suite.name
        );
    }
    let by_outcome = |o: Outcome| run.results.iter().filter(|r| r.outcome == o).count();
    Counts {
        total: run.results.len(),
        passed: by_outcome(Outcome::Passed),
        failed: by_outcome(Outcome::Failed),
    }
}

impl super::AgentJob {
    /// What the agent does once the step has ended: each JUnit file the
    /// step published becomes a test run of the build (`BUILD_BUILDID`) in
    /// Azure, here the emulator's, its results named as Azure's reader
    /// names them (`classname` the storage, `name` the test's name). The
    /// runs' IDs.
    pub fn publish_tests_tab(&self, run: &TaskRun, azure: &AzureDevOps) -> Vec<u32> {
        let build: u32 = self.environment()["BUILD_BUILDID"]
            .parse()
            .expect("the job's build ID is a number");
        run.tests_tab()
            .iter()
            .filter_map(|published| published.read.as_ref().ok().map(|r| (published, r)))
            .map(|(published, read)| {
                let cases: Vec<(String, String, String)> = read
                    .results
                    .iter()
                    .map(|r| {
                        (
                            r.storage.clone().unwrap_or_default(),
                            r.automated_name.clone(),
                            format!("{:?}", r.outcome),
                        )
                    })
                    .collect();
                let title = published
                    .run_title
                    .as_deref()
                    .unwrap_or("JUnit_TestResults");
                azure.publish_junit_run(build, title, &cases)
            })
            .collect()
    }
}
