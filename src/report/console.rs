//! Reads the results of a v3 collection run from the `cli` reporter's
//! console output, strictly.
//!
//! A v3 run has no JSON report (`-r json`/`junit` are refused), so its
//! console report (run with `--color off --disable-unicode`) is the only
//! record of it without an Enterprise team's `--output`. What was read must
//! add up to the CLI's own totals table, or [`parse`] fails with
//! [`Unreadable`]: it never returns a pass it cannot account for.
//!
//! Measured with Postman CLI 1.62.0 (`lib/reporters/cli/index.js`,
//! `unified-reporter.js`, `modules/*.js`, `cli-utils-symbols.js`; fixtures in
//! `tests/fixtures/v3/`):
//! - **Request lines.** Each request starts with `Root <id>` (or
//!   `Sub-folder <id>` under a `Folder <name>` line) between blank lines:
//!   the request's `id`, or a random 24-hex-digit one for a request saved
//!   without an id, never its name. Then `  GET <resolved url> [200 OK,
//!   186 B, 5 ms]`.
//! - **Assertions**: `  Pass  <name>`; a failure `  <n>. <name>` with `n`
//!   right-aligned in three columns (`123. name` from the 100th); a skipped
//!   test `  -  [skipped] <name>` (skipped tests count as executed in the
//!   totals). A name is printed as is, new lines included.
//! - **Script errors**: `  <n>⠄ JSONError in test-script` (U+2804 even with
//!   `--disable-unicode`), `… in prerequest-script`. They share the failure
//!   counter `n` with failed assertions. After a pre-request script error
//!   the request is not sent and its test script does not run.
//! - **Request errors**: `  GET http://127.0.0.1:1/x [errored]`, then the
//!   message indented by five spaces. They do *not* take a number in the
//!   running output, but do in the failure list. A v3 run skips the test
//!   script after a request error (a v2.1 run runs it).
//! - **`console.log`** output is boxed: a `  -` line, every line of the
//!   message prefixed `  | ` (wrapped at 54 columns, new lines in strings
//!   shown as `\n`), a `  -` line. It cannot start a line with anything else.
//! - **Iterations**: `Iteration <i>/<n>` before each iteration, only when
//!   there are two or more.
//! - **Totals table** (`|              assertions |   14 |   3 |`): rows
//!   iterations, requests, test-scripts, prerequest-scripts, assertions
//!   (executed, failed), plus `mocked requests` and `mock assertions` with
//!   `--use-mock`. `requests … failed` counts request errors *and* requests
//!   whose pre-request script failed. Then run duration, data received,
//!   average response time.
//! - **Failure list**: `  #  failure  detail`, then one entry per failure of
//!   every iteration in run order: `<n>.` (zero-padded to the count's
//!   width), the error name (`AssertionError`, `JSONError`, `Error`), and the
//!   detail lines: the test's name (empty for script and request errors),
//!   the message (possibly several lines), `at assertion:1 in test-script` /
//!   `at test-script` / `at prerequest-script` / `at request`, and
//!   `inside "<request name>"` (the name, not the path). v3 failures carry no
//!   `iteration:` line. Off a terminal the table is not wrapped, only padded
//!   with spaces.
//! - **Exit codes**: 1 when anything failed (assertion, script or request
//!   error), 0 otherwise; also 1 for an unknown `-i` and for a refused
//!   reporter.
//! - **Flags**: only the `cli` reporter: `-r json` fails before the run with
//!   `Error: Reporter "json" is not supported for multi-protocol
//!   collections.` / `Only the "cli" reporter is supported …` (likewise
//!   `-r cli,junit`). `-d <data file>` and `-n` iterate as for v2.1; `-i`
//!   works (see [`crate::resolve::v3`]); `-e`/`-g` take JSON and YAML
//!   files (see [`crate::resolve::variables`]); `--use-mock` works and adds the
//!   mock rows to the totals table.
//! - **Counts against a v2.1 run** of the migrated collection: after a
//!   request error the v3 run skips that request's test script (so its
//!   assertions are neither run nor counted); failures carry no iteration.
//!
//! **Against forged results.** Scripts can print anything through a test's
//! name (new lines included) but only add lines: every real result line is
//! still printed. So every recognised result line is counted and the counts
//! must equal the totals table: results, failures, scripts errors, request
//! headers and iteration headers. Failure numbers must run in sequence, and
//! each failure must match its failure-list entry (its test name, its
//! kind, and the request name in `inside "…"`). The totals table is the last
//! one printed and must follow every result line.

