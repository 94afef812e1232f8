//! The attachment's shape (web/ATTACHMENT.md, schema 1) as types: one
//! struct per object the tab reads, named as web/src/model.ts names it,
//! each built from the ready results. `model_ts` checks the two against
//! each other.
//!
//! Fields are in alphabetical order of their JSON names, the order the
//! first writer (serde_json's sorted maps) put them in, so the file's bytes
//! did not change when the types came.

use serde::Serialize;

use crate::report::lint::{LintOutcome, LintReport};
use crate::report::model::{Message as Detail, RequestDetail, RunEnd, RunResult};
use crate::run::upload::Upload;

/// The newest schema the task writes.
pub(crate) const SCHEMA: u32 = 1;

/// The whole file (`Results` in model.ts).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Results<'a> {
    pub(crate) cli_version: Option<&'a str>,
    pub(crate) lints: Vec<Lint<'a>>,
    pub(crate) runs: Vec<Run<'a>>,
    pub(crate) schema: u32,
    pub(crate) shard: Option<&'a str>,
    pub(crate) title: &'a str,
    pub(crate) truncated: Truncated,
}

/// What the bound left out.
#[derive(Serialize, Default)]
pub(crate) struct Truncated {
    pub(crate) bodies: usize,
    pub(crate) requests: usize,
}

#[derive(Serialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RunStatus {
    Passed,
    Failed,
    Incomplete,
    Aborted,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Run<'a> {
    pub(crate) collection: &'a str,
    pub(crate) counts: Counts,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) environment: Option<&'a str>,
    pub(crate) html_report: Option<&'a str>,
    pub(crate) index: usize,
    pub(crate) name: &'a str,
    pub(crate) postman_url: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) requests: Vec<Request<'a>>,
    pub(crate) started_ms: Option<i64>,
    pub(crate) status: RunStatus,
}

/// A run's assertions.
#[derive(Serialize)]
pub(crate) struct Counts {
    pub(crate) failed: usize,
    pub(crate) passed: usize,
    pub(crate) skipped: usize,
    pub(crate) total: usize,
}

/// One request as it ran (`PmRequest` in model.ts).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Request<'a> {
    pub(crate) assertions: Vec<Assertion<'a>>,
    /// The scripts' console output: always empty, as the JSON report
    /// holds none.
    pub(crate) console: Vec<&'a str>,
    pub(crate) errors: Vec<RequestError<'a>>,
    pub(crate) iteration: u32,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) request: Option<Message<'a>>,
    pub(crate) response: Option<Message<'a>>,
    pub(crate) status: Option<u16>,
    pub(crate) status_text: Option<&'a str>,
    pub(crate) time_ms: Option<u64>,
    pub(crate) url: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Assertion<'a> {
    pub(crate) message: Option<&'a str>,
    pub(crate) name: &'a str,
    /// `passed`, `failed` or `skipped`.
    pub(crate) status: &'static str,
}

#[derive(Serialize)]
pub(crate) struct RequestError<'a> {
    pub(crate) kind: &'static str,
    pub(crate) message: &'a str,
}

/// A request or response kept in detail.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Message<'a> {
    pub(crate) body: Option<&'a str>,
    pub(crate) body_truncated: bool,
    /// `[name, value]` pairs in order.
    pub(crate) headers: Vec<(&'a str, &'a str)>,
    pub(crate) size: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Lint<'a> {
    pub(crate) error: Option<&'a str>,
    /// None when the lint only reports: nothing fails at any severity.
    pub(crate) fail_severity: Option<&'static str>,
    pub(crate) findings: Vec<Finding<'a>>,
    pub(crate) name: String,
    pub(crate) report_url: Option<&'a str>,
    pub(crate) target: String,
    pub(crate) what: &'static str,
}

#[derive(Serialize)]
pub(crate) struct Finding<'a> {
    pub(crate) column: Option<u32>,
    /// Whether this finding fails the step.
    pub(crate) fails: bool,
    pub(crate) kind: &'a str,
    pub(crate) line: Option<u32>,
    pub(crate) message: &'a str,
    pub(crate) path: &'a str,
    pub(crate) severity: &'static str,
}

impl<'a> Run<'a> {
    /// A run without its requests, which the bound adds one by one.
    pub(crate) fn new(r: &'a RunResult, html_report: Option<&'a str>) -> Self {
        let counts = r.assertion_counts();
        let (status, reason) = match &r.end {
            RunEnd::Failed(why) => (RunStatus::Incomplete, Some(why.message.as_str())),
            RunEnd::Aborted => (
                RunStatus::Aborted,
                Some("The task was cancelled while this run was going."),
            ),
            RunEnd::Completed if r.failed() => (RunStatus::Failed, None),
            RunEnd::Completed => (RunStatus::Passed, None),
        };
        Run {
            collection: &r.collection,
            counts: Counts {
                failed: counts.failed,
                passed: counts.passed,
                skipped: counts.skipped,
                total: counts.total,
            },
            duration_ms: r.duration_ms,
            environment: r.environment.as_deref(),
            html_report,
            index: r.index,
            name: &r.name,
            postman_url: match &r.upload {
                Upload::Uploaded { url: Some(url) } => Some(url),
                _ => None,
            },
            reason,
            requests: Vec::new(),
            started_ms: r.started_ms,
            status,
        }
    }
}

impl<'a> From<&'a RequestDetail> for Request<'a> {
    fn from(d: &'a RequestDetail) -> Self {
        Request {
            assertions: d
                .assertions
                .iter()
                .map(|a| Assertion {
                    message: a.message.as_deref(),
                    name: &a.name,
                    status: a.status.as_str(),
                })
                .collect(),
            console: Vec::new(),
            errors: d
                .errors
                .iter()
                .map(|(kind, message)| RequestError {
                    kind: kind.as_str(),
                    message,
                })
                .collect(),
            iteration: d.iteration,
            method: &d.method,
            path: &d.path,
            request: d.request.as_ref().map(Message::from),
            response: d.response.as_ref().map(Message::from),
            status: d.status,
            status_text: d.status_text.as_deref(),
            time_ms: d.time_ms,
            url: &d.url,
        }
    }
}

impl<'a> From<&'a Detail> for Message<'a> {
    fn from(m: &'a Detail) -> Self {
        Message {
            body: m.body.as_deref(),
            body_truncated: m.body_truncated,
            headers: m
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            size: m.size,
        }
    }
}

impl<'a> From<&'a LintOutcome> for Lint<'a> {
    fn from(l: &'a LintOutcome) -> Self {
        let (error, report_url, findings) = match &l.result {
            Err(reason) => (Some(reason.as_str()), None, Vec::new()),
            Ok(parsed) => (
                None,
                match &parsed.report {
                    LintReport::Sent { url: Some(url) } => Some(url.as_str()),
                    _ => None,
                },
                parsed
                    .violations
                    .iter()
                    .map(|v| Finding {
                        column: v.column,
                        fails: l.fails(v),
                        kind: &v.kind,
                        line: v.line,
                        message: &v.message,
                        path: &v.path,
                        severity: v.severity.as_str(),
                    })
                    .collect(),
            ),
        };
        Lint {
            error,
            fail_severity: l
                .fail_severity
                .severity()
                .map(crate::plan::Severity::as_str),
            findings,
            name: l.name(),
            report_url,
            target: l.target.display(),
            what: l.what(),
        }
    }
}
