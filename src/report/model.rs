//! The results model every sink reads: one [`RunResult`] per collection run,
//! holding one [`TestCase`] per assertion, request error and script error in
//! every iteration.
//!
//! Every reader of the CLI's reports gives the same [`ReadRun`] (see
//! [`super::collect`], which puts it together), or says why it could not
//! with [`Unreadable`]; [`super::run`] turns it into a [`RunResult`]. None
//! of it comes from the CLI's JUnit, which drops script and request errors
//! and forgets failures from earlier iterations.

use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Passed,
    Skipped,
    Failed(Failure),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    /// One line: the assertion or error message.
    pub(crate) message: String,
    /// More context: request, response, stack.
    pub(crate) detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailureKind {
    Assertion,
    RequestError,
    ScriptError,
}

impl FailureKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FailureKind::Assertion => "AssertionError",
            FailureKind::RequestError => "RequestError",
            FailureKind::ScriptError => "ScriptError",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TestCase {
    /// `Folder / Request`, or empty for a run-level case.
    pub(crate) request: String,
    /// The folders around the request (`Folder / Sub folder`), or empty.
    pub(crate) folder: String,
    /// The assertion's name, or what failed (`request`, `test script`).
    pub(crate) name: String,
    /// 1-based.
    pub(crate) iteration: u32,
    pub(crate) status: Status,
    /// This case's share of its request's response time: the time is
    /// split evenly among the request's cases, so it is counted once; 0 for
    /// a request that got no response.
    pub(crate) time_ms: u64,
}

impl TestCase {
    pub(crate) fn failure(&self) -> Option<&Failure> {
        match &self.status {
            Status::Failed(f) => Some(f),
            _ => None,
        }
    }

    /// An assertion (`pm.test`), as opposed to a request or script error.
    pub(crate) fn is_assertion(&self) -> bool {
        self.failure()
            .is_none_or(|f| f.kind == FailureKind::Assertion)
    }
}

/// How a run ended, as far as running it goes (test failures aside).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RunEnd {
    /// The CLI ended the run on its own and said how in its report.
    Completed,
    /// The run did not complete, or its results could not be read.
    Failed(Incomplete),
    /// The task was cancelled while this run was going.
    Aborted,
}

/// Why a run did not complete: one line a summary can show, and the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Incomplete {
    /// One line with the reason in it (`the collection did not complete:
    /// Error: callback timed out`).
    pub(crate) message: String,
    /// What else is known: what happened, the CLI's last output. May be
    /// empty.
    pub(crate) detail: String,
}

impl Incomplete {
    /// `message` is made one line, whatever it holds.
    pub(crate) fn new(message: impl Into<String>, detail: impl Into<String>) -> Incomplete {
        let message = message.into();
        let message = if message.contains(['\n', '\r']) {
            message
                .split(['\n', '\r'])
                .filter(|l| !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            message
        };
        Incomplete {
            message,
            detail: detail.into(),
        }
    }
}

/// Which of the CLI's reports a run was read from, and what that report
/// can say for itself. [`super::run`] draws the rules from it, once for
/// every reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A v2.1 run's JSON report (`-r json`, [`super::json`]).
    Json,
    /// A v3 run's console report ([`super::cli_report`]).
    CliReport,
    /// A v3 run's YAML run report (`--output`, [`super::yaml`]).
    Yaml,
}

impl Source {
    /// What the report is called in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Source::Json => "JSON report",
            Source::CliReport => "console report",
            Source::Yaml => "YAML run report",
        }
    }

    /// The report exists only once the run has ended: the CLI writes its
    /// JSON report when a run ends without a fatal error, and not at all
    /// otherwise. So it is the CLI's last word on the run whatever happened
    /// after it was written (an upload that hung). A report printed or
    /// rewritten as the run goes is the last word only when the CLI then
    /// exited on its own.
    pub(crate) fn written_at_the_end(self) -> bool {
        self == Source::Json
    }

    /// The report says when the run stopped on an error. A v3 run's reports
    /// are finished before the CLI knows of its run error (its whole-run
    /// `timeout` among them: `lib/run/unified/run.js` emits `up:beforeDone`
    /// before `up:done` carries the error), so for them exit code 1 with no
    /// failure counted is the only word of it.
    pub(crate) fn tells_run_errors(self) -> bool {
        self == Source::Json
    }
}

