//! The markdown build summary: one table row per collection run, then the
//! failures (request › test › message), then anything that stopped a run.
//!
//! Everything that comes from a collection or a server is escaped, so a
//! request name cannot break the table or inject HTML into the build page.

use std::fmt::Write as _;

use super::markdown::{escape, link, name};
use crate::report::lint::LintOutcome;
use crate::report::model::{Failure, FailureKind, RunEnd, RunResult, Status, TestCase};
use crate::run::upload::Upload;

/// How many failures the summary lists before it only counts the rest; the
/// Tests tab has all of them.
pub(crate) const MAX_LISTED_FAILURES: usize = 50;

pub(crate) struct SummaryInput<'a> {
    pub(crate) title: &'a str,
    /// How the task run went, in one line (see [`super::headline`]).
    pub(crate) headline: &'a str,
    pub(crate) runs: &'a [RunResult],
    /// Rendered errors that stopped collections from running.
    pub(crate) problems: &'a [String],
    pub(crate) cli_version: Option<&'a str>,
    /// Where the CLI came from, and its integrity string.
    pub(crate) cli_origin: Option<&'a crate::install::Origin>,
    pub(crate) cli_integrity: Option<&'a str>,
    pub(crate) lint: &'a [LintOutcome],
    /// The file with every failure, when there are too many to list here.
    pub(crate) full_failures: Option<String>,
    /// What the Test Plans sink did, when `testPlan` is set.
    pub(crate) test_plan: Option<&'a super::test_plan::TestPlanReport>,
}

/// The summary, section by section: the headline, a row per run, flaky
/// runs, failures, runs not reported to Postman, each lint, what did not
/// run, and the line saying which CLI ran.
pub(crate) fn render(input: &SummaryInput<'_>) -> String {
    let mut md = String::new();
    headline(&mut md, input);
    runs_table(&mut md, input.runs);
    flaky_runs(&mut md, input.runs);
    failures(&mut md, input);
    not_reported(&mut md, input.runs);
    super::test_plan::summary::section(&mut md, input.test_plan);
    for lint in input.lint {
        lint_section(&mut md, lint);
    }
    not_run(&mut md, input.problems);
    footer(&mut md, input);
    md
}

/// `### ✅ Postman: 3 tests passed in 1 collection run.`
fn headline(md: &mut String, input: &SummaryInput<'_>) {
    let failed_runs = input.runs.iter().filter(|r| r.failed()).count();
    let ok = failed_runs == 0 && input.problems.is_empty();
    let _ = writeln!(
        md,
        "### {} {}: {}",
        if ok { "✅" } else { "❌" },
        name(input.title),
        escape(input.headline)
    );
    md.push('\n');
}

/// A row per run: its counts, its time, and, when any run was reported to
/// Postman, where.
fn runs_table(md: &mut String, runs: &[RunResult]) {
    if runs.is_empty() {
        return;
    }
    let reported = runs.iter().any(|r| r.upload != Upload::NotExpected);
    md.push_str("| | Collection | Environment | Requests | Assertions passed | Assertions failed | Skipped | Errors | Duration |");
    md.push_str(if reported { " Postman |\n" } else { "\n" });
    md.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|");
    md.push_str(if reported { "---|\n" } else { "\n" });
    for run in runs {
        run_row(md, run, reported);
    }
    md.push('\n');
}

fn run_row(md: &mut String, run: &RunResult, reported: bool) {
    let a = run.assertion_counts();
    let errors = run
        .cases
        .iter()
        .filter(|c| {
            c.failure()
                .is_some_and(|f| f.kind != FailureKind::Assertion)
        })
        .count()
        + usize::from(run.end != RunEnd::Completed);
    let _ = write!(
        md,
        "| {} | {}{} | {} | {} | {} | {} | {} | {} | {} |",
        mark(run),
        name(&run.name),
        attempt_note(run),
        run.environment
            .as_deref()
            .map(escape)
            .unwrap_or_else(|| "—".into()),
        run.requests,
        a.passed,
        a.failed,
        a.skipped,
        errors,
        run.duration_ms
            .map(|ms| crate::text::duration(std::time::Duration::from_millis(ms)))
            .unwrap_or_else(|| "—".into()),
    );
    if reported {
        let cell = match &run.upload {
            Upload::Uploaded { url: Some(url) } => format!("[View run]({})", link(url)),
            Upload::Uploaded { url: None } => "reported".to_owned(),
            Upload::Failed { .. } => "⚠️ not reported".to_owned(),
            Upload::NotExpected => "—".to_owned(),
            // The CLI says nothing a collection could not forge.
            Upload::Events => "sent with report events".to_owned(),
        };
        let _ = write!(md, " {cell} |");
    }
    md.push('\n');
}

