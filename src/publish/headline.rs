//! The one line that says how a task run went: the task's result message,
//! the summary's title, and the last line on a terminal.

use crate::report::model::{Counts, RunEnd, RunResult};
use crate::text::plural;

/// What the headline is made of.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally<'a> {
    pub(crate) runs: &'a [RunResult],
    pub(crate) cancelled: bool,
    pub(crate) input_errors: usize,
    pub(crate) install_failed: bool,
}

/// `4 of 6 tests failed.`, `3 tests passed in 1 collection run.`, or the
/// reasons nothing (or not everything) ran, the most serious first.
pub(crate) fn headline(t: &Tally<'_>) -> String {
    let c = t
        .runs
        .iter()
        .fold(Counts::default(), |acc, r| acc.plus(r.counts()));
    let incomplete = t.runs.iter().filter(|r| r.end != RunEnd::Completed).count();
    let mut parts = Vec::new();
    if t.cancelled {
        parts.push("cancelled".into());
    }
    if t.input_errors > 0 {
        parts.push(plural(t.input_errors, "input error", "input errors"));
    }
    if t.install_failed {
        parts.push("the Postman CLI could not be installed".into());
    }
    if incomplete > 0 {
        parts.push(format!(
            "{} of {} did not complete",
            incomplete,
            plural(t.runs.len(), "collection run", "collection runs")
        ));
    }
    // A run that did not complete counts as one failed test in the results;
    // it is said above, so the tests are counted without it.
    let (failed, total) = (c.failed - incomplete, c.total - incomplete);
    let skipped = if c.skipped > 0 {
        format!(", {} skipped", c.skipped)
    } else {
        String::new()
    };
    if failed > 0 {
        parts.push(format!(
            "{} of {} failed{skipped}",
            failed,
            plural(total, "test", "tests")
        ));
    } else if !t.runs.is_empty() && incomplete < t.runs.len() {
        parts.push(format!(
            "{} passed in {}{skipped}",
            plural(c.passed, "test", "tests"),
            plural(t.runs.len(), "collection run", "collection runs")
        ));
    }
    let flaky = t.runs.iter().filter(|r| r.flaky()).count();
    if flaky > 0 {
        parts.push(format!(
            "{} only on a retry (flaky)",
            plural(flaky, "collection run passed", "collection runs passed")
        ));
    }
    if parts.is_empty() {
        "nothing ran".into()
    } else {
        let mut s = parts.join("; ");
        s.push('.');
        s[..1].to_uppercase() + &s[1..]
    }
}
