//! Where every reader puts a run together: it hands over each request as
//! it ran, with that request's cases, and the [`Collector`] does the rest
//! the same way for every report: the request's response time shared among
//! its cases (so it is counted once), the request's detail for the Postman
//! tab built from those cases, the headers and bodies kept as
//! `requestDetails` asks (within one budget per run), the values of
//! credential headers taken as secrets of the run, and the characters no
//! sink can carry (U+FFFE, U+FFFF, C0 controls) in names, messages, paths
//! and URLs made visible text (see [`super::js_json::make_visible`]).

use super::detail::{self, HeaderEntry};
use super::js_json::make_visible;
use super::model::{
    Assertion, AssertionStatus, Failure, FailureKind, Message, ReadRun, RequestDetail, Status,
    TestCase, shares,
};
use crate::plan::RequestDetails;

/// The most body text kept in memory for one run (the attachment holds
/// less): past it, bodies are left out and said to be.
const KEPT_BODIES_BUDGET: usize = 16 * 1024 * 1024;

/// One request as it ran, as a report tells it.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Where it went and what came back: the iteration, path, method, URL,
    /// status and time. The collector fills in the rest from its cases.
    pub(crate) outline: RequestDetail,
    /// What was sent, when the report has it.
    pub(crate) request: Option<Exchange>,
    /// What came back, when the report has it.
    pub(crate) response: Option<Exchange>,
}

/// A request or response as a report gives it.
#[derive(Debug, Default)]
pub(crate) struct Exchange {
    pub(crate) headers: Vec<HeaderEntry>,
    pub(crate) body: Option<Body>,
}

/// A body as read: its text (at most [`detail::BODY_READ`] bytes), whether
/// that is all of it, and its size as sent or received.
#[derive(Debug)]
pub(crate) struct Body {
    pub(crate) text: String,
    pub(crate) cut: bool,
    pub(crate) size: u64,
}

impl Body {
    /// Text of `size` bytes, cut at what the report stage keeps of a body.
    pub(crate) fn of(text: String, size: u64) -> Body {
        let (text, cut) = detail::cut(text, detail::BODY_READ);
        Body { text, cut, size }
    }
}

/// Builds a [`ReadRun`] one request at a time.
#[derive(Debug)]
pub(crate) struct Collector {
    keep: RequestDetails,
    run: ReadRun,
    /// Body bytes kept so far, against [`KEPT_BODIES_BUDGET`].
    kept_body_bytes: usize,
}

impl Collector {
    pub(crate) fn new(keep: RequestDetails) -> Collector {
        Collector {
            keep,
            run: ReadRun::default(),
            kept_body_bytes: 0,
        }
    }

    /// The run so far, for what a reader knows of it as a whole.
    pub(crate) fn run(&mut self) -> &mut ReadRun {
        &mut self.run
    }

    /// A request and its cases, in the order the report gives them.
    pub(crate) fn request(&mut self, seen: Seen, mut cases: Vec<TestCase>) {
        let mut detail = seen.outline;
        for text in [&mut detail.path, &mut detail.url]
            .into_iter()
            .chain(detail.status_text.as_mut())
        {
            visible(text);
        }
        for case in &mut cases {
            visible(&mut case.request);
            visible(&mut case.folder);
            visible(&mut case.name);
            if let Status::Failed(f) = &mut case.status {
                visible(&mut f.message);
                visible(&mut f.detail);
            }
        }
        let times = shares(detail.time_ms.unwrap_or(0), cases.len());
        for (case, ms) in cases.iter_mut().zip(times) {
            case.time_ms = ms;
        }
        outcomes(&mut detail, &cases);
        // Credential headers are secrets of the run whether or not their
        // request keeps its detail: a body elsewhere may echo them.
        let secrets = &mut self.run.header_secrets;
        let mut read = |exchange: Option<Exchange>| {
            exchange.map(|e| (detail::headers(e.headers, secrets), e.body))
        };
        let (request, response) = (read(seen.request), read(seen.response));
        let wanted = match self.keep {
            RequestDetails::All => true,
            RequestDetails::Failed => detail.failed(),
            RequestDetails::None => false,
        };
        if wanted {
            detail.request = request.map(|(h, b)| self.message(h, b));
            detail.response = response.map(|(h, b)| self.message(h, b));
        }
        self.run.details.push(detail);
        self.run.cases.extend(cases);
    }

    fn message(&mut self, headers: Vec<(String, String)>, body: Option<Body>) -> Message {
        let mut m = Message {
            headers,
            ..Message::default()
        };
        if let Some(body) = body {
            m.size = body.size;
            if self.kept_body_bytes + body.text.len() > KEPT_BODIES_BUDGET {
                m.body_truncated = true;
            } else {
                self.kept_body_bytes += body.text.len();
                m.body_truncated = body.cut;
                m.body = Some(body.text);
            }
        }
        m
    }

