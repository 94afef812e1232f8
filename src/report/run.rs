//! One collection run, read: how the CLI ended and what its JSON report
//! says become a [`RunResult`], with the warnings worth telling.

use std::time::Duration;

use super::json::{ReportSummary, read_report};
use crate::plan::RequestDetails;
use crate::process::{ExitKind, ToolExit};
use crate::report::model::{RunEnd, RunResult};
use crate::resolve::v3::V3Collection;
use crate::resolve::{CollectionSource, RunTarget};
use crate::run::collection::{CONSOLE_LIMIT, Console, RunOutput};
use crate::run::observed::Observed;
use crate::run::upload::Upload;

/// The time limits a run was given, to say which one stopped it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// `timeoutMinutes`.
    pub(crate) run: Option<Duration>,
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
            result.end = RunEnd::Failed(reason);
            return (result, warnings);
        }
    };
    if exit.end == ExitKind::Cancelled {
        result.end = RunEnd::Aborted;
        return (result, warnings);
    }
    if let (Some(console), Some(v3)) = (output.console, &target.v3) {
        // The YAML run report when there is one; else, or when it cannot be
        // read, the console report.
        let yaml_unreadable = match output.yaml {
            Some(yaml) => {
                match read_yaml(&mut result, &mut warnings, &exit, yaml, v3, selectors, keep) {
                    Ok(()) => return (result, warnings),
                    Err(why) => Some(why),
                }
            }
            None => None,
        };
        let at = warnings.len();
        let console_read = read_console(
            &mut result,
            &mut warnings,
            &exit,
            console,
            v3,
            selectors,
            keep,
        );
        // When the console report cannot be read either, its error stands
        // for the run.
        if let (Some(why), true) = (yaml_unreadable, console_read) {
            warnings.insert(
                at,
                format!(
                    "The YAML run report of `{}` could not be read ({why}); its results come from the Postman CLI's console report.",
                    result.name
                ),
            );
        }
        return (result, warnings);
    }
    let Some(report) = output.report else {
        result.end = RunEnd::Failed(match (exit.end, limits.run) {
            (ExitKind::TimedOut, Some(limit)) => format!(
                "the run did not finish within {} (timeoutMinutes) and was stopped before writing its report. {}",
                crate::text::limit(limit),
                tail(&exit)
            ),
            _ => format!(
                "the Postman CLI {} without writing its report, so the collection did not run. {}",
                exit.end,
                tail(&exit)
            ),
        });
        return (result, warnings);
    };
    if let (ExitKind::TimedOut, Some(limit)) = (exit.end, limits.run) {
        warnings.push(format!(
            "The Postman CLI was stopped after {} (timeoutMinutes) while running `{}`; the results it had written are kept.",
            crate::text::limit(limit),
            target.name
        ));
    }
    let mut paths = target
        .collection
        .as_ref()
        .map(|c| c.request_paths())
        .unwrap_or_default();
    match read_report(report, &mut paths, keep) {
        Err(e) => result.end = RunEnd::Failed(e.to_string()),
        Ok(summary) => {
            // A collection given by UID is named after what the CLI
            // fetched, not its UID.
            if let (CollectionSource::Uid(_) | CollectionSource::Url(_), Some(name)) =
                (&target.source, &summary.collection_name)
            {
                result.name = target.name.replacen(&target.display, name, 1);
            }
            fill(&mut result, summary);
            if result.end != RunEnd::Completed
                || matches!(exit.end, ExitKind::Stalled | ExitKind::TimedOut)
            {
                // Said already (the run error, the upload, the time limit).
            } else if matches!(exit.end, ExitKind::Code(1))
                && result.counts().failed == 0
                && !matches!(result.upload, Upload::Failed { .. })
            {
                // The report is complete, so the results stand; the exit
                // code came from something after the run.
                warnings.push(format!(
                    "The Postman CLI exited with code 1 after running `{}`, although every test passed. {}",
                    target.name,
                    tail(&exit)
                ));
            } else if !matches!(exit.end, ExitKind::Code(0 | 1)) {
                warnings.push(format!(
                    "The Postman CLI {} after writing its report for `{}`. {}",
                    exit.end,
                    target.name,
                    tail(&exit)
                ));
            }
        }
    }
    (result, warnings)
}

