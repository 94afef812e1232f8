//! Reads the results of a v3 collection run from the Postman CLI's YAML run
//! report (`--output <folder>`), strictly.
//!
//! `--output` works only for an Enterprise team (the CLI asks the runtime
//! agent's `/handshake/token` first) and cannot be combined with `-r`; when
//! the task may use it, it is a v3 run's richer record: headers and bodies
//! of every request, which the console report lacks.
//!
//! Measured with Postman CLI 1.62.0 (`lib/run/output/yaml/index.js`,
//! `transform.js`, `lib/reporters/util.js`; fixtures
//! `tests/fixtures/v3/yaml-exp.*`):
//! - **Two files**: `<prefix>.collection-run-summary.yaml`, one document
//!   (rewritten as the run goes: `state` is `pending`, `running`, then
//!   `completed`, `failed` or `aborted`), and
//!   `<prefix>.collection-run-executions.yaml`, a stream of documents: a
//!   header (`kind: postman-cli-collection-run-executions`), then one per
//!   executed request, appended as each ends.
//! - **An execution**: `iteration` (0-based), `item.id` (the request's id,
//!   or the random one the CLI gives an id-less request, as the console
//!   prints it), `item.folders` (empty for a v3 run, so the path comes from
//!   the collection, as for the console report), `request` (`method`,
//!   `url`, `headers`, `body`) or null after a pre-request script error,
//!   `response` (`code`, `status`, `responseTime`, `headers`, `body`) or
//!   null, `tests` (`name`, `status`: `passed`, `failed`, `skipped`), and
//!   `errors` with their `source` (`prerequest-script`, `request`,
//!   `test-script`) but *no message*: an `Error`'s message does not survive
//!   the CLI's YAML dump.
//! - **The summary's `failures`**: every failed assertion and error in run
//!   order, with `at`, the request (`source.id`) and the message, but no
//!   iteration. So each failure of an execution takes the next one, which
//!   must be about the same request and of the same kind.
//! - **Totals** (`stats`): `executedRequests` (executed, errors: request
//!   errors and requests whose pre-request script failed), `tests`
//!   (executed, skipped included; failed), `prerequestScripts.errors`,
//!   `postresponseScripts.errors`, `iterations.executed`, and
//!   `executionsRecorded`. What was read must add up to all of them, or
//!   [`parse`] fails with [`Unreadable`].

use std::io::Read;

use serde::Deserialize;
use serde_json::Value;

use crate::report::console::Unreadable;
use crate::report::detail::{BODY_READ, HeaderEntry, cut};
use crate::report::model::{
    Assertion, AssertionStatus, Failure, FailureKind, Message, RequestDetail, Status, TestCase,
};
use crate::resolve::v3::RunOrder;

