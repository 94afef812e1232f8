//! Everything the conductor settles before installing anything: the plan
//! against the file system, the checks that need secrets or the agent
//! (which job of a sharded pipeline this is, which key), and the cloud
//! settings. Problems are said here, once, before anything runs.

use super::{Context, Outcome, input_error, keep_secret};
use crate::inputs::{Field, Naming, Secret};
use crate::plan::{InputError, InputErrorKind, Plan};
use crate::resolve::cloud::{CloudContext, cloud_context, key_needed, postman_key};
use crate::resolve::shard::{self, Shard};
use crate::resolve::{self, Resolved, Resource};
use crate::secrets::Secrets;

/// What the runs need, settled.
pub(super) struct Prepared {
    pub(super) resolved: Resolved,
    pub(super) cloud: CloudContext,
    /// The test run's title, with the shard in it.
    pub(super) title: String,
}

/// `None` when nothing can run, or the task was cancelled meanwhile; the
/// reasons are in `out` and the log.
pub(super) async fn prepare(
    ctx: &Context,
    plan: &Plan,
    out: &mut Outcome,
    secrets: &mut Secrets,
) -> Option<Prepared> {
    let console = &ctx.console;
    // Reading the user's files can take long (a large repository, a slow
    // disk), and must not keep the task from hearing a cancellation.
    let Some((mut resolved, mut fatal)) =
        resolve::resolve_cancellable(plan, &ctx.base_dir, &ctx.cancel).await
    else {
        out.cancelled = true;
        return None;
    };
    // Values an environment or globals file marks secret are masked in the
    // log and in everything written, as secret pipeline variables are; so
    // are the credentials the collections send, from before the CLI starts.
    keep_secret(
        console,
        secrets,
        resolved.secret_values.iter().map(String::as_str),
        false,
    );
    keep_secret(
        console,
        secrets,
        resolved.credentials.iter().map(String::as_str),
        true,
    );
    let shard = shard::resolve(plan.shard, &ctx.env).unwrap_or_else(|detail| {
        fatal.push(InputError::new(
            Field::Shard,
            InputErrorKind::ShardPosition { detail },
        ));
        None
    });
    let api_key = checked_key(ctx, plan, &resolved, secrets, &mut fatal);
    fatal.extend(secret_checks(plan, &resolved, secrets));
    if !fatal.is_empty() {
        for e in &fatal {
            input_error(ctx, plan.naming, out, e);
        }
        return None;
    }
    out.fail_on_upload_error = plan.cloud.fail_on_upload_error;
    let (cloud, warnings) = cloud_context(&ctx.env, &ctx.knobs, plan, &resolved, api_key);
    for warning in warnings.iter().chain(&resolved.warnings) {
        console.warning(warning);
    }
    for e in &resolved.skipped {
        input_error(ctx, plan.naming, out, e);
    }
    if resolved.runs.is_empty() {
        // No collection can run: say why without installing anything.
        return None;
    }
    let title = select_shard(ctx, plan, &mut resolved, shard);
    out.shard = shard;
    if resolved.runs.is_empty() {
        console.info("This shard has no collection runs: there are more shards than runs.");
        return None;
    }
    Some(Prepared {
        resolved,
        cloud,
        title,
    })
}

/// The Postman key, masked from here on; an input error when it is
/// malformed, or missing while something needs it.
fn checked_key(
    ctx: &Context,
    plan: &Plan,
    resolved: &Resolved,
    secrets: &mut Secrets,
    fatal: &mut Vec<InputError>,
) -> Option<Secret> {
    let api_key = postman_key(&plan.cloud, &ctx.env).unwrap_or_else(|e| {
        fatal.push(e);
        None
    });
    if let Some(key) = &api_key {
        keep_secret(&ctx.console, secrets, [key.expose()], false);
    } else if let Some(why) = key_needed(plan, resolved) {
        let field = if plan.naming == Naming::Task {
            Field::PostmanConnection
        } else {
            Field::ApiKey
        };
        fatal.push(InputError::new(field, InputErrorKind::KeyNeeded { why }));
    }
    api_key
}

/// Secrets reach the CLI through files and its environment only: every
/// input that ends up on its command line (which the log and every process
/// listing show) is refused when it holds a secret in any form.
fn secret_checks(plan: &Plan, resolved: &Resolved, secrets: &Secrets) -> Vec<InputError> {
    let mut found = Vec::new();
    let mut check = |field: Field, values: &mut dyn Iterator<Item = String>| {
        for (i, value) in values.enumerate() {
            if secrets.contains_secret(&value) {
                found.push(InputError::new(
                    field,
                    InputErrorKind::SecretInArguments { word: i + 1 },
                ));
            }
        }
    };
    let one = |v: &Option<String>| v.clone().into_iter();
    let number = |n: Option<u64>| n.map(|n| n.to_string()).into_iter();
    check(Field::Collection, &mut plan.collections.iter().cloned());
    check(Field::Environment, &mut plan.environments.iter().cloned());
    check(Field::Folder, &mut plan.folders.iter().cloned());
    check(Field::Globals, &mut one(&plan.globals));
    check(Field::IterationData, &mut one(&plan.iteration_data));
    check(Field::WorkingDirectory, &mut one(&plan.working_directory));
    check(Field::SslClientCert, &mut one(&plan.ssl_client_cert));
    check(Field::SslClientKey, &mut one(&plan.ssl_client_key));
    check(Field::SslExtraCaCerts, &mut one(&plan.ssl_extra_ca_certs));
    check(
        Field::IterationCount,
        &mut number(plan.iteration_count.map(u64::from)),
    );
    check(Field::Timeout, &mut number(plan.timeout_ms));
    check(Field::TimeoutRequest, &mut number(plan.timeout_request_ms));
    check(Field::TimeoutScript, &mut number(plan.timeout_script_ms));
    check(Field::DelayRequest, &mut number(plan.delay_request_ms));
    if let Some(lint) = &plan.lint {
        check(Field::ApiId, &mut one(&lint.api_id));
        check(Field::ApiDefinition, &mut one(&lint.definition));
    }
    check(
        Field::AdditionalArguments,
        &mut plan.extra_args.iter().cloned(),
    );
    // With an environment given by UID, `envVars` can only reach the CLI
    // on its command line.
    if resolved
        .environments
        .iter()
        .any(|e| matches!(e.resource, Resource::Uid(_)))
    {
        for (i, kv) in plan.env_vars.iter().enumerate() {
            if secrets.contains_secret(&kv.value) {
                found.push(InputError::new(
                    Field::EnvVars,
                    InputErrorKind::SecretWithCloudEnvironment {
                        line: i + 1,
                        key: kv.key.clone(),
                    },
                ));
            }
        }
    }
    found
}

/// Every job of a sharded pipeline sees the same runs and keeps its own
/// share; the run title says which share, so the jobs' test runs differ.
fn select_shard(
    ctx: &Context,
    plan: &Plan,
    resolved: &mut Resolved,
    shard: Option<Shard>,
) -> String {
    let Some(shard) = shard else {
        return plan.test_run_title.clone();
    };
    resolved.runs = shard::select(std::mem::take(&mut resolved.runs), shard);
    ctx.console.info(&format!(
        "Shard {shard}: {} of the {} collection runs.",
        resolved.runs.len(),
        resolved.all_runs
    ));
    if shard.index != 1 && !std::mem::take(&mut resolved.lint).is_empty() {
        ctx.console.info("Lint runs in shard 1 only.");
    }
    format!("{} (shard {shard})", plan.test_run_title)
}
