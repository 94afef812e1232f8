//! The collection runs of a task run, `parallel` at a time: each one run
//! (the run stage), read (the report stage), told (the narrator), and its
//! CLI report copied out (the publish stage), in the order they finish;
//! the results are put back in run order. A run that failed is run again,
//! as a whole, up to `retryFailedRuns` times; its attempts become one
//! result (the results stage).

use std::path::Path;

use futures_util::StreamExt;

use super::narrator::Narrator;
use crate::console::Console;
use crate::report::model::{RunEnd, RunResult};
use crate::report::run::{Limits, run_result};
use crate::resolve::{Resolved, RunTarget};
use crate::run::collection::Runner;
use crate::run::upload::Upload;
use crate::secrets::Secrets;

/// What the runs came to.
pub(super) struct Ran {
    pub(super) results: Vec<RunResult>,
    /// A run was cut short, or never started, because the task was
    /// cancelled.
    pub(super) cancelled: bool,
    pub(super) not_started: usize,
}

pub(super) struct Runs<'a> {
    pub(super) console: &'a Console,
    pub(super) narrator: &'a Narrator<'a>,
    pub(super) runner: &'a Runner<'a>,
    pub(super) resolved: &'a Resolved,
    /// Where each run's CLI report is copied.
    pub(super) report_dir: &'a Path,
    pub(super) secrets: &'a Secrets,
    pub(super) parallel: usize,
    pub(super) live: bool,
    pub(super) fail_on_upload_error: bool,
    /// `retryFailedRuns`.
    pub(super) retries: u32,
}

impl Runs<'_> {
    pub(super) async fn all(&self) -> Ran {
        let targets = &self.resolved.runs;
        let total = targets.len();
        if self.parallel > 1 {
            self.console.info(&format!(
                "Running {total} collection runs, {} at a time.",
                self.parallel
            ));
        }
        let all_runs = self.resolved.all_runs;
        let mut runs = futures_util::stream::iter(targets.iter().map(|t| self.one(t, all_runs)))
            .buffer_unordered(self.parallel);
        let mut ran = Ran {
            results: Vec::new(),
            cancelled: false,
            not_started: 0,
        };
        while let Some(result) = runs.next().await {
            let Some(result) = result else {
                ran.cancelled = true;
                continue;
            };
            self.console.progress(
                (30 + (ran.results.len() + 1) * 70 / total.max(1)) as u8,
                &format!("{} of {total} collection runs done", ran.results.len() + 1),
            );
            self.tell_end(&result, &mut ran);
            ran.results.push(result);
        }
        drop(runs);
        // A retry that never started leaves no aborted run behind.
        ran.cancelled |= self.runner.cancel.is_cancelled();
        ran.results.sort_by_key(|r| r.index);
        ran.not_started = total - ran.results.len();
        ran
    }

    /// One run, front to back, run again while it fails and retries are
    /// left; `None` when the task was cancelled before it started. A run
    /// cut short by cancellation is not retried, and no retry starts once
    /// the task is cancelled: the attempts that finished are the result.
    async fn one(&self, target: &RunTarget, of: usize) -> Option<RunResult> {
        let most = 1 + self.retries;
        let mut attempts = Vec::new();
        for attempt in 1..=most {
            let Some(result) = self.attempt(target, of, attempt, most).await else {
                break;
            };
            let again = attempt < most
                && result.failed()
                && result.end != RunEnd::Aborted
                && !self.runner.cancel.is_cancelled();
            if again {
                self.console.warning(&format!(
                    "Collection `{}` failed on attempt {attempt} of {most}; running it again (retryFailedRuns).",
                    result.name
                ));
            }
            attempts.push(result);
            if !again {
                break;
            }
        }
        crate::results::attempts::merge(attempts, most)
    }

    /// One attempt of a run; `None` when the task was cancelled before it
    /// started.
    async fn attempt(
        &self,
        target: &RunTarget,
        of: usize,
        attempt: u32,
        most: u32,
    ) -> Option<RunResult> {
        let started = std::time::Instant::now();
        let output = self.runner.run(target, of, attempt, self.narrator).await?;
        let environment = target
            .environment
            .map(|i| self.resolved.environments[i].display.clone());
        let limits = Limits {
            run: self.runner.cloud.run_limit,
        };
        let (mut result, warnings) = run_result(
            target,
            environment,
            output,
            limits,
            &self.runner.plan.folders,
            self.runner.plan.request_details,
        );
        for warning in &warnings {
            self.console.warning(warning);
        }
        let of_attempts = if most > 1 {
            format!(" (attempt {attempt} of {most})")
        } else {
            String::new()
        };
        if !self.live {
            let counts = result.counts();
            let verdict = match &result.end {
                RunEnd::Completed if counts.failed == 0 => "passed".to_owned(),
                RunEnd::Completed => {
                    format!("{} of {} tests failed", counts.failed, counts.total)
                }
                RunEnd::Failed(_) => "did not complete".to_owned(),
                RunEnd::Aborted => "cut short".to_owned(),
            };
            self.console.info(&format!(
                "■ Finished {} of {of}: {} — {verdict}{of_attempts} ({:.1} s)",
                target.index,
                result.name,
                started.elapsed().as_secs_f64()
            ));
            self.narrator.release(
                target.index,
                &format!(
                    "Collection {} of {of}: {} — {verdict}{of_attempts}",
                    target.index, result.name
                ),
            );
        }
        result.html_report = crate::publish::copy_run_report(
            self.console,
            &result,
            (most > 1).then_some(attempt),
            self.report_dir,
            self.secrets,
        );
        Some(result)
    }

    /// Says what went wrong with a run that ended badly.
    fn tell_end(&self, result: &RunResult, ran: &mut Ran) {
        match &result.end {
            RunEnd::Failed(why) if why.detail.is_empty() => self
                .console
                .error(&format!("Collection `{}`: {}", result.name, why.message)),
            RunEnd::Failed(why) => self.console.error(&format!(
                "Collection `{}`: {}\n{}",
                result.name, why.message, why.detail
            )),
            RunEnd::Aborted => {
                self.console.warning(&format!(
                    "Collection `{}` was cut short: the task was cancelled.",
                    result.name
                ));
                ran.cancelled = true;
            }
            RunEnd::Completed => {}
        }
        if let Upload::Failed { reason } = &result.upload {
            let message = format!(
                "The run of `{}` was not reported to Postman: {reason}",
                result.name
            );
            if self.fail_on_upload_error {
                self.console.error(&message);
            } else {
                self.console.warning(&format!("{message} (its results are published here all the same; failOnUploadError makes this an error)"));
            }
        }
    }
}
