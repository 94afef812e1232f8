//! One collection run, read: how the CLI ended and what its report says
//! become a [`RunResult`], with the warnings worth telling.
//!
//! The rules are the same for every reader, and written here once:
//! - **A pass only when the CLI ended the run and said so.** A report
//!   printed or rewritten as the run goes (the console report, the YAML run
//!   report) is read only when the CLI exited on its own: stopped by
//!   `timeoutMinutes`, a signal or a stall, it may have printed a forged
//!   totals table last, through a test's name, so the run is a failing "did
//!   not complete" case whatever came before. A report written only at the
//!   run's end (the JSON report) is the CLI's word that the run ended,
//!   whatever happened after it was written.
//! - **A run error the report cannot tell.** A v3 run's reports are done
//!   before the CLI knows its run error, so exit code 1 with no failure
//!   counted is the CLI ending the run early (its whole-run `timeout`).
//! - **The run error the report tells, no request sent, a report that
//!   cannot be read**: each a run that did not complete.
//! - **Any other exit code** after a complete report is a warning; the
//!   results stand.
//!
//! Each failure says why in one line, picked from the CLI's last words when
//! it printed an error, and keeps the rest (its last output) as detail.

use std::time::Duration;

use super::model::{Incomplete, ReadRun, RunEnd, RunResult, Source, Unreadable};
use crate::plan::RequestDetails;
use crate::process::{ExitKind, ToolExit};
use crate::resolve::{CollectionSource, RunTarget};
use crate::run::collection::{CAPTURED_LIMIT, CapturedOutput, RunOutput};
use crate::run::observed::Observed;
use crate::run::upload::Upload;

/// The time limits a run was given, to say which one stopped it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// `timeoutMinutes`.
    pub(crate) run: Option<Duration>,
}

/// What reading a run's reports came to.
enum Reading {
    Read(Source, ReadRun),
    /// The CLI wrote or printed no report.
    Missing(Source),
    Unreadable(Source, Unreadable),
}

/// A run's result, and the warnings it raises. `selectors` are the `-i`
/// options the run was given (a v3 run's order depends on them).
pub(crate) fn run_result(
    target: &RunTarget,
    environment: Option<String>,
    output: RunOutput,
    limits: Limits,
    selectors: &[String],
    keep: RequestDetails,
) -> (RunResult, Vec<String>) {
    let observed = output.observed;
    let (mut result, warnings) = read_run(target, environment, output, limits, selectors, keep);
    timed_as_observed(&mut result, observed);
    (result, warnings)
}

/// A run whose report gives no start or length (one cut off before it
/// wrote one, a v3 run) has the time the task saw: from starting the CLI
/// until it ended or was cut off.
fn timed_as_observed(result: &mut RunResult, observed: Observed) {
    result.started_ms.get_or_insert(observed.started_ms);
    result.duration_ms.get_or_insert(observed.duration_ms);
}

