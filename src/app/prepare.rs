//! Everything the conductor settles before installing anything: the plan
//! against the file system, the checks that need secrets or the agent
//! (which job of a sharded pipeline this is, which key), and the cloud
//! settings. Problems are said here, once, before anything runs.

use super::{Context, Outcome, input_error};
use crate::inputs::{Field, Naming};
use crate::plan::{InputError, InputErrorKind, Plan};
use crate::resolve::cloud::{CloudContext, cloud_context, key_needed, postman_key};
use crate::resolve::shard;
use crate::resolve::{self, Resolved, Resource};
use crate::secrets::Secrets;

/// What the runs need, settled.
pub(super) struct Prepared {
    pub(super) resolved: Resolved,
    pub(super) cloud: CloudContext,
    /// The test run's title, with the shard in it.
    pub(super) title: String,
}

/// `None` when nothing can run; the reasons are in `out` and the log.
pub(super) fn prepare(
    ctx: &Context,
    plan: &Plan,
    out: &mut Outcome,
    secrets: &mut Secrets,
) -> Option<Prepared> {
    let console = &ctx.console;
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
    // Secrets reach the CLI through files and its environment only; a
    // secret typed into the extra arguments would sit on its command line.
    for (i, arg) in plan.extra_args.iter().enumerate() {
        if secrets.contains_secret(arg) {
            fatal.push(InputError::new(
                Field::AdditionalArguments,
                InputErrorKind::SecretInArguments { word: i + 1 },
            ));
        }
    }
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
    // Every job of a sharded pipeline sees the same runs and keeps its own
    // share; the run title says which share, so the jobs' test runs differ.
    let title = match shard {
        Some(shard) => {
            resolved.runs = shard::select(std::mem::take(&mut resolved.runs), shard);
            console.info(&format!(
                "Shard {shard}: {} of the {} collection runs.",
                resolved.runs.len(),
                resolved.all_runs
            ));
            if shard.index != 1 && !std::mem::take(&mut resolved.lint).is_empty() {
                console.info("Lint runs in shard 1 only.");
            }
            format!("{} (shard {shard})", plan.test_run_title)
        }
        None => plan.test_run_title.clone(),
    };
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
