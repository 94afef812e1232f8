//! The publish stage, and the sinks: what a task run produced, written and
//! published whatever stopped it. The JUnit files ([`junit`]), the build
//! summary ([`summary`], its text escaped by [`markdown`]), the failure
//! list, the Postman tab's data ([`attachment`]), the output variables, lint
//! findings inline, and the report a person reads at a terminal
//! ([`terminal`]); with every known secret taken out first. [`finish`]
//! calls one function per sink, in the order the agent sees them.

pub(crate) mod attachment;
pub(crate) mod headline;
pub(crate) mod junit;
mod markdown;
pub(crate) mod summary;
pub(crate) mod terminal;
pub(crate) mod test_plan;

use std::path::{Path, PathBuf};

use crate::console::Console;
use crate::install::InstalledCli;
use crate::report::lint::LintOutcome;
use crate::report::model::RunResult;
use crate::run::upload::Upload;
use crate::secrets::Secrets;
use crate::text::plural;

/// What a task run has to publish.
pub(crate) struct Publication<'a> {
    /// Where the JUnit file and the summary go.
    pub(crate) files: Files,
    /// The test run's title.
    pub(crate) title: &'a str,
    /// The summary's headline (see [`headline::headline`]).
    pub(crate) headline: &'a str,
    /// The runs, made ready by [`crate::results::ready`].
    pub(crate) runs: &'a [RunResult],
    /// What stopped collections from running (input errors, the install).
    pub(crate) problems: Vec<String>,
    /// Runs that never started because the task was cancelled.
    pub(crate) not_started: usize,
    pub(crate) cli: Option<&'a InstalledCli>,
    /// API lint and each collection lint, as they ran.
    pub(crate) lint: &'a [LintOutcome],
    /// Whether the JUnit goes to the Tests tab (`publishTestResults`).
    pub(crate) to_tests_tab: bool,
    /// The job's temporary folder, for a copy of a JUnit file whose path
    /// the agent cannot read.
    pub(crate) temp_dir: &'a Path,
    /// This job's shard (`1/2`), when the runs are sharded.
    pub(crate) shard: Option<String>,
    /// The most bytes the Postman tab's attachment may take; `None` writes
    /// none (`convert`).
    pub(crate) attachment_limit: Option<usize>,
    /// What the Test Plans sink did ([`test_plan::publish`], which the
    /// conductor awaits before this), for the summary.
    pub(crate) test_plan: Option<&'a test_plan::TestPlanReport>,
    /// The job's temporary folder, where the tests that passed only on a
    /// retry are recorded for the post-job step that marks them flaky in
    /// the Tests tab ([`test_plan::tests_tab`]); `None` records nothing
    /// (no `testPlan`, or not on an agent).
    pub(crate) flaky_record: Option<&'a Path>,
}

/// Where the JUnit file and the summary go; the lint's JUnit and a long
/// failure list go beside them.
#[derive(Clone, Debug)]
pub(crate) struct Files {
    pub(crate) junit: PathBuf,
    pub(crate) summary: PathBuf,
}

impl Files {
    /// A task run's files, in its report folder; the summary's file name is
    /// its section title on the build page.
    pub(crate) fn in_folder(dir: &Path, title: &str) -> Files {
        Files {
            junit: dir.join("postman-junit.xml"),
            summary: dir.join(format!("{}.md", summary_file_stem(title))),
        }
    }
}

/// The files written.
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub(crate) junit: Option<PathBuf>,
    pub(crate) summary: Option<PathBuf>,
}

/// Writes and publishes what exists: JUnit when any collection ran (and the
/// lint's when any lint did), the summary always, the Postman tab's data,
/// and the output variables. One step per sink.
pub(crate) fn finish(console: &Console, p: Publication<'_>, secrets: &Secrets) -> Published {
    let dir = p.files.summary.parent().unwrap_or(Path::new("."));
    let cli_version = p.cli.map(|c| c.version.to_string());
    let cli_version = cli_version.as_deref();
    let full_failures = attach_failure_list(console, dir, p.runs);
    let junit = publish_runs(console, &p, cli_version);
    publish_lint(console, &p);
    let summary = write_summary(console, &p, secrets, cli_version, full_failures.as_deref());
    write_attachment(console, &p, dir, cli_version, secrets);
    let out = Published { junit, summary };
    set_outputs(console, &p, dir, &out);
    out
}