use std::collections::HashMap;

use crate::report::model::{
    Assertion, AssertionStatus, Failure, FailureKind, RequestDetail, Status, TestCase,
};
use crate::resolve::v3::RunOrder;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("results could not be read from the Postman CLI's output: {0}")]
pub(crate) struct Unreadable(pub(crate) String);

fn unreadable<T>(why: impl Into<String>) -> Result<T, Unreadable> {
    Err(Unreadable(why.into()))
}

/// One row of the totals table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) executed: u64,
    pub(crate) failed: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) iterations: Row,
    pub(crate) requests: Row,
    pub(crate) test_scripts: Row,
    pub(crate) prerequest_scripts: Row,
    pub(crate) assertions: Row,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConsoleRun {
    pub(crate) totals: Totals,
    /// One per assertion per iteration, plus one per request or script error.
    pub(crate) cases: Vec<TestCase>,
    /// Each request as it ran, for the Postman tab: what the console says
    /// of it (no headers or bodies: a v3 run has no JSON report).
    pub(crate) details: Vec<RequestDetail>,
}

/// Reads the stdout of `postman collection run <v3 folder> --color off
/// --disable-unicode` (reporter `cli`). `requests` tells which request each
/// `Root <id>` line is about (see [`crate::resolve::v3::RunOrder`]).
pub(crate) fn parse(stdout: &str, requests: &mut RunOrder<'_>) -> Result<ConsoleRun, Unreadable> {
    let lines: Vec<&str> = stdout.lines().map(|l| l.trim_end_matches('\r')).collect();
    let Some(header) = lines.iter().rposition(|l| is_totals_header(l)) else {
        return unreadable("the totals table is missing");
    };
    let (totals, after) = read_totals(&lines, header)?;
    let failures = read_failure_list(&lines[after..])?;
    let events = read_events(&lines[..header])?;
    assemble(events, failures, totals, requests)
}

// ---- The running output ----

#[derive(Debug)]
enum Event {
    Iteration {
        index: u64,
        of: u64,
    },
    Request {
        id: String,
    },
    Sent {
        method: String,
        url: String,
        status: Option<String>,
        time_ms: Option<u64>,
    },
    RequestError {
        message: String,
    },
    Pass(String),
    Skip(String),
    Fail {
        number: u64,
        name: String,
    },
    ScriptError {
        number: u64,
        name: String,
        script: Script,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Script {
    Test,
    Prerequest,
    Unknown,
}

fn read_events(lines: &[&str]) -> Result<Vec<Event>, Unreadable> {
    let mut events = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if let Some(rest) = line.strip_prefix("Iteration ") {
            if let Some((a, b)) = rest.split_once('/')
                && let (Ok(index), Ok(of)) = (a.parse(), b.parse())
            {
                events.push(Event::Iteration { index, of });
            }
            continue;
        }
        if let Some(id) = line
            .strip_prefix("Root ")
            .or_else(|| line.strip_prefix("Sub-folder "))
        {
            events.push(Event::Request { id: id.to_owned() });
            continue;
        }
        if line == "[errored]" || (line.starts_with("  ") && line.ends_with(" [errored]")) {
            if line != "[errored]" {
                events.push(Event::Sent {
                    method: first_word(line),
                    url: url_of(&line[..line.len() - " [errored]".len()]),
                    status: None,
                    time_ms: None,
                });
            }
            let message = lines
                .get(i)
                .and_then(|l| l.strip_prefix("     "))
                .map(str::to_owned);
            if message.is_some() {
                i += 1;
            }
            events.push(Event::RequestError {
                message: message.unwrap_or_default(),
            });
            continue;
        }
        if let Some(name) = line.strip_prefix("  Pass  ") {
            events.push(Event::Pass(name.to_owned()));
            continue;
        }
        if let Some(name) = line.strip_prefix("  -  [skipped] ") {
            events.push(Event::Skip(name.to_owned()));
            continue;
        }
        if let Some((number, rest)) = numbered(line, '.') {
            if let Some(name) = rest.strip_prefix(' ') {
                events.push(Event::Fail {
                    number,
                    name: name.to_owned(),
                });
            }
            continue;
        }
        if let Some((number, rest)) = numbered(line, '\u{2804}') {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let (name, script) = if let Some(n) = rest.strip_suffix(" in test-script") {
                (n, Script::Test)
            } else if let Some(n) = rest.strip_suffix(" in prerequest-script") {
                (n, Script::Prerequest)
            } else if let Some(n) = rest.strip_suffix(" in unknown-script") {
                (n, Script::Unknown)
            } else {
                continue;
            };
            events.push(Event::ScriptError {
                number,
                name: name.to_owned(),
                script,
            });
            continue;
        }
        if let Some(sent) = request_line(line) {
            events.push(sent);
        }
        // Anything else (console boxes, blank lines, `Folder` lines, the
        // banner, warnings) carries no result.
    }
    Ok(events)
}

/// `  1. name` / ` 12⠄ …` / `123. name`: the number right-aligned in three
/// columns, then the marker.
fn numbered(line: &str, marker: char) -> Option<(u64, &str)> {
    let pos = line.find(marker)?;
    let head = &line[..pos];
    let digits = head.trim_start_matches(' ');
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || head.len() != digits.len().max(3)
    {
        return None;
    }
    Some((digits.parse().ok()?, &line[pos + marker.len_utf8()..]))
}

/// `  GET http://host/path [200 OK, 186 B, 5 ms]`.
fn request_line(line: &str) -> Option<Event> {
    let body = line.strip_prefix("  ")?;
    if body.starts_with(' ') || !body.ends_with(']') {
        return None;
    }
    let open = body.rfind(" [")?;
    let inner = &body[open + 2..body.len() - 1];
    let parts: Vec<&str> = inner.split(", ").collect();
    if parts.len() != 3 {
        return None;
    }
    let (code, _) = parts[0].split_once(' ').unwrap_or((parts[0], ""));
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Event::Sent {
        method: first_word(line),
        url: url_of(&line[..open + 2]),
        status: Some(parts[0].to_owned()),
        time_ms: duration_ms(parts[2]),
    })
}

