//! The lints of a task run (API lint, collection lint), started with the
//! collection runs: one at a time beside them, each at a lower CPU priority
//! (`ToolCommand::beside`), its output held while the runs print and shown
//! after theirs.

use std::collections::BTreeMap;
use std::ffi::OsString;

use super::narrator::{Held, Narrator};
use super::prepare::Prepared;
use super::{Context, Outcome};
use crate::install::InstalledCli;
use crate::plan::Plan;
use crate::publish;
use crate::report::lint::LintOutcome;
use crate::resolve::LintTarget;
use crate::run::capabilities::Capabilities;

/// Each lint's output, held while the runs printed, then its findings.
pub(super) fn keep_lints(
    ctx: &Context,
    out: &mut Outcome,
    linted: Vec<(LintOutcome, Held<'_, '_>)>,
) {
    for (lint, held) in linted {
        held.release();
        publish::report_lint(&ctx.console, &lint);
        out.lint.push(lint);
    }
}

/// What API lint and collection lint need from the task run.
pub(super) struct Lints<'a> {
    pub(super) ctx: &'a Context,
    pub(super) plan: &'a Plan,
    pub(super) prepared: &'a Prepared,
    pub(super) cli: &'a InstalledCli,
    pub(super) capabilities: &'a Capabilities,
    pub(super) child_env: &'a BTreeMap<OsString, OsString>,
    pub(super) narrator: &'a Narrator<'a>,
}

impl Lints<'_> {
    /// Every lint target, one at a time (unless cancelled), each with its
    /// output held for the conductor to print.
    pub(super) async fn all(&self) -> Vec<(LintOutcome, Held<'_, '_>)> {
        let mut outcomes = Vec::new();
        for target in &self.prepared.resolved.lint {
            if self.ctx.cancel.is_cancelled() {
                break;
            }
            let held = Held::new(self.narrator);
            if let Some(lint) = self.one(target, &held).await {
                outcomes.push((lint, held));
            }
        }
        outcomes
    }

    /// One lint target; `None` when its lint is not asked for.
    async fn one(&self, target: &LintTarget, held: &Held<'_, '_>) -> Option<LintOutcome> {
        let (ctx, plan, prepared) = (self.ctx, self.plan, self.prepared);
        let (output, fail_severity) = if target.is_api() {
            let lint_plan = plan.lint.as_ref()?;
            let output = crate::run::lint::LintRun {
                executable: &self.cli.executable,
                target,
                fail_severity: lint_plan.fail_severity,
                integration_id: plan.cloud.integration_id.as_deref(),
                env: self.child_env,
                api_key: prepared.cloud.api_key.as_ref(),
                in_azure_pipeline: ctx.env.in_pipeline()
                    && ctx.env.variable("build.buildId").is_some(),
                cwd: &prepared.resolved.working_dir,
                limit: plan.cloud.run_limit,
                capabilities: self.capabilities,
                version: &self.cli.version,
            }
            .run(held, &ctx.cancel)
            .await;
            (output, lint_plan.fail_severity.into())
        } else {
            let fail_severity = plan.collection_lint?;
            let output = crate::run::collection_lint::CollectionLintRun {
                executable: &self.cli.executable,
                target,
                env: self.child_env,
                cwd: &prepared.resolved.working_dir,
                limit: plan.cloud.run_limit,
            }
            .run(held, &ctx.cancel)
            .await;
            (output, fail_severity)
        };
        Some(crate::report::lint::outcome(target, fail_severity, output))
    }
}
