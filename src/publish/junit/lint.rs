//! The lint's own test run: one suite per lint (API lint, each collection
//! lint), one case per finding, failing at or above the fail severity and
//! passing (with its message) below it, so the Tests tab shows the whole
//! picture; a lint that could not run is one failing case.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{names, safe, timed};
use crate::report::lint::{LintOutcome, Violation};

pub(crate) fn build_lint(title: &str, lints: &[LintOutcome]) -> Report {
    let mut report = Report::new(safe(title));
    for lint in lints {
        report.add_test_suite(lint_suite(lint));
    }
    names::settle(&mut report);
    report
}

fn lint_suite(lint: &LintOutcome) -> TestSuite {
    let name = lint.name();
    let mut suite = TestSuite::new(safe(&name));
    timed(
        &mut suite,
        Some(lint.observed.started_ms),
        Some(lint.observed.duration_ms),
    );
    suite.add_property(Property::new("target", safe(&lint.target.display())));
    suite.add_property(Property::new("fail-severity", lint.fail_severity.as_str()));
    match &lint.result {
        Err(reason) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_type("LintError").set_message(safe(reason));
            let mut tc = TestCase::new(safe(&format!("{name} › lint")), s);
            tc.set_classname(safe(&name));
            suite.add_test_case(tc);
        }
        Ok(parsed) if parsed.violations.is_empty() => {
            let mut tc = TestCase::new(
                safe(&format!("{name} › no issues found")),
                TestCaseStatus::success(),
            );
            tc.set_classname(safe(&name));
            suite.add_test_case(tc);
        }
        Ok(parsed) => {
            for v in &parsed.violations {
                suite.add_test_case(finding(lint, &name, v));
            }
        }
    }
    suite
}

/// One finding: its first line names it, all of it with where it is
/// describes it.
fn finding(lint: &LintOutcome, name: &str, v: &Violation) -> TestCase {
    // A collection's finding is in one of its files.
    let file = if v.file.is_some() {
        format!("{}/{}", lint.target.display(), v.path)
    } else {
        lint.target.display()
    };
    let at = match (v.line, v.column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file,
    };
    let detail = format!(
        "{} {} rule at {at}, path {}\n{}",
        v.severity.as_str().to_uppercase(),
        v.kind,
        v.path,
        v.message
    );
    // A YAML error quotes the lines it is at: the name is its first line,
    // the description all of it.
    let headline = v.message.lines().next().unwrap_or_default();
    let title = safe(&format!("{headline} ({})", v.path)).into_owned();
    let mut tc = if lint.fails(v) {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_type(v.severity.as_str().to_uppercase())
            .set_message(safe(headline))
            .set_description(safe(&detail));
        TestCase::new(title, s)
    } else {
        let mut tc = TestCase::new(title, TestCaseStatus::success());
        tc.set_system_out(safe(&detail));
        tc
    };
    tc.set_classname(safe(&format!("{name}.{}", v.kind)));
    tc
}