/// A v3 run, read from its YAML run report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct YamlRun {
    pub(crate) iterations: u64,
    pub(crate) requests: u64,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) cases: Vec<TestCase>,
    pub(crate) details: Vec<RequestDetail>,
    /// Values of credential headers the run sent or received.
    pub(crate) header_secrets: Vec<String>,
    /// What stopped the run, when something did.
    pub(crate) run_error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Summary {
    kind: Option<String>,
    state: Option<String>,
    meta: Meta,
    stats: Stats,
    failures: Vec<SummaryFailure>,
    #[serde(rename = "executionsRecorded")]
    executions_recorded: Option<u64>,
    error: Option<ErrorDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Meta {
    #[serde(rename = "durationMs")]
    duration_ms: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Stats {
    iterations: StatRow,
    #[serde(rename = "executedRequests")]
    executed_requests: StatRow,
    #[serde(rename = "prerequestScripts")]
    prerequest_scripts: StatRow,
    #[serde(rename = "postresponseScripts")]
    postresponse_scripts: StatRow,
    tests: StatRow,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatRow {
    executed: u64,
    errors: u64,
    failed: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SummaryFailure {
    at: Option<String>,
    source: FailureSource,
    error: ErrorDoc,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FailureSource {
    name: Option<String>,
    id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorDoc {
    name: Option<String>,
    message: Option<String>,
    test: Option<String>,
    source: Option<String>,
}

/// One document of the executions file: its header or an execution.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Execution {
    kind: Option<String>,
    iteration: Option<u64>,
    item: Item,
    request: Option<RequestDoc>,
    response: Option<ResponseDoc>,
    tests: Vec<TestDoc>,
    errors: Vec<ErrorDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Item {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RequestDoc {
    method: Option<String>,
    url: Option<String>,
    headers: Option<Vec<HeaderEntry>>,
    body: Option<Value>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ResponseDoc {
    code: Option<u16>,
    status: Option<String>,
    #[serde(rename = "responseTime")]
    response_time: Option<f64>,
    #[serde(rename = "responseSize")]
    response_size: Option<u64>,
    headers: Option<Vec<HeaderEntry>>,
    body: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TestDoc {
    name: Option<String>,
    status: Option<String>,
}

fn unreadable<T>(why: impl Into<String>) -> Result<T, Unreadable> {
    Err(Unreadable(why.into()))
}

/// Reads a run's YAML report. `requests` names each request by its id, as
/// for the console report. Only a report that adds up to its own totals is
/// read; `keep_detail` keeps headers and bodies.
pub(crate) fn parse(
    summary: impl Read,
    mut executions: impl Read,
    requests: &mut RunOrder<'_>,
    keep_detail: bool,
) -> Result<YamlRun, Unreadable> {
    let summary: Summary = serde_saphyr::from_reader(summary)
        .map_err(|e| Unreadable(format!("the run summary is not valid YAML: {e}")))?;
    if summary.kind.as_deref() != Some("postman-cli-collection-run-summary") {
        return unreadable("the run summary is not a Postman CLI run summary");
    }
    match summary.state.as_deref() {
        Some("completed" | "failed") => {}
        other => {
            return unreadable(format!(
                "the run summary says the run is `{}`, not finished",
                other.unwrap_or("?")
            ));
        }
    }
    let mut failures = summary.failures.iter();
    let mut run = YamlRun {
        iterations: summary.stats.iterations.executed,
        requests: 0,
        duration_ms: summary.meta.duration_ms.map(|ms| ms.round() as u64),
        cases: Vec::new(),
        details: Vec::new(),
        header_secrets: Vec::new(),
        run_error: summary.error.as_ref().map(|e| {
            e.message
                .clone()
                .or_else(|| e.name.clone())
                .unwrap_or_default()
        }),
    };
    let mut counted = Counted::default();
    let mut header_seen = false;
    for doc in serde_saphyr::read::<_, Execution>(&mut executions) {
        let doc = doc.map_err(|e| Unreadable(format!("the executions are not valid YAML: {e}")))?;
        if doc.kind.is_some() {
            if header_seen || doc.kind.as_deref() != Some("postman-cli-collection-run-executions") {
                return unreadable("the executions file has an unexpected header");
            }
            header_seen = true;
            continue;
        }
        if !header_seen {
            return unreadable("the executions file has no header");
        }
        read_execution(
            doc,
            requests,
            &mut failures,
            &mut counted,
            &mut run,
            keep_detail,
        )?;
    }
    if failures.next().is_some() {
        return unreadable("the run summary lists failures that no execution has");
    }
    let stats = &summary.stats;
    let checks = [
        (
            "requests",
            counted.requests,
            stats.executed_requests.executed,
        ),
        (
            "recorded executions",
            counted.requests,
            summary.executions_recorded.unwrap_or(u64::MAX),
        ),
        (
            "failed requests",
            counted.failed_requests,
            stats.executed_requests.errors,
        ),
        ("tests", counted.tests, stats.tests.executed),
        ("failed tests", counted.failed_tests, stats.tests.failed),
        (
            "pre-request script errors",
            counted.prerequest_errors,
            stats.prerequest_scripts.errors,
        ),
        (
            "test script errors",
            counted.test_script_errors,
            stats.postresponse_scripts.errors,
        ),
    ];
    for (what, read, total) in checks {
        if read != total {
            return unreadable(format!(
                "{read} {what} were read but the run summary says {total}"
            ));
        }
    }
    if counted.last_iteration > run.iterations {
        return unreadable("an execution is in an iteration the run summary does not count");
    }
    run.requests = counted.requests;
    Ok(run)
}

#[derive(Default)]
struct Counted {
    requests: u64,
    failed_requests: u64,
    tests: u64,
    failed_tests: u64,
    prerequest_errors: u64,
    test_script_errors: u64,
    last_iteration: u64,
}

fn read_execution<'a>(
    doc: Execution,
    requests: &mut RunOrder<'_>,
    failures: &mut impl Iterator<Item = &'a SummaryFailure>,
    counted: &mut Counted,
    run: &mut YamlRun,
    keep_detail: bool,
) -> Result<(), Unreadable> {
    counted.requests += 1;
    let iteration = doc.iteration.unwrap_or(0) + 1;
    counted.last_iteration = counted.last_iteration.max(iteration);
    let Some(id) = doc.item.id.as_deref() else {
        return unreadable("an execution names no request");
    };
    let Some(request) = requests.resolve(id) else {
        return unreadable(format!(
            "the run names a request `{id}` the collection does not have"
        ));
    };
    let path = request.path();
    let folder = request.folders.join(" / ");
    let method = doc
        .request
        .as_ref()
        .and_then(|r| r.method.clone())
        .or_else(|| request.method.clone())
        .unwrap_or_default();
    let url = doc
        .request
        .as_ref()
        .and_then(|r| r.url.clone())
        .or_else(|| request.url.clone())
        .unwrap_or_default();
    let response = doc.response.as_ref();
    let status = response.and_then(|r| r.code);
    let status_text = response.and_then(|r| r.status.clone());
    let time_ms = response
        .and_then(|r| r.response_time)
        .map(|t| t.round() as u64);
    let context = Context {
        id,
        name: doc.item.name.as_deref().unwrap_or(&request.name),
        method: &method,
        url: &url,
        status: status.map(|code| match &status_text {
            Some(text) => format!("{code} {text}"),
            None => code.to_string(),
        }),
        time_ms,
        iteration,
    };
    let mut cases = Vec::new();
    let case = |name: String, status: Status| TestCase {
        request: path.clone(),
        folder: folder.clone(),
        name,
        iteration: u32::try_from(iteration).unwrap_or(u32::MAX),
        status,
        time_ms: 0,
    };
    // In the order the console report prints them: a pre-request script
    // error, a request error, the assertions, a test script error.
    let (before, after): (Vec<&ErrorDoc>, Vec<&ErrorDoc>) = doc
        .errors
        .iter()
        .partition(|e| e.source.as_deref() != Some("test-script"));
    for error in before {
        let (kind, label, at) = match error.source.as_deref() {
            Some("prerequest-script") => {
                counted.prerequest_errors += 1;
                counted.failed_requests += 1;
                (
                    FailureKind::ScriptError,
                    "pre-request script",
                    "prerequest-script",
                )
            }
            Some("request") => {
                counted.failed_requests += 1;
                (FailureKind::RequestError, "request", "request")
            }
            other => {
                return unreadable(format!(
                    "an error of `{path}` comes from `{}`, which is not known",
                    other.unwrap_or("?")
                ));
            }
        };
        let f = next_failure(failures, &context, |a| a == at)?;
        cases.push(case(
            label.to_owned(),
            Status::Failed(failure(kind, f, &context)),
        ));
    }
    for test in &doc.tests {
        counted.tests += 1;
        let name = test.name.clone().unwrap_or_default();
        let status = match test.status.as_deref() {
            Some("passed") => Status::Passed,
            Some("skipped") => Status::Skipped,
            Some("failed") => {
                counted.failed_tests += 1;
                let f = next_failure(failures, &context, |a| a.starts_with("assertion:"))?;
                if f.error.test.as_deref() != Some(name.as_str()) {
                    return unreadable(format!(
                        "the failure listed for `{path}` is not the assertion `{name}`"
                    ));
                }
                Status::Failed(failure(FailureKind::Assertion, f, &context))
            }
            other => {
                return unreadable(format!(
                    "test `{name}` of `{path}` has the status `{}`",
                    other.unwrap_or("?")
                ));
            }
        };
        cases.push(case(name, status));
    }
    for _ in after {
        counted.test_script_errors += 1;
        let f = next_failure(failures, &context, |a| a == "test-script")?;
        cases.push(case(
            "test script".to_owned(),
            Status::Failed(failure(FailureKind::ScriptError, f, &context)),
        ));
    }
    let shares = crate::report::model::shares(time_ms.unwrap_or(0), cases.len());
    for (c, ms) in cases.iter_mut().zip(shares) {
        c.time_ms = ms;
    }
    let mut detail = RequestDetail {
        iteration: u32::try_from(iteration).unwrap_or(u32::MAX),
        path: path.clone(),
        method,
        url,
        status,
        status_text,
        time_ms,
        ..RequestDetail::default()
    };
    for c in &cases {
        match (&c.status, c.is_assertion()) {
            (Status::Failed(f), false) => detail.errors.push((f.kind, f.message.clone())),
            (status, _) => detail.assertions.push(Assertion {
                name: c.name.clone(),
                status: match status {
                    Status::Passed => AssertionStatus::Passed,
                    Status::Skipped => AssertionStatus::Skipped,
                    Status::Failed(_) => AssertionStatus::Failed,
                },
                message: c.failure().map(|f| f.message.clone()),
            }),
        }
    }
    if let Some(r) = doc.request {
        let headers =
            crate::report::detail::headers(r.headers.unwrap_or_default(), &mut run.header_secrets);
        let body = r.body.as_ref().and_then(request_body);
        let size = body.as_ref().map_or(0, |b| b.len() as u64);
        let (body, body_truncated) = kept(body);
        detail.request = Some(Message {
            size,
            headers,
            body,
            body_truncated,
        });
    }
    if let Some(r) = doc.response {
        let headers =
            crate::report::detail::headers(r.headers.unwrap_or_default(), &mut run.header_secrets);
        let body = r.body.as_ref().and_then(|b| match b {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        });
        let size = r
            .response_size
            .unwrap_or_else(|| body.as_ref().map_or(0, |b| b.len() as u64));
        let (body, body_truncated) = kept(body);
        detail.response = Some(Message {
            size,
            headers,
            body,
            body_truncated,
        });
    }
    if !keep_detail {
        detail.request = None;
        detail.response = None;
    }
    run.details.push(detail);
    run.cases.extend(cases);
    Ok(())
}

/// What a failure's message and detail say of where it happened.
struct Context<'a> {
    id: &'a str,
    /// The request's name, as the failures name it.
    name: &'a str,
    method: &'a str,
    url: &'a str,
    status: Option<String>,
    time_ms: Option<u64>,
    iteration: u64,
}

/// The summary's next failure, which must be this request's and of the
/// expected kind (`at`).
fn next_failure<'a>(
    failures: &mut impl Iterator<Item = &'a SummaryFailure>,
    c: &Context<'_>,
    at: impl Fn(&str) -> bool,
) -> Result<&'a SummaryFailure, Unreadable> {
    let Some(f) = failures.next() else {
        return unreadable("the run summary lists fewer failures than the executions have");
    };
    let same_request = match (&f.source.id, &f.source.name) {
        (Some(id), _) => id == c.id,
        (None, Some(name)) => name == c.name,
        (None, None) => false,
    };
    if !same_request || !f.at.as_deref().is_some_and(at) {
        return unreadable(format!(
            "the run summary's failure at `{}` of `{}` is not the one `{}` has",
            f.at.as_deref().unwrap_or("?"),
            f.source.name.as_deref().unwrap_or("?"),
            c.name
        ));
    }
    Ok(f)
}

/// A failure, worded as the console reader words it (see
/// `report::console`), so both sources give the same JUnit.
fn failure(kind: FailureKind, f: &SummaryFailure, c: &Context<'_>) -> Failure {
    let name = f.error.name.clone().unwrap_or_else(|| "Error".to_owned());
    let full = f.error.message.clone().unwrap_or_default();
    let first = full
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| name.clone());
    let message = if kind != FailureKind::Assertion && name != "Error" && !first.starts_with(&name)
    {
        format!("{name}: {first}")
    } else {
        first
    };
    let mut detail = format!(
        "{} {} → {}",
        if c.method.is_empty() { "?" } else { c.method },
        c.url,
        c.status.as_deref().unwrap_or("no response"),
    );
    if let (Some(ms), Some(_)) = (c.time_ms, &c.status) {
        detail.push_str(&format!(" ({ms} ms)"));
    }
    detail.push_str(&format!(", iteration {}\n{name}: {full}", c.iteration));
    if let Some(at) = &f.at {
        detail.push_str("\nat ");
        detail.push_str(at);
    }
    Failure {
        kind,
        message,
        detail,
    }
}

/// A body cut at what the report stage keeps of one.
fn kept(body: Option<String>) -> (Option<String>, bool) {
    match body {
        Some(b) => {
            let (b, was_cut) = cut(b, BODY_READ);
            (Some(b), was_cut)
        }
        None => (None, false),
    }
}

/// A request's body as sent: `content` for raw text, JSON for the rest.
fn request_body(body: &Value) -> Option<String> {
    match body {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => match map.get("content") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) if !other.is_null() => Some(other.to_string()),
            _ if map.get("type").and_then(Value::as_str) == Some("none") => None,
            _ => Some(body.to_string()),
        },
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Counts;
    use crate::resolve::v3::{V3Collection, fixture};

    fn read(name: &str) -> String {
        std::fs::read_to_string(fixture(name)).unwrap()
    }

    fn run_with(summary: &str, executions: &str) -> Result<YamlRun, Unreadable> {
        let c = V3Collection::read(&fixture("exp-collection")).unwrap();
        parse(
            summary.as_bytes(),
            executions.as_bytes(),
            &mut c.run_order(&[]),
            true,
        )
    }

    fn summary() -> String {
        read("yaml-exp.collection-run-summary.yaml")
    }

    fn executions() -> String {
        read("yaml-exp.collection-run-executions.yaml")
    }

    #[test]
    fn the_captured_report_gives_the_console_readers_cases() {
        let yaml = run_with(&summary(), &executions()).unwrap();
        let c = V3Collection::read(&fixture("exp-collection")).unwrap();
        let console =
            crate::report::console::parse(&read("run-exp-with-output.txt"), &mut c.run_order(&[]))
                .unwrap();
        let strip = |cases: &[TestCase]| {
            cases
                .iter()
                .map(|c| {
                    let status = match &c.status {
                        Status::Failed(f) => format!("{:?}: {}", f.kind, f.message),
                        other => format!("{other:?}"),
                    };
                    format!("{} | {} › {} | {status}", c.iteration, c.request, c.name)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&yaml.cases), strip(&console.cases));
        assert_eq!(yaml.requests, 14);
        assert_eq!(yaml.iterations, 2);
        let counts = Counts::of(&yaml.cases);
        assert_eq!(
            (counts.total, counts.failed, counts.skipped),
            (20, 9, 2),
            "{:#?}",
            strip(&yaml.cases)
        );
    }

    #[test]
    fn request_detail_has_headers_and_bodies() {
        let yaml = run_with(&summary(), &executions()).unwrap();
        let add = yaml
            .details
            .iter()
            .find(|d| d.path.ends_with("Add (2) items"))
            .unwrap();
        assert_eq!(add.method, "POST");
        assert_eq!(add.status, Some(200));
        assert_eq!(add.status_text.as_deref(), Some("OK"));
        let request = add.request.as_ref().unwrap();
        assert_eq!(request.body.as_deref(), Some(r#"{"qty": 1}"#));
        assert!(request.headers.iter().any(|(k, _)| k == "Content-Type"));
        let response = add.response.as_ref().unwrap();
        assert_eq!(response.body.as_deref(), Some(r#"{"ok": true}"#));
        let pre = yaml
            .details
            .iter()
            .find(|d| d.path.ends_with("Pre fails"))
            .unwrap();
        assert!(pre.request.is_none() && pre.response.is_none());
        assert_eq!(pre.errors[0].1, "pre boom");
    }

    #[test]
    fn a_report_that_does_not_add_up_is_unreadable() {
        // One passed test fewer than the totals count.
        let fewer = executions().replacen("  - name: responds 200\n    status: passed\n", "", 1);
        let e = run_with(&summary(), &fewer).unwrap_err();
        assert!(e.0.contains("tests were read"), "{e}");
        // A failure turned into a pass.
        let forged = executions().replacen("    status: failed\n", "    status: passed\n", 1);
        assert!(run_with(&summary(), &forged).is_err());
        // An execution missing at the end (the run was cut short).
        let exec = executions();
        let cut = &exec[..exec.rfind("\n---\n").unwrap() + 1];
        assert!(run_with(&summary(), cut).is_err());
        // A summary still being written.
        let running = summary().replacen("state: failed", "state: running", 1);
        assert!(
            run_with(&running, &executions())
                .unwrap_err()
                .0
                .contains("running")
        );
        // Not YAML at all.
        assert!(run_with("{{{", &executions()).is_err());
    }
}
