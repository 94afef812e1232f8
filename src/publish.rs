//! Publishing what a task run produced, whatever stopped it: the JUnit
//! files, the summary, the failure list, the output variables, and lint
//! findings inline; with every known secret taken out first.

use crate::app::{Context, Outcome, plural};
use crate::console::Console;
use crate::plan::Plan;
use crate::results::{RunEnd, RunResult, Status};
use crate::secrets::Secrets;
use crate::sinks::{junit, summary};
use crate::upload::Upload;

/// Writes and publishes what exists: JUnit when any collection ran, the
/// summary always, and the output variables.
pub(crate) fn finish(
    ctx: &Context,
    out: &mut Outcome,
    plan: Option<&Plan>,
    title: &str,
    secrets: &Secrets,
) {
    let console = &ctx.console;
    let Some(dir) = out.report_dir.clone() else {
        return;
    };
    for run in &mut out.runs {
        redact_run(run, secrets);
    }
    let mut problems: Vec<String> = out
        .input_errors
        .iter()
        .chain(out.install_error.iter())
        .map(|p| secrets.redact(p).into_owned())
        .collect();
    if out.not_started > 0 {
        problems.push(format!(
            "{} did not start: the task was cancelled",
            plural(out.not_started, "collection run", "collection runs")
        ));
    }
    let cli_version = out.cli.as_ref().map(|c| c.version.to_string());

    // The summary lists the first failures; a long list goes in a file of
    // its own, attached to the build's logs.
    let failures = out.counts().failed;
    let full_failures = (failures > summary::MAX_LISTED_FAILURES)
        .then(|| {
            let path = dir.join("failures.md");
            std::fs::write(&path, summary::failure_list(&out.runs)).ok()?;
            console.upload_file(&path.display().to_string());
            Some(path)
        })
        .flatten();

    // Writes a JUnit file and puts it in the Tests tab, unless the plan
    // says not to; whether it was written.
    let publish = plan.is_none_or(|p| p.publish_test_results);
    let write_junit =
        |report: &quick_junit::Report, path: &std::path::Path, title: &str| match junit::write(
            report, path,
        ) {
            Ok(()) => {
                if publish {
                    console.publish_junit(&path.display().to_string(), title);
                }
                true
            }
            Err(e) => {
                console.error(&format!(
                    "cannot write the JUnit file {}: {e}",
                    path.display()
                ));
                false
            }
        };

    if !out.runs.is_empty() {
        let path = dir.join("postman-junit.xml");
        let report = junit::build(title, &out.runs, cli_version.as_deref());
        if write_junit(&report, &path, title) {
            out.junit = Some(path);
        }
    }

    if let Some(lint) = &out.lint {
        let lint_title = format!("{title} API governance");
        let path = dir.join("postman-lint-junit.xml");
        write_junit(&junit::build_lint(&lint_title, lint), &path, &lint_title);
        console.set_output("lintViolations", &lint.total().to_string());
    }

    let markdown = summary::render(&summary::SummaryInput {
        title,
        runs: &out.runs,
        problems: &problems,
        cli_version: cli_version.as_deref(),
        cli_origin: out.cli.as_ref().and_then(|c| c.origin.as_ref()),
        cli_integrity: out.cli.as_ref().and_then(|c| c.integrity.as_deref()),
        lint: out.lint.as_ref(),
        full_failures: full_failures
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned()),
    });
    let path = dir.join(format!("{}.md", summary_file_stem(title)));
    match std::fs::write(&path, markdown) {
        Ok(()) => {
            console.upload_summary(&path.display().to_string());
            out.summary = Some(path);
        }
        Err(e) => console.error(&format!("cannot write the summary {}: {e}", path.display())),
    }

    let c = out.counts();
    console.set_output("testsTotal", &c.total.to_string());
    console.set_output("testsPassed", &c.passed.to_string());
    console.set_output("testsFailed", &c.failed.to_string());
    console.set_output("reportDirectory", &dir.display().to_string());
    if let Some(p) = &out.junit {
        console.set_output("junitFile", &p.display().to_string());
    }
    if let Some(p) = &out.summary {
        console.set_output("summaryFile", &p.display().to_string());
    }
    let urls: Vec<&str> = out
        .runs
        .iter()
        .filter_map(|r| match &r.upload {
            Upload::Uploaded { url: Some(url) } => Some(url.as_str()),
            _ => None,
        })
        .collect();
    if !urls.is_empty() {
        console.set_output("postmanRunUrls", &urls.join(" "));
    }
    if let Some(cli) = &out.cli {
        console.set_output("cliVersion", &cli.version.to_string());
        console.set_output("cliPath", &cli.executable.display().to_string());
    }
}

/// Puts lint findings where people look: inline on a local definition
/// (errors at or above the fail severity, warnings below), and says what
/// became of the report to Postman.
pub(crate) fn report_lint(console: &Console, lint: &crate::lint::LintOutcome) {
    use crate::azure::vso::{IssueType, SourceLocation};
    use crate::lint::{LintReport, LintTarget};
    let parsed = match &lint.result {
        Err(reason) => {
            console.error(&format!(
                "API lint of {} did not run: {reason}",
                lint.target.display()
            ));
            return;
        }
        Ok(parsed) => parsed,
    };
    if let LintTarget::Definition { path, .. } = &lint.target {
        for v in &parsed.violations {
            let kind = if lint.fails(v) {
                IssueType::Error
            } else {
                IssueType::Warning
            };
            let location = SourceLocation {
                path: path.display().to_string(),
                line: v.line,
                column: v.column,
            };
            console.issue(
                kind,
                &format!(
                    "{} ({} rule, {}): {}",
                    v.message,
                    v.kind,
                    v.severity.as_str(),
                    v.path
                ),
                Some(&location),
            );
        }
    }
    if let LintReport::Failed(reason) = &parsed.report {
        console.warning(&format!(
            "The API lint report was not sent to Postman: {reason}"
        ));
    }
}

/// Runs named after what the CLI fetched (collections given by UID) may
/// share a name; the Tests tab needs them apart.
pub(crate) fn make_run_names_unique(runs: &mut [RunResult]) {
    let mut seen = std::collections::HashMap::new();
    for run in runs.iter() {
        *seen.entry(run.name.clone()).or_insert(0) += 1;
    }
    for run in runs.iter_mut() {
        if seen[&run.name] > 1 {
            run.name = format!("{} ({})", run.name, run.collection);
        }
    }
}

fn redact_run(run: &mut RunResult, secrets: &Secrets) {
    let r = |s: &mut String| {
        if let std::borrow::Cow::Owned(clean) = secrets.redact(s) {
            *s = clean;
        }
    };
    r(&mut run.name);
    for case in &mut run.cases {
        r(&mut case.request);
        r(&mut case.name);
        if let Status::Failed(f) = &mut case.status {
            r(&mut f.message);
            r(&mut f.detail);
        }
    }
    if let RunEnd::Failed(reason) = &mut run.end {
        r(reason);
    }
}

/// The summary's file name is its section title on the build page.
fn summary_file_stem(title: &str) -> String {
    let stem: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_.()".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim().trim_matches('.');
    if stem.is_empty() {
        "Postman".into()
    } else {
        stem.into()
    }
}
