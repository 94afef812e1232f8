//! Reads the Postman CLI's native JSON report (`-r json`) into test cases,
//! one execution at a time.
//!
//! The report's `run.executions` array holds one entry per request per
//! iteration, with its assertions (`tests`) and its request and script
//! errors (`errors`). It can be large, so it is streamed through a serde
//! visitor: each execution becomes [`TestCase`]s as soon as it is read and
//! the raw entry is dropped.

use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::detail::{self, CappedBuffer, HeaderEntry};
use crate::plan::RequestDetails;
use crate::report::model::{
    Assertion, AssertionStatus, Failure, FailureKind, Message, RequestDetail, Status, TestCase,
};
use crate::resolve::collection::RequestPaths;

/// The most body text kept in memory for one run (the attachment holds
/// less): past it, bodies are left out and said to be.
const KEPT_BODIES_BUDGET: usize = 16 * 1024 * 1024;

/// What the report says about the run as a whole.
#[derive(Debug, Default)]
pub(crate) struct ReportSummary {
    /// The collection's name, as the CLI loaded it.
    pub(crate) collection_name: Option<String>,
    pub(crate) started_ms: Option<i64>,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) iterations: u32,
    pub(crate) requests: u64,
    /// The CLI's `runError`, when the run stopped on a fatal error.
    pub(crate) run_error: Option<String>,
    pub(crate) cases: Vec<TestCase>,
    /// Each request as it ran, with headers and bodies as `keep` asks.
    pub(crate) details: Vec<RequestDetail>,
    /// Values of credential headers seen (see
    /// [`crate::secrets::is_credential_header`]).
    pub(crate) header_secrets: Vec<String>,
    /// The CLI's own count of assertions, when the report gives one.
    totals: Option<Totals>,
    /// Which requests keep their headers and bodies.
    keep: Option<RequestDetails>,
    /// Body bytes kept so far, against [`KEPT_BODIES_BUDGET`].
    kept_body_bytes: usize,
}

/// Assertions, as the report's summary counts them (`run.summary.tests`),
/// or as the cases read from its executions count them.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
struct Totals {
    #[serde(default)]
    executed: u64,
    #[serde(default)]
    failed: u64,
    #[serde(default)]
    skipped: u64,
}

