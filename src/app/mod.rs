//! The conductor: one task run, front to back, shared by the pipeline task
//! and the `run` command. Each step is a stage; this module only calls them
//! in order, tells the user what happened, and keeps what they return:
//!
//! 1. plan the inputs (pure), then settle them against the file system,
//!    the agent and the secrets ([`prepare`]);
//! 2. install the Postman CLI (or find it in the tool cache);
//! 3. run each collection, `parallel` at a time ([`runs`]), and beside
//!    them the lints, one at a time at a lower CPU priority ([`lints`]);
//! 4. publish: the JUnit files and the summary, the output variables.
//!
//! Whatever step a run stops at, the results that exist are published: a
//! failed install or a broken collection never hides the runs that worked.

mod lints;
mod narrator;
mod outcome;
mod paths;
mod prepare;
mod runs;

use std::path::{Path, PathBuf};

pub(crate) use narrator::Narrator;
pub(crate) use outcome::{Outcome, Verdict};
pub(crate) use paths::{pipeline_base_dir, tools_dir};

use crate::azure::agent::AgentEnv;
use crate::console::Console;
use crate::http::HttpSettings;
use crate::inputs::{Naming, RawInputs};
use crate::install::InstalledCli;
use crate::knobs::Knobs;
use crate::plan::{self, InputError, Parallel, Plan};
use crate::process::Cancel;
use crate::publish::{self, Publication};
use crate::run::capabilities::Capabilities;
use crate::run::collection::Runner;
use crate::secrets::Secrets;
use prepare::Prepared;
use runs::Runs;

/// Where things live for this run; the task and the CLI fill it differently.
pub(crate) struct Context {
    pub(crate) console: Console,
    pub(crate) env: AgentEnv,
    pub(crate) knobs: Knobs,
    /// Where relative paths start.
    pub(crate) base_dir: PathBuf,
    /// Where report folders go when `reportDirectory` is not set.
    pub(crate) default_reports_dir: PathBuf,
    /// The tool cache root (`Agent.ToolsDirectory`, or a per-user cache).
    pub(crate) tools_dir: PathBuf,
    /// Where the private per-run folders are created (and deleted).
    pub(crate) scratch_dir: PathBuf,
    /// Set when the agent cancels the job (or Ctrl+C on a terminal).
    pub(crate) cancel: Cancel,
}

pub(crate) async fn execute(raw: RawInputs, ctx: &Context) -> Outcome {
    let naming = raw.naming();
    let mut out = Outcome {
        fail_on_test_failure: true,
        ..Outcome::default()
    };
    let mut secrets = Secrets::from_env(&ctx.env);
    // The task's own messages (an input error quoting a line of a
    // multi-line secret) are masked like everything else.
    ctx.console.set_masker(&secrets);
    if let Some(warning) = secrets.unmasked_warning() {
        ctx.console.warning(&warning);
    }
    let mut title = raw
        .test_run_title
        .clone()
        .unwrap_or_else(|| "Postman".into());
    let Some(report_dir) = report_dir(ctx, naming, &mut out, raw.report_directory.as_deref())
    else {
        return out;
    };
    out.report_dir = Some(report_dir.clone());

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
    // What the runs' credential headers held is a secret of the whole task
    // run (another run's echo, the summary): learnt once, masked from here.
    secrets.extend_credentials(
        out.runs
            .iter()
            .flat_map(|r| &r.header_secrets)
            .map(String::as_str),
    );
    ctx.console.set_masker(&secrets);
    crate::results::ready(&mut out.runs, &secrets);
    let test_plan = test_plans(ctx, plan.as_ref(), &out, &title, &mut secrets).await;
    let headline = out.headline();
    let published = publish::finish(
        &ctx.console,
        Publication {
            files: publish::Files::in_folder(&report_dir, &title),
            title: &title,
            headline: &headline,
            runs: &out.runs,
            problems: out
                .input_errors
                .iter()
                .chain(out.install_error.iter())
                .cloned()
                .collect(),
            not_started: out.not_started,
            cli: out.cli.as_ref(),
            lint: &out.lint,
            to_tests_tab: plan.as_ref().is_none_or(|p| p.publish_test_results),
            temp_dir: &ctx.scratch_dir,
            shard: out.shard.map(|s| s.to_string()),
            attachment_limit: Some(ctx.knobs.attachment_limit),
            test_plan: test_plan.as_ref(),
            flaky_record: plan
                .as_ref()
                .and_then(|p| p.test_plan.as_ref())
                .and(ctx.env.variable("Agent.TempDirectory"))
                .map(Path::new),
        },
        &secrets,
    );
    out.junit = published.junit;
    out.summary = published.summary;
    out
}

