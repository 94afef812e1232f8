//! The command line: `task` (what the pipeline launcher runs), `run` (the
//! same work on a laptop, with flags that mirror the task's inputs),
//! `install` (just the Postman CLI), and the exit codes they return.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::app::{self, Context, Outcome, Verdict};
use crate::azure::agent::AgentEnv;
use crate::azure::vso::{self, TaskResult};
use crate::console::Console;
use crate::exit_code;
use crate::inputs::{ExtraArgs, Naming, RawInputs};
use crate::process::Cancel;

#[derive(Debug, Parser)]
#[command(
    name = "postman-cli-task",
    version,
    about = "Run Postman collections with the real Postman CLI, in Azure Pipelines or on your machine.",
    after_help = "Exit codes of `run`: 0 all tests passed; 1 tests failed; 2 bad input; \
                  3 the Postman CLI could not be installed; 4 a collection run did not complete; 130 interrupted; 101 internal error."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run collections and write JUnit and markdown reports, as the pipeline task does.
    Run(Box<RunArgs>),
    /// Install the Postman CLI into the tool cache (or find it there) and print its path.
    Install(InstallArgs),
    /// Run as the Azure Pipelines task, reading the agent's environment. Used by task/launcher.js.
    Task,
    /// Turn a Postman CLI JSON report (`postman collection run -r json`) into this task's JUnit and summary.
    Convert(ConvertArgs),
}

#[derive(Debug, Args)]
struct ConvertArgs {
    /// The report the Postman CLI wrote with `-r json`.
    report: PathBuf,
    /// The JUnit file to write (default: next to the report, `.junit.xml`).
    #[arg(long)]
    junit: Option<PathBuf>,
    /// The markdown summary to write (default: next to the report, `.md`).
    #[arg(long)]
    summary: Option<PathBuf>,
    /// The collection file, to name requests by their folders.
    #[arg(long)]
    collection: Option<PathBuf>,
    /// Title of the test run.
    #[arg(long, default_value = "Postman")]
    title: String,
}

