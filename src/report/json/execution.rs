//! One entry of the JSON report's `executions`: a request as it ran, read
//! into the cases of its assertions and errors.

use serde::Deserialize;

use crate::report::collect::{Exchange, Seen};
use crate::report::detail::{self, CappedBuffer, HeaderEntry};
use crate::report::model::{Failure, FailureKind, RequestDetail, Status, TestCase};
use crate::resolve::collection::RequestPaths;

#[derive(Deserialize)]
pub(super) struct Execution {
    #[serde(rename = "iterationCount", default)]
    iteration: u32,
    #[serde(rename = "requestExecuted")]
    request: Option<RequestExecuted>,
    response: Option<Response>,
    #[serde(default)]
    tests: Vec<TestEntry>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RequestExecuted {
    id: Option<String>,
    name: Option<String>,
    method: Option<String>,
    url: Option<serde_json::Value>,
    #[serde(default)]
    headers: Option<Vec<HeaderEntry>>,
    body: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Response {
    code: Option<u16>,
    status: Option<String>,
    #[serde(rename = "responseTime")]
    response_time: Option<u64>,
    #[serde(default)]
    headers: Option<Vec<HeaderEntry>>,
    stream: Option<CappedBuffer>,
}

#[derive(Deserialize)]
struct TestEntry {
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    error: Option<TestError>,
}

#[derive(Deserialize)]
struct TestError {
    name: Option<String>,
    message: Option<String>,
    stack: Option<String>,
}

impl Execution {
    /// The request as it ran, and its cases: each assertion, then each
    /// request or script error.
    pub(super) fn read(mut self, paths: &mut RequestPaths) -> (Seen, Vec<TestCase>) {
        let iteration = self.iteration + 1;
        let (id, name, method, url) = match self.request.as_mut() {
            Some(r) => (r.id.take(), r.name.take(), r.method.take(), r.url.take()),
            None => (None, None, None, None),
        };
        // Without the collection's tree, a request saved without a name is
        // named by its method and URL, never by the ID the CLI made up.
        let request = paths
            .path_for(id.as_deref(), name.as_deref())
            .or(name.filter(|n| !n.trim().is_empty()))
            .unwrap_or_else(|| match &url {
                Some(url) => format!("{} {}", method.as_deref().unwrap_or("GET"), url_text(url)),
                None => "(unnamed request)".to_owned(),
            });
        let folder = paths.folder_of(&request).to_owned();
        let context = request_context(
            method.as_deref(),
            url.as_ref(),
            self.response.as_ref(),
            iteration,
        );
        let case = |name: String, status: Status| TestCase {
            request: request.clone(),
            folder: folder.clone(),
            name,
            iteration,
            status,
            time_ms: 0,
        };
        let mut cases = Vec::with_capacity(self.tests.len() + self.errors.len());
        for test in std::mem::take(&mut self.tests) {
            let status = assertion_status(test.status.as_str(), test.error, &context);
            cases.push(case(test.name, status));
        }
        for error in std::mem::take(&mut self.errors) {
            let (name, failure) = error_failure(&error, &context);
            cases.push(case(name.to_owned(), Status::Failed(failure)));
        }
        let seen = Seen {
            outline: RequestDetail {
                iteration,
                path: request.clone(),
                method: method.unwrap_or_else(|| "?".to_owned()),
                url: url.as_ref().map(url_text).unwrap_or_default(),
                status: self.response.as_ref().and_then(|r| r.code),
                status_text: self.response.as_ref().and_then(|r| r.status.clone()),
                time_ms: self.response.as_ref().and_then(|r| r.response_time),
                ..RequestDetail::default()
            },
            request: self.request.map(|r| Exchange {
                headers: r.headers.unwrap_or_default(),
                body: r.body.as_ref().and_then(detail::request_body),
            }),
            response: self.response.map(|r| {
                let headers = r.headers.unwrap_or_default();
                // Decoded by its declared charset, so a secret in a UTF-16
                // body is masked as the text it is.
                let content_type = detail::content_type(&headers);
                Exchange {
                    body: r.stream.and_then(|b| b.text(content_type.as_deref())),
                    headers,
                }
            }),
        };
        (seen, cases)
    }
}

/// An assertion's status; a failure's message is its error's first line,
/// its detail the request's context and the stack.
fn assertion_status(status: &str, error: Option<TestError>, context: &str) -> Status {
    match status {
        "passed" | "pass" => Status::Passed,
        "skipped" | "skip" => Status::Skipped,
        _ => {
            let message = error
                .as_ref()
                .and_then(|e| e.message.clone())
                .unwrap_or_else(|| "assertion failed".to_owned());
            let mut detail = context.to_owned();
            if let Some(stack) = error.as_ref().and_then(|e| e.stack.as_ref()) {
                detail.push('\n');
                detail.push_str(stack);
            } else if let Some(kind) = error.as_ref().and_then(|e| e.name.as_ref()) {
                detail.push_str(&format!("\n{kind}: {message}"));
            }
            Status::Failed(Failure {
                kind: FailureKind::Assertion,
                message: first_line(&message),
                detail,
            })
        }
    }
}

/// A request or script error: the case's name and its failure.
fn error_failure(error: &serde_json::Value, context: &str) -> (&'static str, Failure) {
    let source = error.get("source").and_then(|s| s.as_str()).unwrap_or("");
    let (name, kind) = match source {
        "request" => ("request", FailureKind::RequestError),
        "pre-request" | "prerequest" => ("pre-request script", FailureKind::ScriptError),
        "post-response" | "test" => ("test script", FailureKind::ScriptError),
        "script-level-request" => ("script request (pm.sendRequest)", FailureKind::RequestError),
        _ => ("script", FailureKind::ScriptError),
    };
    let message = error_text(error);
    let mut detail = context.to_owned();
    if let Some(stack) = error.get("stack").and_then(|s| s.as_str()) {
        detail.push('\n');
        detail.push_str(stack);
    } else {
        detail.push_str(&format!("\n{message}"));
    }
    let failure = Failure {
        kind,
        message: first_line(&message),
        detail,
    };
    (name, failure)
}

/// `GET http://host/path → 500 Internal Server Error (6 ms), iteration 1`.
fn request_context(
    method: Option<&str>,
    url: Option<&serde_json::Value>,
    response: Option<&Response>,
    iteration: u32,
) -> String {
    let mut text = format!(
        "{} {}",
        method.unwrap_or("?"),
        url.map(url_text).unwrap_or_default()
    );
    match response {
        Some(r) => {
            text.push_str(&format!(
                " → {}",
                r.code.map(|c| c.to_string()).unwrap_or_default()
            ));
            if let Some(status) = &r.status {
                text.push(' ');
                text.push_str(status);
            }
            if let Some(ms) = r.response_time {
                text.push_str(&format!(" ({ms} ms)"));
            }
        }
        None => text.push_str(" → no response"),
    }
    text.push_str(&format!(", iteration {iteration}"));
    text
}

/// The report gives a URL either as text or as the collection SDK's object
/// (`protocol`, `host` parts, `port`, `path` parts, `query`).
fn url_text(url: &serde_json::Value) -> String {
    if let Some(s) = url.as_str() {
        return s.to_owned();
    }
    if let Some(raw) = url.get("raw").and_then(|r| r.as_str()) {
        return raw.to_owned();
    }
    let parts = |key: &str, sep: &str| -> String {
        match url.get(key) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect::<Vec<_>>()
                .join(sep),
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => String::new(),
        }
    };
    let mut text = String::new();
    if let Some(protocol) = url.get("protocol").and_then(|p| p.as_str()) {
        text.push_str(protocol);
        text.push_str("://");
    }
    text.push_str(&parts("host", "."));
    if let Some(port) = url.get("port").and_then(|p| p.as_str()) {
        text.push(':');
        text.push_str(port);
    }
    let path = parts("path", "/");
    if !path.is_empty() {
        text.push('/');
        text.push_str(&path);
    }
    if let Some(serde_json::Value::Array(query)) = url.get("query") {
        let pairs: Vec<String> = query
            .iter()
            .filter(|q| q.get("disabled").and_then(|d| d.as_bool()) != Some(true))
            .filter_map(|q| {
                let key = q.get("key")?.as_str()?;
                let value = q.get("value").and_then(|v| v.as_str()).unwrap_or("");
                Some(format!("{key}={value}"))
            })
            .collect();
        if !pairs.is_empty() {
            text.push('?');
            text.push_str(&pairs.join("&"));
        }
    }
    text
}

/// A readable one-line message from an error object the CLI serialised.
pub(super) fn error_text(error: &serde_json::Value) -> String {
    if let Some(s) = error.as_str() {
        return s.to_owned();
    }
    let field = |k: &str| {
        error
            .get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    match (field("name"), field("message")) {
        (Some(name), Some(message)) if name != "Error" => format!("{name}: {message}"),
        (_, Some(message)) => message.to_owned(),
        (Some(name), None) => name.to_owned(),
        (None, None) => error.to_string(),
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim_end().to_owned()
}