/// The Test Plans sink, when `testPlan` is set and any collection ran:
/// awaited before the other sinks, whose summary lists what it did, and
/// cancellable. What it says is shown here; it never fails the step.
async fn test_plans(
    ctx: &Context,
    plan: Option<&Plan>,
    out: &Outcome,
    title: &str,
    secrets: &mut Secrets,
) -> Option<publish::test_plan::TestPlanReport> {
    let settings = plan?.test_plan.as_ref()?;
    if out.runs.is_empty() {
        return None;
    }
    // On a laptop the token comes from SYSTEM_ACCESSTOKEN, which the
    // agent's endpoint variables do not cover.
    if let Some(token) = ctx
        .env
        .get("SYSTEM_ACCESSTOKEN")
        .filter(|t| !t.trim().is_empty())
    {
        keep_secret(&ctx.console, secrets, [token], true);
    }
    let network = HttpSettings::from_env(&ctx.env);
    let input = publish::test_plan::TestPlanInput {
        settings,
        runs: &out.runs,
        map: out.test_case_map.as_ref(),
        env: &ctx.env,
        network: &network,
        title,
        call_timeout: ctx.knobs.read_timeout,
    };
    ctx.console.progress(97, "Updating Azure Test Plans");
    let narrator = Narrator::new(&ctx.console, true);
    let report = tokio::select! {
        report = publish::test_plan::publish(&input, &narrator) => report,
        () = ctx.cancel.cancelled() => publish::test_plan::TestPlanReport {
            warnings: vec!["Azure Test Plans were not updated: the task was cancelled.".into()],
            ..Default::default()
        },
    };
    for line in &report.lines {
        ctx.console.info(line);
    }
    for warning in &report.warnings {
        ctx.console.warning(warning);
    }
    Some(report)
}

/// Makes `values` secrets of this run from now on: the agent's masker
/// learns those long enough to mask anywhere ([`crate::secrets::MIN_LEN`]),
/// and the task masks them in everything it prints and writes. Credentials
/// are masked whatever their length, as whole values when short (the
/// length rule in [`crate::secrets`]).
fn keep_secret<'v>(
    console: &Console,
    secrets: &mut Secrets,
    values: impl IntoIterator<Item = &'v str>,
    credentials: bool,
) {
    let values: Vec<&str> = values.into_iter().map(str::trim).collect();
    for value in &values {
        if value.chars().count() >= crate::secrets::MIN_LEN {
            console.set_secret(value);
        }
    }
    if credentials {
        secrets.extend_credentials(values);
    } else {
        secrets.extend(values);
    }
    console.set_masker(secrets);
}

/// Says what is wrong with a setting, and keeps it for the summary.
fn input_error(ctx: &Context, naming: Naming, out: &mut Outcome, e: &InputError) {
    let text = e.render(naming);
    ctx.console.error(&text);
    out.input_errors.push(text);
}

