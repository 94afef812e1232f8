//! Runs one collection with the Postman CLI and returns what happened: how
//! the CLI ended, whether it reported the run to Postman, and its reports
//! (the JSON report; for a v3 run its console output and YAML run report),
//! for [`crate::report`] to read.
//!
//! Each run gets a private folder (mode 0700, deleted at the end of the
//! task) holding the CLI's home, its reports, and the variables files that
//! carry `envVars` and `globalVars`: values there may be secrets, and a
//! command line is visible to every user of the machine. The CLI's own home
//! keeps a stored login or a stray profile from changing what it does.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::capabilities::{Capabilities, refusal};
use super::observed::{Observed, Stopwatch};
use super::upload::{Seen, UploadWatch};
use crate::events::{Event, Events, Job};
use crate::install::InstalledCli;
use crate::plan::Plan;
use crate::process::{Cancel, ExitKind, LineAction, Stream, ToolCommand, ToolExit};
use crate::resolve::{CloudContext, CollectionSource, Resolved, RunTarget};
use crate::run::upload::Upload;

mod args;
mod folder;

pub(crate) use args::collection_run_args;
pub(crate) use folder::RunFiles;
use folder::open_yaml_report;

/// Everything the runs of one task share.
pub(crate) struct Runner<'a> {
    pub(crate) cli: &'a InstalledCli,
    pub(crate) plan: &'a Plan,
    pub(crate) resolved: &'a Resolved,
    /// The environment every child starts from, secret-bearing variables
    /// already removed.
    pub(crate) child_env: &'a BTreeMap<OsString, OsString>,
    /// Where run folders go; deleted by the caller when the task ends.
    pub(crate) private_root: &'a Path,
    pub(crate) cancel: &'a Cancel,
    pub(crate) cloud: &'a CloudContext,
    /// What this CLI can be asked (read from its files, never by starting
    /// it).
    pub(crate) capabilities: &'a Capabilities,
    /// Where the runs share the CLI's dataset engine cache (see
    /// `folder::share_dataset_engine`); `None` keeps it in each run's home.
    pub(crate) dataset_engine: Option<&'a Path>,
}

/// What one collection run left behind.
#[derive(Debug)]
pub(crate) struct RunOutput {
    /// The run's private folder: its reports, until the task ends.
    pub(crate) dir: PathBuf,
    /// How the CLI ended, or why it could not be started, or why it would
    /// not run (an option the task thought it knew refused).
    pub(crate) exit: Result<ToolExit, String>,
    /// What became of the report to Postman.
    pub(crate) upload: Upload,
    /// The CLI's JSON report, opened, when it wrote one.
    pub(crate) report: Option<std::fs::File>,
    /// A v3 collection's run: what the CLI printed on stdout, its only
    /// report (the `cli` reporter is the only one it allows).
    pub(crate) console: Option<CapturedOutput>,
    /// A v3 run with `--output`: its YAML run report (summary, executions),
    /// opened, or why it could not be.
    pub(crate) yaml: Option<Result<(std::fs::File, std::fs::File), String>>,
    /// When the task started the CLI and how long it ran, until it ended or
    /// was cut off.
    pub(crate) observed: Observed,
}

/// The stdout of a v3 run, kept up to [`CAPTURED_LIMIT`] bytes.
#[derive(Debug, Default)]
pub(crate) struct CapturedOutput {
    pub(crate) text: String,
    /// More was printed than is kept: the report cannot be checked whole.
    pub(crate) truncated: bool,
}

/// The most of a v3 run's console output kept for reading. A run with a
/// million assertions prints well under this; a collection printing more
/// (through `console.log`) gets its run reported as unreadable rather
/// than the task's memory exhausted.
pub(crate) const CAPTURED_LIMIT: usize = 256 * 1024 * 1024;