/// A run as one of the CLI's reports tells it: the same for every reader.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReadRun {
    /// The collection's name as the CLI loaded it, when the report says.
    pub(crate) collection_name: Option<String>,
    pub(crate) started_ms: Option<i64>,
    pub(crate) duration_ms: Option<u64>,
    /// As the CLI counted them.
    pub(crate) iterations: u32,
    /// As the CLI counted them.
    pub(crate) requests: u64,
    /// One per assertion per iteration, plus one per request or script
    /// error, in the order they ran.
    pub(crate) cases: Vec<TestCase>,
    /// Each request as it ran, built from its cases (see
    /// [`super::collect`]).
    pub(crate) details: Vec<RequestDetail>,
    /// Values of credential headers the run sent or received.
    pub(crate) header_secrets: Vec<String>,
    /// What stopped the run, when its report says something did.
    pub(crate) run_error: Option<String>,
}

/// Why a report could not be read. Whatever the reader, the run is then
/// one whose results could not be read: never a pass.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub(crate) struct Unreadable(pub(crate) String);

/// `Err(Unreadable(why))`, for a reader's checks.
pub(crate) fn unreadable<T>(why: impl Into<String>) -> Result<T, Unreadable> {
    Err(Unreadable(why.into()))
}

#[derive(Clone, Debug)]
pub(crate) struct RunResult {
    pub(crate) index: usize,
    /// Suite name: the collection's name, unique among the runs.
    pub(crate) name: String,
    /// The collection as the user gave it (path or UID).
    pub(crate) collection: String,
    pub(crate) environment: Option<String>,
    pub(crate) started_ms: Option<i64>,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) iterations: u32,
    pub(crate) requests: u64,
    pub(crate) cases: Vec<TestCase>,
    pub(crate) end: RunEnd,
    pub(crate) report_dir: PathBuf,
    /// What became of the report to Postman.
    pub(crate) upload: crate::run::upload::Upload,
    /// The attempts before this one, when a failed run was run again.
    pub(crate) retries: Retries,
    /// Each request as it ran, for the Postman tab (see [`RequestDetail`]).
    pub(crate) details: Vec<RequestDetail>,
    /// Values of credential headers (`Authorization`, `Cookie`, …) the
    /// run sent or received: secrets of this run alone, masked wherever
    /// they show up (a body that echoes them, the copied reports).
    pub(crate) header_secrets: Vec<String>,
    /// The CLI's HTML report of this run, masked, where the publish stage
    /// copied it.
    pub(crate) html_report: Option<PathBuf>,
}

#[cfg(test)]
impl RunResult {
    /// A completed run of `shop.json` (one iteration, one request) holding
    /// `cases`: the unit tests' common run.
    pub(crate) fn of_cases(cases: Vec<TestCase>) -> RunResult {
        RunResult {
            index: 1,
            name: "Shop".into(),
            collection: "shop.json".into(),
            environment: None,
            started_ms: None,
            duration_ms: Some(5),
            iterations: 1,
            requests: 1,
            end: RunEnd::Completed,
            report_dir: PathBuf::new(),
            upload: crate::run::upload::Upload::NotExpected,
            retries: Retries::default(),
            details: Vec::new(),
            header_secrets: Vec::new(),
            html_report: None,
            cases,
        }
    }
}

/// A run's earlier attempts (`retryFailedRuns`): the results are the last
/// attempt's, and these keep what went wrong before it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Retries {
    /// The attempt the results come from, 1-based; 0 when the run was never
    /// retried.
    pub(crate) attempt: u32,
    /// The most attempts the run was allowed.
    pub(crate) of: u32,
    pub(crate) earlier: Vec<EarlierAttempt>,
}

