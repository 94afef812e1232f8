//! The running output's events, put together with the failure list and
//! checked against the totals: one [`Assembler`] method per event, and a
//! run only when every count adds up.

use super::events::{Event, Script};
use super::tables::{Entry, Totals};
use crate::plan::RequestDetails;
use crate::report::collect::{Collector, Place, Seen, listed_failure};
use crate::report::model::{
    Failure, FailureKind, ReadRun, RequestDetail, Status, TestCase, Unreadable, unreadable,
};
use crate::resolve::v3::RunOrder;

/// The request whose results are being read.
struct Current {
    path: String,
    /// The folders around the request (`Folder / Sub folder`).
    folder: String,
    /// Its name, as `inside "…"` gives it.
    name: String,
    iteration: u64,
    method: String,
    url: String,
    /// `200 OK`, once the request line has it.
    status: Option<String>,
    time_ms: Option<u64>,
    cases: Vec<TestCase>,
}

/// What was counted, against the totals.
#[derive(Default)]
struct Counted {
    iteration_headers: u64,
    request_headers: u64,
    assertions: u64,
    failed_assertions: u64,
    test_script_errors: u64,
    prerequest_errors: u64,
    unknown_script_errors: u64,
    failed_requests: u64,
}

pub(super) struct Assembler<'o, 'r> {
    requests: &'o mut RunOrder<'r>,
    totals: Totals,
    failures: std::vec::IntoIter<Entry>,
    collector: Collector,
    current: Option<Current>,
    iteration: u64,
    /// The running failure counter (request errors take no number).
    numbered: u64,
    counted: Counted,
}

impl<'o, 'r> Assembler<'o, 'r> {
    pub(super) fn new(
        requests: &'o mut RunOrder<'r>,
        totals: Totals,
        failures: Vec<Entry>,
        keep: RequestDetails,
    ) -> Assembler<'o, 'r> {
        Assembler {
            requests,
            totals,
            failures: failures.into_iter(),
            collector: Collector::new(keep),
            current: None,
            iteration: 1,
            numbered: 0,
            counted: Counted::default(),
        }
    }

    pub(super) fn event(&mut self, event: Event) -> Result<(), Unreadable> {
        match event {
            Event::Iteration { index, of } => self.iteration_header(index, of),
            Event::Request { id } => self.request_header(&id),
            Event::Sent {
                method,
                url,
                status,
                time_ms,
            } => {
                let c = self.in_request()?;
                (c.method, c.url, c.status, c.time_ms) = (method, url, status, time_ms);
                Ok(())
            }
            Event::Pass(name) => self.assertion(name, Status::Passed),
            Event::Skip(name) => self.assertion(name, Status::Skipped),
            Event::Fail { number, name } => self.failed_assertion(number, name),
            Event::ScriptError {
                number,
                name,
                script,
            } => self.script_error(number, &name, script),
            Event::RequestError { message } => self.request_error(&message),
        }
    }

    fn iteration_header(&mut self, index: u64, of: u64) -> Result<(), Unreadable> {
        self.counted.iteration_headers += 1;
        if index != self.counted.iteration_headers || of != self.totals.iterations.executed {
            return unreadable(format!("unexpected `Iteration {index}/{of}`"));
        }
        self.iteration = index;
        Ok(())
    }

    fn request_header(&mut self, id: &str) -> Result<(), Unreadable> {
        self.counted.request_headers += 1;
        let Some(request) = self.requests.resolve(id) else {
            return unreadable(format!(
                "the run names a request `{id}` the collection does not have"
            ));
        };
        self.end_request();
        self.current = Some(Current {
            path: request.path(),
            folder: request.folders.join(" / "),
            name: request.name.clone(),
            iteration: self.iteration,
            method: request.method.clone().unwrap_or_default(),
            url: request.url.clone().unwrap_or_default(),
            status: None,
            time_ms: None,
            cases: Vec::new(),
        });
        Ok(())
    }

    fn assertion(&mut self, name: String, status: Status) -> Result<(), Unreadable> {
        self.counted.assertions += 1;
        self.in_request()?;
        self.push(name, status);
        Ok(())
    }

    fn failed_assertion(&mut self, number: u64, name: String) -> Result<(), Unreadable> {
        self.in_request()?;
        self.next_number(number, || format!("failure `{number}. {name}`"))?;
        self.counted.assertions += 1;
        self.counted.failed_assertions += 1;
        let entry = self.next_entry()?;
        if entry.detail.first().map(|s| s.as_str()) != Some(name.trim_end()) {
            return unreadable(format!(
                "failure {} of the failure list is not the assertion `{name}`",
                entry.number
            ));
        }
        if entry.at().is_some_and(|at| !at.starts_with("assertion:")) {
            return unreadable(format!("failure {} is not an assertion", entry.number));
        }
        self.push_failure(name, FailureKind::Assertion, &entry);
        Ok(())
    }

    fn script_error(&mut self, number: u64, name: &str, script: Script) -> Result<(), Unreadable> {
        self.in_request()?;
        self.next_number(number, || format!("script error `{number}`"))?;
        let (label, at) = match script {
            Script::Test => {
                self.counted.test_script_errors += 1;
                ("test script", Some("test-script"))
            }
            Script::Prerequest => {
                self.counted.prerequest_errors += 1;
                // The request is not sent; the CLI counts it as failed.
                self.counted.failed_requests += 1;
                ("pre-request script", Some("prerequest-script"))
            }
            Script::Unknown => {
                self.counted.unknown_script_errors += 1;
                ("script", None)
            }
        };
        let entry = self.next_entry()?;
        if entry.error_name != name || at.is_some_and(|at| entry.at() != Some(at)) {
            return unreadable(format!(
                "failure {} of the failure list is not the {label} error `{name}`",
                entry.number
            ));
        }
        self.push_failure(label.to_owned(), FailureKind::ScriptError, &entry);
        Ok(())
    }