/// Flags mirror the task's inputs. The client key passphrase is read from
/// the environment variable POSTMAN_SSL_CLIENT_PASSPHRASE, never from a flag.
#[derive(Debug, Args)]
struct RunArgs {
    /// Collection files, glob patterns (quote them) or Postman collection UIDs.
    #[arg(value_name = "COLLECTION", required = true)]
    collections: Vec<String>,
    /// A Postman environment file or UID; repeat to run every collection against each.
    #[arg(short = 'e', long)]
    environment: Vec<String>,
    /// A Postman globals file.
    #[arg(short = 'g', long)]
    globals: Option<String>,
    /// A JSON or CSV iteration data file.
    #[arg(short = 'd', long)]
    iteration_data: Option<String>,
    /// How many times to run each collection.
    #[arg(short = 'n', long)]
    iteration_count: Option<String>,
    /// A folder or request to run (name, ID or Folder/Request path); repeatable.
    #[arg(short = 'i', long)]
    folder: Vec<String>,
    /// An environment variable for the run, KEY=VALUE; repeatable.
    #[arg(long = "env-var", value_name = "KEY=VALUE")]
    env_var: Vec<String>,
    /// A global variable for the run, KEY=VALUE; repeatable.
    #[arg(long = "global-var", value_name = "KEY=VALUE")]
    global_var: Vec<String>,
    /// Where the CLI runs and relative paths are resolved (default: the current directory).
    #[arg(long)]
    working_directory: Option<String>,
    /// Stop each collection run at its first failure.
    #[arg(long)]
    bail: bool,
    /// Milliseconds a whole collection run may take.
    #[arg(long, value_name = "MS")]
    timeout: Option<String>,
    /// Milliseconds a request may take.
    #[arg(long, value_name = "MS")]
    timeout_request: Option<String>,
    /// Milliseconds a script may take.
    #[arg(long, value_name = "MS")]
    timeout_script: Option<String>,
    /// Milliseconds to wait between requests.
    #[arg(long, value_name = "MS")]
    delay_request: Option<String>,
    /// Accept any TLS certificate from the API under test.
    #[arg(short = 'k', long)]
    insecure: bool,
    /// Do not follow redirects.
    #[arg(long)]
    ignore_redirects: bool,
    /// A client certificate (PEM) to present to the API under test.
    #[arg(long)]
    ssl_client_cert: Option<String>,
    /// The client certificate's private key.
    #[arg(long)]
    ssl_client_key: Option<String>,
    /// Extra CA certificates (PEM) to trust for the API under test.
    #[arg(long)]
    ssl_extra_ca_certs: Option<String>,
    /// Title of the test run in the JUnit report.
    #[arg(long)]
    test_run_title: Option<String>,
    /// Where report folders go (default: ./postman-cli-task-reports).
    #[arg(long = "report-dir")]
    report_dir: Option<String>,
    /// Report the runs to this Postman CI integration (the key comes from POSTMAN_API_KEY).
    #[arg(long, value_name = "ID")]
    integration_id: Option<String>,
    /// Postman region: us or eu.
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Fail (exit 4) when a run cannot be reported to Postman.
    #[arg(long)]
    fail_on_upload_error: bool,
    /// The most one Postman CLI run may take, in minutes.
    #[arg(long, value_name = "MINUTES")]
    timeout_minutes: Option<String>,
    /// Lint an API definition file with your team's governance and security rules.
    #[arg(long, value_name = "FILE", conflicts_with = "api_id")]
    api_definition: Option<String>,
    /// Lint a Postman API by ID (its report goes to the integration from a pipeline).
    #[arg(long, value_name = "ID")]
    api_id: Option<String>,
    /// Fail on lint findings of at least this severity: error, warn, info or hint.
    #[arg(long, value_name = "SEVERITY")]
    lint_fail_severity: Option<String>,
    /// How many collection runs go at once: a number, or `auto`.
    #[arg(long, value_name = "N")]
    parallel: Option<String>,
    /// Run only this share of the runs: `i/n`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    #[command(flatten)]
    install: InstallFlags,
    /// Print what would run, without installing or running anything.
    #[arg(long)]
    dry_run: bool,
    /// More `postman collection run` options, after `--`.
    #[arg(last = true, value_name = "ARGS")]
    cli_args: Vec<String>,
}

/// Where the Postman CLI comes from; shared by `run` and `install`. An npm
/// registry token is read from the environment variable NPM_TOKEN.
#[derive(Debug, Args)]
struct InstallFlags {
    /// `latest`, an exact version, or a range such as `1.x`.
    #[arg(
        long = "cli-version",
        visible_alias = "version",
        value_name = "VERSION"
    )]
    cli_version: Option<String>,
    /// auto (default: npm, or the download site when npm has no package for
    /// this platform), npm, postman (the download site), archive, or path.
    #[arg(
        long = "install-source",
        visible_alias = "source",
        value_name = "SOURCE"
    )]
    install_source: Option<String>,
    /// The npm registry to install from.
    #[arg(long, value_name = "URL")]
    npm_registry: Option<String>,
    /// A .tgz or .zip of the Postman CLI (with `--install-source archive`).
    #[arg(long = "cli-archive", visible_alias = "archive", value_name = "FILE")]
    cli_archive: Option<String>,
    /// The `postman` executable to use (with `--install-source path`).
    #[arg(long = "cli-path", value_name = "FILE")]
    cli_path: Option<String>,
    /// The expected SHA-256 of a download-site archive or a local archive.
    #[arg(long = "cli-sha256", visible_alias = "sha256", value_name = "HEX")]
    cli_sha256: Option<String>,
    /// How long a version must have been on the registry before `latest`
    /// or a range takes it: 3d (default), 48h, or 0 for off.
    #[arg(long = "cli-minimum-release-age", value_name = "AGE")]
    cli_minimum_release_age: Option<String>,
}