impl Runner<'_> {
    /// Runs one collection; `None` when the task was cancelled before it
    /// started. `attempt` (1-based) gives each attempt of a retried run a
    /// folder of its own.
    pub(crate) async fn run(
        &self,
        target: &RunTarget,
        of: usize,
        attempt: u32,
        events: &dyn Events,
    ) -> Option<RunOutput> {
        if self.cancel.is_cancelled() {
            return None;
        }
        let watch = Stopwatch::start();
        let dir = self.private_root.join(match attempt {
            0 | 1 => format!("run-{:02}", target.index),
            n => format!("run-{:02}-attempt-{n}", target.index),
        });
        let mut files = RunFiles::new(dir);
        if target.v3.is_some() && self.cloud.yaml_report {
            files.yaml_dir = Some(files.dir.join("output"));
        }
        if let Err(e) = self.prepare(target, &mut files) {
            return Some(RunOutput {
                exit: Err(format!(
                    "cannot prepare the run's folder {}: {e}",
                    files.dir.display()
                )),
                dir: PathBuf::new(),
                upload: Upload::NotExpected,
                report: None,
                console: None,
                yaml: None,
                observed: watch.stop(),
            });
        }

        let args = collection_run_args(
            self.plan,
            self.resolved,
            target,
            &files,
            self.cloud.api_key.is_some(),
            self.capabilities.no_report_events,
        );
        // Options given on the capabilities' word, which the CLI refuses
        // if the word was wrong.
        let on_its_word: Vec<&str> = ["--no-report-events"]
            .into_iter()
            .filter(|o| args.iter().any(|a| a == o))
            .collect();
        let mut cmd = ToolCommand::new(&self.cli.executable);
        cmd.args(args);
        if let Some(id) = &self.cloud.integration {
            cmd.args(["--integration-id", id.as_str()]);
        }
        cmd.envs(self.env_for(&files));
        cmd.cwd(&self.resolved.working_dir);

        let job = Job::Run {
            index: target.index,
            of,
            name: &target.name,
        };
        events.emit(Event::ToolStarted {
            job,
            command: &cmd.display(),
        });
        // The CLI's own time starts now, after its folder was made.
        let watch = Stopwatch::start();
        let mut upload = UploadWatch::new(self.upload_expected(target), &files.report_json);
        let mut console = target.v3.as_ref().map(|_| CapturedOutput::default());
        let mut refused = None;
        let exit = cmd
            .run_watching(self.cloud.run_limit, self.cancel, |stream, line| {
                if let (Some(c), Stream::Stdout) = (console.as_mut(), stream) {
                    if c.text.len() + line.len() < CAPTURED_LIMIT {
                        c.text.push_str(line);
                        c.text.push('\n');
                    } else {
                        c.truncated = true;
                    }
                }
                refused = refused.or_else(|| refusal(line, &on_its_word));
                // The console masks every line it shows, in every form the
                // task knows (the agent's masker knows fewer).
                events.emit(Event::ToolOutput { job, stream, line });
                if upload.line(line) == Seen::ReportWritten {
                    // The run is over; only the upload may still be going.
                    return LineAction::FinishWithin(self.cloud.upload_grace);
                }
                LineAction::Continue
            })
            .await;
        let observed = watch.stop();
        events.emit(Event::ToolFinished { job });
        let exit = match (exit, refused) {
            (Ok(exit), Some(option)) if !exit.end.success() => Err(format!(
                "the Postman CLI {} refused `{option}`, which {} said it knows; run it with a CLI that has the option, or tell the task's maintainers",
                self.cli.version, self.capabilities.told_by
            )),
            (exit, _) => exit.map_err(|e| e.to_string()),
        };
        let upload = match &exit {
            // A v3 run reports through `--report-events`, whose outcome the
            // CLI prints in no line only it can print (see `Upload::Events`).
            Ok(exit) if exit.end != ExitKind::Cancelled && self.report_events(target) => {
                Upload::Events
            }
            Ok(exit) if exit.end != ExitKind::Cancelled => {
                let stalled_after =
                    (exit.end == ExitKind::Stalled).then_some(self.cloud.upload_grace.as_secs());
                upload.finish(exit, stalled_after)
            }
            _ => Upload::NotExpected,
        };
        Some(RunOutput {
            yaml: files.yaml_dir.as_deref().map(open_yaml_report),
            dir: files.dir,
            exit,
            upload,
            console,
            report: std::fs::File::open(&files.report_json).ok(),
            observed,
        })
    }

    /// Whether a v3 run is sent to Postman with `--report-events`: a key,
    /// and the CLI's reporting allowed (`postmanAnalytics`; the CLI ties
    /// the two together in one option).
    fn report_events(&self, target: &RunTarget) -> bool {
        target.v3.is_some() && self.cloud.api_key.is_some() && self.plan.cloud.analytics
    }

    /// Whether the CLI will try to report this run: it needs a key, and a
    /// collection it knows by UID (given so, or carried in the file).
    fn upload_expected(&self, target: &RunTarget) -> bool {
        self.cloud.api_key.is_some()
            && target.v3.is_none()
            && match &target.source {
                CollectionSource::Uid(_) | CollectionSource::Url(_) => true,
                CollectionSource::File(_) => {
                    target.collection.as_ref().is_some_and(|c| c.uid.is_some())
                }
            }
    }

    fn env_for(&self, files: &RunFiles) -> BTreeMap<OsString, OsString> {
        crate::install::cli_env(self.child_env, &files.home, self.cloud.api_key.as_ref())
    }
}