impl ReportSummary {
    /// The assertions read must be the assertions the CLI counted: a report
    /// that does not add up is not read as a pass.
    fn check_totals(&self) -> Result<(), String> {
        let Some(expected) = self.totals else {
            return Ok(());
        };
        let mut read = Totals::default();
        for case in self.cases.iter().filter(|c| c.is_assertion()) {
            read.executed += 1;
            match case.status {
                Status::Failed(_) => read.failed += 1,
                Status::Skipped => read.skipped += 1,
                Status::Passed => {}
            }
        }
        if read == expected {
            Ok(())
        } else {
            Err(format!(
                "it counts {} assertions ({} failed, {} skipped), but its executions hold {} ({} failed, {} skipped)",
                expected.executed,
                expected.failed,
                expected.skipped,
                read.executed,
                read.failed,
                read.skipped
            ))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    #[error("the Postman CLI's report is not in the expected format: {0}")]
    Format(#[source] serde_json::Error),
    #[error("the Postman CLI's report does not add up, so its results could not be read: {0}")]
    Totals(String),
}

/// Reads a report, streaming, and checks that it adds up. `request_paths`
/// names requests by their folders when the collection is at hand.
pub(crate) fn read_report(
    reader: impl Read,
    request_paths: &mut RequestPaths,
    keep: RequestDetails,
) -> Result<ReportSummary, ReportError> {
    let summary = parse_report(
        std::io::BufReader::with_capacity(256 * 1024, reader),
        request_paths,
        keep,
    )
    .map_err(ReportError::Format)?;
    summary.check_totals().map_err(ReportError::Totals)?;
    Ok(summary)
}

pub(crate) fn parse_report(
    reader: impl Read,
    request_paths: &mut RequestPaths,
    keep: RequestDetails,
) -> Result<ReportSummary, serde_json::Error> {
    let mut summary = ReportSummary {
        keep: Some(keep),
        ..ReportSummary::default()
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    TopSeed {
        out: &mut summary,
        paths: request_paths,
    }
    .deserialize(&mut de)?;
    de.end()?;
    if summary.iterations == 0 {
        summary.iterations = summary.cases.iter().map(|c| c.iteration).max().unwrap_or(0);
    }
    Ok(summary)
}

struct TopSeed<'a> {
    out: &'a mut ReportSummary,
    paths: &'a mut RequestPaths,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Postman CLI JSON report")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut saw_run = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "run" {
                saw_run = true;
                map.next_value_seed(RunSeed {
                    out: &mut *self.out,
                    paths: &mut *self.paths,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !saw_run {
            return Err(de::Error::missing_field("run"));
        }
        Ok(())
    }
}

struct RunSeed<'a> {
    out: &'a mut ReportSummary,
    paths: &'a mut RequestPaths,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(rename = "collectionName")]
    collection_name: Option<String>,
    started: Option<i64>,
    duration: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Summary {
    iterations: Option<Executed>,
    #[serde(rename = "executedRequests")]
    executed_requests: Option<Executed>,
    tests: Option<Totals>,
}

#[derive(Deserialize, Default)]
struct Executed {
    executed: Option<u64>,
}

impl<'de> DeserializeSeed<'de> for RunSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RunSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the report's `run` object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "meta" => {
                    let meta: Option<Meta> = map.next_value()?;
                    let meta = meta.unwrap_or_default();
                    self.out.started_ms = meta.started;
                    self.out.collection_name =
                        meta.collection_name.filter(|n| !n.trim().is_empty());
                    self.out.duration_ms = meta.duration;
                }
                "summary" => {
                    let s: Option<Summary> = map.next_value()?;
                    let s = s.unwrap_or_default();
                    let n = |e: Option<Executed>| e.and_then(|e| e.executed).unwrap_or(0);
                    self.out.iterations = u32::try_from(n(s.iterations)).unwrap_or(u32::MAX);
                    self.out.requests = n(s.executed_requests);
                    self.out.totals = s.tests;
                }
                "executions" => map.next_value_seed(ExecutionsSeed {
                    out: &mut *self.out,
                    paths: &mut *self.paths,
                })?,
                "runError" => {
                    let e: Option<serde_json::Value> = map.next_value()?;
                    self.out.run_error = e.filter(|v| !v.is_null()).map(|v| error_text(&v));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct ExecutionsSeed<'a> {
    out: &'a mut ReportSummary,
    paths: &'a mut RequestPaths,
}

impl<'de> DeserializeSeed<'de> for ExecutionsSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ExecutionsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the report's `executions` list")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(execution) = seq.next_element::<Execution>()? {
            execution.into_cases(&mut *self.paths, &mut *self.out);
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Execution {
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
    fn into_cases(mut self, paths: &mut RequestPaths, summary: &mut ReportSummary) {
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
        if let Some(keep) = summary.keep {
            let detail = self.detail(&request, method.as_deref(), url.as_ref(), keep, summary);
            summary.details.push(detail);
        }
        let out = &mut summary.cases;
        let folder = paths.folder_of(&request).to_owned();
        // The request's time is counted once, shared among its cases, so the
        // cases of a run add up to the time its requests took.
        let mut times = super::model::shares(
            self.response
                .as_ref()
                .and_then(|r| r.response_time)
                .unwrap_or(0),
            self.tests.len() + self.errors.len(),
        );
        let context = request_context(
            method.as_deref(),
            url.as_ref(),
            self.response.as_ref(),
            iteration,
        );

        for test in self.tests {
            let status = match test.status.as_str() {
                "passed" | "pass" => Status::Passed,
                "skipped" | "skip" => Status::Skipped,
                _ => {
                    let error = test.error;
                    let message = error
                        .as_ref()
                        .and_then(|e| e.message.clone())
                        .unwrap_or_else(|| "assertion failed".to_owned());
                    let mut detail = context.clone();
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
            };
            out.push(TestCase {
                request: request.clone(),
                folder: folder.clone(),
                name: test.name,
                iteration,
                status,
                time_ms: times.next().unwrap_or(0),
            });
        }

        for error in self.errors {
            let source = error.get("source").and_then(|s| s.as_str()).unwrap_or("");
            let (name, kind) = match source {
                "request" => ("request", FailureKind::RequestError),
                "pre-request" | "prerequest" => ("pre-request script", FailureKind::ScriptError),
                "post-response" | "test" => ("test script", FailureKind::ScriptError),
                "script-level-request" => {
                    ("script request (pm.sendRequest)", FailureKind::RequestError)
                }
                _ => ("script", FailureKind::ScriptError),
            };
            let message = error_text(&error);
            let mut detail = context.clone();
            if let Some(stack) = error.get("stack").and_then(|s| s.as_str()) {
                detail.push('\n');
                detail.push_str(stack);
            } else {
                detail.push_str(&format!("\n{message}"));
            }
            out.push(TestCase {
                request: request.clone(),
                folder: folder.clone(),
                name: name.to_owned(),
                iteration,
                status: Status::Failed(Failure {
                    kind,
                    message: first_line(&message),
                    detail,
                }),
                time_ms: times.next().unwrap_or(0),
            });
        }
    }
}

impl Execution {
    /// The request as the Postman tab shows it; its headers and bodies only
    /// when `keep` asks for them.
    fn detail(
        &mut self,
        path: &str,
        method: Option<&str>,
        url: Option<&serde_json::Value>,
        keep: RequestDetails,
        summary: &mut ReportSummary,
    ) -> RequestDetail {
        let mut detail = RequestDetail {
            iteration: self.iteration + 1,
            path: path.to_owned(),
            method: method.unwrap_or("?").to_owned(),
            url: url.map(url_text).unwrap_or_default(),
            status: self.response.as_ref().and_then(|r| r.code),
            status_text: self.response.as_ref().and_then(|r| r.status.clone()),
            time_ms: self.response.as_ref().and_then(|r| r.response_time),
            ..RequestDetail::default()
        };
        for test in &self.tests {
            let status = match test.status.as_str() {
                "passed" | "pass" => AssertionStatus::Passed,
                "skipped" | "skip" => AssertionStatus::Skipped,
                _ => AssertionStatus::Failed,
            };
            detail.assertions.push(Assertion {
                name: test.name.clone(),
                status,
                message: (status == AssertionStatus::Failed).then(|| {
                    test.error
                        .as_ref()
                        .and_then(|e| e.message.clone())
                        .unwrap_or_else(|| "assertion failed".to_owned())
                }),
            });
        }
        for error in &self.errors {
            let kind = match error.get("source").and_then(|s| s.as_str()) {
                Some("request" | "script-level-request") => FailureKind::RequestError,
                _ => FailureKind::ScriptError,
            };
            detail.errors.push((kind, error_text(error)));
        }
        // Credential headers are secrets of the run whether or not their
        // request keeps its detail: a body elsewhere may echo them.
        let secrets = &mut summary.header_secrets;
        let request_headers = self
            .request
            .as_mut()
            .and_then(|r| r.headers.take())
            .map(|h| detail::headers(h, secrets));
        let response_headers = self
            .response
            .as_mut()
            .and_then(|r| r.headers.take())
            .map(|h| detail::headers(h, secrets));
        let wanted = match keep {
            RequestDetails::All => true,
            RequestDetails::Failed => detail.failed(),
            RequestDetails::None => false,
        };
        if !wanted {
            return detail;
        }
        let mut message = |headers: Option<Vec<(String, String)>>,
                           body: Option<(String, bool, u64)>| {
            let mut m = Message {
                headers: headers.unwrap_or_default(),
                ..Message::default()
            };
            if let Some((text, cut, size)) = body {
                m.size = size;
                if summary.kept_body_bytes + text.len() > KEPT_BODIES_BUDGET {
                    m.body_truncated = true;
                } else {
                    summary.kept_body_bytes += text.len();
                    m.body = Some(text);
                    m.body_truncated = cut;
                }
            }
            m
        };
        if let Some(request) = self.request.as_mut() {
            let body = request.body.take().and_then(|b| detail::request_body(&b));
            detail.request = Some(message(request_headers, body));
        }
        if let Some(response) = self.response.as_mut() {
            let content_type = response_headers.as_ref().and_then(|h| {
                h.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.clone())
            });
            let body = response
                .stream
                .take()
                .and_then(|b| b.text(content_type.as_deref()));
            detail.response = Some(message(response_headers, body));
        }
        detail
    }
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
fn error_text(error: &serde_json::Value) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape the real CLI 1.62 writes (trimmed: no headers or bodies).
    const REPORT: &str = r#"{"run":{
      "meta":{"collectionId":"1111","collectionName":"Demo API","started":1795610759579,"completed":1795610759829,"duration":250},
      "summary":{"iterations":{"executed":2,"errors":0},"executedRequests":{"executed":4,"errors":1}},
      "executions":[
        {"iterationCount":0,"requestExecuted":{"id":"r1","name":"Fails","url":{"protocol":"http","port":"18080","path":["bad"],"host":["127","0","0","1"],"query":[]},"method":"GET"},
         "response":{"status":"Internal Server Error","code":500,"responseTime":6,"stream":{"type":"Buffer","data":[1,2]}},
         "tests":[{"name":"status is 200","error":{"name":"AssertionError","index":0,"test":"status is 200","message":"expected response to have status code 200 but got 500","stack":"AssertionError: expected response to have status code 200 but got 500\n   at Object.eval sandbox-script.js:1:2)"},"status":"failed"},{"name":"always ok","status":"passed"},{"name":"later","status":"skipped"}],
         "errors":[]},
        {"iterationCount":0,"requestExecuted":{"id":"r2","name":"Script err","method":"GET","url":"http://x/ok"},"response":{"code":200,"status":"OK","responseTime":5},
         "tests":[],"errors":[{"type":"Error","name":"Error","message":"boom","source":"post-response"}]},
        {"iterationCount":1,"requestExecuted":{"id":"r3","name":"Req err","method":"GET","url":{"protocol":"http","host":["127","0","0","1"],"port":"9","path":["x"]}},
         "tests":[{"name":"t","status":"passed"}],
         "errors":[{"errno":-111,"code":"ECONNREFUSED","name":"Error","message":"connect ECONNREFUSED 127.0.0.1:9","stack":"Error: connect ECONNREFUSED 127.0.0.1:9\n    at TCPConnectWrap.afterConnect","source":"request"}]}
      ],
      "runError":null}}"#;

    #[test]
    fn every_assertion_and_error_becomes_a_case() {
        let mut paths = crate::resolve::collection::Collection::parse(
            br#"{"info":{"name":"Demo API"},"item":[{"name":"Folder A","item":[{"id":"r1","name":"Fails","request":{}}]}]}"#,
        )
        .unwrap()
        .request_paths();
        let s = parse_report(REPORT.as_bytes(), &mut paths, RequestDetails::Failed).unwrap();
        assert_eq!((s.iterations, s.requests, s.duration_ms), (2, 4, Some(250)));
        assert_eq!(s.collection_name.as_deref(), Some("Demo API"));
        assert_eq!(s.run_error, None);
        let rendered: Vec<String> = s
            .cases
            .iter()
            .map(|c| match &c.status {
                Status::Failed(f) => format!(
                    "{} › {} #{} FAILED {} {}\n  {}",
                    c.request,
                    c.name,
                    c.iteration,
                    f.kind.as_str(),
                    f.message,
                    f.detail.replace('\n', "\n  ")
                ),
                other => format!("{} › {} #{} {other:?}", c.request, c.name, c.iteration),
            })
            .collect();
        insta::assert_snapshot!(rendered.join("\n"));
    }

    #[test]
    fn a_requests_time_is_shared_among_its_cases_and_counted_once() {
        let s = parse_report(
            REPORT.as_bytes(),
            &mut RequestPaths::default(),
            crate::plan::RequestDetails::None,
        )
        .unwrap();
        let times: Vec<u64> = s.cases.iter().map(|c| c.time_ms).collect();
        // 6 ms over three assertions, 5 ms on one script error, and no
        // response (so no time) for the request that failed.
        assert_eq!(times, [2, 2, 2, 5, 0, 0]);
        assert_eq!(times.iter().sum::<u64>(), 6 + 5);
        assert_eq!(
            crate::report::model::shares(7, 3).collect::<Vec<_>>(),
            [3, 2, 2]
        );
        assert_eq!(
            crate::report::model::shares(2, 3).collect::<Vec<_>>(),
            [1, 1, 0]
        );
        assert_eq!(crate::report::model::shares(9, 0).collect::<Vec<_>>(), [9]);
    }

    #[test]
    fn without_the_tree_an_unnamed_request_is_named_by_method_and_url() {
        let report = r#"{"run":{"executions":[
            {"requestExecuted":{"id":"8606f9eb-9d49-40c9-ace7-2827cce4b5d4","method":"POST","url":"http://x/orders"},
             "tests":[{"name":"ok","status":"passed"}]}]}}"#;
        let s = parse_report(
            report.as_bytes(),
            &mut RequestPaths::default(),
            crate::plan::RequestDetails::None,
        )
        .unwrap();
        assert_eq!(s.cases[0].request, "POST http://x/orders");
    }

    #[test]
    fn a_report_that_does_not_add_up_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let with_totals = |totals: &str| {
            REPORT.replace(
                r#""executedRequests":{"executed":4,"errors":1}}"#,
                &format!(r#""executedRequests":{{"executed":4,"errors":1}},"tests":{totals}}}"#),
            )
        };
        std::fs::write(
            &path,
            with_totals(r#"{"executed":4,"failed":1,"passed":2,"skipped":1}"#),
        )
        .unwrap();
        let read = |path: &std::path::Path| {
            read_report(
                std::fs::File::open(path).unwrap(),
                &mut RequestPaths::default(),
                RequestDetails::Failed,
            )
        };
        assert!(read(&path).is_ok());
        std::fs::write(
            &path,
            with_totals(r#"{"executed":5,"failed":2,"passed":2,"skipped":1}"#),
        )
        .unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("does not add up"), "{err}");
        assert!(
            err.contains("counts 5 assertions (2 failed, 1 skipped), but its executions hold 4 (1 failed, 1 skipped)"),
            "{err}"
        );
    }

    /// Headers and bodies, as the CLI writes them without
    /// `--reporter-json-omitAllHeadersAndBody`.
    const DETAILED: &str = r#"{"run":{"summary":{"executedRequests":{"executed":2}},"executions":[
        {"iterationCount":0,"requestExecuted":{"id":"a","name":"Passes","method":"POST","url":"http://x/ok",
          "headers":[{"key":"Authorization","value":"Bearer tok-passed-1"},{"key":"Accept","value":"*/*","system":true}],
          "body":{"mode":"raw","raw":"{\"q\":1}"}},
         "response":{"code":200,"status":"OK","responseTime":3,"headers":[{"key":"Content-Type","value":"application/json"}],
          "stream":{"type":"Buffer","data":[123,34,111,107,34,58,116,114,117,101,125]}},
         "tests":[{"name":"ok","status":"passed"}],"errors":[]},
        {"iterationCount":0,"requestExecuted":{"id":"b","name":"Fails","method":"GET","url":"http://x/bad",
          "headers":[{"key":"Cookie","value":"sid=c00kie-v4lue"}]},
         "response":{"code":500,"status":"Internal Server Error","responseTime":4,
          "headers":[{"key":"Set-Cookie","value":"next=s3t-c00kie; Path=/"}],
          "stream":{"type":"Buffer","data":[123,34,101,34,58,49,125]}},
         "tests":[{"name":"is 200","status":"failed","error":{"message":"expected 500 to be 200"}}],"errors":[]}
      ]}}"#;

    #[test]
    fn requests_keep_their_detail_as_asked() {
        let read =
            |keep| parse_report(DETAILED.as_bytes(), &mut RequestPaths::default(), keep).unwrap();
        let s = read(RequestDetails::Failed);
        assert_eq!(s.details.len(), 2);
        let (passed, failed) = (&s.details[0], &s.details[1]);
        assert_eq!(
            (
                passed.method.as_str(),
                passed.url.as_str(),
                passed.status,
                passed.time_ms
            ),
            ("POST", "http://x/ok", Some(200), Some(3))
        );
        assert!(!passed.failed() && passed.request.is_none() && passed.response.is_none());
        assert!(failed.failed());
        assert_eq!(
            failed.assertions[0].message.as_deref(),
            Some("expected 500 to be 200")
        );
        let response = failed.response.as_ref().unwrap();
        assert_eq!(response.body.as_deref(), Some("{\n  \"e\": 1\n}"));
        assert_eq!((response.size, response.body_truncated), (7, false));
        assert_eq!(
            failed.request.as_ref().unwrap().headers,
            [("Cookie".to_owned(), "sid=c00kie-v4lue".to_owned())]
        );
        // Credential headers of every request are secrets of the run.
        for v in ["tok-passed-1", "c00kie-v4lue", "s3t-c00kie"] {
            assert!(
                s.header_secrets.iter().any(|h| h == v),
                "{v}: {:?}",
                s.header_secrets
            );
        }

        let all = read(RequestDetails::All);
        let request = all.details[0].request.as_ref().unwrap();
        assert_eq!(request.body.as_deref(), Some("{\n  \"q\": 1\n}"));
        assert_eq!(request.headers.len(), 2);
        let none = read(RequestDetails::None);
        assert!(
            none.details
                .iter()
                .all(|d| d.request.is_none() && d.response.is_none())
        );
        assert_eq!(none.cases, s.cases);
    }

    #[test]
    fn run_errors_and_odd_shapes_are_tolerated() {
        let s = parse_report(
            br#"{"run":{"executions":null,"runError":{"name":"Error","message":"callback timed out"},"extra":[1]}}"#.as_slice(),
            &mut RequestPaths::default(),
            RequestDetails::Failed,
        )
        .unwrap();
        assert_eq!(s.run_error.as_deref(), Some("callback timed out"));
        assert!(s.cases.is_empty());
        assert!(
            parse_report(
                b"{}".as_slice(),
                &mut RequestPaths::default(),
                RequestDetails::Failed
            )
            .is_err()
        );
        assert!(
            parse_report(
                br#"{"run":{"executions":[{"tests":7}]}}"#.as_slice(),
                &mut RequestPaths::default(),
                RequestDetails::Failed
            )
            .is_err()
        );
    }
}