/// A v3 run's result, from its console report: strictly read, and added
/// up against the CLI's own totals table, or the run is one whose results
/// could not be read, never a pass. Whether it could be read.
fn read_console(
    result: &mut RunResult,
    warnings: &mut Vec<String>,
    exit: &ToolExit,
    console: Console,
    v3: &V3Collection,
    selectors: &[String],
    keep: RequestDetails,
) -> bool {
    if console.truncated {
        result.end = RunEnd::Failed(format!(
            "results could not be read: the Postman CLI printed more than {} MB",
            CONSOLE_LIMIT / (1024 * 1024)
        ));
        return false;
    }
    match super::console::parse(&console.text, &mut v3.run_order(selectors)) {
        // No totals table: the CLI stopped before or during the run (an
        // unknown folder, a file it could not load, a time limit).
        Err(_) if !console.text.contains(" executed ") => {
            result.end = RunEnd::Failed(format!(
                "the Postman CLI {} without printing its report, so the collection did not run \
                 to the end. {}",
                exit.end,
                tail(exit)
            ));
            false
        }
        Err(e) => {
            result.end = RunEnd::Failed(e.to_string());
            false
        }
        Ok(run) => {
            result.iterations = u32::try_from(run.totals.iterations.executed).unwrap_or(u32::MAX);
            result.requests = run.totals.requests.executed;
            result.cases = run.cases;
            if keep != RequestDetails::None {
                result.details = run.details;
            }
            result.duration_ms = run_duration(&console.text);
            if result.requests == 0 {
                result.end = RunEnd::Failed(NO_REQUESTS.to_owned());
            } else if !matches!(exit.end, ExitKind::Code(0 | 1)) {
                warnings.push(format!(
                    "The Postman CLI {} after printing its report for `{}`. {}",
                    exit.end,
                    result.name,
                    tail(exit)
                ));
            }
            true
        }
    }
}

/// A v3 run's result from its YAML run report (`--output`), read as
/// strictly as the console report; why not, when the report is missing or
/// unreadable (the console report is then read instead).
fn read_yaml(
    result: &mut RunResult,
    warnings: &mut Vec<String>,
    exit: &ToolExit,
    yaml: Result<(std::fs::File, std::fs::File), String>,
    v3: &V3Collection,
    selectors: &[String],
    keep: RequestDetails,
) -> Result<(), String> {
    let run = yaml.and_then(|(summary, executions)| {
        super::yaml::parse(
            std::io::BufReader::new(summary),
            std::io::BufReader::new(executions),
            &mut v3.run_order(selectors),
            keep != RequestDetails::None,
        )
        .map_err(|e| e.0)
    })?;
    result.iterations = u32::try_from(run.iterations).unwrap_or(u32::MAX);
    result.requests = run.requests;
    result.duration_ms = run.duration_ms;
    result.cases = run.cases;
    result.header_secrets = run.header_secrets;
    if keep != RequestDetails::None {
        result.details = run.details;
    }
    if let Some(error) = run.run_error {
        result.end = RunEnd::Failed(format!("the run stopped: {error}"));
    } else if result.requests == 0 {
        result.end = RunEnd::Failed(NO_REQUESTS.to_owned());
    } else if !matches!(exit.end, ExitKind::Code(0 | 1)) {
        warnings.push(format!(
            "The Postman CLI {} after writing its YAML run report for `{}`. {}",
            exit.end,
            result.name,
            tail(exit)
        ));
    }
    Ok(())
}

/// `| total run duration: 146 ms |` under the totals table, for the
/// suite's time. Only the last such line counts: the real table comes after
/// every line a collection prints.
fn run_duration(text: &str) -> Option<u64> {
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with("| total run duration: "))?;
    let value = line
        .trim_start_matches("| total run duration: ")
        .trim_end_matches('|')
        .trim();
    let (number, unit) = value.split_once(' ')?;
    let n: f64 = number.parse().ok()?;
    let ms = match unit {
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    };
    Some(ms.round() as u64)
}

const NO_REQUESTS: &str = "the run sent no requests. Check that the collection has requests, that \
     the folder setting selects some, and that the iteration count and data file are not empty";

/// Puts what a report says into a result: its cases and counts, and a run
/// that stopped on a fatal error, or sent no request, as one that did not
/// complete. Shared by task runs and `convert`.
pub(crate) fn fill(result: &mut RunResult, summary: ReportSummary) {
    result.started_ms = summary.started_ms;
    result.duration_ms = summary.duration_ms;
    result.iterations = summary.iterations;
    result.requests = summary.requests;
    result.cases = summary.cases;
    result.details = summary.details;
    result.header_secrets = summary.header_secrets;
    if let Some(error) = summary.run_error {
        result.end = RunEnd::Failed(format!("the run stopped: {error}"));
    } else if result.requests == 0 {
        result.end = RunEnd::Failed(NO_REQUESTS.to_owned());
    }
}

/// The CLI's last words, for a message that says why a run failed.
fn tail(exit: &ToolExit) -> String {
    if exit.tail.is_empty() {
        "It printed nothing.".to_owned()
    } else {
        format!("Its last output:\n{}", exit.tail.join("\n"))
    }
}
