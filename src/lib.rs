//! Runs Postman collections with the real Postman CLI and reports the
//! results to Azure Pipelines (or a terminal).
//!
//! The modules are the stages data flows through, in this order, each
//! importing only earlier stages and the shared modules (a test keeps it
//! so; see `ARCHITECTURE.md`):
//!
//! [`inputs`] (what the user said) → [`plan`] (checked, no I/O) →
//! [`resolve`] (against the file system, the agent and this job's shard) →
//! [`install`] (the Postman CLI, cached) → [`run`] (the CLI at work) →
//! [`report`] (what it wrote, read) → [`results`] (the task's results,
//! ready for every sink) → [`publish`] (JUnit, summary, output variables,
//! terminal).
//!
//! On top: [`app`], the conductor, which calls the stages in order and alone
//! decides what the user sees of their events; and [`cli`], the entry point.

// The command line, and the conductor it starts.
mod app;
pub mod cli;

// The stages, in flow order.
mod inputs;
mod install;
mod plan;
mod publish;
mod report;
mod resolve;
mod results;
mod run;

// Shared by every stage; they import no stage.
mod azure;
mod console;
mod events;
mod files;
mod http;
mod knobs;
mod process;
mod secrets;
mod text;

/// The one place the stage order is written. A module may use its own
/// stage, the shared modules, and stages before it; never one after it,
/// and never the conductor or the command line. The shared modules use only
/// each other, and only the conductor and the sinks (`publish`) print.
#[cfg(test)]
mod layering {
    use std::path::{Path, PathBuf};

    const SHARED: &[&str] = &[
        "azure", "console", "events", "files", "http", "knobs", "process", "secrets", "text",
    ];
    /// Flow order, then what sits on top.
    const ORDER: &[&str] = &[
        "inputs", "plan", "resolve", "install", "run", "report", "results", "publish", "app", "cli",
    ];
    /// Who may print, through the console.
    const PRINTERS: &[&str] = &["publish", "app", "cli"];

    /// The top-level module a source file belongs to.
    fn owner(file: &Path, src: &Path) -> String {
        let rel = file.strip_prefix(src).unwrap();
        let first = rel.components().next().unwrap().as_os_str();
        first.to_string_lossy().trim_end_matches(".rs").to_owned()
    }

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Every `crate::<module>` a line of code names (comments skipped).
    fn uses(line: &str) -> Vec<String> {
        let code = line.split("//").next().unwrap_or("");
        code.match_indices("crate::")
            .filter(|(at, _)| {
                // `postman_cli_task::` and the like are not this crate's path.
                !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            })
            .map(|(at, m)| {
                code[at + m.len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()
            })
            .collect()
    }

    /// Why `from` may not use `to`, if it may not.
    fn refused(from: &str, to: &str) -> Option<&'static str> {
        let rank = |m: &str| ORDER.iter().position(|s| *s == m);
        if from == to {
            return None;
        }
        if to == "console" && !PRINTERS.contains(&from) {
            return Some("a stage does not print; it returns what happened, or emits events");
        }
        if SHARED.contains(&from) {
            return (!SHARED.contains(&to)).then_some("a shared module uses no stage");
        }
        if SHARED.contains(&to) {
            return None;
        }
        match (rank(from), rank(to)) {
            (Some(f), Some(t)) if t > f => Some("a stage uses only the stages before it"),
            (Some(_), Some(_)) => None,
            _ => Some("every module is a stage or a shared module (see `ORDER`, `SHARED`)"),
        }
    }

    fn violations(src: &Path) -> Vec<String> {
        let mut all = Vec::new();
        files(src, &mut all);
        all.sort();
        let mut found = Vec::new();
        for file in all {
            let from = owner(&file, src);
            if from == "lib" || from == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for to in uses(line) {
                    if let Some(why) = refused(&from, &to) {
                        found.push(format!(
                            "{}:{}: `{from}` uses `{to}`: {why}\n    {}",
                            file.display(),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_stage_uses_only_the_stages_before_it() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let found = violations(&src);
        assert!(found.is_empty(), "\n{}", found.join("\n"));
    }

    #[test]
    fn the_rule_catches_a_stage_reaching_up_sideways_or_printing() {
        assert!(refused("run", "publish").is_some(), "up");
        assert!(refused("report", "app").is_some(), "to the conductor");
        assert!(refused("install", "console").is_some(), "printing");
        assert!(refused("text", "plan").is_some(), "shared using a stage");
        assert!(refused("publish", "console").is_none());
        assert!(refused("report", "run").is_none());
        assert!(refused("run", "secrets").is_none());
        assert_eq!(
            uses("use crate::plan::{Plan, Severity}; // crate::app"),
            ["plan"]
        );
    }
}