/// The URL of `  GET http://host/path ` (the request line without its
/// bracket).
fn url_of(line: &str) -> String {
    let body = line.trim();
    body.split_once(' ')
        .map(|(_, url)| url.to_owned())
        .unwrap_or_default()
}

fn first_word(line: &str) -> String {
    line.split_whitespace().next().unwrap_or("").to_owned()
}

/// The reporter's `prettyms`: `990 us`, `5 ms`, `1.2 s`, `1m 5s`…
fn duration_ms(text: &str) -> Option<u64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let n: f64 = number.parse().ok()?;
    let ms = match unit {
        "us" | "µs" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    };
    Some(ms.round() as u64)
}

// ---- The totals table ----

fn is_totals_header(line: &str) -> bool {
    let cells = table_cells(line);
    cells.len() == 3 && cells[0].is_empty() && cells[1] == "executed" && cells[2] == "failed"
}

/// `|  a |  b |  c |` → `["a", "b", "c"]`; empty for other lines.
fn table_cells(line: &str) -> Vec<&str> {
    match line.strip_prefix('|').and_then(|l| l.strip_suffix('|')) {
        Some(inner) => inner.split('|').map(str::trim).collect(),
        None => Vec::new(),
    }
}

/// Reads the table from its header; returns the totals and the index of
/// the first line after the table.
fn read_totals(lines: &[&str], header: usize) -> Result<(Totals, usize), Unreadable> {
    let mut rows: HashMap<&str, Row> = HashMap::new();
    let mut i = header + 1;
    while let Some(line) = lines.get(i) {
        if line.starts_with('-') {
            i += 1;
            continue;
        }
        let cells = table_cells(line);
        if cells.is_empty() {
            break;
        }
        if cells.len() == 3 {
            let (Ok(executed), Ok(failed)) = (cells[1].parse(), cells[2].parse()) else {
                return unreadable(format!("a totals row cannot be read: {line}"));
            };
            if rows.insert(cells[0], Row { executed, failed }).is_some() {
                return unreadable(format!("the totals row `{}` appears twice", cells[0]));
            }
        }
        i += 1;
    }
    let mut row = |label: &str| {
        rows.remove(label)
            .ok_or_else(|| Unreadable(format!("the totals row `{label}` is missing")))
    };
    let totals = Totals {
        iterations: row("iterations")?,
        requests: row("requests")?,
        test_scripts: row("test-scripts")?,
        prerequest_scripts: row("prerequest-scripts")?,
        assertions: row("assertions")?,
    };
    Ok((totals, i))
}

// ---- The failure list ----

#[derive(Debug)]
struct Entry {
    number: u64,
    error_name: String,
    detail: Vec<String>,
}