/// When the summary cannot list every failure, a file that does, attached
/// to the build's logs; its path.
fn attach_failure_list(console: &Console, dir: &Path, runs: &[RunResult]) -> Option<PathBuf> {
    if crate::results::totals(runs).failed <= summary::MAX_LISTED_FAILURES {
        return None;
    }
    let path = dir.join("failures.md");
    std::fs::write(&path, summary::failure_list(runs)).ok()?;
    console.upload_file(&path.display().to_string());
    Some(path)
}

/// Writes a JUnit file and puts it in the Tests tab, unless the plan says
/// not to; whether it was written.
fn write_junit(
    console: &Console,
    p: &Publication<'_>,
    report: &quick_junit::Report,
    path: &Path,
    title: &str,
) -> bool {
    if let Err(e) = junit::write(report, path) {
        console.error(&format!(
            "cannot write the JUnit file {}: {e}",
            path.display()
        ));
        return false;
    }
    if p.to_tests_tab {
        match without_commas(path, p.temp_dir) {
            Ok(file) => console.publish_junit(&file.display().to_string(), title),
            Err(e) => console.error(&format!(
                "The results in {} cannot be published to the Tests tab: the agent splits result file paths at commas, and no folder without one could take a copy ({e}). Set reportDirectory to a path without a comma.",
                path.display()
            )),
        }
    }
    true
}

/// The collection runs' JUnit, one test run; where it was written.
fn publish_runs(
    console: &Console,
    p: &Publication<'_>,
    cli_version: Option<&str>,
) -> Option<PathBuf> {
    if p.runs.is_empty() {
        return None;
    }
    let report = junit::build(p.title, p.runs, cli_version);
    let written = write_junit(console, p, &report, &p.files.junit, p.title);
    if written && p.to_tests_tab {
        record_flaky(console, p, &report);
    }
    written.then(|| p.files.junit.clone())
}

/// The tests the Tests tab's run will show that passed only on a retry,
/// left for the post-job step, which marks them once the agent has
/// published that run.
fn record_flaky(console: &Console, p: &Publication<'_>, report: &quick_junit::Report) {
    let Some(dir) = p.flaky_record else {
        return;
    };
    if let Err(e) = test_plan::tests_tab::record(report, dir) {
        console.warning(&format!(
            "Azure Test Plans: the tests that passed only on a retry will not be marked flaky in the Tests tab: their record for the post-job step could not be written in {} ({e}).",
            dir.display()
        ));
    }
}

/// The lint's JUnit, a test run of its own beside the runs' file, and the
/// count of its findings.
fn publish_lint(console: &Console, p: &Publication<'_>) {
    if p.lint.is_empty() {
        return;
    }
    // One test run for every lint; it keeps its API lint name when API
    // lint is in it, so its history stays one.
    let lint_title = if p.lint.iter().any(|l| l.target.is_api()) {
        format!("{} API governance", p.title)
    } else {
        format!("{} collection lint", p.title)
    };
    let path = p.files.junit.with_file_name("postman-lint-junit.xml");
    write_junit(
        console,
        p,
        &junit::build_lint(&lint_title, p.lint),
        &path,
        &lint_title,
    );
    let total: usize = p.lint.iter().map(LintOutcome::total).sum();
    console.set_output("lintViolations", &total.to_string());
}

/// The build summary; where it was written.
fn write_summary(
    console: &Console,
    p: &Publication<'_>,
    secrets: &Secrets,
    cli_version: Option<&str>,
    full_failures: Option<&Path>,
) -> Option<PathBuf> {
    let mut problems: Vec<String> = p
        .problems
        .iter()
        .map(|p| secrets.redact(p).into_owned())
        .collect();
    if p.not_started > 0 {
        problems.push(format!(
            "{} did not start: the task was cancelled",
            plural(p.not_started, "collection run", "collection runs")
        ));
    }
    let markdown = summary::render(&summary::SummaryInput {
        title: p.title,
        headline: p.headline,
        runs: p.runs,
        problems: &problems,
        cli_version,
        cli_origin: p.cli.and_then(|c| c.origin.as_ref()),
        cli_integrity: p.cli.and_then(|c| c.integrity.as_deref()),
        lint: p.lint,
        full_failures: full_failures
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned()),
        test_plan: p.test_plan,
    });
    let path = &p.files.summary;
    match std::fs::write(path, markdown) {
        Ok(()) => {
            console.upload_summary(&path.display().to_string());
            Some(path.clone())
        }
        Err(e) => {
            console.error(&format!("cannot write the summary {}: {e}", path.display()));
            None
        }
    }
}

