//! One document of a YAML run report's executions: a request as it ran,
//! read into its cases in the order the console report prints them (a
//! pre-request script error, a request error, the assertions, a test script
//! error), each failure matched with the summary's next.

use serde::Deserialize;
use serde_json::Value;

use super::{Counted, ErrorDoc, SummaryFailure};
use crate::report::collect::{Body, Exchange, Place, Seen, listed_failure};
use crate::report::detail::HeaderEntry;
use crate::report::model::{
    Failure, FailureKind, RequestDetail, Status, TestCase, Unreadable, unreadable,
};
use crate::resolve::v3::RunOrder;

/// One document of the executions file: its header or an execution.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct Execution {
    pub(super) kind: Option<String>,
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

/// One execution: the request as it ran, and its cases.
pub(super) fn read_execution<'a>(
    doc: Execution,
    requests: &mut RunOrder<'_>,
    failures: &mut impl Iterator<Item = &'a SummaryFailure>,
    counted: &mut Counted,
) -> Result<(Seen, Vec<TestCase>), Unreadable> {
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
    let outline = RequestDetail {
        iteration: u32::try_from(iteration).unwrap_or(u32::MAX),
        path: request.path(),
        method: doc
            .request
            .as_ref()
            .and_then(|r| r.method.clone())
            .or_else(|| request.method.clone())
            .unwrap_or_default(),
        url: doc
            .request
            .as_ref()
            .and_then(|r| r.url.clone())
            .or_else(|| request.url.clone())
            .unwrap_or_default(),
        status: doc.response.as_ref().and_then(|r| r.code),
        status_text: doc.response.as_ref().and_then(|r| r.status.clone()),
        time_ms: doc
            .response
            .as_ref()
            .and_then(|r| r.response_time)
            .map(|t| t.round() as u64),
        ..RequestDetail::default()
    };
    let status = outline.status.map(|code| match &outline.status_text {
        Some(text) => format!("{code} {text}"),
        None => code.to_string(),
    });
    let mut cases = Cases {
        context: Context {
            id,
            name: doc.item.name.as_deref().unwrap_or(&request.name),
            place: Place {
                method: &outline.method,
                url: &outline.url,
                status: status.as_deref(),
                time_ms: outline.time_ms,
                iteration,
            },
        },
        path: &outline.path,
        folder: request.folders.join(" / "),
        failures,
        counted,
        list: Vec::new(),
    };
    let (before, after): (Vec<&ErrorDoc>, Vec<&ErrorDoc>) = doc
        .errors
        .iter()
        .partition(|e| e.source.as_deref() != Some("test-script"));
    for error in before {
        cases.error_before(error)?;
    }
    for test in &doc.tests {
        cases.test(test)?;
    }
    for _ in after {
        cases.test_script_error()?;
    }
    let cases = cases.list;
    let seen = Seen {
        outline,
        request: doc.request.map(RequestDoc::exchange),
        response: doc.response.map(ResponseDoc::exchange),
    };
    Ok((seen, cases))
}

impl RequestDoc {
    fn exchange(self) -> Exchange {
        let body = self.body.as_ref().and_then(request_body);
        Exchange {
            headers: self.headers.unwrap_or_default(),
            body: body.map(|b| {
                let size = b.len() as u64;
                Body::of(b, size)
            }),
        }
    }
}

impl ResponseDoc {
    fn exchange(self) -> Exchange {
        let body = self.body.as_ref().and_then(|b| match b {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        });
        let size = self.response_size;
        Exchange {
            headers: self.headers.unwrap_or_default(),
            body: body.map(|b| {
                let size = size.unwrap_or(b.len() as u64);
                Body::of(b, size)
            }),
        }
    }
}

/// An execution's cases, as they are read.
struct Cases<'c, 'f, I> {
    context: Context<'c>,
    path: &'c str,
    folder: String,
    failures: &'f mut I,
    counted: &'f mut Counted,
    list: Vec<TestCase>,
}

impl<'a, I: Iterator<Item = &'a SummaryFailure>> Cases<'_, '_, I> {
    fn push(&mut self, name: String, status: Status) {
        self.list.push(TestCase {
            request: self.path.to_owned(),
            folder: self.folder.clone(),
            name,
            iteration: u32::try_from(self.context.place.iteration).unwrap_or(u32::MAX),
            status,
            time_ms: 0,
        });
    }

    /// A pre-request script error or a request error.
    fn error_before(&mut self, error: &ErrorDoc) -> Result<(), Unreadable> {
        let (kind, label, at) = match error.source.as_deref() {
            Some("prerequest-script") => {
                self.counted.prerequest_errors += 1;
                self.counted.failed_requests += 1;
                (
                    FailureKind::ScriptError,
                    "pre-request script",
                    "prerequest-script",
                )
            }
            Some("request") => {
                self.counted.failed_requests += 1;
                (FailureKind::RequestError, "request", "request")
            }
            other => {
                return unreadable(format!(
                    "an error of `{}` comes from `{}`, which is not known",
                    self.path,
                    other.unwrap_or("?")
                ));
            }
        };
        let f = next_failure(self.failures, &self.context, |a| a == at)?;
        let failure = failure(kind, f, &self.context);
        self.push(label.to_owned(), Status::Failed(failure));
        Ok(())
    }

    fn test(&mut self, test: &TestDoc) -> Result<(), Unreadable> {
        self.counted.tests += 1;
        let name = test.name.clone().unwrap_or_default();
        let status = match test.status.as_deref() {
            Some("passed") => Status::Passed,
            Some("skipped") => Status::Skipped,
            Some("failed") => {
                self.counted.failed_tests += 1;
                let f = next_failure(self.failures, &self.context, |a| {
                    a.starts_with("assertion:")
                })?;
                if f.error.test.as_deref() != Some(name.as_str()) {
                    return unreadable(format!(
                        "the failure listed for `{}` is not the assertion `{name}`",
                        self.path
                    ));
                }
                Status::Failed(failure(FailureKind::Assertion, f, &self.context))
            }
            other => {
                return unreadable(format!(
                    "test `{name}` of `{}` has the status `{}`",
                    self.path,
                    other.unwrap_or("?")
                ));
            }
        };
        self.push(name, status);
        Ok(())
    }

    fn test_script_error(&mut self) -> Result<(), Unreadable> {
        self.counted.test_script_errors += 1;
        let f = next_failure(self.failures, &self.context, |a| a == "test-script")?;
        let failure = failure(FailureKind::ScriptError, f, &self.context);
        self.push("test script".to_owned(), Status::Failed(failure));
        Ok(())
    }
}

/// What a failure's message and detail say of where it happened.
struct Context<'a> {
    id: &'a str,
    /// The request's name, as the failures name it.
    name: &'a str,
    place: Place<'a>,
}

/// The summary's next failure, which must be this request's and of the
/// expected kind (`at`).
fn next_failure<'a>(
    failures: &mut (impl Iterator<Item = &'a SummaryFailure> + ?Sized),
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

/// A failure as the summary lists it, worded as every v3 source words it.
fn failure(kind: FailureKind, f: &SummaryFailure, c: &Context<'_>) -> Failure {
    let name = f.error.name.as_deref().unwrap_or("Error");
    let message = f.error.message.as_deref().unwrap_or_default();
    listed_failure(kind, name, message, f.at.as_deref(), &c.place)
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