impl InstallFlags {
    fn apply(self, raw: &mut RawInputs, env: &AgentEnv) {
        raw.cli_version = self.cli_version;
        raw.install_source = self.install_source;
        raw.npm_registry = self.npm_registry;
        raw.npm_registry_token = env
            .get("NPM_TOKEN")
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        raw.cli_archive = self.cli_archive;
        raw.cli_path = self.cli_path;
        raw.cli_sha256 = self.cli_sha256;
        raw.cli_minimum_release_age = self.cli_minimum_release_age;
    }
}

#[derive(Debug, Args)]
struct InstallArgs {
    #[command(flatten)]
    install: InstallFlags,
    /// Prepare the CLI for another agent (`linux-x64`, `linux-arm64`,
    /// `macos-x64`, `macos-arm64`, `windows-x64`): it is downloaded,
    /// verified and unpacked into the tool cache, never run. Point
    /// AGENT_TOOLSDIRECTORY at a folder for that agent.
    #[arg(long, value_name = "OS-ARCH", value_parser = parse_platform)]
    platform: Option<crate::install::platform::Platform>,
}

fn parse_platform(text: &str) -> Result<crate::install::platform::Platform, String> {
    crate::install::platform::Platform::parse(text).ok_or_else(|| {
        "expected <os>-<arch>: linux-x64, linux-arm64, macos-x64, macos-arm64 or windows-x64"
            .to_owned()
    })
}

impl RunArgs {
    fn into_raw(self, env: &AgentEnv) -> RawInputs {
        let flag = |b: bool| b.then(|| "true".to_owned());
        let mut raw = RawInputs {
            naming: Some(Naming::Cli),
            collection: self.collections,
            environment: self.environment,
            globals: self.globals,
            iteration_data: self.iteration_data,
            iteration_count: self.iteration_count,
            folder: self.folder,
            env_vars: self.env_var,
            global_vars: self.global_var,
            working_directory: self.working_directory,
            bail: flag(self.bail),
            timeout: self.timeout,
            timeout_request: self.timeout_request,
            timeout_script: self.timeout_script,
            delay_request: self.delay_request,
            insecure: flag(self.insecure),
            ignore_redirects: flag(self.ignore_redirects),
            ssl_client_cert: self.ssl_client_cert,
            ssl_client_key: self.ssl_client_key,
            ssl_client_passphrase: env.get("POSTMAN_SSL_CLIENT_PASSPHRASE").map(str::to_owned),
            ssl_extra_ca_certs: self.ssl_extra_ca_certs,
            additional_arguments: ExtraArgs::Split(self.cli_args),
            publish_test_results: None,
            test_run_title: self.test_run_title,
            fail_on_test_failure: None,
            report_directory: self.report_dir,
            api_key: env
                .get("POSTMAN_API_KEY")
                .filter(|k| !k.trim().is_empty())
                .map(str::to_owned),
            integration_id: self.integration_id,
            region: self.region,
            fail_on_upload_error: flag(self.fail_on_upload_error),
            timeout_minutes: self.timeout_minutes,
            api_lint: (self.api_definition.is_some() || self.api_id.is_some())
                .then(|| "true".to_owned()),
            api_definition: self.api_definition,
            api_id: self.api_id,
            lint_fail_severity: self.lint_fail_severity,
            parallel: self.parallel,
            shard: self.shard,
            ..RawInputs::default()
        };
        self.install.apply(&mut raw, env);
        raw
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let agent_mode = matches!(cli.command, Command::Task);
    install_panic_hook(agent_mode);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("cannot start the async runtime");
    let code = runtime.block_on(async {
        match cli.command {
            Command::Task => run_task().await,
            Command::Run(args) => run_cli(*args).await,
            Command::Install(args) => install_only(args).await,
            Command::Convert(args) => convert(args),
        }
    });
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// A crash must still end with a clear message and a Failed result in the
/// pipeline, not a bare stack trace.
fn install_panic_hook(agent_mode: bool) {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = format!(
            "postman-cli-task {} crashed: {info}. Please report this at https://github.com/postman-cli-task/postman-cli-task/issues",
            env!("CARGO_PKG_VERSION")
        );
        if agent_mode {
            println!("{}", vso::log_issue(vso::IssueType::Error, &message, None));
            println!(
                "{}",
                vso::complete(TaskResult::Failed, "postman-cli-task crashed")
            );
        } else {
            default(info);
            eprintln!("error: {message}");
        }
        std::process::exit(exit_code::INTERNAL_ERROR);
    }));
}