/// Runs that passed only on a retry, with what failed before.
fn flaky_runs(md: &mut String, runs: &[RunResult]) {
    let flaky: Vec<&RunResult> = runs.iter().filter(|r| r.flaky()).collect();
    if flaky.is_empty() {
        return;
    }
    md.push_str("#### 🔁 Flaky runs\n\n");
    for run in flaky {
        let _ = writeln!(
            md,
            "**{}** passed on attempt {} of {}.\n",
            name(&run.name),
            run.retries.attempt,
            run.retries.of
        );
        earlier_attempts(md, run);
    }
}

/// Each failing run's failures, the first [`MAX_LISTED_FAILURES`] of them
/// listed, and where the rest are.
fn failures(md: &mut String, input: &SummaryInput<'_>) {
    let failing: Vec<&RunResult> = input.runs.iter().filter(|r| r.failed()).collect();
    if failing.is_empty() {
        return;
    }
    md.push_str("#### Failures\n\n");
    let mut listed = 0;
    let mut unlisted = 0;
    for run in failing {
        let _ = writeln!(md, "**{}**\n", name(&run.name));
        match &run.end {
            RunEnd::Failed(why) => {
                let _ = writeln!(md, "- {}", escape(&why.message));
            }
            RunEnd::Aborted => {
                let _ = writeln!(md, "- the run was cut short: the task was cancelled");
            }
            RunEnd::Completed => {}
        }
        for case in &run.cases {
            let Status::Failed(f) = &case.status else {
                continue;
            };
            if listed >= MAX_LISTED_FAILURES {
                unlisted += 1;
                continue;
            }
            listed += 1;
            let _ = writeln!(md, "{}", failure_line(run, case, f));
        }
        md.push('\n');
        if !run.retries.earlier.is_empty() {
            let _ = writeln!(
                md,
                "These are the failures of attempt {} of {}; the attempts before it:\n",
                run.retries.attempt, run.retries.of
            );
            earlier_attempts(md, run);
        }
    }
    if unlisted > 0 {
        let _ = write!(
            md,
            "…and {unlisted} more failures, not listed here; the Tests tab has all {}",
            listed + unlisted
        );
        match &input.full_failures {
            Some(file) => {
                let _ = writeln!(
                    md,
                    ", and `{}` (attached to the build's logs) lists them.\n",
                    escape(file)
                );
            }
            None => md.push_str(".\n\n"),
        }
    }
}

/// Runs whose report to Postman failed, and why.
fn not_reported(md: &mut String, runs: &[RunResult]) {
    let upload_failures: Vec<(&str, &str)> = runs
        .iter()
        .filter_map(|r| match &r.upload {
            Upload::Failed { reason } => Some((r.name.as_str(), reason.as_str())),
            _ => None,
        })
        .collect();
    if upload_failures.is_empty() {
        return;
    }
    md.push_str("#### Not reported to Postman\n\n");
    for (run, reason) in upload_failures {
        let _ = writeln!(md, "- {}: {}", name(run), escape(reason));
    }
    md.push('\n');
}

/// What stopped collections from running.
fn not_run(md: &mut String, problems: &[String]) {
    if problems.is_empty() {
        return;
    }
    md.push_str("#### Not run\n\n");
    for p in problems {
        let _ = writeln!(md, "- {}", escape(p));
    }
    md.push('\n');
}

/// One short line: the version that ran, where it came from (linked when
/// it is a URL), and the digest it was verified against.
fn footer(md: &mut String, input: &SummaryInput<'_>) {
    let mut from = String::new();
    if let Some(origin) = input.cli_origin {
        let label = escape(&origin.label());
        let _ = match origin.kind {
            crate::install::OriginKind::Registry | crate::install::OriginKind::Site => {
                write!(from, " from [{label}]({})", link(&origin.location))
            }
            _ => write!(from, " from {label}"),
        };
    }
    if let Some(integrity) = input.cli_integrity {
        let _ = write!(from, " · `{}`", integrity.replace('`', ""));
    }
    let _ = writeln!(
        md,
        "<sub>Postman CLI {}{from} · postman-cli-task {}</sub>",
        input
            .cli_version
            .map(escape)
            .unwrap_or_else(|| "not installed".into()),
        env!("CARGO_PKG_VERSION")
    );
}

/// ✅ passed, 🔁 passed on a retry (flaky), ❌ failed.
fn mark(run: &RunResult) -> &'static str {
    if run.failed() {
        "❌"
    } else if run.flaky() {
        "🔁"
    } else {
        "✅"
    }
}

