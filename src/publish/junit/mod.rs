//! Writes the JUnit files the pipeline publishes, in the shape Azure's own
//! reader (the agent's `JunitResultReader`) reads whole: the runs' file, a
//! suite per collection run, a test case per assertion, request error and
//! script error in every iteration, and a failing case for a run that did
//! not complete; and the lint's file ([`lint`]).
//!
//! What that reader needs, and where it is made so:
//! - every character XML 1.0 can carry, or the whole file is dropped: all
//!   text passes [`crate::text::xml_safe`] ([`safe`]);
//! - one result per class name and name in a test run, each fully
//!   qualified name at most 512 characters ([`names`]);
//! - a start and a length on every suite, or the test run is timed as the
//!   sum of its test cases (the run stage observes them when the CLI's
//!   report gives none);
//! - earlier attempts' failures on the cases they belong to ([`earlier`]).

mod earlier;
mod lint;
mod names;
#[cfg(test)]
pub(crate) mod tests;

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::report::model::{RunEnd, RunResult, Status};
use earlier::Earlier;
pub(crate) use lint::build_lint;

/// Builds the runs' report in memory; [`write`] puts it on disk.
pub(crate) fn build(title: &str, runs: &[RunResult], cli_version: Option<&str>) -> Report {
    let mut report = Report::new(safe(title));
    for run in runs {
        report.add_test_suite(suite(run, cli_version));
    }
    names::settle(&mut report);
    report
}

fn suite(run: &RunResult, cli_version: Option<&str>) -> TestSuite {
    let mut suite = TestSuite::new(safe(&run.name));
    timed(&mut suite, run.started_ms, run.duration_ms);
    suite.add_property(Property::new("collection", safe(&run.collection)));
    if let Some(env) = &run.environment {
        suite.add_property(Property::new("environment", safe(env)));
    }
    suite.add_property(Property::new("iterations", run.iterations.to_string()));
    if let Some(v) = cli_version {
        suite.add_property(Property::new("postman-cli", safe(v)));
    }
    if run.retries.of > 1 {
        suite.add_property(Property::new(
            "attempt",
            format!("{} of {}", run.retries.attempt, run.retries.of),
        ));
        if run.flaky() {
            suite.add_property(Property::new("flaky", "true"));
        }
    }
    let mut earlier = Earlier::of(run);

    for case in &run.cases {
        let status = match &case.status {
            Status::Passed => TestCaseStatus::success(),
            Status::Skipped => TestCaseStatus::skipped(),
            Status::Failed(f) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type(f.kind.as_str())
                    .set_message(safe(&f.message))
                    .set_description(safe(&f.detail));
                s
            }
        };
        let mut tc = TestCase::new(safe(&run.case_title(case)), status);
        tc.set_classname(safe(&classname(run, &case.folder)));
        tc.set_time(Duration::from_millis(case.time_ms));
        earlier.attach(&mut tc, Some(case));
        suite.add_test_case(tc);
    }

    if let Some(mut tc) = run_case(run) {
        earlier.attach(&mut tc, None);
        suite.add_test_case(tc);
    }
    if !earlier.is_empty() {
        // An earlier attempt failed where the last one has no case: it did
        // not complete, or a request it reached was not reached again. A
        // case made up for them would count a test no other run has, so
        // they are told in the suite's output.
        suite.set_system_err(safe(&earlier.leftovers()));
    }
    suite
}

/// The failing case of a run that did not complete: the task was cancelled,
/// or the run stopped (its one-line reason is the message, the rest the
/// stack trace).
fn run_case(run: &RunResult) -> Option<TestCase> {
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
    match &run.end {
        RunEnd::Completed => return None,
        RunEnd::Aborted => {
            s.set_type("Aborted")
                .set_message("the task was cancelled while this collection was running");
        }
        RunEnd::Failed(why) => {
            s.set_type("RunError")
                .set_message(safe(&why.message))
                .set_description(safe(&why.detail));
        }
    }
    let mut tc = TestCase::new(safe(&format!("{} › collection run", run.name)), s);
    tc.set_classname(safe(&classname(run, "")));
    tc.set_time(Duration::ZERO);
    Some(tc)
}

/// A suite's start and length, which Azure's reader times the test run by:
/// from its earliest suite's start to its latest suite's end.
fn timed(suite: &mut TestSuite, started_ms: Option<i64>, duration_ms: Option<u64>) {
    if let Some(ts) = started_ms.and_then(timestamp) {
        suite.set_timestamp(ts);
    }
    if let Some(ms) = duration_ms {
        suite.set_time(Duration::from_millis(ms));
    }
}

/// Text every reader of XML 1.0 takes, whole: every text goes through here
/// before quick-junit sees it. Characters outside XML 1.0 are written out
/// (see [`crate::text::xml_safe`]); quick-junit would drop C0 controls and
/// keep U+FFFE and U+FFFF, which make Azure drop the file. And quick-junit
/// drops what a terminal would not print (it strips terminal escapes): so
/// a tab becomes a space, a carriage return a line break (none after a
/// line break's own), and a C1 control (U+0080 to U+009F) is written out
/// like the others.
fn safe(text: &str) -> Cow<'_, str> {
    let c1 = |c: char| ('\u{80}'..='\u{9f}').contains(&c);
    let text = crate::text::xml_safe(text);
    if !text.chars().any(|c| c == '\t' || c == '\r' || c1(c)) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(' '),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => out.push('\n'),
            c if c1(c) => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `Collection · environment › Folder / Sub folder`: what the Tests tab
/// groups by (its "Test file"). Azure splits a class name at its dots, so a
/// dot in a name (a URL, a version) becomes U+2024 ONE DOT LEADER, which
/// looks the same and splits nothing.
pub(crate) fn classname(run: &RunResult, folder: &str) -> String {
    let name = if folder.is_empty() {
        run.name.clone()
    } else {
        format!("{} › {folder}", run.name)
    };
    name.replace('.', "\u{2024}")
}

fn timestamp(ms: i64) -> Option<DateTime<FixedOffset>> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.fixed_offset())
}

pub(crate) fn write(report: &Report, path: &Path) -> std::io::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new(".")))?;
    report
        .serialize(std::io::BufWriter::new(file.as_file_mut()))
        .map_err(std::io::Error::other)?;
    // A temporary file is private (0600); the report is for everyone who
    // reads the build's files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
