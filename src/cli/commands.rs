//! The commands for people: `run` (the task's work on a laptop), `install`
//! (just the Postman CLI), `convert` (a CLI report into this task's files),
//! and their exit codes.

use std::path::PathBuf;

use super::args::{ConvertArgs, InstallArgs, MaskArgs, RunArgs};
use super::exit_code;
use super::task::cancel_on_signals;
use crate::app::{self, Context, Outcome, Verdict};
use crate::azure::agent::AgentEnv;
use crate::console::Console;
use crate::inputs::{Naming, RawInputs};
use crate::knobs::Knobs;

pub(super) async fn run_cli(args: RunArgs) -> i32 {
    let env = AgentEnv::from_process();
    let knobs = Knobs::from_env(&env);
    let console = Console::terminal();
    let dry_run = args.dry_run;
    let raw = args.into_raw(&env);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if dry_run {
        return dry_run_plan(&raw, &cwd, &console);
    }
    let ctx = Context {
        console: console.clone(),
        knobs,
        cancel: cancel_on_signals(None),
        default_reports_dir: cwd.join("postman-cli-task-reports"),
        tools_dir: app::tools_dir(&env),
        scratch_dir: std::env::temp_dir(),
        base_dir: cwd,
        env,
    };
    let out = app::execute(raw, &ctx).await;
    console.print(&crate::publish::terminal::render(
        &crate::publish::terminal::Terminal {
            runs: &out.runs,
            lint: &out.lint,
            headline: &out.headline(),
            junit: out.junit.as_ref(),
            summary: out.summary.as_ref(),
        },
    ));
    cli_exit_code(&out)
}

/// The exit code of `run`: see [`exit_code`].
pub(super) fn cli_exit_code(out: &Outcome) -> i32 {
    match out.verdict() {
        Verdict::Cancelled => exit_code::CANCELLED,
        Verdict::InputError => exit_code::INPUT_ERROR,
        Verdict::InstallFailed => exit_code::INSTALL_FAILED,
        Verdict::Incomplete => exit_code::RUN_FAILED,
        Verdict::TestsFailed => exit_code::TESTS_FAILED,
        Verdict::Passed => exit_code::SUCCESS,
    }
}

/// Prints the plan: which CLI, which runs, which command lines.
fn dry_run_plan(raw: &RawInputs, cwd: &std::path::Path, console: &Console) -> i32 {
    let plan = match crate::plan::build(raw) {
        Ok(p) => p,
        Err(errors) => {
            for e in errors {
                console.error(&e.render(Naming::Cli));
            }
            return exit_code::INPUT_ERROR;
        }
    };
    let (resolved, fatal) = crate::resolve::resolve(&plan, cwd);
    let mut code = exit_code::SUCCESS;
    for e in &fatal {
        console.error(&e.render(Naming::Cli));
        code = exit_code::INPUT_ERROR;
    }
    console.print(&format!(
        "Postman CLI: {}",
        crate::install::source_description(
            &plan.install,
            crate::install::platform::Platform::current()
        )
    ));
    for e in &resolved.skipped {
        console.error(&e.render(Naming::Cli));
        code = exit_code::INPUT_ERROR;
    }
    for target in &resolved.runs {
        let files = crate::run::collection::RunFiles::new(PathBuf::from(format!(
            "<private>/run-{:02}",
            target.index
        )));
        // The dry run does not start the CLI to ask whether it knows
        // `--no-report-events`; 1.62.0 and later do.
        let args = crate::run::collection::collection_run_args(
            &plan,
            &resolved,
            target,
            &files,
            plan.cloud.api_key.is_some(),
            true,
        );
        let mut cmd = crate::process::ToolCommand::new("postman");
        cmd.args(args);
        console.print(&format!(
            "Run {}: {}\n  {}",
            target.index,
            target.name,
            cmd.display()
        ));
    }
    code
}

