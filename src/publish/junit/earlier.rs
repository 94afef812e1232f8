//! A retried run's earlier failures in its JUnit: each on the case it
//! belongs to, as `flakyFailure` (the case passed in the end) or
//! `rerunFailure` (it failed again), and said in the case's output too,
//! since Azure's reader reads neither element.

use std::collections::HashMap;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestRerun};

use super::safe;
use crate::report::model::{RunEnd, RunResult, TestCase as Case};

/// A case's request, name and iteration.
type CaseKey = (String, String, u32);

/// The earlier attempts' failures of a run, by the case they belong to.
pub(super) struct Earlier {
    /// The attempt the results come from, and the most allowed.
    attempt: u32,
    of: u32,
    by_case: HashMap<CaseKey, Vec<(usize, TestRerun, String)>>,
    next: usize,
}

impl Earlier {
    pub(super) fn of(run: &RunResult) -> Earlier {
        let mut earlier = Earlier {
            attempt: run.retries.attempt,
            of: run.retries.of,
            by_case: HashMap::new(),
            next: 0,
        };
        for attempt in &run.retries.earlier {
            let n = attempt.number;
            for case in &attempt.failures {
                let Some(f) = case.failure() else { continue };
                let mut rerun = TestRerun::new(NonSuccessKind::Failure);
                rerun
                    .set_type(f.kind.as_str())
                    .set_message(safe(&f.message))
                    .set_description(safe(&format!(
                        "attempt {n} of {}\n{}",
                        earlier.of, f.detail
                    )));
                let note = format!("failed on attempt {n} of {}: {}", earlier.of, f.message);
                earlier.push(key(Some(case)), rerun, note);
            }
            if let RunEnd::Failed(why) = &attempt.end {
                let mut rerun = TestRerun::new(NonSuccessKind::Error);
                rerun
                    .set_type("RunError")
                    .set_message(safe(&why.message))
                    .set_description(safe(&format!(
                        "attempt {n} of {}\n{}",
                        earlier.of, why.detail
                    )));
                let note = format!("on attempt {n} of {}: {}", earlier.of, why.message);
                earlier.push(key(None), rerun, note);
            }
        }
        earlier
    }

    fn push(&mut self, key: CaseKey, rerun: TestRerun, note: String) {
        self.by_case
            .entry(key)
            .or_default()
            .push((self.next, rerun, note));
        self.next += 1;
    }

    pub(super) fn is_empty(&self) -> bool {
        self.by_case.is_empty()
    }

    /// What no case took, one line each, in the order it happened.
    pub(super) fn leftovers(&mut self) -> String {
        let mut runs: Vec<_> = self.by_case.drain().flat_map(|(_, v)| v).collect();
        runs.sort_by_key(|(seq, _, _)| *seq);
        let mut lines: Vec<String> = runs
            .into_iter()
            .map(|(_, _, note)| format!("Earlier, {note}."))
            .collect();
        lines.push(format!(
            "These results are attempt {} of {}.",
            self.attempt, self.of
        ));
        lines.join("\n")
    }

    /// Puts a case's earlier failures on it; the run's own case (`None`)
    /// takes every failure no other case took. Azure's Tests tab does not
    /// read the rerun elements, so the case's output says it too (which it
    /// shows for a failed test only).
    pub(super) fn attach(&mut self, tc: &mut TestCase, case: Option<&Case>) {
        let mut runs = match case {
            Some(case) => self.by_case.remove(&key(Some(case))).unwrap_or_default(),
            None => self.by_case.drain().flat_map(|(_, v)| v).collect(),
        };
        if runs.is_empty() {
            return;
        }
        runs.sort_by_key(|(seq, _, _)| *seq);
        let notes: Vec<String> = runs.iter().map(|(_, _, note)| note.clone()).collect();
        let passed = matches!(tc.status, TestCaseStatus::Success { .. });
        let mut out = if passed {
            format!("Flaky: {}.", notes.join("; "))
        } else {
            format!("Also {}.", notes.join("; "))
        };
        if passed {
            out.push_str(&format!(
                " It passed on attempt {} of {}.",
                self.attempt, self.of
            ));
        }
        tc.status.add_reruns(runs.into_iter().map(|(_, r, _)| r));
        tc.set_system_out(safe(&out));
    }
}

/// What ties an earlier failure to a case of the last attempt: its
/// request, name and iteration; the run's own case for a run-level one.
fn key(case: Option<&Case>) -> CaseKey {
    match case {
        Some(c) => (c.request.clone(), c.name.clone(), c.iteration),
        None => (String::new(), String::new(), 0),
    }
}