fn read_run(
    target: &RunTarget,
    environment: Option<String>,
    output: RunOutput,
    limits: Limits,
    selectors: &[String],
    keep: RequestDetails,
) -> (RunResult, Vec<String>) {
    let mut warnings = Vec::new();
    let mut result = RunResult {
        index: target.index,
        name: target.name.clone(),
        collection: target.display.clone(),
        environment,
        started_ms: None,
        duration_ms: None,
        iterations: 0,
        requests: 0,
        cases: Vec::new(),
        end: RunEnd::Completed,
        report_dir: output.dir,
        upload: output.upload,
        retries: Default::default(),
        details: Vec::new(),
        header_secrets: Vec::new(),
        html_report: None,
    };
    let exit = match output.exit {
        Ok(exit) => exit,
        Err(reason) => {
            let message = format!("the collection did not run: {reason}");
            result.end = RunEnd::Failed(Incomplete::new(message, ""));
            return (result, warnings);
        }
    };
    if exit.end == ExitKind::Cancelled {
        result.end = RunEnd::Aborted;
        return (result, warnings);
    }
    let on_its_own = matches!(exit.end, ExitKind::Code(_));
    let reading = match (output.console, &target.v3) {
        // What a v3 run printed before it was stopped is not the CLI's last
        // word, so it is not even read.
        (Some(_), Some(_)) if !on_its_own => Reading::Missing(Source::CliReport),
        (Some(console), Some(v3)) => {
            let order = || v3.run_order(selectors);
            read_v3(
                output.yaml,
                console,
                order,
                keep,
                &result.name,
                &mut warnings,
            )
        }
        _ => match output.report {
            None => Reading::Missing(Source::Json),
            Some(file) => {
                let mut paths = target
                    .collection
                    .as_ref()
                    .map(|c| c.request_paths())
                    .unwrap_or_default();
                match super::json::read(file, &mut paths, keep) {
                    Ok(run) => Reading::Read(Source::Json, run),
                    Err(e) => Reading::Unreadable(Source::Json, e),
                }
            }
        },
    };
    let (source, run) = match reading {
        Reading::Read(source, run) if on_its_own || source.written_at_the_end() => (source, run),
        // Stopped before its report was whole: whatever it left is no
        // report.
        _ if !on_its_own => {
            result.end = RunEnd::Failed(stopped(&exit, limits));
            return (result, warnings);
        }
        Reading::Read(source, _) | Reading::Missing(source) => {
            let what = match source {
                Source::CliReport => "without printing its report",
                Source::Json | Source::Yaml => "without writing its report",
            };
            result.end = RunEnd::Failed(no_report(&exit, what));
            return (result, warnings);
        }
        Reading::Unreadable(source, why) => {
            let message = format!(
                "results could not be read from the Postman CLI's {}: {why}",
                source.name()
            );
            let detail = format!("The Postman CLI {}. {}", exit.end, tail(&exit));
            result.end = RunEnd::Failed(Incomplete::new(message, detail));
            return (result, warnings);
        }
    };
    // A collection given by UID is named after what the CLI fetched, not
    // its UID.
    if let (CollectionSource::Uid(_) | CollectionSource::Url(_), Some(name)) =
        (&target.source, &run.collection_name)
    {
        result.name = target.name.replacen(&target.display, name, 1);
    }
    fill(&mut result, run);
    if result.end == RunEnd::Completed {
        judge_exit(&mut result, &mut warnings, source, &exit, limits);
    }
    (result, warnings)
}

/// A v3 run's reading: its YAML run report when there is one; else, or
/// when it cannot be read, its console report. Both read as strictly.
fn read_v3<'a>(
    yaml: Option<Result<(std::fs::File, std::fs::File), String>>,
    console: CapturedOutput,
    order: impl Fn() -> crate::resolve::v3::RunOrder<'a>,
    keep: RequestDetails,
    name: &str,
    warnings: &mut Vec<String>,
) -> Reading {
    let yaml_unreadable = match yaml {
        None => None,
        Some(files) => {
            let read = files.map_err(Unreadable).and_then(|(summary, executions)| {
                super::yaml::read(summary, executions, &order, keep)
            });
            match read {
                Ok(run) => return Reading::Read(Source::Yaml, run),
                Err(why) => Some(why),
            }
        }
    };
    let reading = if console.truncated {
        let why = format!(
            "the Postman CLI printed more than {} MB",
            CAPTURED_LIMIT / (1024 * 1024)
        );
        Reading::Unreadable(Source::CliReport, Unreadable(why))
    } else if !super::cli_report::printed_totals(&console.text) {
        Reading::Missing(Source::CliReport)
    } else {
        match super::cli_report::parse(&console.text, &mut order(), keep) {
            Ok(run) => Reading::Read(Source::CliReport, run),
            Err(e) => Reading::Unreadable(Source::CliReport, e),
        }
    };
    // When the console report cannot be read either, its error stands for
    // the run.
    if let (Some(why), Reading::Read(..)) = (yaml_unreadable, &reading) {
        warnings.push(format!(
            "The YAML run report of `{name}` could not be read ({why}); its results come from the Postman CLI's console report."
        ));
    }
    reading
}

const NO_REQUESTS: &str = "Check that the collection has requests, that the folder setting \
     selects some, and that the iteration count and data file are not empty.";

