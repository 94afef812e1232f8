//! What a task run came to, for the task's result and the command line's
//! exit code.

use std::path::PathBuf;

use crate::install::InstalledCli;
use crate::publish::headline::{Tally, headline};
use crate::report::lint::LintOutcome;
use crate::report::model::{Counts, RunEnd, RunResult};
use crate::resolve::shard::Shard;
use crate::run::upload::Upload;

/// What happened, for the caller to turn into a task result or exit code.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) runs: Vec<RunResult>,
    /// Rendered input errors: settings that stopped some or all runs.
    pub(crate) input_errors: Vec<String>,
    pub(crate) install_error: Option<String>,
    pub(crate) cli: Option<InstalledCli>,
    pub(crate) report_dir: Option<PathBuf>,
    pub(crate) junit: Option<PathBuf>,
    pub(crate) summary: Option<PathBuf>,
    pub(crate) fail_on_test_failure: bool,
    /// The task was cancelled; what finished is still published.
    pub(crate) cancelled: bool,
    /// API lint and collection lint, each that ran (or tried to).
    pub(crate) lint: Vec<LintOutcome>,
    /// Runs that never started because the task was cancelled.
    pub(crate) not_started: usize,
    /// This job's share of the runs, with `shard`.
    pub(crate) shard: Option<Shard>,
    pub(crate) fail_on_upload_error: bool,
    /// `testCaseMap`, as resolved, for the Test Plans sink.
    pub(crate) test_case_map: Option<crate::resolve::TestCaseMap>,
}

/// How a task run ended, the most serious reason first. The task result
/// and the command line's exit code are both read from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Cancelled,
    InputError,
    InstallFailed,
    /// A run or the lint did not complete, nothing ran, or a run was not
    /// reported to Postman with `failOnUploadError` on.
    Incomplete,
    /// Tests failed, or lint findings at the fail severity.
    TestsFailed,
    Passed,
}

impl Outcome {
    fn counts(&self) -> Counts {
        self.runs
            .iter()
            .fold(Counts::default(), |acc, r| acc.plus(r.counts()))
    }

    fn upload_failures(&self) -> usize {
        self.runs
            .iter()
            .filter(|r| matches!(r.upload, Upload::Failed { .. }))
            .count()
    }

    /// How the run ended, for the task result and the exit code.
    pub(crate) fn verdict(&self) -> Verdict {
        let incomplete = self.runs.iter().any(|r| r.end != RunEnd::Completed);
        if self.cancelled {
            Verdict::Cancelled
        } else if !self.input_errors.is_empty() {
            Verdict::InputError
        } else if self.install_error.is_some() {
            Verdict::InstallFailed
        } else if incomplete
            || (self.runs.is_empty() && self.shard.is_none())
            || (self.fail_on_upload_error && self.upload_failures() > 0)
            || self.lint.iter().any(|l| l.result.is_err())
        {
            Verdict::Incomplete
        } else if self.counts().failed > 0 || self.lint.iter().any(|l| l.failing() > 0) {
            Verdict::TestsFailed
        } else {
            Verdict::Passed
        }
    }

    /// One line for the end of the log and the task's result message.
    pub(crate) fn headline(&self) -> String {
        headline(&Tally {
            runs: &self.runs,
            cancelled: self.cancelled,
            input_errors: self.input_errors.len(),
            install_failed: self.install_error.is_some(),
        })
    }

    /// The task's result, as the agent should see it.
    pub(crate) fn task_result(&self) -> crate::azure::vso::TaskResult {
        use crate::azure::vso::TaskResult;
        match self.verdict() {
            Verdict::Passed => TaskResult::Succeeded,
            Verdict::TestsFailed if !self.fail_on_test_failure => TaskResult::SucceededWithIssues,
            _ => TaskResult::Failed,
        }
    }
}