async fn run_task() -> i32 {
    let env = AgentEnv::from_process();
    let console = Console::agent(env.debug());
    let raw = RawInputs::from_agent(&env);
    let base_dir = app::pipeline_base_dir(&env);
    let temp = env
        .variable("agent.tempDirectory")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let ctx = Context {
        console: console.clone(),
        cancel: cancel_on_signals(),
        default_reports_dir: temp.join("postman-cli-task"),
        tools_dir: app::tools_dir(&env),
        scratch_dir: temp,
        base_dir,
        env,
    };
    let out = app::execute(raw, &ctx).await;
    console.complete(app::task_result(&out), &out.headline());
    exit_code::SUCCESS
}

async fn run_cli(args: RunArgs) -> i32 {
    let env = AgentEnv::from_process();
    let console = Console::terminal(env.get("POSTMAN_CLI_TASK_DEBUG").is_some());
    let dry_run = args.dry_run;
    let raw = args.into_raw(&env);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if dry_run {
        return dry_run_plan(&raw, &cwd, &console);
    }
    let ctx = Context {
        console: console.clone(),
        cancel: cancel_on_signals(),
        default_reports_dir: cwd.join("postman-cli-task-reports"),
        tools_dir: app::tools_dir(&env),
        scratch_dir: std::env::temp_dir(),
        base_dir: cwd,
        env,
    };
    let out = app::execute(raw, &ctx).await;
    console.print(&crate::sinks::terminal::render(&out));
    cli_exit_code(&out)
}

/// The agent cancels a job by sending SIGINT, then SIGTERM 7.5 s later, then
/// killing (to the launcher, which passes them on). Either signal stops the
/// running CLI; what finished is then published within that window.
fn cancel_on_signals() -> Cancel {
    let (canceller, cancel) = Cancel::new();
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut int), Ok(mut term)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) else {
                return;
            };
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        canceller.cancel();
        // Hold the sender: dropping it would make waiting tasks think no
        // cancellation can come.
        std::future::pending::<()>().await;
    });
    cancel
}