    pub(crate) fn finish(self) -> ReadRun {
        self.run
    }
}

fn visible(text: &mut String) {
    if let Some(shown) = make_visible(text) {
        *text = shown;
    }
}

/// What became of a request's tests and errors, from its cases.
fn outcomes(detail: &mut RequestDetail, cases: &[TestCase]) {
    for case in cases {
        match (&case.status, case.is_assertion()) {
            (Status::Failed(f), false) => detail.errors.push((f.kind, f.message.clone())),
            (status, _) => detail.assertions.push(Assertion {
                name: case.name.clone(),
                status: match status {
                    Status::Passed => AssertionStatus::Passed,
                    Status::Skipped => AssertionStatus::Skipped,
                    Status::Failed(_) => AssertionStatus::Failed,
                },
                message: case.failure().map(|f| f.message.clone()),
            }),
        }
    }
}

/// Where a failure happened, as a v3 run's reports tell it.
pub(crate) struct Place<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    /// `200 OK`; `None` when no response arrived.
    pub(crate) status: Option<&'a str>,
    pub(crate) time_ms: Option<u64>,
    pub(crate) iteration: u64,
}

/// A failure as a v3 run's reports list it: its error's name
/// (`AssertionError`, `JSONError`, `Error`), its message (maybe several
/// lines) and where it was raised (`test-script`). Worded alike from the
/// console and the YAML report, and as the JSON report of a v2.1 run words
/// errors (`JSONError: …`, a plain `Error` unnamed), so every source gives
/// the same JUnit.
pub(crate) fn listed_failure(
    kind: FailureKind,
    error_name: &str,
    message: &str,
    at: Option<&str>,
    place: &Place<'_>,
) -> Failure {
    let first = message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(error_name);
    let one_line = if kind != FailureKind::Assertion
        && error_name != "Error"
        && !first.starts_with(error_name)
    {
        format!("{error_name}: {first}")
    } else {
        first.to_owned()
    };
    let method = if place.method.is_empty() {
        "?"
    } else {
        place.method
    };
    let mut detail = format!(
        "{method} {} → {}",
        place.url,
        place.status.unwrap_or("no response")
    );
    if let (Some(ms), Some(_)) = (place.time_ms, place.status) {
        detail.push_str(&format!(" ({ms} ms)"));
    }
    detail.push_str(&format!(
        ", iteration {}\n{error_name}: {message}",
        place.iteration
    ));
    if let Some(at) = at {
        detail.push_str("\nat ");
        detail.push_str(at);
    }
    Failure {
        kind,
        message: one_line,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, status: Status) -> TestCase {
        TestCase {
            request: "R".into(),
            folder: String::new(),
            name: name.into(),
            iteration: 1,
            status,
            time_ms: 0,
        }
    }

    fn seen(time: u64, header: &str) -> Seen {
        let exchange = || Exchange {
            headers: serde_json::from_str(&format!(
                r#"[{{"key":"Authorization","value":"Bearer {header}"}}]"#
            ))
            .unwrap(),
            body: Some(Body::of("{}".into(), 2)),
        };
        Seen {
            outline: RequestDetail {
                iteration: 1,
                path: "R".into(),
                method: "GET".into(),
                url: "http://x/".into(),
                status: Some(200),
                time_ms: Some(time),
                ..RequestDetail::default()
            },
            request: Some(exchange()),
            response: Some(exchange()),
        }
    }

    #[test]
    fn a_request_gives_its_time_once_and_its_detail_from_its_cases() {
        let failed = Status::Failed(Failure {
            kind: FailureKind::ScriptError,
            message: "boom".into(),
            detail: String::new(),
        });
        let mut c = Collector::new(RequestDetails::Failed);
        c.request(
            seen(7, "tok-passing-1"),
            vec![case("a", Status::Passed), case("b", Status::Skipped)],
        );
        c.request(
            seen(5, "tok-failing-2"),
            vec![
                case("c\u{7}\u{FFFF}", Status::Passed),
                case("test script", failed),
            ],
        );
        let run = c.finish();
        let times: Vec<u64> = run.cases.iter().map(|c| c.time_ms).collect();
        assert_eq!(times, [4, 3, 3, 2]);
        let (passing, failing) = (&run.details[0], &run.details[1]);
        assert_eq!(passing.assertions.len(), 2);
        assert!(passing.request.is_none() && passing.response.is_none());
        assert_eq!(failing.errors, [(FailureKind::ScriptError, "boom".into())]);
        assert_eq!(run.cases[2].name, r"c\u0007\uFFFF", "made visible");
        assert_eq!(
            failing.response.as_ref().unwrap().body.as_deref(),
            Some("{}")
        );
        // Both requests' credentials are secrets of the run.
        for token in ["tok-passing-1", "tok-failing-2"] {
            assert!(run.header_secrets.iter().any(|s| s == token), "{token}");
        }
    }
}
