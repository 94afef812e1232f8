//! A JUnit file read the way the Azure Pipelines agent reads it for the
//! Tests tab, giving what Azure would show of it, or the reason it would
//! drop the whole file.
//!
//! Written from a reading of microsoft/azure-pipelines-agent
//! `src/Agent.Worker/TestResults/Legacy/JunitResultReader.cs` (and
//! `ResultsCommandExtension.cs`, which publishes one test run per file); the
//! rules it follows:
//! - The file is loaded with .NET's `XmlReader`, whose character checking is
//!   on: a character outside XML 1.0, raw or as `&#…;`, or XML that is not
//!   well formed, throws, and the agent warns and publishes nothing of the
//!   file. The DTD is ignored.
//! - A `testsuites` root's `testsuite` children are read; else a
//!   `testsuite` root. A suite's nested suites give their results too.
//! - A `testcase`'s `name` is the result's title and automated name, its
//!   `classname` the automated storage, its `time` (seconds) its duration.
//!   A case without a name gives no result.
//! - Outcome: a `failure` child, else an `error` child, is Failed (the
//!   error message is the `message` attribute, the stack trace the
//!   element's text, each when not blank), and then `system-out` and
//!   `system-err` are read; a `skipped` child is NotExecuted (its message
//!   kept); anything else is Passed. No other child is read (`flakyFailure`,
//!   `rerunFailure`, a passed case's output), nor `properties`.
//! - The run starts at the earliest suite `timestamp`; it ends at the
//!   latest suite's timestamp plus its `time`. If any suite has no
//!   timestamp, the run lasts the sum of the suites' times from the
//!   earliest timestamp (or from when the file was read), and if a suite
//!   also has no `time`, the sum of the test cases' times.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use quick_xml::events::Event;

/// Why Azure would publish nothing of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped(pub String);

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "file dropped: {}", self.0)
    }
}

/// One test run as Azure would hold it.
#[derive(Debug, Clone)]
pub struct AzureTestRun {
    /// The earliest suite timestamp; `None`: when the file was read.
    pub started: Option<DateTime<FixedOffset>>,
    /// From the start to the completed date, in milliseconds.
    pub duration_ms: f64,
    /// What the length was taken from.
    pub timed_by: TimedBy,
    pub results: Vec<AzureResult>,
    /// The top-level suites, as read.
    pub suites: Vec<SuiteRead>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimedBy {
    /// Every suite has a timestamp: from the earliest to the latest end.
    SuiteTimestamps,
    /// Some suite has no timestamp: the sum of the suites' times.
    SumOfSuiteTimes,
    /// Some suite has neither: the sum of the test cases' times.
    SumOfCaseTimes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    NotExecuted,
}

/// A result as the Tests tab shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AzureResult {
    pub title: String,
    pub automated_name: String,
    pub storage: Option<String>,
    pub outcome: Outcome,
    pub duration_ms: f64,
    pub error_message: Option<String>,
    pub stack_trace: Option<String>,
    /// `system-out` and `system-err`, read for failed results only.
    pub console_log: Option<String>,
    pub standard_error: Option<String>,
}

impl AzureResult {
    /// The fully qualified name, `storage.name`.
    pub fn full_name(&self) -> String {
        match &self.storage {
            Some(s) => format!("{s}.{}", self.automated_name),
            None => self.automated_name.clone(),
        }
    }
}

/// A top-level suite: what the reader times the run by, and the counts the
/// writer put on it (which Azure does not read).
#[derive(Debug, Clone)]
pub struct SuiteRead {
    pub name: Option<String>,
    pub timestamp: Option<DateTime<FixedOffset>>,
    pub time_ms: Option<f64>,
    pub results: usize,
    pub failed: usize,
    pub not_executed: usize,
    /// `tests`, `failures`, `errors`, `skipped` as written.
    pub declared: [Option<usize>; 4],
}

pub fn read(path: &Path) -> Result<AzureTestRun, Dropped> {
    let bytes = std::fs::read(path).map_err(|e| Dropped(format!("cannot read: {e}")))?;
    read_bytes(&bytes)
}