/// ` (passed on attempt 2 of 3)`, for a run that was retried.
fn attempt_note(run: &RunResult) -> String {
    if run.retries.earlier.is_empty() {
        return String::new();
    }
    let (n, of) = (run.retries.attempt, run.retries.of);
    if run.failed() {
        format!(" (failed {n} attempts)")
    } else {
        format!(" (passed on attempt {n} of {of})")
    }
}

/// What went wrong in each attempt before the last, a few lines each.
fn earlier_attempts(md: &mut String, run: &RunResult) {
    for attempt in &run.retries.earlier {
        let _ = writeln!(md, "Attempt {} of {}:\n", attempt.number, run.retries.of);
        if let RunEnd::Failed(why) = &attempt.end {
            let _ = writeln!(md, "- {}", escape(&why.message));
        }
        for case in attempt.failures.iter().take(MAX_LISTED_FAILURES) {
            if let Some(f) = case.failure() {
                let _ = writeln!(md, "{}", failure_line(run, case, f));
            }
        }
        if attempt.failures.len() > MAX_LISTED_FAILURES {
            let _ = writeln!(
                md,
                "- …and {} more; the JUnit keeps them all.",
                attempt.failures.len() - MAX_LISTED_FAILURES
            );
        }
        md.push('\n');
    }
}

/// Every failure of every run, one per line: the attachment for when the
/// summary cannot list them all.
pub(crate) fn failure_list(runs: &[RunResult]) -> String {
    let mut text = String::from("# Postman test failures\n\n");
    for run in runs {
        let failed: Vec<_> = run
            .cases
            .iter()
            .filter_map(|c| c.failure().map(|f| (c, f)))
            .collect();
        if failed.is_empty() {
            continue;
        }
        let _ = writeln!(text, "## {} ({} failures)\n", name(&run.name), failed.len());
        for (case, f) in failed {
            let _ = writeln!(text, "{}", failure_line(run, case, f));
        }
        text.push('\n');
    }
    text
}

/// One failure, as the summary and the failure list show it:
/// `- request › test › message`.
fn failure_line(run: &RunResult, case: &TestCase, failure: &Failure) -> String {
    format!(
        "- {} › {}",
        name(&run.case_title(case)),
        escape(&failure.message)
    )
}

