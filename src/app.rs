//! One task run, front to back, shared by the pipeline task and the
//! `run` command:
//!
//! 1. plan the inputs (pure) and resolve them against the file system;
//! 2. install the Postman CLI (or find it in the tool cache);
//! 3. run each collection;
//! 4. write the JUnit file and the summary, publish them, set outputs.
//!
//! Whatever happens in a step, the results that exist are published: a
//! failed install or a broken collection never hides the runs that worked.

use std::path::PathBuf;
use std::time::Duration;

use crate::azure::agent::AgentEnv;
use crate::console::Console;
use crate::http::HttpSettings;
use crate::inputs::Naming;
use crate::inputs::{Field, RawInputs};
use crate::install::{self, InstallRequest, InstalledCli, platform::Platform};
use crate::plan::{self, InputError, InputErrorKind, InstallPlan, InstallSource, Parallel, Plan};
use crate::process::Cancel;
use crate::resolve::{self, Resource};
use crate::results::{Counts, RunEnd, RunResult};
use crate::runner::Runner;
use crate::secrets::Secrets;
use crate::upload::Upload;
use futures_util::StreamExt;

/// Where things live for this run; the task and the CLI fill it differently.
pub struct Context {
    pub console: Console,
    pub env: AgentEnv,
    /// Where relative paths start.
    pub base_dir: PathBuf,
    /// Where report folders go when `reportDirectory` is not set.
    pub default_reports_dir: PathBuf,
    /// The tool cache root (`Agent.ToolsDirectory`, or a per-user cache).
    pub tools_dir: PathBuf,
    /// Where the private per-run folders are created (and deleted).
    pub scratch_dir: PathBuf,
    /// Set when the agent cancels the job (or Ctrl+C on a terminal).
    pub cancel: Cancel,
}

/// What happened, for the caller to turn into a task result or exit code.
#[derive(Debug, Default)]
pub struct Outcome {
    pub runs: Vec<RunResult>,
    /// Rendered input errors: settings that stopped some or all runs.
    pub input_errors: Vec<String>,
    pub install_error: Option<String>,
    pub cli: Option<InstalledCli>,
    pub report_dir: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub summary: Option<PathBuf>,
    pub fail_on_test_failure: bool,
    /// The task was cancelled; what finished is still published.
    pub cancelled: bool,
    /// Runs whose report to Postman failed.
    pub upload_failures: usize,
    /// API lint, when it ran (or tried to).
    pub lint: Option<crate::lint::LintOutcome>,
    /// Runs that never started because the task was cancelled.
    pub not_started: usize,
    /// This job's share of the runs, with `shard`.
    pub shard: Option<crate::shard::Shard>,
    pub fail_on_upload_error: bool,
}

/// How a task run ended, the most serious reason first. The task result
/// and the command line's exit code are both read from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Cancelled,
    InputError,
    InstallFailed,
    /// A run or the lint did not complete, nothing ran, or a run was not
    /// reported to Postman with `failOnUploadError` on.
    Incomplete,
    /// Tests failed, or lint findings at the fail severity.
    TestsFailed,
    Passed,
}

impl Outcome {
    pub fn counts(&self) -> Counts {
        self.runs
            .iter()
            .fold(Counts::default(), |acc, r| acc.plus(r.counts()))
    }

    pub fn incomplete_runs(&self) -> usize {
        self.runs
            .iter()
            .filter(|r| r.end != RunEnd::Completed)
            .count()
    }

    /// How the run ended, for the task result and the exit code.
    pub fn verdict(&self) -> Verdict {
        if self.cancelled {
            Verdict::Cancelled
        } else if !self.input_errors.is_empty() {
            Verdict::InputError
        } else if self.install_error.is_some() {
            Verdict::InstallFailed
        } else if self.incomplete_runs() > 0
            || (self.runs.is_empty() && self.shard.is_none())
            || (self.fail_on_upload_error && self.upload_failures > 0)
            || self.lint.as_ref().is_some_and(|l| l.result.is_err())
        {
            Verdict::Incomplete
        } else if self.counts().failed > 0 || self.lint.as_ref().is_some_and(|l| l.failing() > 0) {
            Verdict::TestsFailed
        } else {
            Verdict::Passed
        }
    }