/// What went wrong in an attempt that was followed by another.
#[derive(Clone, Debug)]
pub(crate) struct EarlierAttempt {
    /// 1-based.
    pub(crate) number: u32,
    pub(crate) end: RunEnd,
    /// Its failed cases only.
    pub(crate) failures: Vec<TestCase>,
}

/// One request of a run, in the order they ran: what the Postman tab shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RequestDetail {
    /// 1-based.
    pub(crate) iteration: u32,
    /// `Folder / Request`.
    pub(crate) path: String,
    pub(crate) method: String,
    pub(crate) url: String,
    /// `None` when no response arrived.
    pub(crate) status: Option<u16>,
    pub(crate) status_text: Option<String>,
    pub(crate) time_ms: Option<u64>,
    pub(crate) assertions: Vec<Assertion>,
    /// Request and script errors: `(kind, message)`.
    pub(crate) errors: Vec<(FailureKind, String)>,
    /// `None` when its detail was not kept (see `requestDetails`).
    pub(crate) request: Option<Message>,
    pub(crate) response: Option<Message>,
}

impl RequestDetail {
    /// A failed assertion or any error: what `requestDetails: failed`
    /// keeps, and what the tab calls failed.
    pub(crate) fn failed(&self) -> bool {
        !self.errors.is_empty()
            || self
                .assertions
                .iter()
                .any(|a| a.status == AssertionStatus::Failed)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Assertion {
    pub(crate) name: String,
    pub(crate) status: AssertionStatus,
    pub(crate) message: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AssertionStatus {
    Passed,
    Failed,
    Skipped,
}

impl AssertionStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AssertionStatus::Passed => "passed",
            AssertionStatus::Failed => "failed",
            AssertionStatus::Skipped => "skipped",
        }
    }
}

/// A request or response as sent or received: headers in order, and the
/// body as text (lossy UTF-8), possibly cut.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Message {
    pub(crate) headers: Vec<(String, String)>,
    /// `None` when there is none, or it was left out (`body_truncated`).
    pub(crate) body: Option<String>,
    pub(crate) body_truncated: bool,
    /// The body's size in bytes as sent or received.
    pub(crate) size: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) total: usize,
    pub(crate) passed: usize,
    pub(crate) failed: usize,
    pub(crate) skipped: usize,
}

impl Counts {
    pub(crate) fn of<'a>(cases: impl IntoIterator<Item = &'a TestCase>) -> Counts {
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

    pub(crate) fn plus(self, other: Counts) -> Counts {
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
    pub(crate) fn counts(&self) -> Counts {
        let mut counts = Counts::of(&self.cases);
        if self.end != RunEnd::Completed {
            counts.total += 1;
            counts.failed += 1;
        }
        counts
    }

    /// Assertions only, as the summary's "assertions" column counts them.
    pub(crate) fn assertion_counts(&self) -> Counts {
        Counts::of(self.cases.iter().filter(|c| c.is_assertion()))
    }

    pub(crate) fn failed(&self) -> bool {
        self.end != RunEnd::Completed || self.counts().failed > 0
    }

    /// Passed, but only after an attempt that failed.
    pub(crate) fn flaky(&self) -> bool {
        !self.retries.earlier.is_empty() && !self.failed()
    }

    /// The display name of a case, unique within its run: the iteration is
    /// only mentioned when the run had more than one.
    pub(crate) fn case_title(&self, case: &TestCase) -> String {
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

/// `total` milliseconds in `n` whole shares that add up to it exactly: the
/// first `total % n` shares are a millisecond longer.
pub(crate) fn shares(total: u64, n: usize) -> impl Iterator<Item = u64> {
    let n = n.max(1) as u64;
    (0..n).map(move |i| total / n + u64::from(i < total % n))
}