/// The Postman tab's data, beside the summary and attached in a pipeline,
/// with each run's HTML report attached for download.
fn write_attachment(
    console: &Console,
    p: &Publication<'_>,
    dir: &Path,
    cli_version: Option<&str>,
    secrets: &Secrets,
) {
    let Some(limit) = p
        .attachment_limit
        .filter(|_| !p.runs.is_empty() || !p.lint.is_empty())
    else {
        return;
    };
    let name = attachment::file_name(dir);
    let path = dir.join(&name);
    let html: Vec<Option<String>> = p
        .runs
        .iter()
        .map(|run| attach_html_report(console, run, &name))
        .collect();
    let data = attachment::Attachment {
        html: &html,
        title: p.title,
        shard: p.shard.clone(),
        cli_version,
        runs: p.runs,
        lints: p.lint,
        limit,
        test_plan: p.test_plan,
    };
    match attachment::write(&data, &path, secrets) {
        Ok(()) => console.add_attachment(attachment::KIND, &name, &path.display().to_string()),
        Err(e) => console.warning(&format!(
            "cannot write the Postman tab's data {}: {e}",
            path.display()
        )),
    }
}

/// A run's HTML report from the CLI, its own attachment, which the tab
/// offers as a download; its attachment name.
fn attach_html_report(console: &Console, run: &RunResult, attachment_name: &str) -> Option<String> {
    let report = run.html_report.as_ref()?;
    let size = std::fs::metadata(report).ok()?.len();
    if size > attachment::HTML_LIMIT {
        console.warning(&format!(
            "The Postman CLI's HTML report of `{}` is not attached: it takes {} MB, \
             more than {} MB. It is in {}.",
            run.name,
            size / 1_000_000,
            attachment::HTML_LIMIT / 1_000_000,
            report.display()
        ));
        return None;
    }
    let html_name = attachment::html_name(attachment_name, run.index);
    console.add_attachment(
        attachment::HTML_KIND,
        &html_name,
        &report.display().to_string(),
    );
    Some(html_name)
}

/// The output variables: counts, files, the runs in Postman, the CLI.
fn set_outputs(console: &Console, p: &Publication<'_>, dir: &Path, out: &Published) {
    let counts = crate::results::totals(p.runs);
    console.set_output("testsTotal", &counts.total.to_string());
    console.set_output("testsPassed", &counts.passed.to_string());
    console.set_output("testsFailed", &counts.failed.to_string());
    console.set_output("flakyRuns", &crate::results::flaky_runs(p.runs).to_string());
    console.set_output("reportDirectory", &dir.display().to_string());
    if let Some(path) = &out.junit {
        console.set_output("junitFile", &path.display().to_string());
    }
    if let Some(path) = &out.summary {
        console.set_output("summaryFile", &path.display().to_string());
    }
    let urls: Vec<&str> = p
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
    if let Some(cli) = p.cli {
        console.set_output("cliVersion", &cli.version.to_string());
        console.set_output("cliPath", &cli.executable.display().to_string());
    }
}

/// Puts lint findings where people look: inline on a local file (a
/// definition, a collection's request file, an environment; errors at or
/// above the fail severity, warnings below), and says what became of the
/// report to Postman.
pub(crate) fn report_lint(console: &Console, lint: &LintOutcome) {
    use crate::azure::vso::{IssueType, SourceLocation};
    use crate::report::lint::LintReport;
    let parsed = match &lint.result {
        Err(reason) => {
            let what = if lint.target.is_api() {
                "API lint"
            } else {
                "Collection lint"
            };
            console.error(&format!(
                "{what} of {} did not run: {reason}",
                lint.target.display()
            ));
            return;
        }
        Ok(parsed) => parsed,
    };
    for v in &parsed.violations {
        let Some(file) = lint.file_of(v) else {
            continue;
        };
        let kind = if lint.fails(v) {
            IssueType::Error
        } else {
            IssueType::Warning
        };
        let location = SourceLocation {
            path: file.display().to_string(),
            line: v.line,
            column: v.column,
        };
        console.issue(
            kind,
            &format!(
                "{} ({} rule, {}): {}",
                v.message.lines().next().unwrap_or_default(),
                v.kind,
                v.severity.as_str(),
                v.path
            ),
            Some(&location),
        );
    }
    if let LintReport::Failed(reason) = &parsed.report {
        console.warning(&format!(
            "The API lint report was not sent to Postman: {reason}"
        ));
    }
}