fn lint_section(md: &mut String, lint: &LintOutcome) {
    use crate::plan::Severity;
    use crate::report::lint::LintReport;
    let parsed = match &lint.result {
        Err(reason) => {
            let _ = writeln!(
                md,
                "#### ❌ {}: {}\n\nThe lint did not run: {}\n",
                lint.what(),
                name(&lint.name()),
                escape(reason)
            );
            return;
        }
        Ok(p) => p,
    };
    let icon = if lint.failing() > 0 { "❌" } else { "✅" };
    let _ = writeln!(md, "#### {icon} {}: {}\n", lint.what(), name(&lint.name()));
    if parsed.violations.is_empty() {
        md.push_str("No issues found.\n\n");
    } else {
        let count = |s: Severity| parsed.violations.iter().filter(|v| v.severity == s).count();
        let _ = writeln!(
            md,
            "| Errors | Warnings | Infos | Hints | Fail at |\n|---:|---:|---:|---:|---|\n| {} | {} | {} | {} | {} |\n",
            count(Severity::Error),
            count(Severity::Warn),
            count(Severity::Info),
            count(Severity::Hint),
            lint.fail_severity.describe()
        );
        let mut sorted: Vec<_> = parsed.violations.iter().collect();
        sorted.sort_by_key(|v| (std::cmp::Reverse(v.severity), v.line));
        for v in sorted.iter().take(MAX_LISTED_FAILURES) {
            let at = match (v.line, v.column) {
                (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
                (Some(l), None) => format!(" (line {l})"),
                _ => String::new(),
            };
            let _ = writeln!(
                md,
                "- **{}** {} › {} › `{}`{at}",
                v.severity.as_str(),
                escape(&v.kind),
                // A YAML error quotes the lines it is at; its first line
                // says it.
                escape(v.message.lines().next().unwrap_or_default()),
                v.path.replace('`', "'"),
            );
        }
        if sorted.len() > MAX_LISTED_FAILURES {
            let _ = writeln!(
                md,
                "- …and {} more; the Tests tab has them all.",
                sorted.len() - MAX_LISTED_FAILURES
            );
        }
        md.push('\n');
    }
    match &parsed.report {
        LintReport::Sent { url: Some(url) } => {
            let _ = writeln!(
                md,
                "Report sent to Postman: [view the build's findings]({})\n",
                link(url)
            );
        }
        LintReport::Sent { url: None } => md.push_str("Report sent to Postman.\n\n"),
        LintReport::Failed(reason) => {
            let _ = writeln!(
                md,
                "⚠️ The report was not sent to Postman: {}\n",
                escape(reason)
            );
        }
        LintReport::NotExpected => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::junit::tests::sample_runs;
    use crate::publish::markdown::MAX_NAME_CHARS;

    fn headline_of(runs: &[RunResult], input_errors: usize) -> String {
        crate::publish::headline::headline(&crate::publish::headline::Tally {
            runs,
            input_errors,
            ..Default::default()
        })
    }

    #[test]
    fn summary_of_passing_and_failing_runs() {
        let runs = sample_runs();
        let problems = vec![
            "input `collection`: file `missing.json` does not exist. Check the path.".to_owned(),
        ];
        insta::assert_snapshot!(render(&SummaryInput {
            title: "Postman",
            headline: &headline_of(&runs, problems.len()),
            runs: &runs,
            problems: &problems,
            cli_version: Some("1.62.0"),
            cli_origin: None,
            cli_integrity: None,
            lint: &[
                crate::publish::junit::tests::sample_lint(),
                crate::publish::junit::tests::sample_collection_lint(),
            ],
            full_failures: None,
            test_plan: None,
        }));
    }

    #[test]
    fn summary_of_a_clean_run() {
        let mut runs = sample_runs();
        runs.truncate(1);
        runs[0].cases.retain(|c| c.failure().is_none());
        runs[0].iterations = 1;
        let origin = crate::install::Origin {
            kind: crate::install::OriginKind::Registry,
            location:
                "https://registry.npmjs.org/@postman/pm-bin-linux-x64/-/pm-bin-linux-x64-1.62.0.tgz"
                    .into(),
        };
        insta::assert_snapshot!(render(&SummaryInput {
            title: "Postman",
            headline: &headline_of(&runs, 0),
            runs: &runs,
            problems: &[],
            cli_version: Some("1.62.0"),
            cli_origin: Some(&origin),
            cli_integrity: Some(
                "sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw=="
            ),
            lint: &[],
            full_failures: None,
            test_plan: None,
        }));
    }

    #[test]
    fn long_failure_lists_point_to_the_attachment() {
        let mut runs = sample_runs();
        runs.truncate(1);
        let failing = runs[0].cases[1].clone();
        runs[0].cases = (0..120).map(|_| failing.clone()).collect();
        let md = render(&SummaryInput {
            title: "Postman",
            headline: &headline_of(&runs, 0),
            runs: &runs,
            problems: &[],
            cli_version: None,
            cli_origin: None,
            cli_integrity: None,
            lint: &[],
            full_failures: Some("failures.md".into()),
            test_plan: None,
        });
        assert_eq!(
            md.matches("expected 500 to equal 200").count(),
            MAX_LISTED_FAILURES
        );
        assert!(md.contains("…and 70 more failures, not listed here; the Tests tab has all 120, and `failures.md` (attached to the build's logs) lists them."), "{md}");
        assert_eq!(failure_list(&runs).matches("expected 500").count(), 120);
    }

    #[test]
    fn summary_of_a_flaky_run_and_one_that_failed_every_attempt() {
        use crate::publish::junit::tests::retried_run;
        let mut failing = retried_run(true);
        failing.index = 2;
        failing.name = "Shop API · production".into();
        let runs = vec![retried_run(false), failing];
        let md = render(&SummaryInput {
            title: "Postman",
            headline: &headline_of(&runs, 0),
            runs: &runs,
            problems: &[],
            cli_version: Some("1.62.0"),
            cli_origin: None,
            cli_integrity: None,
            lint: &[],
            full_failures: None,
            test_plan: None,
        });
        assert!(
            md.contains("| 🔁 | Shop API (passed on attempt 3 of 3) |"),
            "{md}"
        );
        insta::assert_snapshot!(md);
    }

    #[test]
    fn huge_names_are_cut_short_here_and_kept_whole_in_the_junit() {
        let mut runs = sample_runs();
        runs.truncate(1);
        let huge = "n".repeat(1_000_000);
        runs[0].cases[1].name = huge.clone();
        runs[0].name = huge.clone();
        let md = render(&SummaryInput {
            title: "Postman",
            headline: &headline_of(&runs, 0),
            runs: &runs,
            problems: &[],
            cli_version: None,
            cli_origin: None,
            cli_integrity: None,
            lint: &[],
            full_failures: None,
            test_plan: None,
        });
        assert!(md.len() < 10_000, "{} bytes", md.len());
        assert!(md.contains(&format!("{}…", "n".repeat(MAX_NAME_CHARS))));
        let junit = crate::publish::junit::build("Postman", &runs, None)
            .to_string()
            .unwrap();
        assert!(junit.contains(&huge), "the JUnit keeps the whole name");
    }
}