    fn request_error(&mut self, message: &str) -> Result<(), Unreadable> {
        self.in_request()?;
        self.counted.failed_requests += 1;
        let entry = self.next_entry()?;
        if entry.at().is_some_and(|at| at != "request") {
            return unreadable(format!(
                "failure {} of the failure list is not the request error `{message}`",
                entry.number
            ));
        }
        self.push_failure("request".to_owned(), FailureKind::RequestError, &entry);
        Ok(())
    }

    fn in_request(&mut self) -> Result<&mut Current, Unreadable> {
        self.current
            .as_mut()
            .ok_or_else(|| Unreadable("a result comes before any request".to_owned()))
    }

    /// Failure numbers run in sequence.
    fn next_number(&mut self, number: u64, what: impl Fn() -> String) -> Result<(), Unreadable> {
        self.numbered += 1;
        if number != self.numbered {
            return unreadable(format!("{} is out of sequence", what()));
        }
        Ok(())
    }

    /// The failure list's next entry, which must be about this request.
    fn next_entry(&mut self) -> Result<Entry, Unreadable> {
        let Some(entry) = self.failures.next() else {
            return unreadable("the failure list has fewer failures than the run printed");
        };
        let c = self.in_request()?;
        if let Some(inside) = entry.inside()
            && inside != c.name
        {
            return unreadable(format!(
                "failure {} is inside \"{inside}\", but the run was at `{}`",
                entry.number, c.path
            ));
        }
        Ok(entry)
    }

    fn push(&mut self, name: String, status: Status) {
        if let Some(c) = self.current.as_mut() {
            c.cases.push(TestCase {
                request: c.path.clone(),
                folder: c.folder.clone(),
                name,
                iteration: u32::try_from(c.iteration).unwrap_or(u32::MAX),
                status,
                time_ms: 0,
            });
        }
    }

    fn push_failure(&mut self, name: String, kind: FailureKind, entry: &Entry) {
        if let Some(c) = &self.current {
            let failure = failure(kind, entry, c);
            self.push(name, Status::Failed(failure));
        }
    }

    /// The end of a request's results: it goes to the collector, which
    /// shares its time among its cases and keeps its detail.
    fn end_request(&mut self) {
        let Some(c) = self.current.take() else {
            return;
        };
        let status = c.status.as_deref();
        let seen = Seen {
            outline: RequestDetail {
                iteration: u32::try_from(c.iteration).unwrap_or(u32::MAX),
                path: c.path,
                method: c.method,
                url: c.url,
                status: status
                    .and_then(|s| s.split_whitespace().next())
                    .and_then(|code| code.parse().ok()),
                status_text: status
                    .and_then(|s| s.split_once(' '))
                    .map(|(_, text)| text.to_owned()),
                time_ms: c.time_ms,
                ..RequestDetail::default()
            },
            request: None,
            response: None,
        };
        self.collector.request(seen, c.cases);
    }

    /// The run, when every count adds up to the totals.
    pub(super) fn finish(mut self) -> Result<ReadRun, Unreadable> {
        self.end_request();
        if let Some(extra) = self.failures.next() {
            return unreadable(format!(
                "failure {} of the failure list has no result line",
                extra.number
            ));
        }
        let (totals, counted) = (&self.totals, &self.counted);
        let expected_iteration_headers = match totals.iterations.executed {
            0 | 1 => 0,
            n => n,
        };
        let checks = [
            (
                "iterations",
                counted.iteration_headers,
                expected_iteration_headers,
            ),
            (
                "requests",
                counted.request_headers,
                totals.requests.executed,
            ),
            (
                "failed requests",
                counted.failed_requests,
                totals.requests.failed,
            ),
            ("assertions", counted.assertions, totals.assertions.executed),
            (
                "failed assertions",
                counted.failed_assertions,
                totals.assertions.failed,
            ),
            (
                "failed scripts",
                counted.test_script_errors
                    + counted.prerequest_errors
                    + counted.unknown_script_errors,
                totals.test_scripts.failed + totals.prerequest_scripts.failed,
            ),
        ];
        for (what, read, table) in checks {
            if read != table {
                return unreadable(format!(
                    "{read} {what} were read but the CLI's totals say {table}"
                ));
            }
        }
        if counted.test_script_errors > totals.test_scripts.failed
            || counted.prerequest_errors > totals.prerequest_scripts.failed
        {
            return unreadable("the script errors read do not match the CLI's totals");
        }
        let totals = self.totals;
        let mut run = self.collector.finish();
        run.iterations = u32::try_from(totals.iterations.executed).unwrap_or(u32::MAX);
        run.requests = totals.requests.executed;
        run.duration_ms = totals.duration_ms;
        Ok(run)
    }
}

/// A failure as its failure-list entry tells it, where the run was.
fn failure(kind: FailureKind, entry: &Entry, c: &Current) -> Failure {
    let place = Place {
        method: &c.method,
        url: &c.url,
        status: c.status.as_deref(),
        time_ms: c.time_ms,
        iteration: c.iteration,
    };
    let message = entry.message_lines().join("\n");
    listed_failure(kind, &entry.error_name, &message, entry.at(), &place)
}