/// A path the agent reads as one file. It splits `resultFiles` at commas
/// (`ResultsCommandExtension.cs`), so a JUnit file whose path has one is
/// copied into a new folder, in the job's temporary folder or else the
/// system's, whose path has none.
fn without_commas(
    path: &std::path::Path,
    temp: &std::path::Path,
) -> std::io::Result<std::path::PathBuf> {
    if !path.to_string_lossy().contains(',') {
        return Ok(path.to_path_buf());
    }
    let name = path.file_name().map_or_else(
        || "postman-junit.xml".into(),
        |n| n.to_string_lossy().replace(',', "-"),
    );
    let std_temp = std::env::temp_dir();
    let folder = [temp, std_temp.as_path()]
        .into_iter()
        .find(|dir| !dir.to_string_lossy().contains(','))
        .ok_or_else(|| std::io::Error::other("every temporary folder has a comma in its path"))?;
    let dir = tempfile::Builder::new()
        .prefix("postman-cli-task-results-")
        .tempdir_in(folder)?
        .keep();
    let copy = dir.join(name);
    std::fs::copy(path, &copy)?;
    Ok(copy)
}

/// The largest CLI report copied: each is read whole and masked, and a
/// hostile API could make one as large as its responses.
pub(crate) const COPY_LIMIT: u64 = 256 * 1024 * 1024;

/// Copies the CLI's own reports of a run (JSON, HTML, or a v3 run's YAML
/// run report) next to ours, without secrets, into a folder named after the run,
/// and, when failed runs are retried, one folder per attempt inside it
/// (`attempt-2`). A report larger than [`COPY_LIMIT`] is left out, with a
/// warning. Returns where the HTML report's copy is.
pub(crate) fn copy_run_report(
    console: &Console,
    result: &RunResult,
    attempt: Option<u32>,
    root: &Path,
    secrets: &Secrets,
) -> Option<PathBuf> {
    if result.report_dir.as_os_str().is_empty() {
        return None;
    }
    let mut dir = root.join("runs").join(format!(
        "{:02}-{}",
        result.index,
        crate::text::slug(&result.name)
    ));
    if let Some(n) = attempt {
        dir.push(format!("attempt-{n}"));
    }
    // The credential headers the run sent or received are masked with the
    // known secrets.
    let mut secrets = secrets.clone();
    secrets.extend_credentials(result.header_secrets.iter().map(String::as_str));
    let read = |path: &Path| -> Option<String> {
        let size = std::fs::metadata(path).ok()?.len();
        if size > COPY_LIMIT {
            console.warning(&format!(
                "The Postman CLI's report {} of `{}` is not kept: it takes {} MB, more than \
                 the {} MB the task masks secrets in.",
                path.file_name().unwrap_or_default().to_string_lossy(),
                result.name,
                size / 1_000_000,
                COPY_LIMIT / 1_000_000
            ));
            return None;
        }
        std::fs::read_to_string(path).ok()
    };
    let write = |name: &str, text: &str| -> Option<PathBuf> {
        std::fs::create_dir_all(&dir).ok()?;
        let path = dir.join(name);
        std::fs::write(&path, text.as_bytes()).ok()?;
        Some(path)
    };
    if let Some(text) = read(&result.report_dir.join("report.json")) {
        // The JSON report holds secrets JSON-escaped: it is redacted value
        // by value, in decoded form.
        write("postman-report.json", &secrets.redact_json(&text));
    }
    // A v3 run's YAML run report (`--output`): its two files, as text.
    if let Ok(entries) = std::fs::read_dir(result.report_dir.join("output")) {
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some(name) = name.filter(|n| n.ends_with(".yaml")) else {
                continue;
            };
            if let Some(text) = read(&path) {
                write(&format!("postman-{name}"), &secrets.redact(&text));
            }
        }
    }
    // The HTML report holds the run's data as markup and as JSON in a
    // script; the redactor reads every escape either uses.
    let text = read(&result.report_dir.join("report.html"))?;
    write("postman-report.html", &secrets.redact(&text))
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
