//! A run's attempts made into one result (`retryFailedRuns`): the last
//! attempt's results, which decide whether the run passed, with what went
//! wrong in each attempt before it, so the sinks can show a run that passed
//! on a retry as flaky, and a run that failed every time with every
//! attempt's failures.

use crate::report::model::{EarlierAttempt, Retries, RunResult};

/// One result from the attempts of a run, in the order they ran; `of` is
/// the most attempts the run was allowed. `None` when there are none.
pub(crate) fn merge(attempts: Vec<RunResult>, of: u32) -> Option<RunResult> {
    let mut attempts = attempts;
    let mut last = attempts.pop()?;
    if of <= 1 {
        return Some(last);
    }
    // An earlier attempt's failures may quote the credentials it sent, so
    // they are masked with the run's.
    for run in &attempts {
        last.header_secrets
            .extend(run.header_secrets.iter().cloned());
    }
    let earlier = attempts
        .into_iter()
        .zip(1..)
        .map(|(run, number)| EarlierAttempt {
            number,
            end: run.end,
            failures: run
                .cases
                .into_iter()
                .filter(|c| c.failure().is_some())
                .collect(),
        })
        .collect::<Vec<_>>();
    last.retries = Retries {
        attempt: earlier.len() as u32 + 1,
        of,
        earlier,
    };
    Some(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Failure, FailureKind, RunEnd, Status, TestCase};

    fn attempt(failing: bool) -> RunResult {
        RunResult::of_cases(vec![TestCase {
            request: "Orders".into(),
            folder: String::new(),
            name: "status is 200".into(),
            iteration: 1,
            status: if failing {
                Status::Failed(Failure {
                    kind: FailureKind::Assertion,
                    message: "expected 500 to equal 200".into(),
                    detail: String::new(),
                })
            } else {
                Status::Passed
            },
            time_ms: 3,
        }])
    }

    #[test]
    fn a_run_that_passes_on_a_retry_is_flaky_and_keeps_the_first_failure() {
        let mut first = attempt(true);
        first.end = RunEnd::Completed;
        let run = merge(vec![first, attempt(false)], 3).unwrap();
        assert!(run.flaky() && !run.failed());
        assert_eq!((run.retries.attempt, run.retries.of), (2, 3));
        assert_eq!(run.retries.earlier.len(), 1);
        assert_eq!(run.retries.earlier[0].number, 1);
        assert_eq!(run.retries.earlier[0].failures.len(), 1);
    }

    #[test]
    fn a_run_that_fails_every_attempt_keeps_the_last_results_and_the_earlier_failures() {
        let mut second = attempt(true);
        second.end = RunEnd::Failed(crate::report::model::Incomplete::new("no report", ""));
        second.cases.clear();
        let run = merge(vec![attempt(true), second, attempt(true)], 3).unwrap();
        assert!(run.failed() && !run.flaky());
        assert_eq!(run.retries.attempt, 3);
        assert_eq!(
            run.retries.earlier[1].end,
            RunEnd::Failed(crate::report::model::Incomplete::new("no report", ""))
        );
        assert_eq!(run.cases.len(), 1);
    }

    #[test]
    fn without_retries_a_run_is_its_only_attempt() {
        let run = merge(vec![attempt(false)], 1).unwrap();
        assert_eq!(run.retries.of, 0);
        assert!(merge(vec![], 3).is_none());
    }
}
