//! API governance and security lint: runs the Postman CLI's linter on a
//! local definition or a Postman API. [`crate::report::lint`] reads what it
//! printed.
//!
//! Which command: `postman api lint` where the CLI has it (read from its
//! files by [`super::capabilities`], never by starting it). It applies both
//! governance and security rules, gives each finding's line *and* column,
//! and, for an API ID in a pipeline, sends the report to Postman. CLIs
//! without `api lint` get `postman spec lint -o json` (structured,
//! governance only).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use super::capabilities::{Capabilities, refusal};
use super::observed::{Observed, Stopwatch};
use crate::events::{Event, Events, Job};
use crate::inputs::Secret;
use crate::plan::Severity;
use crate::process::{Cancel, ExitKind, Stream, ToolCommand};
use crate::resolve::LintTarget;

/// What a lint command printed, and whether it ran to its end.
pub(super) struct Printed {
    pub(super) stdout: String,
    /// Both streams, in the order the lines came.
    pub(super) all: String,
    /// Why it did not run to its end: it could not start, or did not exit
    /// on its own (a time limit, a cancellation, a signal). Its exit code
    /// is left to the reader of its report.
    pub(super) exit: Result<(), String>,
    pub(super) observed: Observed,
}

/// Runs a lint command as a job the conductor shows line by line, keeping
/// what it prints. Shared by API lint and collection lint.
pub(super) async fn run_lint_tool(
    cmd: &ToolCommand,
    job: Job<'_>,
    limit: Option<Duration>,
    cancel: &Cancel,
    events: &dyn Events,
) -> Printed {
    events.emit(Event::ToolStarted {
        job,
        command: &cmd.display(),
    });
    let (mut stdout, mut all) = (String::new(), String::new());
    let watch = Stopwatch::start();
    let exit = cmd
        .run(limit, cancel, |stream, line| {
            events.emit(Event::ToolOutput { job, stream, line });
            if stream == Stream::Stdout {
                stdout.push_str(line);
                stdout.push('\n');
            }
            all.push_str(line);
            all.push('\n');
        })
        .await;
    let observed = watch.stop();
    events.emit(Event::ToolFinished { job });
    let exit = match exit {
        Err(e) => Err(e.to_string()),
        // What it printed is its report only when it ended on its own (see
        // `report::run`): stopped by a limit or a signal, it may have
        // printed anything last.
        Ok(exit) if !matches!(exit.end, ExitKind::Code(_)) => {
            Err(format!("the Postman CLI {}", exit.end))
        }
        Ok(_) => Ok(()),
    };
    Printed {
        stdout,
        all,
        exit,
        observed,
    }
}

/// What a lint run printed, for [`crate::report::lint`] to read.
pub(crate) struct LintOutput {
    /// `spec lint -o json` (structured) rather than `api lint` (a table).
    pub(crate) structured: bool,
    pub(crate) text: String,
    /// How the CLI ended, or why it could not run or finish.
    pub(crate) exit: Result<(), String>,
    /// When the lint started and how long it ran; a lint that could not
    /// start took no time.
    pub(crate) observed: Observed,
}

/// Everything a lint run needs from the task.
pub(crate) struct LintRun<'a> {
    pub(crate) executable: &'a Path,
    pub(crate) target: &'a LintTarget,
    pub(crate) fail_severity: Severity,
    /// The bare integration ID: the lint report carries the build itself.
    pub(crate) integration_id: Option<&'a str>,
    /// The child environment, with the proxy settings in it.
    pub(crate) env: &'a BTreeMap<OsString, OsString>,
    pub(crate) api_key: Option<&'a Secret>,
    /// Whether the Azure variables the report needs are present.
    pub(crate) in_azure_pipeline: bool,
    pub(crate) cwd: &'a Path,
    pub(crate) limit: Option<Duration>,
    /// Whether this CLI has `api lint` (read from its files).
    pub(crate) capabilities: &'a Capabilities,
    /// Its version, for the words of a refusal.
    pub(crate) version: &'a semver::Version,
}

impl LintRun<'_> {
    pub(crate) async fn run(self, events: &dyn Events, cancel: &Cancel) -> LintOutput {
        let watch = Stopwatch::start();
        let failed = |reason: String| LintOutput {
            structured: false,
            text: String::new(),
            exit: Err(reason),
            observed: watch.stop(),
        };
        let home = match tempfile::tempdir() {
            Ok(h) => h,
            Err(e) => return failed(format!("cannot create a home for the Postman CLI: {e}")),
        };
        let mut env = crate::install::cli_env(self.env, home.path(), self.api_key);
        if matches!(self.target, LintTarget::Api(_)) && !self.in_azure_pipeline {
            // Seeing CI but no Azure build, the CLI tries to report for an
            // unknown provider and crashes after linting; outside a
            // pipeline there is nothing to report to anyway.
            env.insert("CI".into(), "false".into());
        }
        let structured = !self.capabilities.api_lint;
        let target_arg = match self.target {
            LintTarget::Api(id) => id.clone(),
            LintTarget::Definition { path, .. }
            | LintTarget::Collection { path, .. }
            | LintTarget::Environment { path, .. }
            | LintTarget::Globals { path, .. } => path.display().to_string(),
        };
        let mut cmd = ToolCommand::new(self.executable);
        // Started with the runs: it takes only the CPU they leave.
        cmd.beside();
        if structured {
            let severity = match self.fail_severity {
                Severity::Warn => "warning",
                other => other.api_lint_arg(),
            };
            cmd.args([
                "spec",
                "lint",
                &target_arg,
                "--output",
                "json",
                "--fail-severity",
                severity,
            ]);
        } else {
            cmd.args([
                "api",
                "lint",
                &target_arg,
                "--fail-severity",
                self.fail_severity.api_lint_arg(),
            ]);
            if let (LintTarget::Api(_), Some(id)) = (self.target, self.integration_id) {
                cmd.args(["--integration-id", id]);
            }
        }
        cmd.envs(env).cwd(self.cwd);
        let job = Job::Lint {
            what: "API lint",
            target: &self.target.display(),
        };
        let printed = run_lint_tool(&cmd, job, self.limit, cancel, events).await;
        // `api lint` on the capabilities' word: a CLI without it says so
        // in one line, which is no lint report.
        let refused = (!structured)
            .then(|| {
                printed
                    .all
                    .lines()
                    .find_map(|l| refusal(l, &["lint", "--fail-severity"]))
            })
            .flatten();
        let exit = match refused {
            Some(what) => Err(format!(
                "the Postman CLI {} refused `{what}` of `api lint`, which {} said it has; lint with a CLI that has `api lint`, or tell the task's maintainers",
                self.version, self.capabilities.told_by
            )),
            None => printed.exit,
        };
        LintOutput {
            structured,
            text: printed.all,
            exit,
            observed: printed.observed,
        }
    }
}