pub fn cli_exit_code(out: &Outcome) -> i32 {
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
    use crate::plan::InstallSource;
    let source = match (
        &plan.install.source,
        crate::install::platform::Platform::current(),
    ) {
        (_, None) => "no build for this platform".to_owned(),
        (InstallSource::Npm { .. }, Some(p)) => match (p.build().npm, plan.install.source_given) {
            (Some(npm), false) => format!(
                "{}, or Postman's download site if npm has none",
                npm.package
            ),
            (Some(npm), true) => npm.package.to_owned(),
            (None, false) if p.build().site.is_some() => {
                "Postman's download site; npm has no build for this platform".to_owned()
            }
            (None, _) => "no npm build for this platform".to_owned(),
        },
        (InstallSource::PostmanSite, Some(_)) => "Postman's download site".to_owned(),
        (InstallSource::Archive { path }, _) => format!("archive {path}"),
        (InstallSource::Path { path }, _) => {
            path.clone().unwrap_or_else(|| "postman on PATH".into())
        }
    };
    let held_back = match plan.install.version {
        crate::plan::VersionSpec::Exact(_) => String::new(),
        _ if plan.install.min_release_age.is_zero() => String::new(),
        _ => format!(
            ", published at least {} ago",
            crate::install::guard::show_age(plan.install.min_release_age)
        ),
    };
    console.print(&format!(
        "Postman CLI: {}{held_back} ({source})",
        plan.install.version
    ));
    for e in &resolved.skipped {
        console.error(&e.render(Naming::Cli));
        code = exit_code::INPUT_ERROR;
    }
    for target in &resolved.runs {
        let files = crate::runner::RunFiles::new(PathBuf::from(format!(
            "<private>/run-{:02}",
            target.index
        )));
        let args = crate::runner::collection_run_args(&plan, &resolved, target, &files);
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
fn convert(args: ConvertArgs) -> i32 {
    use crate::results::{RunEnd, RunResult};
    let console = Console::terminal(false);
    let collection = args
        .collection
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| crate::collection::Collection::parse(&b).ok());
    let paths = collection
        .as_ref()
        .map(|c| c.request_paths())
        .unwrap_or_default();
    let summary = match crate::report::read_report(&args.report, &paths) {
        Ok(s) => s,
        Err(e) => {
            console.error(&e.to_string());
            return exit_code::INPUT_ERROR;
        }
    };
    let name = summary
        .collection_name
        .clone()
        .or_else(|| collection.as_ref().and_then(|c| c.name.clone()))
        .unwrap_or_else(|| args.report.display().to_string());
    let run = RunResult {
        index: 1,
        name,
        collection: args.report.display().to_string(),
        environment: None,
        started_ms: summary.started_ms,
        duration_ms: summary.duration_ms,
        iterations: summary.iterations,
        requests: summary.requests,
        end: summary.run_error.map_or(RunEnd::Completed, RunEnd::Failed),
        cases: summary.cases,
        report_dir: PathBuf::new(),
        upload: crate::upload::Upload::NotExpected,
    };
    let junit_path = args
        .junit
        .unwrap_or_else(|| args.report.with_extension("junit.xml"));
    let summary_path = args
        .summary
        .unwrap_or_else(|| args.report.with_extension("md"));
    let runs = [run];
    let report = crate::sinks::junit::build(&args.title, &runs, None);
    if let Err(e) = crate::sinks::junit::write(&report, &junit_path) {
        console.error(&format!("cannot write {}: {e}", junit_path.display()));
        return exit_code::INTERNAL_ERROR;
    }
    let markdown = crate::sinks::summary::render(&crate::sinks::summary::SummaryInput {
        title: &args.title,
        runs: &runs,
        problems: &[],
        cli_version: None,
        cli_origin: None,
        cli_integrity: None,
        lint: None,
        full_failures: None,
    });
    if let Err(e) = std::fs::write(&summary_path, markdown) {
        console.error(&format!("cannot write {}: {e}", summary_path.display()));
        return exit_code::INTERNAL_ERROR;
    }
    let counts = runs[0].counts();
    console.print(&format!(
        "{} tests, {} failed\nJUnit:   {}\nSummary: {}",
        counts.total,
        counts.failed,
        junit_path.display(),
        summary_path.display()
    ));
    if counts.failed > 0 {
        exit_code::TESTS_FAILED
    } else {
        exit_code::SUCCESS
    }
}

async fn install_only(args: InstallArgs) -> i32 {
    let env = AgentEnv::from_process();
    let console = Console::terminal(false);
    let mut raw = RawInputs {
        naming: Some(Naming::Cli),
        // The plan needs a collection; installing needs none.
        collection: vec!["-".into()],
        ..RawInputs::default()
    };
    args.install.apply(&mut raw, &env);
    let plan = match crate::plan::build(&raw) {
        Ok(p) => p,
        Err(errors) => {
            for e in errors {
                console.error(&e.render(Naming::Cli));
            }
            return exit_code::INPUT_ERROR;
        }
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match app::install_with(
        &env,
        &app::tools_dir(&env),
        &plan.install,
        &console,
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
