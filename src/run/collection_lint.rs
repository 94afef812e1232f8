//! Collection lint: `postman collection lint <folder> -r json` on a v3
//! collection, `postman environment lint <file> -o json` on a YAML
//! environment, `postman globals lint <file> -o json` on YAML globals.
//! [`crate::report::collection_lint`] reads what they print. They need no
//! login and send nothing to Postman (measured with CLI 1.62.0).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use crate::events::{Events, Job};
use crate::process::{Cancel, ToolCommand};
use crate::resolve::LintTarget;

use super::lint::{LintOutput, run_lint_tool};
use super::observed::Stopwatch;

/// Everything a collection lint needs from the task.
pub(crate) struct CollectionLintRun<'a> {
    pub(crate) executable: &'a Path,
    /// A [`LintTarget::Collection`], `Environment` or `Globals`.
    pub(crate) target: &'a LintTarget,
    /// The child environment, with the proxy settings in it.
    pub(crate) env: &'a BTreeMap<OsString, OsString>,
    pub(crate) cwd: &'a Path,
    pub(crate) limit: Option<Duration>,
}

/// The CLI's arguments for a target; `None` for API lint's targets.
pub(crate) fn lint_args(target: &LintTarget) -> Option<Vec<String>> {
    let (command, path, format) = match target {
        LintTarget::Collection { path, .. } => ("collection", path, "-r"),
        LintTarget::Environment { path, .. } => ("environment", path, "-o"),
        LintTarget::Globals { path, .. } => ("globals", path, "-o"),
        LintTarget::Api(_) | LintTarget::Definition { .. } => return None,
    };
    Some(vec![
        command.to_owned(),
        "lint".to_owned(),
        path.display().to_string(),
        format.to_owned(),
        "json".to_owned(),
    ])
}

impl CollectionLintRun<'_> {
    /// Runs the lint. Its `text` is the CLI's stdout (the JSON report); a
    /// lint that could not run says why in `exit`, with what it printed.
    pub(crate) async fn run(self, events: &dyn Events, cancel: &Cancel) -> LintOutput {
        let watch = Stopwatch::start();
        let failed = |reason: String| LintOutput {
            structured: true,
            text: String::new(),
            exit: Err(reason),
            observed: watch.stop(),
        };
        let Some(args) = lint_args(self.target) else {
            return failed("not a collection, environment or globals file".to_owned());
        };
        let home = match tempfile::tempdir() {
            Ok(h) => h,
            Err(e) => return failed(format!("cannot create a home for the Postman CLI: {e}")),
        };
        // No key: collection lint needs no login, and nothing of it goes
        // to Postman.
        let env = crate::install::cli_env(self.env, home.path(), None);
        let mut cmd = ToolCommand::new(self.executable);
        // Started with the runs: it takes only the CPU they leave.
        cmd.beside();
        cmd.args(&args).envs(env).cwd(self.cwd);
        let target = self.target.display();
        let job = Job::Lint {
            what: "Collection lint",
            target: &target,
        };
        let printed = run_lint_tool(&cmd, job, self.limit, cancel, events).await;
        // Exit code 1 only says a finding is at `-f error`; the JSON says
        // which. Output that is not the JSON report is read as a failure
        // with the CLI's own words.
        let exit = match printed.exit {
            Ok(()) if !printed.stdout.contains('{') => Err(last_words(&printed.all)),
            other => other,
        };
        LintOutput {
            structured: true,
            text: printed.stdout,
            exit,
            observed: printed.observed,
        }
    }
}

/// What the CLI said when it printed no report: its `Error:` lines, or its
/// last line.
fn last_words(output: &str) -> String {
    let lines: Vec<&str> = output
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("Error:").map(str::trim))
        .collect();
    if !errors.is_empty() {
        return errors.join(" ");
    }
    match lines.last() {
        Some(last) => format!("the Postman CLI printed no lint report; its last line was: {last}"),
        None => "the Postman CLI printed nothing".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_target_has_its_command() {
        let t = |target: LintTarget| lint_args(&target).map(|a| a.join(" "));
        assert_eq!(
            t(LintTarget::Collection {
                path: "/r/postman/collections/Shop".into(),
                display: "Shop".into()
            })
            .as_deref(),
            Some("collection lint /r/postman/collections/Shop -r json")
        );
        assert_eq!(
            t(LintTarget::Environment {
                path: "/r/e.environment.yaml".into(),
                display: "e".into()
            })
            .as_deref(),
            Some("environment lint /r/e.environment.yaml -o json")
        );
        assert_eq!(
            t(LintTarget::Globals {
                path: "/r/g.yaml".into(),
                display: "g".into()
            })
            .as_deref(),
            Some("globals lint /r/g.yaml -o json")
        );
        assert_eq!(t(LintTarget::Api("x".into())), None);
    }

    #[test]
    fn says_why_there_is_no_report() {
        assert_eq!(last_words("notice\nError: boom\n"), "boom".to_owned());
        assert!(last_words("a\nb\n").ends_with("was: b"));
    }
}