pub fn read_bytes(bytes: &[u8]) -> Result<AzureTestRun, Dropped> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Dropped(format!("invalid character in the given encoding: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = parse(text)?;
    Ok(test_run(&root))
}

// --- XML, checked as XmlReader checks it --------------------------------

#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter_map(move |n| match n {
            Node::Element(e) if e.name == name => Some(e),
            _ => None,
        })
    }

    fn child<'a>(&'a self, name: &'a str) -> Option<&'a Element> {
        self.children(name).next()
    }

    /// `XmlNode.InnerText`: every text inside, in order.
    fn inner_text(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => out.push_str(&e.inner_text()),
            }
        }
        out
    }
}

/// The XML 1.0 `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn parse(text: &str) -> Result<Element, Dropped> {
    if let Some((at, c)) = text.char_indices().find(|(_, c)| !is_xml_char(*c)) {
        let line = text[..at].matches('\n').count() + 1;
        return Err(Dropped(format!(
            "'{}' (U+{:04X}), on line {line}, is an invalid character",
            c.escape_debug(),
            u32::from(c)
        )));
    }
    // End-of-line handling comes before parsing (XML 1.0 section 2.11).
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut reader = quick_xml::Reader::from_str(&text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = vec![Element::default()];
    let bad = |e: &dyn std::fmt::Display| Dropped(format!("not well formed: {e}"));
    loop {
        let event = reader.read_event().map_err(|e| bad(&e))?;
        match event {
            Event::Start(e) => stack.push(element(&e)?),
            Event::Empty(e) => {
                let el = element(&e)?;
                push(&mut stack, Node::Element(el));
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .filter(|_| !stack.is_empty())
                    .ok_or_else(|| bad(&"an end tag without a start"))?;
                push(&mut stack, Node::Element(el));
            }
            Event::Text(t) => {
                let raw = t.decode().map_err(|e| bad(&e))?;
                push(&mut stack, Node::Text(raw.into_owned()));
            }
            Event::CData(t) => {
                let raw = t.decode().map_err(|e| bad(&e))?;
                push(&mut stack, Node::Text(raw.into_owned()));
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| bad(&e))?;
                let c = reference(&name)?;
                push(&mut stack, Node::Text(c.to_string()));
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    let document = stack
        .pop()
        .filter(|_| stack.is_empty())
        .ok_or_else(|| bad(&"an element is not closed"))?;
    let mut roots = document.children.into_iter().filter_map(|n| match n {
        Node::Element(e) => Some(e),
        Node::Text(t) if t.trim().is_empty() => None,
        Node::Text(_) => Some(Element {
            name: "#text".into(),
            ..Default::default()
        }),
    });
    match (roots.next(), roots.next()) {
        (Some(root), None) if root.name != "#text" => Ok(root),
        _ => Err(bad(
            &"a document has one root element and no text outside it",
        )),
    }
}

fn push(stack: &mut [Element], node: Node) {
    stack
        .last_mut()
        .expect("the document is open")
        .children
        .push(node);
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> Result<Element, Dropped> {
    let bad = |e: &dyn std::fmt::Display| Dropped(format!("not well formed: {e}"));
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attribute in e.attributes().with_checks(true) {
        let attribute = attribute.map_err(|e| bad(&e))?;
        let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
        let raw = std::str::from_utf8(&attribute.value).map_err(|e| bad(&e))?;
        attributes.push((key, attribute_value(raw)?));
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
    })
}

/// An attribute's value as the parser gives it: references replaced, and
/// each whitespace character written raw (a line break, a tab) a space.
fn attribute_value(raw: &str) -> Result<String, Dropped> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find(['&', '\t', '\n', '\r', '<']) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or_default();
        rest = &rest[at + c.len_utf8()..];
        match c {
            '&' => {
                let end = rest
                    .find(';')
                    .ok_or_else(|| Dropped("not well formed: a reference without `;`".into()))?;
                out.push(reference(&rest[..end])?);
                rest = &rest[end + 1..];
            }
            '<' => return Err(Dropped("not well formed: `<` in an attribute value".into())),
            _ => out.push(' '),
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `&name;`: a character reference, which must be an XML character, or one
/// of the five predefined entities (nothing else is declared).
fn reference(name: &str) -> Result<char, Dropped> {
    let number = if let Some(hex) = name.strip_prefix("#x") {
        u32::from_str_radix(hex, 16).ok()
    } else if let Some(dec) = name.strip_prefix('#') {
        dec.parse().ok()
    } else {
        return match name {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "apos" => Ok('\''),
            "quot" => Ok('"'),
            _ => Err(Dropped(format!("reference to undeclared entity '{name}'"))),
        };
    };
    match number.and_then(char::from_u32).filter(|c| is_xml_char(*c)) {
        Some(c) => Ok(c),
        None => Err(Dropped(format!("'&{name};' is an invalid character"))),
    }
}

// --- The agent's rules ----------------------------------------------------

/// What one suite gives: its results, and what the run is timed by.
struct SuiteSummary {
    results: Vec<AzureResult>,
    timestamp: Option<DateTime<FixedOffset>>,
    time_ms: Option<f64>,
    case_total_ms: f64,
}

fn test_run(root: &Element) -> AzureTestRun {
    let suites: Vec<&Element> = match root.name.as_str() {
        "testsuites" => root.children("testsuite").collect(),
        "testsuite" => vec![root],
        _ => Vec::new(),
    };
    let single = root.name == "testsuite";
    let mut run = AzureTestRun {
        started: None,
        duration_ms: 0.0,
        timed_by: TimedBy::SuiteTimestamps,
        results: Vec::new(),
        suites: Vec::new(),
    };
    let (mut all_stamped, mut all_timed) = (true, true);
    let (mut suite_total, mut case_total) = (0.0, 0.0);
    let mut latest_end: Option<DateTime<FixedOffset>> = None;
    for element in suites {
        let suite = read_suite(element);
        all_stamped &= suite.timestamp.is_some();
        all_timed &= suite.time_ms.is_some();
        suite_total += suite.time_ms.unwrap_or(0.0);
        case_total += suite.case_total_ms;
        if let Some(stamp) = suite.timestamp {
            run.started = Some(run.started.map_or(stamp, |s| s.min(stamp)));
            let end = stamp
                + chrono::Duration::microseconds((suite.time_ms.unwrap_or(0.0) * 1000.0) as i64);
            latest_end = Some(latest_end.map_or(end, |e| e.max(end)));
        }
        let declared = ["tests", "failures", "errors", "skipped"]
            .map(|a| element.attribute(a).and_then(|v| v.trim().parse().ok()));
        let count = |o: Outcome| suite.results.iter().filter(|r| r.outcome == o).count();
        run.suites.push(SuiteRead {
            name: element.attribute("name").map(str::to_owned),
            timestamp: suite.timestamp,
            time_ms: suite.time_ms,
            results: suite.results.len(),
            failed: count(Outcome::Failed),
            not_executed: count(Outcome::NotExecuted),
            declared,
        });
        run.results.extend(suite.results);
    }
    match (all_stamped, run.started.zip(latest_end)) {
        // A lone suite root ends at its timestamp plus its time (none when
        // it has no time).
        (true, Some(_)) if single => run.duration_ms = suite_total,
        (true, Some((start, end))) => {
            run.duration_ms = (end - start).num_microseconds().unwrap_or(0) as f64 / 1000.0;
        }
        _ if all_timed => {
            run.timed_by = TimedBy::SumOfSuiteTimes;
            run.duration_ms = suite_total;
        }
        _ => {
            run.timed_by = TimedBy::SumOfCaseTimes;
            run.duration_ms = case_total;
        }
    }
    run
}

fn read_suite(suite: &Element) -> SuiteSummary {
    let mut results = Vec::new();
    for inner in suite.children("testsuite") {
        results.extend(read_suite(inner).results);
    }
    let timestamp = suite.attribute("timestamp").and_then(parse_timestamp);
    let time_ms = suite.attribute("time").and_then(parse_seconds);
    let mut case_total_ms = 0.0;
    for case in suite.children("testcase") {
        let duration_ms = case
            .attribute("time")
            .and_then(parse_seconds)
            .unwrap_or(0.0);
        case_total_ms += duration_ms;
        let name = case.attribute("name").unwrap_or_default();
        let mut result = AzureResult {
            title: name.to_owned(),
            automated_name: name.to_owned(),
            storage: case.attribute("classname").map(str::to_owned),
            outcome: Outcome::Passed,
            duration_ms,
            error_message: None,
            stack_trace: None,
            console_log: None,
            standard_error: None,
        };
        let not_blank = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        if let Some(failed) = case.child("failure").or_else(|| case.child("error")) {
            result.outcome = Outcome::Failed;
            result.error_message = failed.attribute("message").and_then(not_blank);
            result.stack_trace = not_blank(&failed.inner_text());
            result.console_log = case
                .child("system-out")
                .and_then(|o| not_blank(&o.inner_text()));
            result.standard_error = case
                .child("system-err")
                .and_then(|o| not_blank(&o.inner_text()));
        } else if let Some(skipped) = case.child("skipped") {
            result.outcome = Outcome::NotExecuted;
            result.error_message = skipped.attribute("message").and_then(not_blank);
        }
        if !name.is_empty() {
            results.push(result);
        }
    }
    SuiteSummary {
        results,
        timestamp,
        time_ms,
        case_total_ms,
    }
}

/// `DateTime.TryParse`, assuming UTC where the text gives no offset.
fn parse_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text).ok().or_else(|| {
        [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M:%S%.f",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc().fixed_offset())
    })
}

/// A `time` in seconds: a number, finite and not negative.
fn parse_seconds(text: &str) -> Option<f64> {
    let seconds: f64 = text.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then_some(seconds * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_character_drops_the_file_raw_or_as_a_reference() {
        for xml in [
            "<testsuites><testsuite><testcase name=\"a \u{ffff}\"/></testsuite></testsuites>",
            "<testsuites><testsuite><testcase name=\"a &#xFFFF;\"/></testsuite></testsuites>",
            "<testsuites><testsuite><testcase name=\"a\"><failure>&#1;</failure></testcase></testsuite></testsuites>",
            "<testsuites><testsuite><testcase name=\"a\"><system-out>\u{1}</system-out></testcase></testsuite></testsuites>",
            "<testsuites><testsuite>",
        ] {
            assert!(read_bytes(xml.as_bytes()).is_err(), "{xml}");
        }
    }

    #[test]
    fn reads_as_the_agent_reads() {
        let xml = r#"<?xml version="1.0"?>
<testsuites>
  <testsuite name="a" timestamp="2026-01-01T00:00:00.000+00:00" time="2.000">
    <properties><property name="x" value="y"/></properties>
    <testcase name="passed" classname="A" time="0.5"><system-out>not read</system-out></testcase>
    <testcase name="failed" classname="A" time="0.25">
      <failure message="one&#10;two
three" type="T">stack</failure><system-out>out</system-out>
    </testcase>
    <testcase name="flaky" classname="A"><flakyFailure message="m"/></testcase>
    <testcase name="skipped" classname="A"><skipped message="why"/></testcase>
    <testcase name="" classname="A"/>
  </testsuite>
  <testsuite name="b" timestamp="2026-01-01T00:00:01.000+00:00" time="3.000"/>
</testsuites>"#;
        let run = read_bytes(xml.as_bytes()).unwrap();
        assert_eq!(run.results.len(), 4, "a case without a name is dropped");
        let outcomes: Vec<_> = run.results.iter().map(|r| r.outcome).collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Passed,
                Outcome::Failed,
                Outcome::Passed,
                Outcome::NotExecuted
            ]
        );
        assert_eq!(
            run.results[0].console_log, None,
            "a passed test's output is not read"
        );
        let failed = &run.results[1];
        assert_eq!(failed.error_message.as_deref(), Some("one\ntwo three"));
        assert_eq!(failed.stack_trace.as_deref(), Some("stack"));
        assert_eq!(failed.console_log.as_deref(), Some("out"));
        assert_eq!(failed.full_name(), "A.failed");
        assert_eq!(
            (run.timed_by, run.duration_ms),
            (TimedBy::SuiteTimestamps, 4000.0)
        );
    }

    #[test]
    fn a_suite_without_a_timestamp_times_the_run_by_its_parts() {
        let xml = r#"<testsuites>
  <testsuite name="a" timestamp="2026-01-01T00:00:00Z" time="2"/>
  <testsuite name="b"><testcase name="c" time="0.018"/></testsuite>
</testsuites>"#;
        let run = read_bytes(xml.as_bytes()).unwrap();
        assert_eq!(
            (run.timed_by, run.duration_ms),
            (TimedBy::SumOfCaseTimes, 18.0)
        );
    }
}