/// Reads a report as a task run would and writes the same files.
pub(super) fn convert(args: ConvertArgs) -> i32 {
    use crate::publish::{self, Files, Publication};
    use crate::report::model::{RunEnd, RunResult};
    use crate::run::upload::Upload;
    let console = Console::terminal();
    let collection = args
        .collection
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| crate::resolve::collection::Collection::parse(&b).ok());
    let mut paths = collection
        .as_ref()
        .map(|c| c.request_paths())
        .unwrap_or_default();
    let read = std::fs::File::open(&args.report)
        .map_err(|e| format!("cannot read {}: {e}", args.report.display()))
        .and_then(|file| {
            crate::report::json::read(file, &mut paths, crate::plan::RequestDetails::None).map_err(
                |e| {
                    format!(
                        "results could not be read from {}: {e}",
                        args.report.display()
                    )
                },
            )
        });
    let summary = match read {
        Ok(s) => s,
        Err(e) => {
            console.error(&e);
            return exit_code::INPUT_ERROR;
        }
    };
    let name = summary
        .collection_name
        .clone()
        .or_else(|| collection.as_ref().and_then(|c| c.name.clone()))
        .unwrap_or_else(|| args.report.display().to_string());
    let mut run = RunResult {
        index: 1,
        name,
        collection: args.report.display().to_string(),
        environment: None,
        started_ms: None,
        duration_ms: None,
        iterations: 0,
        requests: 0,
        end: RunEnd::Completed,
        cases: Vec::new(),
        report_dir: PathBuf::new(),
        upload: Upload::NotExpected,
        retries: Default::default(),
        details: Vec::new(),
        header_secrets: Vec::new(),
        html_report: None,
    };
    crate::report::run::fill(&mut run, summary);
    let files = Files {
        junit: args
            .junit
            .unwrap_or_else(|| args.report.with_extension("junit.xml")),
        summary: args
            .summary
            .unwrap_or_else(|| args.report.with_extension("md")),
    };
    let mut runs = [run];
    crate::results::ready(&mut runs, &crate::secrets::Secrets::default());
    let headline = crate::publish::headline::headline(&crate::publish::headline::Tally {
        runs: &runs,
        ..Default::default()
    });
    let published = publish::finish(
        &console,
        Publication {
            files: files.clone(),
            title: &args.title,
            headline: &headline,
            runs: &runs,
            problems: Vec::new(),
            not_started: 0,
            cli: None,
            lint: &[],
            to_tests_tab: false,
            temp_dir: &std::env::temp_dir(),
            test_plan: None,
            flaky_record: None,
            shard: None,
            attachment_limit: None,
        },
        &crate::secrets::Secrets::default(),
    );
    let (Some(junit), Some(summary)) = (published.junit, published.summary) else {
        return exit_code::INTERNAL_ERROR;
    };
    let counts = runs[0].counts();
    console.print(&format!(
        "{} tests, {} failed\nJUnit:   {}\nSummary: {}",
        counts.total,
        counts.failed,
        junit.display(),
        summary.display()
    ));
    if counts.failed > 0 {
        exit_code::TESTS_FAILED
    } else {
        exit_code::SUCCESS
    }
}

pub(super) async fn install_only(args: InstallArgs) -> i32 {
    let env = AgentEnv::from_process();
    let console = Console::terminal();
    let mut raw = RawInputs {
        naming: Some(Naming::Cli),
        ..RawInputs::default()
    };
    args.install.apply(&mut raw, &env);
    let install = match crate::plan::install(&raw) {
        Ok(p) => p,
        Err(errors) => {
            for e in errors {
                console.error(&e.render(Naming::Cli));
            }
            return exit_code::INPUT_ERROR;
        }
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match crate::install::install_with(
        &env,
        &app::tools_dir(&env),
        &install,
        &app::Narrator::new(&console, true),
        &cwd,
        args.platform,
    )
    .await
    {
        Ok(cli) => {
            let from = match (&cli.origin, &cli.integrity) {
                (Some(o), Some(i)) => format!(" from {} ({i})", o.location),
                (Some(o), None) => format!(" from {}", o.location),
                _ => String::new(),
            };
            console.info(&format!("Postman CLI {}{from}", cli.version));
            console.print(&cli.executable.display().to_string());
            exit_code::SUCCESS
        }
        Err(e) => {
            console.error(&format!("The Postman CLI could not be installed: {e}"));
            exit_code::INSTALL_FAILED
        }
    }
}

/// `mask`: standard input with the secrets of a file (one a line) masked,
/// on standard output. It times the masking alone in scripts/bench.sh.
pub(super) fn mask(args: &MaskArgs) -> i32 {
    use std::io::{Read, Write};
    let secrets = match std::fs::read_to_string(&args.secrets) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.secrets.display());
            return exit_code::INPUT_ERROR;
        }
    };
    let mut masker = crate::secrets::Secrets::default();
    masker.extend(secrets.lines());
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("error: cannot read standard input as UTF-8: {e}");
        return exit_code::INPUT_ERROR;
    }
    let masked = if args.json {
        masker.redact_json(&text)
    } else {
        masker.redact(&text)
    };
    match std::io::stdout().write_all(masked.as_bytes()) {
        Ok(()) => exit_code::SUCCESS,
        Err(_) => exit_code::INPUT_ERROR,
    }
}
