//! The results model every sink reads: one [`RunResult`] per collection run,
//! holding one [`TestCase`] per assertion, request error and script error in
//! every iteration.
//!
//! It is built from the CLI's native JSON report (see [`crate::report`]),
//! not from the CLI's JUnit, which drops script and request errors and
//! forgets failures from earlier iterations.

use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Passed,
    Skipped,
    Failed(Failure),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// One line: the assertion or error message.
    pub message: String,
    /// More context: request, response, stack.
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    Assertion,
    RequestError,
    ScriptError,
    /// The run itself did not complete (the CLI failed or ran nothing).
    RunError,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Assertion => "AssertionError",
            FailureKind::RequestError => "RequestError",
            FailureKind::ScriptError => "ScriptError",
            FailureKind::RunError => "RunError",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    /// `Folder / Request`, or empty for a run-level case.
    pub request: String,
    /// The assertion's name, or what failed (`request`, `test script`).
    pub name: String,
    /// 1-based.
    pub iteration: u32,
    pub status: Status,
    /// Response time of the request the case belongs to.
    pub time_ms: Option<u64>,
}

impl TestCase {
    pub fn failure(&self) -> Option<&Failure> {
        match &self.status {
            Status::Failed(f) => Some(f),
            _ => None,
        }
    }

    /// An assertion (`pm.test`), as opposed to a request or script error.
    pub fn is_assertion(&self) -> bool {
        self.failure()
            .is_none_or(|f| f.kind == FailureKind::Assertion)
    }
}

/// How a run ended, as far as running it goes (test failures aside).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// The CLI finished and wrote its report.
    Completed,
    /// The run started but did not complete; the reason says why.
    Failed(String),
    /// The task was cancelled while this run was going.
    Aborted,
}

#[derive(Clone, Debug)]
pub struct RunResult {
    pub index: usize,
    /// Suite name: the collection's name, unique among the runs.
    pub name: String,
    /// The collection as the user gave it (path or UID).
    pub collection: String,
    pub environment: Option<String>,
    pub started_ms: Option<i64>,
    pub duration_ms: Option<u64>,
    pub iterations: u32,
    pub requests: u64,
    pub cases: Vec<TestCase>,
    pub end: RunEnd,
    pub report_dir: PathBuf,
    /// What became of the report to Postman.
    pub upload: crate::upload::Upload,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Counts {
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a TestCase>) -> Counts {
        let mut c = Counts::default();
        for case in cases {
            c.total += 1;
            match case.status {
                Status::Passed => c.passed += 1,
                Status::Skipped => c.skipped += 1,
                Status::Failed(_) => c.failed += 1,
            }
        }
        c
    }

    pub fn plus(self, other: Counts) -> Counts {
        Counts {
            total: self.total + other.total,
            passed: self.passed + other.passed,
            failed: self.failed + other.failed,
            skipped: self.skipped + other.skipped,
        }
    }
}

impl RunResult {
    /// The run's tests as published: every case, and, for a run that did not
    /// complete, the failing `collection run` case the JUnit adds for it.
    /// The output variables and the summary count from here, so they agree
    /// with what the Tests tab shows.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::of(&self.cases);
        if self.end != RunEnd::Completed {
            counts.total += 1;
            counts.failed += 1;
        }
        counts
    }

    /// Assertions only, as the summary's "assertions" column counts them.
    pub fn assertion_counts(&self) -> Counts {
        Counts::of(self.cases.iter().filter(|c| c.is_assertion()))
    }

    pub fn failed(&self) -> bool {
        self.end != RunEnd::Completed || self.counts().failed > 0
    }

    /// The display name of a case, unique within its run: the iteration is
    /// only mentioned when the run had more than one.
    pub fn case_title(&self, case: &TestCase) -> String {
        let mut title = if case.request.is_empty() {
            case.name.clone()
        } else {
            format!("{} › {}", case.request, case.name)
        };
        if self.iterations > 1 {
            title.push_str(&format!(" (iteration {})", case.iteration));
        }
        title
    }
}
