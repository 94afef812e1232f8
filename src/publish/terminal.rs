//! The report a person reads at a terminal after `postman-cli-task run`:
//! a line per collection run, the failures, and where the files are.

use std::fmt::Write as _;

use std::path::PathBuf;

use crate::report::lint::LintOutcome;
use crate::report::model::{RunEnd, RunResult, Status};
use crate::run::upload::Upload;

/// What the terminal report shows.
pub(crate) struct Terminal<'a> {
    pub(crate) runs: &'a [RunResult],
    pub(crate) lint: &'a [LintOutcome],
    pub(crate) headline: &'a str,
    pub(crate) junit: Option<&'a PathBuf>,
    pub(crate) summary: Option<&'a PathBuf>,
}

pub(crate) fn render(out: &Terminal<'_>) -> String {
    let mut text = String::new();
    if !out.runs.is_empty() {
        text.push('\n');
    }
    for run in out.runs {
        let c = run.counts();
        let mark = if run.failed() { "FAIL" } else { "PASS" };
        let _ = write!(
            text,
            "{mark} {}  {} requests, {} tests, {} failed",
            run.name, run.requests, c.total, c.failed
        );
        if c.skipped > 0 {
            let _ = write!(text, ", {} skipped", c.skipped);
        }
        if let Some(ms) = run.duration_ms {
            let _ = write!(text, "  ({ms} ms)");
        }
        text.push('\n');
        match &run.upload {
            Upload::Uploaded { url: Some(url) } => {
                let _ = writeln!(text, "     reported to Postman: {url}");
            }
            Upload::Failed { reason } => {
                let _ = writeln!(text, "     not reported to Postman: {reason}");
            }
            Upload::Events => {
                let _ = writeln!(text, "     sent to Postman with report events (no link)");
            }
            _ => {}
        }
        if run.end == RunEnd::Aborted {
            let _ = writeln!(text, "     cut short: the run was cancelled");
        }
        if let RunEnd::Failed(why) = &run.end {
            let _ = writeln!(text, "     {}", why.message);
            for line in why.detail.lines() {
                let _ = writeln!(text, "       {line}");
            }
        }
        for case in &run.cases {
            if let Status::Failed(f) = &case.status {
                let _ = writeln!(text, "     ✗ {}: {}", run.case_title(case), f.message);
            }
        }
    }
    for lint in out.lint {
        let what = if lint.target.is_api() {
            "API lint"
        } else {
            "Collection lint"
        };
        match &lint.result {
            Err(reason) => {
                let _ = writeln!(
                    text,
                    "FAIL {what} of {}: did not run: {reason}",
                    lint.target.display()
                );
            }
            Ok(parsed) => {
                let mark = if lint.failing() > 0 { "FAIL" } else { "PASS" };
                let _ = writeln!(
                    text,
                    "{mark} {what} of {}  {} findings, {} failing",
                    lint.target.display(),
                    parsed.violations.len(),
                    lint.failing()
                );
                for v in &parsed.violations {
                    let at = v.line.map(|l| format!(":{l}")).unwrap_or_default();
                    let _ = writeln!(
                        text,
                        "     {} {}{at} {}: {}",
                        if lint.fails(v) { "✗" } else { "·" },
                        v.severity.as_str(),
                        v.path,
                        v.message
                    );
                }
            }
        }
    }
    text.push('\n');
    let _ = writeln!(text, "{}", out.headline);
    if let Some(p) = out.junit {
        let _ = writeln!(text, "JUnit:   {}", p.display());
    }
    if let Some(p) = out.summary {
        let _ = writeln!(text, "Summary: {}", p.display());
    }
    text
}