/// The folder the reports go to: the one asked for, else the default one
/// (the first error said), else none, and nothing can be published.
fn report_dir(
    ctx: &Context,
    naming: Naming,
    out: &mut Outcome,
    asked: Option<&str>,
) -> Option<PathBuf> {
    match paths::create_report_dir(ctx, asked) {
        Ok(dir) => Some(dir),
        Err(e) => {
            input_error(ctx, naming, out, &e);
            paths::create_report_dir(ctx, None)
                .map_err(|e| input_error(ctx, naming, out, &e))
                .ok()
        }
    }
}

/// How many collections run at once: `parallel`, never more than there are.
fn parallelism(plan: &Plan, runs: usize) -> usize {
    match plan.parallel {
        Parallel::Auto => std::thread::available_parallelism().map_or(1, |n| n.get()),
        Parallel::Runs(n) => n,
    }
    .clamp(1, runs.max(1))
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
    out.fail_on_test_failure = plan.fail_on_test_failure;
    if let Some(p) = &plan.ssl_client_passphrase {
        keep_secret(&ctx.console, secrets, [p.expose()], false);
    }
    let Some(mut prepared) = prepare::prepare(ctx, plan, out, secrets).await else {
        return;
    };
    *title = prepared.title.clone();
    out.test_case_map = prepared.resolved.test_case_map.clone();
    let Some(cli) = install(ctx, plan, out).await else {
        return;
    };
    let Some(scratch) = private_folder(ctx, out) else {
        return;
    };
    let network = network(ctx);
    let child_env = network.child_env(ctx.env.child_env());
    name_cloud_requests(ctx, &mut prepared, &network).await;
    allow_yaml_report(ctx, &mut prepared, &network).await;
    let parallel = parallelism(plan, prepared.resolved.runs.len());
    let narrator = Narrator::new(&ctx.console, parallel == 1);
    // Read from the CLI's files: starting it to ask costs seconds.
    let capabilities = Capabilities::of(&cli.executable);
    // Beside the CLIs in the tool cache, for every run on this machine.
    let dataset_engine = ctx
        .tools_dir
        .join(crate::install::cache::TOOL_NAME)
        .join(".dataset-engine");
    let runner = Runner {
        cli: &cli,
        plan,
        resolved: &prepared.resolved,
        child_env: &child_env,
        private_root: scratch.path(),
        cancel: &ctx.cancel,
        cloud: &prepared.cloud,
        capabilities: &capabilities,
        dataset_engine: Some(&dataset_engine),
    };
    let runs = Runs {
        console: &ctx.console,
        narrator: &narrator,
        runner: &runner,
        resolved: &prepared.resolved,
        report_dir: out
            .report_dir
            .as_deref()
            .unwrap_or(&ctx.default_reports_dir),
        secrets,
        parallel,
        live: parallel == 1,
        fail_on_upload_error: plan.cloud.fail_on_upload_error,
        retries: plan.retry_failed_runs,
    };
    // The lints start with the runs, one at a time beside them (on top of
    // `parallel`), their output held and printed after the runs'.
    let lints = lints::Lints {
        ctx,
        plan,
        prepared: &prepared,
        cli: &cli,
        capabilities: &capabilities,
        child_env: &child_env,
        narrator: &narrator,
    };
    let (ran, linted) = tokio::join!(runs.all(), lints.all());
    out.runs = ran.results;
    out.cancelled |= ran.cancelled;
    out.not_started = ran.not_started;
    lints::keep_lints(ctx, out, linted);
    // The private folder holds the variables files and the CLI's homes.
    drop(scratch);
}