    /// One line for the end of the log and the task's result message.
    pub fn headline(&self) -> String {
        let c = self.counts();
        let mut parts = Vec::new();
        if self.cancelled {
            parts.push("cancelled".into());
        }
        if !self.input_errors.is_empty() {
            parts.push(plural(
                self.input_errors.len(),
                "input error",
                "input errors",
            ));
        }
        if self.install_error.is_some() {
            parts.push("the Postman CLI could not be installed".into());
        }
        let incomplete = self.incomplete_runs();
        if incomplete > 0 {
            parts.push(format!(
                "{} of {} did not complete",
                incomplete,
                plural(self.runs.len(), "collection run", "collection runs")
            ));
        }
        if c.failed > 0 {
            parts.push(format!(
                "{} of {} failed",
                c.failed,
                plural(c.total, "test", "tests")
            ));
        } else if !self.runs.is_empty() && incomplete < self.runs.len() {
            parts.push(format!(
                "{} passed in {}",
                plural(c.passed, "test", "tests"),
                plural(self.runs.len(), "collection run", "collection runs")
            ));
        }
        if parts.is_empty() {
            "nothing ran".into()
        } else {
            let mut s = parts.join("; ");
            s.push('.');
            s[..1].to_uppercase() + &s[1..]
        }
    }
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub async fn execute(raw: RawInputs, ctx: &Context) -> Outcome {
    let naming = raw.naming();
    let mut out = Outcome {
        fail_on_test_failure: true,
        ..Outcome::default()
    };
    let mut secrets = Secrets::from_env(&ctx.env);
    let mut title = raw
        .test_run_title
        .clone()
        .unwrap_or_else(|| "Postman".into());
    let report_dir = match create_report_dir(ctx, raw.report_directory.as_deref()) {
        Ok(dir) => dir,
        Err(e) => {
            input_error(ctx, naming, &mut out, &e);
            match create_report_dir(ctx, None) {
                Ok(dir) => dir,
                Err(e) => {
                    input_error(ctx, naming, &mut out, &e);
                    return out;
                }
            }
        }
    };
    out.report_dir = Some(report_dir);

    let plan = match plan::build(&raw) {
        Ok(plan) => {
            run_plan(ctx, &plan, &mut out, &mut secrets, &mut title).await;
            Some(plan)
        }
        Err(errors) => {
            for e in &errors {
                input_error(ctx, naming, &mut out, e);
            }
            None
        }
    };
    crate::publish::finish(ctx, &mut out, plan.as_ref(), &title, &secrets);
    out
}

/// Says what is wrong with a setting, and keeps it for the summary.
fn input_error(ctx: &Context, naming: Naming, out: &mut Outcome, e: &InputError) {
    let text = e.render(naming);
    ctx.console.error(&text);
    out.input_errors.push(text);
}

/// Steps 1 to 3 for a plan without errors. Whatever step it stops at,
/// [`execute`] publishes what `out` holds by then.
async fn run_plan(
    ctx: &Context,
    plan: &Plan,
    out: &mut Outcome,
    secrets: &mut Secrets,
    title: &mut String,
) {
    let console = &ctx.console;
    out.fail_on_test_failure = plan.fail_on_test_failure;
    if let Some(p) = &plan.ssl_client_passphrase {
        console.set_secret(p.expose());
        secrets.add(p.expose());
    }

    let (mut resolved, mut fatal) = resolve::resolve(plan, &ctx.base_dir);
    if resolved
        .environments
        .iter()
        .any(|e| matches!(e.resource, Resource::Uid(_)))
    {
        // With an environment given by UID, `envVars` can only reach the CLI
        // on its command line, where no secret may go.
        for (i, kv) in plan.env_vars.iter().enumerate() {
            if secrets.contains_secret(&kv.value) {
                fatal.push(InputError::new(
                    Field::EnvVars,
                    InputErrorKind::SecretWithCloudEnvironment {
                        line: i + 1,
                        key: kv.key.clone(),
                    },
                ));
            }
        }
    }
    let shard = crate::shard::resolve(plan.shard, &ctx.env).unwrap_or_else(|detail| {
        fatal.push(InputError::new(
            Field::Shard,
            InputErrorKind::ShardPosition { detail },
        ));
        None
    });
    let api_key = match crate::cloud::postman_key(&plan.cloud, &ctx.env) {
        Ok(key) => key,
        Err(e) => {
            fatal.push(e);
            None
        }
    };
    if let Some(key) = &api_key {
        console.set_secret(key.expose());
        secrets.add(key.expose());
    } else if let Some(why) = crate::cloud::key_needed(plan, &resolved) {
        let field = if plan.naming == Naming::Task {
            Field::PostmanConnection
        } else {
            Field::ApiKey
        };
        fatal.push(InputError::new(field, InputErrorKind::KeyNeeded { why }));
    }
    if !fatal.is_empty() {
        for e in &fatal {
            input_error(ctx, plan.naming, out, e);
        }
        return;
    }
    out.fail_on_upload_error = plan.cloud.fail_on_upload_error;
    let cloud = crate::cloud::cloud_context(ctx, plan, &resolved, api_key);
    for e in &resolved.skipped {
        input_error(ctx, plan.naming, out, e);
    }
    if resolved.runs.is_empty() {
        // No collection can run: say why without installing anything.
        return;
    }
    // Every job of a sharded pipeline sees the same runs and keeps its own
    // share; the run title says which share, so the jobs' test runs differ.
    let all_runs = resolved.runs.len();
    *title = match shard {
        Some(shard) => {
            resolved.runs = crate::shard::select(std::mem::take(&mut resolved.runs), shard);
            console.info(&format!(
                "Shard {shard}: {} of the {all_runs} collection runs.",
                resolved.runs.len()
            ));
            if shard.index != 1 && resolved.lint.take().is_some() {
                console.info("API lint runs in shard 1 only.");
            }
            format!("{} (shard {shard})", plan.test_run_title)
        }
        None => plan.test_run_title.clone(),
    };
    out.shard = shard;
    if resolved.runs.is_empty() {
        console.info("This shard has no collection runs: there are more shards than runs.");
        return;
    }

    let installed = tokio::select! {
        installed = install_cli(ctx, plan) => installed,
        _ = ctx.cancel.cancelled() => {
            out.cancelled = true;
            return;
        }
    };
    let cli = match installed {
        Ok(cli) => cli,
        Err(message) => {
            console.error(&message);
            out.install_error = Some(message);
            return;
        }
    };
    console.info(&format!(
        "Postman CLI {} {}: {}",
        cli.version,
        if cli.from_cache {
            "found in the tool cache"
        } else {
            "installed"
        },
        cli.executable.display()
    ));
    out.cli = Some(cli.clone());

    let scratch = match tempfile::Builder::new()
        .prefix(".postman-cli-task-")
        .tempdir_in(&ctx.scratch_dir)
    {
        Ok(dir) => dir,
        Err(e) => {
            let message = format!(
                "cannot create a private folder in {}: {e}",
                ctx.scratch_dir.display()
            );
            console.error(&message);
            out.input_errors.push(message);
            return;
        }
    };
    let network = HttpSettings::from_env(&ctx.env);
    if let Some(proxy) = &network.proxy {
        for bad in &proxy.invalid_bypass {
            console.warning(&format!("Agent.ProxyBypassList entry `{bad}` is not a valid regular expression; it is ignored."));
        }
    }
    let child_env = network.child_env(ctx.env.child_env());
    let parallel = match plan.parallel {
        Parallel::Auto => std::thread::available_parallelism().map_or(1, |n| n.get()),
        Parallel::Runs(n) => n,
    }
    .clamp(1, resolved.runs.len().max(1));
    let runner = Runner {
        cli: &cli,
        plan,
        resolved: &resolved,
        child_env: &child_env,
        private_root: scratch.path(),
        console,
        cancel: &ctx.cancel,
        cloud: &cloud,
        public_reports: out.report_dir.as_deref(),
        secrets,
        live: parallel == 1,
    };
    let total = resolved.runs.len();
    if parallel > 1 {
        console.info(&format!(
            "Running {total} collection runs, {parallel} at a time."
        ));
    }
    // At most `parallel` runs at once, each finishing in its own time; the
    // results are put back in run order afterwards.
    let mut runs = futures_util::stream::iter(
        resolved
            .runs
            .iter()
            .map(|target| runner.run(target, all_runs)),
    )
    .buffer_unordered(parallel);
    let mut done = 0;
    while let Some(result) = runs.next().await {
        let Some(result) = result else {
            out.cancelled = true;
            continue;
        };
        done += 1;
        console.progress(
            (30 + done * 70 / total.max(1)) as u8,
            &format!("{done} of {total} collection runs done"),
        );
        match &result.end {
            RunEnd::Failed(reason) => {
                console.error(&format!("Collection `{}`: {reason}", result.name))
            }
            RunEnd::Aborted => {
                console.warning(&format!(
                    "Collection `{}` was cut short: the task was cancelled.",
                    result.name
                ));
                out.cancelled = true;
            }
            RunEnd::Completed => {}
        }
        if let Upload::Failed { reason } = &result.upload {
            out.upload_failures += 1;
            let message = format!(
                "The run of `{}` was not reported to Postman: {reason}",
                result.name
            );
            if plan.cloud.fail_on_upload_error {
                console.error(&message);
            } else {
                console.warning(&format!("{message} (its results are published here all the same; failOnUploadError makes this an error)"));
            }
        }
        out.runs.push(result);
    }
    drop(runs);
    out.runs.sort_by_key(|r| r.index);
    out.not_started = total - out.runs.len();
    if let (Some(target), Some(lint_plan)) = (&resolved.lint, &plan.lint)
        && !ctx.cancel.is_cancelled()
    {
        console.progress(95, "Linting the API");
        let lint = crate::lint::LintRun {
            executable: &cli.executable,
            target,
            fail_severity: lint_plan.fail_severity,
            integration_id: plan.cloud.integration_id.as_deref(),
            env: &child_env,
            api_key: cloud.api_key.as_ref(),
            in_azure_pipeline: ctx.env.in_pipeline() && ctx.env.variable("build.buildId").is_some(),
            cwd: &resolved.working_dir,
            limit: plan.cloud.run_limit,
        }
        .run(console, &ctx.cancel)
        .await;
        crate::publish::report_lint(console, &lint);
        out.lint = Some(lint);
    }
    // The private folder holds the variables files and the CLI's homes.
    drop(scratch);
    crate::publish::make_run_names_unique(&mut out.runs);
}

async fn install_cli(ctx: &Context, plan: &Plan) -> Result<InstalledCli, String> {
    install_with(
        &ctx.env,
        &ctx.tools_dir,
        &plan.install,
        &ctx.console,
        &plan.working_directory_path(&ctx.base_dir),
        None,
    )
    .await
    .map_err(|e| format!("The Postman CLI could not be installed: {e}"))
}

/// Installs (or finds) the Postman CLI as `plan` says, with the network
/// settings and knobs the environment gives. Shared by the task, `run` and
/// `install`; `base` is where a relative `cliArchive` or `cliPath` starts.
pub async fn install_with(
    env: &AgentEnv,
    tools_dir: &std::path::Path,
    plan: &InstallPlan,
    console: &Console,
    base: &std::path::Path,
    // Another agent's platform (`install --platform`); this machine's if `None`.
    platform: Option<Platform>,
) -> Result<InstalledCli, String> {
    let platform = platform.or_else(Platform::current).ok_or_else(|| {
        format!(
            "the Postman CLI has no build for this platform ({}-{})",
            std::env::consts::OS,
            std::env::consts::ARCH
        )
    })?;
    let mut plan = plan.clone();
    match &mut plan.source {
        InstallSource::Archive { path } => *path = base.join(&*path).display().to_string(),
        InstallSource::Path { path: Some(path) } => *path = base.join(&*path).display().to_string(),
        _ => {}
    }
    let default_registry = env
        .get("npm_config_registry")
        .or(env.get("NPM_CONFIG_REGISTRY"))
        .filter(|r| !r.trim().is_empty())
        .unwrap_or(install::DEFAULT_REGISTRY)
        .to_owned();
    let lock_timeout = env
        .get("POSTMAN_CLI_TASK_LOCK_TIMEOUT")
        .and_then(|v| v.trim().parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(600));
    let settings = HttpSettings::from_env(env);
    let request = InstallRequest {
        plan,
        tools_dir: tools_dir.to_path_buf(),
        platform,
        lock_timeout,
        default_registry,
        site_url: env
            .get("POSTMAN_CLI_DOWNLOAD_URL")
            .unwrap_or(install::DEFAULT_SITE)
            .to_owned(),
        probe_env: settings.child_env(env.child_env()),
    };
    let client = settings.client().map_err(|e| e.to_string())?;
    install::install(&request, &client, console)
        .await
        .map_err(|e| e.to_string())
}

fn create_report_dir(ctx: &Context, requested: Option<&str>) -> Result<PathBuf, InputError> {
    let base = requested.map_or_else(|| ctx.default_reports_dir.clone(), |r| ctx.base_dir.join(r));
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S-").to_string();
    std::fs::create_dir_all(&base)
        .and_then(|_| {
            tempfile::Builder::new()
                .prefix(&stamp)
                .rand_bytes(3)
                .tempdir_in(&base)
        })
        .map(|d| d.keep())
        .map_err(|e| {
            InputError::new(
                Field::ReportDirectory,
                InputErrorKind::Unreadable {
                    path: base.display().to_string(),
                    detail: format!("cannot create a folder there: {e}"),
                },
            )
        })
}

/// The task's result, as the agent should see it.
pub fn task_result(out: &Outcome) -> crate::azure::vso::TaskResult {
    use crate::azure::vso::TaskResult;
    match out.verdict() {
        Verdict::Passed => TaskResult::Succeeded,
        Verdict::TestsFailed if !out.fail_on_test_failure => TaskResult::SucceededWithIssues,
        _ => TaskResult::Failed,
    }
}

/// Where relative paths start in a pipeline.
pub fn pipeline_base_dir(env: &AgentEnv) -> PathBuf {
    env.variable("system.defaultWorkingDirectory")
        .or(env.variable("build.sourcesDirectory"))
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
}

/// The tool cache: the agent's when there is one (also for `run` inside a
/// pipeline script), else a per-user cache folder.
pub fn tools_dir(env: &AgentEnv) -> PathBuf {
    if let Some(dir) = env.variable("agent.toolsDirectory") {
        return PathBuf::from(dir);
    }
    user_cache_dir(env).join("tools")
}

fn user_cache_dir(env: &AgentEnv) -> PathBuf {
    let home = || {
        env.get("HOME")
            .or(env.get("USERPROFILE"))
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        env.get("LOCALAPPDATA").map(PathBuf::from).or_else(home)
    } else if cfg!(target_os = "macos") {
        home().map(|h| h.join("Library").join("Caches"))
    } else {
        env.get("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| home().map(|h| h.join(".cache")))
    };
    base.unwrap_or_else(std::env::temp_dir)
        .join("postman-cli-task")
}
