//! Everything the conductor settles before installing anything: the plan
//! against the file system, the checks that need secrets or the agent
//! (which job of a sharded pipeline this is, which key), and the cloud
//! settings. Problems are said here, once, before anything runs.

use super::{Context, Outcome, input_error};
use crate::inputs::{Field, Naming};
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
    fatal.extend(env_vars_secret_check(plan, &resolved, secrets));
    // Values an environment or globals file marks secret are masked in the
    // log and in everything written, as secret pipeline variables are.
    for value in &resolved.secret_values {
        if value.trim().chars().count() >= crate::secrets::MIN_LEN {
            console.set_secret(value.trim());
        }
    }
    secrets.extend(resolved.secret_values.iter().map(String::as_str));
    let shard = shard::resolve(plan.shard, &ctx.env).unwrap_or_else(|detail| {
        fatal.push(InputError::new(
            Field::Shard,
            InputErrorKind::ShardPosition { detail },
        ));
        None
    });
    let api_key = postman_key(&plan.cloud, &ctx.env).unwrap_or_else(|e| {
        fatal.push(e);
        None
    });
    if let Some(key) = &api_key {
        console.set_secret(key.expose());
        secrets.add(key.expose());
    } else if let Some(why) = key_needed(plan, &resolved) {
        let field = if plan.naming == Naming::Task {
            Field::PostmanConnection
        } else {
            Field::ApiKey
        };
        fatal.push(InputError::new(field, InputErrorKind::KeyNeeded { why }));
    }
    fatal.extend(arguments_secret_check(plan, secrets));
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

/// With an environment given by UID, `envVars` can only reach the CLI on
/// its command line, where no secret may go.
fn env_vars_secret_check(plan: &Plan, resolved: &Resolved, secrets: &Secrets) -> Vec<InputError> {
    let by_uid = resolved
        .environments
        .iter()
        .any(|e| matches!(e.resource, Resource::Uid(_)));
    if !by_uid {
        return Vec::new();
    }
    plan.env_vars
        .iter()
        .enumerate()
        .filter(|(_, kv)| secrets.contains_secret(&kv.value))
        .map(|(i, kv)| {
            InputError::new(
                Field::EnvVars,
                InputErrorKind::SecretWithCloudEnvironment {
                    line: i + 1,
                    key: kv.key.clone(),
                },
            )
        })
        .collect()
}

/// Secrets reach the CLI through files and its environment only; a secret
/// typed into the extra arguments would sit on its command line.
fn arguments_secret_check(plan: &Plan, secrets: &Secrets) -> Vec<InputError> {
    plan.extra_args
        .iter()
        .enumerate()
        .filter(|(_, arg)| secrets.contains_secret(arg))
        .map(|(i, _)| {
            InputError::new(
                Field::AdditionalArguments,
                InputErrorKind::SecretInArguments { word: i + 1 },
            )
        })
        .collect()
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