/// Puts what a report says into a result: its cases and counts, and a run
/// that stopped on an error its report tells, or sent no request, as one
/// that did not complete. Shared by task runs and `convert`.
pub(crate) fn fill(result: &mut RunResult, run: ReadRun) {
    result.started_ms = run.started_ms;
    result.duration_ms = run.duration_ms;
    result.iterations = run.iterations;
    result.requests = run.requests;
    result.cases = run.cases;
    result.details = run.details;
    result.header_secrets = run.header_secrets;
    if let Some(error) = run.run_error {
        let message = format!("the collection did not complete: {error}");
        result.end = RunEnd::Failed(Incomplete::new(message, ""));
    } else if result.requests == 0 {
        let message = "the collection did not run: it sent no requests";
        result.end = RunEnd::Failed(Incomplete::new(message, NO_REQUESTS));
    }
}

/// What the CLI's exit says of a report that was read: an early end the
/// report could not tell, or a warning.
fn judge_exit(
    result: &mut RunResult,
    warnings: &mut Vec<String>,
    source: Source,
    exit: &ToolExit,
    limits: Limits,
) {
    let nothing_failed = result.cases.iter().all(|c| c.failure().is_none());
    match exit.end {
        ExitKind::Code(1) if nothing_failed && !source.tells_run_errors() => {
            let reason = last_error(exit).unwrap_or_else(|| {
                "the Postman CLI ended the run early (exit code 1 with no failure counted)"
                    .to_owned()
            });
            let detail = format!(
                "The Postman CLI exited with code 1, but its {} counts no failure: it ended the run \
                 on an error its report does not tell, as its whole-run `timeout` does. The results \
                 read before are kept. {}",
                source.name(),
                tail(exit)
            );
            let message = format!("the collection did not complete: {reason}");
            result.end = RunEnd::Failed(Incomplete::new(message, detail));
        }
        ExitKind::Code(1) if nothing_failed && !matches!(result.upload, Upload::Failed { .. }) => {
            // The report is complete, so the results stand; the exit code
            // came from something after the run.
            warnings.push(format!(
                "The Postman CLI exited with code 1 after running `{}`, although every test passed. {}",
                result.name,
                tail(exit)
            ));
        }
        // Told already: the upload says what stalled.
        ExitKind::Code(0 | 1) | ExitKind::Stalled | ExitKind::Cancelled => {}
        ExitKind::TimedOut => warnings.push(format!(
            "The Postman CLI was stopped after {} (timeoutMinutes) while running `{}`, after \
             writing its {}; its results are kept.",
            limits
                .run
                .map_or_else(|| "its time limit".to_owned(), crate::text::limit),
            result.name,
            source.name()
        )),
        ExitKind::Code(_) | ExitKind::Signal(_) => warnings.push(format!(
            "The Postman CLI {} after writing its {} for `{}`. {}",
            exit.end,
            source.name(),
            result.name,
            tail(exit)
        )),
    }
}

/// A run the CLI did not end on its own: stopped by a time limit, a signal
/// or a stall before its report was whole.
fn stopped(exit: &ToolExit, limits: Limits) -> Incomplete {
    let reason = match (exit.end, limits.run) {
        (ExitKind::TimedOut, Some(limit)) => format!(
            "it did not finish within {} (timeoutMinutes)",
            crate::text::limit(limit)
        ),
        (end, _) => format!("the Postman CLI {end}"),
    };
    Incomplete::new(
        format!("the collection did not complete: {reason}"),
        format!(
            "The Postman CLI {} before it had ended the run, so nothing it printed or wrote \
             counts as its report. {}",
            exit.end,
            tail(exit)
        ),
    )
}

/// A run the CLI ended without its report: why, from its last words when
/// it printed an error.
fn no_report(exit: &ToolExit, what: &str) -> Incomplete {
    let said = format!("The Postman CLI {} {what}.", exit.end);
    let reason = last_error(exit).unwrap_or_else(|| format!("the Postman CLI {} {what}", exit.end));
    Incomplete::new(
        format!("the collection did not complete: {reason}"),
        format!("{said} {}", tail(exit)),
    )
}

/// The most of an error line a one-line message takes.
const REASON_CHARS: usize = 300;

/// The last error the CLI printed (`Error: callback timed out`,
/// `TypeError: …`), for a message that says why.
fn last_error(exit: &ToolExit) -> Option<String> {
    let line = exit.tail.iter().rev().find_map(|l| {
        let l = crate::text::strip_ansi(l);
        let l = l.trim();
        let name = l.split_once(": ")?.0;
        (name.ends_with("Error") && name.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| l.to_owned())
    })?;
    Some(match line.char_indices().nth(REASON_CHARS) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    })
}

