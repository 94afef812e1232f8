//! `postman-cli-task task`: the pipeline task, as `task/launcher.js` starts
//! it. It reads the agent's environment, runs, ends with `task.complete`,
//! and stops what it started when the agent cancels or its launcher dies.

use std::path::PathBuf;

use crate::app::{self, Context};
use crate::azure::agent::AgentEnv;
use crate::console::Console;
use crate::inputs::RawInputs;
use crate::knobs::Knobs;
use crate::process::Cancel;

use super::exit_code;

pub(super) async fn run_task(launcher: Option<u32>) -> i32 {
    let env = AgentEnv::from_process();
    let console = Console::agent();
    let raw = RawInputs::from_agent(&env);
    let base_dir = app::pipeline_base_dir(&env);
    let temp = env
        .variable("agent.tempDirectory")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let ctx = Context {
        console: console.clone(),
        knobs: Knobs::from_env(&env),
        cancel: cancel_on_signals(launcher),
        default_reports_dir: temp.join("postman-cli-task"),
        tools_dir: app::tools_dir(&env),
        scratch_dir: temp,
        base_dir,
        env,
    };
    let out = app::execute(raw, &ctx).await;
    console.complete(out.task_result(), &out.headline());
    exit_code::SUCCESS
}

/// `postman-cli-task mark-flaky`: the task's post-job step, as
/// `task/post.js` starts it when a step left flaky tests to mark (see
/// [`crate::publish::test_plan::tests_tab`]). Every problem is a warning and
/// it always succeeds: a post-job step must never fail the job. It sets no
/// result, so the step's stays Succeeded.
pub(super) async fn mark_flaky(launcher: Option<u32>) -> i32 {
    use crate::publish::test_plan::tests_tab;
    let env = AgentEnv::from_process();
    let console = Console::agent();
    let Some(temp) = env.variable("agent.tempDirectory").map(PathBuf::from) else {
        return exit_code::SUCCESS;
    };
    let knobs = Knobs::from_env(&env);
    let network = crate::http::HttpSettings::from_env(&env);
    let input = tests_tab::MarkInput {
        env: &env,
        network: &network,
        temp_dir: &temp,
        call_timeout: knobs.read_timeout,
    };
    let cancel = cancel_on_signals(launcher);
    let narrator = app::Narrator::new(&console, true);
    let report = tokio::select! {
        report = tests_tab::mark(&input, &narrator) => report,
        () = cancel.cancelled() => tests_tab::MarkReport {
            warnings: vec!["Azure Test Plans: the Tests tab's flaky tests were not marked: the job was cancelled.".into()],
            ..Default::default()
        },
    };
    for line in &report.lines {
        console.info(line);
    }
    for warning in &report.warnings {
        console.warning(warning);
    }
    exit_code::SUCCESS
}

/// The agent cancels a job by sending SIGINT, then SIGTERM 7.5 s later, then
/// killing (to the launcher, which passes them on). Either signal stops the
/// running CLI; what finished is then published within that window.
///
/// A launcher killed outright passes nothing on, so in task mode the
/// launcher's death cancels too: on Linux the kernel sends us SIGTERM when
/// it dies (see [`die_with_launcher`]), and on every Unix a poll notices
/// that we were adopted. (Windows
/// needs neither: the agent ends the whole process tree there.) The tools we
/// start die with us on Linux even if we are killed outright; see
/// `process::die_with_us`.
pub(super) fn cancel_on_signals(launcher: Option<u32>) -> Cancel {
    let (canceller, cancel) = Cancel::new();
    // Listen now, not when the task below first runs: a signal in between
    // would take the default action and kill us without a word.
    #[cfg(unix)]
    let signalled = {
        use tokio::signal::unix::{SignalKind, signal};
        let streams = signal(SignalKind::interrupt())
            .and_then(|int| Ok((int, signal(SignalKind::terminate())?)));
        async move {
            match streams {
                Ok((mut int, mut term)) => tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                },
                Err(_) => std::future::pending().await,
            }
        }
    };
    #[cfg(not(unix))]
    let signalled = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::spawn(async move {
        let orphaned = async {
            match launcher {
                Some(pid) => parent_gone(pid).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = signalled => {}
            _ = orphaned => {}
        }
        canceller.cancel();
        // Hold the sender: dropping it would make waiting tasks think no
        // cancellation can come.
        std::future::pending::<()>().await;
    });
    cancel
}

/// Asks the kernel for SIGTERM when the launcher dies, first thing in task
/// mode. Until [`cancel_on_signals`] listens, the signal ends the process
/// outright (nothing has started yet that needs stopping); after, it
/// cancels the task like the agent's own SIGTERM. This holds only while the
/// runtime's thread is free to hear it, which is why slow work (reading the
/// user's files) runs on threads of its own. A launcher that died before
/// this request sends nothing; the watch in [`cancel_on_signals`], which
/// looks first thing, catches that.
pub(super) fn die_with_launcher() {
    #[cfg(target_os = "linux")]
    crate::process::signal_when_parent_dies();
}

/// Our parent's pid, where the platform tells it.
#[cfg(unix)]
pub(super) fn parent_pid() -> Option<u32> {
    Some(std::os::unix::process::parent_id())
}

#[cfg(not(unix))]
pub(super) fn parent_pid() -> Option<u32> {
    None
}

/// Resolves once `parent` is no longer our parent: it died, and another
/// process (init, or a subreaper) adopted us. The poll is the guard where
/// the kernel sends no parent-death signal (macOS), and a second one on
/// Linux.
#[cfg(unix)]
async fn parent_gone(parent: u32) {
    while std::os::unix::process::parent_id() == parent {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

#[cfg(not(unix))]
async fn parent_gone(_parent: u32) {
    std::future::pending().await
}