/// Installs the Postman CLI, or says why it could not be.
async fn install(ctx: &Context, plan: &Plan, out: &mut Outcome) -> Option<InstalledCli> {
    let base = plan.working_directory_path(&ctx.base_dir);
    let narrator = Narrator::new(&ctx.console, true);
    let installed = tokio::select! {
        installed = crate::install::install_with(
            &ctx.env,
            &ctx.tools_dir,
            &plan.install,
            &narrator,
            &base,
            None,
        ) => installed,
        _ = ctx.cancel.cancelled() => {
            out.cancelled = true;
            return None;
        }
    };
    match installed {
        Ok(cli) => {
            ctx.console.info(&format!(
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
            Some(cli)
        }
        Err(e) => {
            let message = format!("The Postman CLI could not be installed: {e}");
            ctx.console.error(&message);
            out.install_error = Some(message);
            None
        }
    }
}

/// The private folder of this task run: the runs' variables files, homes
/// and reports. Its random name is part of every report path, so the line
/// the CLI prints when it writes a report is one no collection can print
/// (see `run::upload`).
fn private_folder(ctx: &Context, out: &mut Outcome) -> Option<tempfile::TempDir> {
    match tempfile::Builder::new()
        .prefix(".postman-cli-task-")
        .rand_bytes(16)
        .tempdir_in(&ctx.scratch_dir)
    {
        Ok(dir) => Some(dir),
        Err(e) => {
            let message = format!(
                "cannot create a private folder in {}: {e}",
                ctx.scratch_dir.display()
            );
            ctx.console.error(&message);
            out.input_errors.push(message);
            None
        }
    }
}

/// The agent's network settings, with a word about what they cannot mean.
fn network(ctx: &Context) -> HttpSettings {
    let network = HttpSettings::from_env(&ctx.env);
    if let Some(proxy) = &network.proxy {
        for bad in &proxy.invalid_bypass {
            ctx.console.warning(&format!(
                "Agent.ProxyBypassList entry `{bad}` is not a valid regular expression; it is ignored."
            ));
        }
    }
    network
}

/// Collections given by UID: their trees, so requests are named with their
/// folders, as those of a local file are. Without one a request is named
/// alone; the run is unaffected.
async fn name_cloud_requests(ctx: &Context, prepared: &mut Prepared, network: &HttpSettings) {
    let Some(key) = &prepared.cloud.api_key else {
        return;
    };
    let mut trees = std::collections::HashMap::new();
    for run in &mut prepared.resolved.runs {
        let crate::resolve::CollectionSource::Uid(uid) = &run.source else {
            continue;
        };
        if !trees.contains_key(uid) {
            let tree = match network.client() {
                Ok(client) => {
                    crate::run::tree::fetch_collection(
                        &client,
                        &ctx.env,
                        prepared.cloud.region,
                        uid,
                        key,
                    )
                    .await
                }
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = &tree {
                ctx.console.warning(&format!(
                    "The requests of collection `{uid}` are named without their folders: {e}"
                ));
            }
            trees.insert(uid.clone(), tree.ok());
        }
        run.collection = trees[uid].clone();
    }
}

/// v3 runs with a key: whether the key's team may have the CLI write its
/// YAML run report (`--output`), which the task then reads instead of the
/// console report. Asked once, before the runs; anything but a yes keeps
/// the console report.
async fn allow_yaml_report(ctx: &Context, prepared: &mut Prepared, network: &HttpSettings) {
    let Some(key) = &prepared.cloud.api_key else {
        return;
    };
    if !prepared.resolved.runs.iter().any(|r| r.v3.is_some()) {
        return;
    }
    let allowed = match network.client() {
        Ok(client) => crate::resolve::cloud::output_allowed(&client, &ctx.env, key).await,
        Err(e) => Err(e.to_string()),
    };
    let note = match &allowed {
        Ok(true) => "The v3 collection runs are read from the Postman CLI's YAML run report (--output): this Postman API key's team is an Enterprise team.".to_owned(),
        Ok(false) => "The v3 collection runs are read from the Postman CLI's console report: its YAML run report (--output) is only for Postman Enterprise teams.".to_owned(),
        Err(e) => format!("The v3 collection runs are read from the Postman CLI's console report: whether this Postman API key's team may use --output (the YAML run report) could not be told: {e}"),
    };
    ctx.console.info(&note);
    prepared.cloud.yaml_report = allowed == Ok(true);
}