impl Entry {
    /// The last `inside "…"` line's name.
    fn inside(&self) -> Option<&str> {
        self.tail_line("inside \"")
            .and_then(|l| l.strip_prefix("inside \"")?.strip_suffix('"'))
    }
    fn at(&self) -> Option<&str> {
        self.tail_line("at ").map(|l| &l[3..])
    }
    fn tail_line(&self, prefix: &str) -> Option<&str> {
        self.detail
            .iter()
            .rev()
            .take(2)
            .find(|l| l.starts_with(prefix))
            .map(String::as_str)
    }
    /// The detail between the test name and the `at`/`inside` lines.
    fn message_lines(&self) -> &[String] {
        let mut end = self.detail.len();
        if self.inside().is_some() {
            end -= 1;
        }
        if end > 0 && self.detail[end - 1].starts_with("at ") {
            end -= 1;
        }
        if end <= 1 { &[] } else { &self.detail[1..end] }
    }
}

fn read_failure_list(lines: &[&str]) -> Result<Vec<Entry>, Unreadable> {
    let Some(start) = lines.iter().position(|l| is_failure_header(l)) else {
        return Ok(Vec::new());
    };
    let header = lines[start];
    let name_col = header.find("failure").unwrap_or(0).saturating_sub(1);
    let detail_col = header.find("detail").unwrap_or(0);
    let mut entries: Vec<Entry> = Vec::new();
    for line in &lines[start + 1..] {
        if !line.is_empty() && !line.starts_with(' ') {
            break; // The table's rows all start with its padding.
        }
        let chars: Vec<char> = line.chars().collect();
        let cut = |from: usize, to: usize| -> String {
            chars
                .get(from.min(chars.len())..to.min(chars.len()))
                .map(|c| c.iter().collect::<String>())
                .unwrap_or_default()
        };
        let index = cut(0, name_col);
        let index = index.trim();
        let detail = cut(detail_col, chars.len()).trim_end().to_owned();
        if let Some(number) = index.strip_suffix('.').and_then(|n| n.parse().ok())
            && index[..index.len() - 1].bytes().all(|b| b.is_ascii_digit())
        {
            entries.push(Entry {
                number,
                error_name: cut(name_col, detail_col).trim().to_owned(),
                detail: vec![detail],
            });
        } else if !index.is_empty() {
            return unreadable(format!("a failure list line cannot be read: {line}"));
        } else if let Some(entry) = entries.last_mut() {
            entry.detail.push(detail);
        }
    }
    // Blank separator rows between entries.
    for entry in &mut entries {
        while entry.detail.len() > 1 && entry.detail.last().is_some_and(|l| l.is_empty()) {
            entry.detail.pop();
        }
    }
    for (k, entry) in entries.iter().enumerate() {
        if entry.number != k as u64 + 1 {
            return unreadable(format!(
                "failure {} of the failure list is numbered {}",
                k + 1,
                entry.number
            ));
        }
    }
    Ok(entries)
}

fn is_failure_header(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words == ["#", "failure", "detail"] && line.starts_with(' ')
}

// ---- Putting it together ----

struct Current {
    path: String,
    /// The folders around the request (`Folder / Sub folder`).
    folder: String,
    /// Where this request's cases start in the run's cases.
    first_case: usize,
    name: String,
    method: String,
    url: String,
    status: Option<String>,
    time_ms: Option<u64>,
}