/// The CLI's last words, for the detail of a run that failed.
fn tail(exit: &ToolExit) -> String {
    if exit.tail.is_empty() {
        "It printed nothing.".to_owned()
    } else {
        format!("Its last output:\n{}", exit.tail.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Failure, FailureKind, Status, TestCase};

    fn result(failed: bool) -> RunResult {
        let status = if failed {
            Status::Failed(Failure {
                kind: FailureKind::Assertion,
                message: "no".into(),
                detail: String::new(),
            })
        } else {
            Status::Passed
        };
        RunResult {
            index: 1,
            name: "R".into(),
            collection: "r".into(),
            environment: None,
            started_ms: None,
            duration_ms: None,
            iterations: 1,
            requests: 1,
            cases: vec![TestCase {
                request: "Q".into(),
                folder: String::new(),
                name: "t".into(),
                iteration: 1,
                status,
                time_ms: 0,
            }],
            end: RunEnd::Completed,
            report_dir: Default::default(),
            upload: Upload::NotExpected,
            retries: Default::default(),
            details: Vec::new(),
            header_secrets: Vec::new(),
            html_report: None,
        }
    }

    /// What the exit says of a report that was read: `(did not complete,
    /// warnings)`.
    fn judged(source: Source, end: ExitKind, failed: bool) -> (bool, usize) {
        let mut r = result(failed);
        let mut warnings = Vec::new();
        let limits = Limits { run: None };
        judge_exit(&mut r, &mut warnings, source, &exit(end, &[]), limits);
        (r.end != RunEnd::Completed, warnings.len())
    }

    #[test]
    fn exit_1_with_nothing_failed_is_an_early_end_only_where_the_report_cannot_say() {
        let code = ExitKind::Code;
        // A v3 run's reports are done before the CLI knows its run error.
        assert_eq!(judged(Source::CliReport, code(1), false), (true, 0));
        assert_eq!(judged(Source::Yaml, code(1), false), (true, 0));
        // The JSON report tells a run error itself; exit 1 came after it.
        assert_eq!(judged(Source::Json, code(1), false), (false, 1));
        // A failure explains the exit code.
        assert_eq!(judged(Source::CliReport, code(1), true), (false, 0));
        assert_eq!(judged(Source::CliReport, code(0), false), (false, 0));
        // Any other end after a complete report: the results stand, warned.
        assert_eq!(judged(Source::CliReport, code(3), false), (false, 1));
        assert_eq!(judged(Source::Json, ExitKind::Signal(9), true), (false, 1));
        assert_eq!(judged(Source::Json, ExitKind::Stalled, false), (false, 0));
    }

    fn exit(end: ExitKind, tail: &[&str]) -> ToolExit {
        ToolExit {
            end,
            tail: tail.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_reason_is_the_clis_last_error_in_one_line() {
        let e = exit(
            ExitKind::Code(1),
            &[
                "Running your collection...",
                "\u{1b}[31mError: callback timed out\u{1b}[0m",
                "",
            ],
        );
        assert_eq!(last_error(&e).as_deref(), Some("Error: callback timed out"));
        let missing = no_report(&e, "without writing its report");
        assert_eq!(
            missing.message,
            "the collection did not complete: Error: callback timed out"
        );
        assert!(
            missing.detail.contains("Its last output:\n"),
            "{}",
            missing.detail
        );
        let quiet = no_report(
            &exit(ExitKind::Code(1), &["→ Not an error: x"]),
            "without writing its report",
        );
        assert_eq!(
            quiet.message,
            "the collection did not complete: the Postman CLI exited with code 1 without writing its report"
        );
        let limit = Limits {
            run: Some(Duration::from_secs(60)),
        };
        let s = stopped(&exit(ExitKind::TimedOut, &[]), limit);
        assert_eq!(
            s.message,
            "the collection did not complete: it did not finish within 1 min (timeoutMinutes)"
        );
        assert!(
            !Incomplete::new("a\nb\r\n", "")
                .message
                .contains(['\n', '\r'])
        );
    }
}