fn assemble(
    events: Vec<Event>,
    failures: Vec<Entry>,
    totals: Totals,
    requests: &mut RunOrder<'_>,
) -> Result<ConsoleRun, Unreadable> {
    let mut cases = Vec::new();
    let mut details = Vec::new();
    let mut iteration: u64 = 1;
    let mut iteration_headers = 0u64;
    let mut request_headers = 0u64;
    let mut numbered = 0u64; // The running failure counter (no request errors).
    let mut failures = failures.into_iter();
    let mut counted = Counted::default();
    let mut current: Option<Current> = None;

    for event in events {
        match event {
            Event::Iteration { index, of } => {
                iteration_headers += 1;
                if index != iteration_headers || of != totals.iterations.executed {
                    return unreadable(format!("unexpected `Iteration {index}/{of}`"));
                }
                iteration = index;
            }
            Event::Request { id } => {
                request_headers += 1;
                let Some(request) = requests.resolve(&id) else {
                    return unreadable(format!(
                        "the run names a request `{id}` the collection does not have"
                    ));
                };
                end_request(&mut cases, &mut details, current.as_ref());
                current = Some(Current {
                    path: request.path(),
                    folder: request.folders.join(" / "),
                    first_case: cases.len(),
                    name: request.name.clone(),
                    method: request.method.clone().unwrap_or_default(),
                    url: request.url.clone().unwrap_or_default(),
                    status: None,
                    time_ms: None,
                });
            }
            Event::Sent {
                method,
                url,
                status,
                time_ms,
            } => {
                let c = in_request(&mut current)?;
                c.method = method;
                c.url = url;
                c.status = status;
                c.time_ms = time_ms;
            }
            Event::Pass(name) => {
                let c = in_request(&mut current)?;
                counted.assertions += 1;
                cases.push(case(c, name, iteration, Status::Passed));
            }
            Event::Skip(name) => {
                let c = in_request(&mut current)?;
                counted.assertions += 1;
                cases.push(case(c, name, iteration, Status::Skipped));
            }
            Event::Fail { number, name } => {
                let c = in_request(&mut current)?;
                numbered += 1;
                if number != numbered {
                    return unreadable(format!("failure `{number}. {name}` is out of sequence"));
                }
                counted.assertions += 1;
                counted.failed_assertions += 1;
                let entry = next_entry(&mut failures, c)?;
                if entry.detail.first().map(|s| s.as_str()) != Some(name.trim_end()) {
                    return unreadable(format!(
                        "failure {} of the failure list is not the assertion `{name}`",
                        entry.number
                    ));
                }
                if entry.at().is_some_and(|at| !at.starts_with("assertion:")) {
                    return unreadable(format!("failure {} is not an assertion", entry.number));
                }
                let failure = failure(FailureKind::Assertion, &entry, c, iteration);
                cases.push(case(c, name, iteration, Status::Failed(failure)));
            }
            Event::ScriptError {
                number,
                name,
                script,
            } => {
                let c = in_request(&mut current)?;
                numbered += 1;
                if number != numbered {
                    return unreadable(format!("script error `{number}` is out of sequence"));
                }
                let (label, at) = match script {
                    Script::Test => {
                        counted.test_script_errors += 1;
                        ("test script", Some("test-script"))
                    }
                    Script::Prerequest => {
                        counted.prerequest_errors += 1;
                        // The request is not sent; the CLI counts it as failed.
                        counted.failed_requests += 1;
                        ("pre-request script", Some("prerequest-script"))
                    }
                    Script::Unknown => {
                        counted.unknown_script_errors += 1;
                        ("script", None)
                    }
                };
                let entry = next_entry(&mut failures, c)?;
                if entry.error_name != name || at.is_some_and(|at| entry.at() != Some(at)) {
                    return unreadable(format!(
                        "failure {} of the failure list is not the {label} error `{name}`",
                        entry.number
                    ));
                }
                let failure = failure(FailureKind::ScriptError, &entry, c, iteration);
                cases.push(case(
                    c,
                    label.to_owned(),
                    iteration,
                    Status::Failed(failure),
                ));
            }
            Event::RequestError { message } => {
                let c = in_request(&mut current)?;
                counted.failed_requests += 1;
                let entry = next_entry(&mut failures, c)?;
                if entry.at().is_some_and(|at| at != "request") {
                    return unreadable(format!(
                        "failure {} of the failure list is not the request error `{message}`",
                        entry.number
                    ));
                }
                let failure = failure(FailureKind::RequestError, &entry, c, iteration);
                cases.push(case(
                    c,
                    "request".to_owned(),
                    iteration,
                    Status::Failed(failure),
                ));
            }
        }
    }

    end_request(&mut cases, &mut details, current.as_ref());
    if let Some(extra) = failures.next() {
        return unreadable(format!(
            "failure {} of the failure list has no result line",
            extra.number
        ));
    }
    let expected_iteration_headers = match totals.iterations.executed {
        0 | 1 => 0,
        n => n,
    };
    let checks = [
        ("iterations", iteration_headers, expected_iteration_headers),
        ("requests", request_headers, totals.requests.executed),
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
            counted.test_script_errors + counted.prerequest_errors + counted.unknown_script_errors,
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
    Ok(ConsoleRun {
        totals,
        cases,
        details,
    })
}

#[derive(Default)]
struct Counted {
    assertions: u64,
    failed_assertions: u64,
    test_script_errors: u64,
    prerequest_errors: u64,
    unknown_script_errors: u64,
    failed_requests: u64,
}

fn in_request(current: &mut Option<Current>) -> Result<&mut Current, Unreadable> {
    current
        .as_mut()
        .ok_or_else(|| Unreadable("a result comes before any request".to_owned()))
}

fn next_entry(
    failures: &mut impl Iterator<Item = Entry>,
    c: &Current,
) -> Result<Entry, Unreadable> {
    let Some(entry) = failures.next() else {
        return unreadable("the failure list has fewer failures than the run printed");
    };
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

/// The time is set once the request's cases are all read (see
/// [`share_time`]).
fn case(c: &Current, name: String, iteration: u64, status: Status) -> TestCase {
    TestCase {
        request: c.path.clone(),
        folder: c.folder.clone(),
        name,
        iteration: u32::try_from(iteration).unwrap_or(u32::MAX),
        status,
        time_ms: 0,
    }
}

/// The end of a request's results: its response time, counted once,
/// shared among its cases (as the JSON report's reader shares it), and its
/// detail for the Postman tab.
fn end_request(
    cases: &mut [TestCase],
    details: &mut Vec<RequestDetail>,
    current: Option<&Current>,
) {
    let Some(c) = current else {
        return;
    };
    details.push(request_detail(c, &cases[c.first_case..]));
    share_time(cases, c);
}

/// What the console says of a request, and what became of its tests.
fn request_detail(c: &Current, cases: &[TestCase]) -> RequestDetail {
    let status_code = c
        .status
        .as_deref()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|code| code.parse().ok());
    let mut detail = RequestDetail {
        iteration: cases.first().map_or(1, |case| case.iteration),
        path: c.path.clone(),
        method: c.method.clone(),
        url: c.url.clone(),
        status: status_code,
        status_text: c
            .status
            .as_deref()
            .and_then(|s| s.split_once(' '))
            .map(|(_, text)| text.to_owned()),
        time_ms: c.time_ms,
        ..RequestDetail::default()
    };
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
    detail
}

/// A request's response time, counted once: shared among its cases.
fn share_time(cases: &mut [TestCase], c: &Current) {
    let mine = &mut cases[c.first_case..];
    let shares = crate::report::model::shares(c.time_ms.unwrap_or(0), mine.len());
    for (case, ms) in mine.iter_mut().zip(shares) {
        case.time_ms = ms;
    }
}

fn failure(kind: FailureKind, entry: &Entry, c: &Current, iteration: u64) -> Failure {
    let lines = entry.message_lines();
    let message = lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| entry.error_name.clone());
    // Named as the JSON report of a v2.1 run names errors (`JSONError: …`,
    // but a plain `Error` unnamed), so both formats give the same message.
    let message = if kind != FailureKind::Assertion
        && entry.error_name != "Error"
        && !message.starts_with(&entry.error_name)
    {
        format!("{}: {message}", entry.error_name)
    } else {
        message
    };
    let mut detail = format!(
        "{} {} → {}, iteration {iteration}",
        if c.method.is_empty() { "?" } else { &c.method },
        c.url,
        c.status.as_deref().unwrap_or("no response"),
    );
    if let Some(ms) = c.time_ms
        && c.status.is_some()
    {
        detail = detail.replacen(", iteration", &format!(" ({ms} ms), iteration"), 1);
    }
    detail.push('\n');
    detail.push_str(&entry.error_name);
    detail.push_str(": ");
    detail.push_str(&lines.join("\n"));
    if let Some(at) = entry.at() {
        detail.push_str("\nat ");
        detail.push_str(at);
    }
    Failure {
        kind,
        message,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::report::model::Counts;
    use crate::resolve::v3::{V3Collection, fixture};

    fn run(output: &str) -> Result<ConsoleRun, Unreadable> {
        let c = V3Collection::read(&fixture("exp-collection")).unwrap();
        parse(output, &mut c.run_order(&[]))
    }

    fn captured() -> String {
        std::fs::read_to_string(fixture("run-exp-two-iterations.txt")).unwrap()
    }

    fn titles(r: &ConsoleRun) -> Vec<String> {
        r.cases
            .iter()
            .map(|c| {
                let s = match &c.status {
                    Status::Passed => "pass".to_owned(),
                    Status::Skipped => "skip".to_owned(),
                    Status::Failed(f) => format!("FAIL {:?}: {}", f.kind, f.message),
                };
                format!("{} | {} › {} | {s}", c.iteration, c.request, c.name)
            })
            .collect()
    }

    #[test]
    fn each_request_of_a_v3_run_has_its_detail_for_the_tab() {
        let r = run(&captured()).unwrap();
        assert_eq!(r.details.len() as u64, r.totals.requests.executed);
        let assertions: usize = r.details.iter().map(|d| d.assertions.len()).sum();
        assert_eq!(assertions as u64, r.totals.assertions.executed);
        let failed = r.details.iter().filter(|d| d.failed()).count();
        assert!(failed > 0);
        let errored = r
            .details
            .iter()
            .find(|d| d.status.is_none() && !d.errors.is_empty())
            .expect("a request error");
        assert_eq!(errored.errors[0].0, FailureKind::RequestError);
        let sent = r.details.iter().find(|d| d.status == Some(200)).unwrap();
        assert_eq!(sent.status_text.as_deref(), Some("OK"));
        assert!(sent.request.is_none() && sent.response.is_none());
    }

    #[test]
    fn reads_a_captured_v3_run_with_every_kind_of_result() {
        let r = run(&captured()).unwrap();
        assert_eq!(
            r.totals.assertions,
            Row {
                executed: 14,
                failed: 3
            }
        );
        assert_eq!(
            r.totals.requests,
            Row {
                executed: 14,
                failed: 4
            }
        );
        let long = format!("a very long assertion name {} end", "x".repeat(300));
        let mut expected = Vec::new();
        for i in 1..=2 {
            expected.push(format!(
                "{i} | Health ✓ › check [1] › passes ✓ › (iteration 2) [1] | pass"
            ));
            expected.push(format!(
                "{i} | Cart › / Add (2) items › responds 200 | pass"
            ));
            if i == 1 {
                expected.push(format!(
                    "{i} | Cart › / Add (2) items › qty is 2 (data) | FAIL Assertion: expected 1 to deeply equal 2"
                ));
            } else {
                expected.push(format!(
                    "{i} | Cart › / Add (2) items › qty is 2 (data) | pass"
                ));
            }
            expected.push(format!(
                "{i} | Cart › / Broken JSON › before the error | pass"
            ));
            expected.push(format!(
                "{i} | Cart › / Broken JSON › test script | FAIL ScriptError: JSONError: Unexpected token 'n' at 1:1"
            ));
            expected.push(format!("{i} | Cart › / Skipped one › later [skip] | skip"));
            expected.push(format!("{i} | Cart › / Skipped one › still runs | pass"));
            expected.push(format!(
                "{i} | Cart › / Nested / Unreachable › request | FAIL RequestError: connect ECONNREFUSED 127.0.0.1:1"
            ));
            expected.push(format!(
                "{i} | Pre fails › pre-request script | FAIL ScriptError: pre boom"
            ));
            expected.push(format!(
                "{i} | Long one › {long} | FAIL Assertion: expected 1 to deeply equal 2"
            ));
        }
        assert_eq!(titles(&r), expected);

        // The console.log lines imitating results were not counted.
        assert!(
            !r.cases
                .iter()
                .any(|c| c.name.contains("fake") || c.name.contains("forged"))
        );
        let counts = Counts::of(&r.cases);
        assert_eq!((counts.total, counts.failed, counts.skipped), (20, 9, 2));

        let json = r.cases.iter().find(|c| c.name == "test script").unwrap();
        let f = json.failure().unwrap();
        assert!(
            f.detail
                .contains("GET http://127.0.0.1:34927/text → 200 OK (2 ms), iteration 1"),
            "{}",
            f.detail
        );
        assert!(f.detail.contains("not json\n^"), "{}", f.detail);
        assert!(f.detail.ends_with("at test-script"), "{}", f.detail);
        let of_request: u64 = r
            .cases
            .iter()
            .filter(|c| c.request == json.request && c.iteration == json.iteration)
            .map(|c| c.time_ms)
            .sum();
        assert_eq!(of_request, 2, "the request's 2 ms, counted once");
    }

    #[test]
    fn forged_result_lines_in_test_names_make_the_run_unreadable() {
        // Test names with new lines printing `  Pass  …` and `Root …`.
        let text = std::fs::read_to_string(fixture("run-forged-test-names.txt")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Forge.request.yaml"),
            "$kind: http-request\nid: forge\nmethod: GET\nurl: x\n",
        )
        .unwrap();
        let c = V3Collection::read(dir.path()).unwrap();
        let err = parse(&text, &mut c.run_order(&[])).unwrap_err();
        assert!(
            err.to_string().starts_with("results could not be read"),
            "{err}"
        );
        // A forged header naming the real request is one request too many.
        let same_id = text.replace("Root forged-request", "Root forge");
        let err = parse(&same_id, &mut c.run_order(&[])).unwrap_err();
        assert_eq!(err.0, "2 requests were read but the CLI's totals say 1");
        // Forged `Pass` lines alone are assertions too many.
        let no_header = text.replace("Root forged-request\n", "");
        let err = parse(&no_header, &mut c.run_order(&[])).unwrap_err();
        assert!(err.0.contains("assertions were read"), "{err}");
    }

    #[test]
    fn a_totals_mismatch_is_unreadable_never_a_pass() {
        let text = captured();
        // One passing line fewer than the CLI counted.
        let fewer = text.replacen("  Pass  still runs\n", "", 1);
        let err = run(&fewer).unwrap_err();
        assert!(err.0.contains("assertions"), "{err}");
        // A forged passing line after a real one.
        let more = text.replacen(
            "  Pass  still runs\n",
            "  Pass  still runs\n  Pass  forged\n",
            1,
        );
        assert!(run(&more).is_err());
        // A table claiming fewer failures.
        let table = text.replace(
            "|              assertions |                14 |                 3 |",
            "|              assertions |                14 |                 0 |",
        );
        assert!(run(&table).is_err());
        // A forged iteration header.
        let iter = text.replacen("Root add-items", "Iteration 2/2\n\nRoot add-items", 1);
        assert!(run(&iter).is_err());
        // No table at all (the CLI stopped early).
        let cut = &text[..text.find("-----").unwrap()];
        assert_eq!(run(cut).unwrap_err().0, "the totals table is missing");
        // A failure without its failure-list entry.
        let no_list = &text[..text.find("  #  failure").unwrap()];
        assert!(run(no_list).is_err());
    }

    #[test]
    fn the_failure_list_must_name_the_same_request_and_test() {
        let text = captured();
        let wrong_request = text.replacen("inside \"Add (2) items\"", "inside \"Broken JSON\"", 1);
        assert!(run(&wrong_request).unwrap_err().0.contains("inside"));
        let wrong_test = text.replacen(
            " 1.  AssertionError  qty is 2 (data)",
            " 1.  AssertionError  qty is 3 (data)",
            1,
        );
        assert!(run(&wrong_test).is_err());
        let renumbered = text.replacen("  1. qty is 2 (data)", "  2. qty is 2 (data)", 1);
        assert!(run(&renumbered).is_err());
    }

    #[test]
    fn an_unknown_request_id_is_unreadable() {
        let text = captured().replace("Root health", "Root somebody-else");
        // `somebody-else` takes the first id-less request, and there is none.
        assert!(run(&text).unwrap_err().0.contains("somebody-else"));
    }

    #[test]
    fn reads_the_shop_example_run_with_a_mock() {
        let text = std::fs::read_to_string(fixture("run-shop-mock.txt")).unwrap();
        let c = V3Collection::read(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/shop-v3/postman/collections/Shop API (example)"),
        )
        .unwrap();
        let r = parse(&text, &mut c.run_order(&[])).unwrap();
        assert_eq!(r.cases.len(), 8);
        assert!(r.cases.iter().all(|c| c.status == Status::Passed));
        assert_eq!(r.cases[1].request, "Cart / Add an item");
    }

    #[test]
    fn line_grammar() {
        assert_eq!(numbered("  1. a", '.'), Some((1, " a")));
        assert_eq!(numbered(" 12. a", '.'), Some((12, " a")));
        assert_eq!(numbered("123. a", '.'), Some((123, " a")));
        assert_eq!(numbered("1234. a", '.'), Some((1234, " a")));
        assert_eq!(numbered("   1. a", '.'), None);
        assert_eq!(numbered(" 1. a", '.'), None);
        assert_eq!(
            numbered("  3\u{2804} JSONError in test-script", '\u{2804}')
                .unwrap()
                .0,
            3
        );
        assert_eq!(duration_ms("990 us"), Some(1));
        assert_eq!(duration_ms("5 ms"), Some(5));
        assert_eq!(duration_ms("1.5 s"), Some(1500));
        assert!(matches!(
            request_line("  GET http://h/x [200 OK, 186 B, 5 ms]"),
            Some(Event::Sent { .. })
        ));
        assert!(request_line("  | 'GET x [200 OK, 1 B, 5 ms]'").is_none());
    }
}
