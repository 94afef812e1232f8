//! The command line: `task` (what the pipeline launcher runs), `run` (the
//! same work on a laptop, with flags that mirror the task's inputs),
//! `install` (just the Postman CLI), `mark-flaky` (the task's post-job
//! step, hidden), and the exit codes they return.

mod args;
mod commands;
pub(crate) mod exit_code;
mod task;

use std::process::ExitCode;

use clap::Parser;

use crate::azure::vso::{self, TaskResult};
use args::{Cli, Command};

pub fn main() -> ExitCode {
    // First of all: in task mode the parent is the launcher, and the sooner
    // its pid is read, the smaller the window in which a launcher that has
    // already died leaves us watching whoever adopted us instead.
    let parent = task::parent_pid();
    let cli = Cli::parse();
    let agent_mode = matches!(cli.command, Command::Task | Command::MarkFlaky);
    if agent_mode {
        // Before anything that takes time: from here on, a launcher that
        // dies takes the task with it (see `task::cancel_on_signals`).
        task::die_with_launcher();
    }
    install_panic_hook(agent_mode, matches!(cli.command, Command::MarkFlaky));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("cannot start the async runtime");
    let code = runtime.block_on(async {
        match cli.command {
            Command::Task => task::run_task(parent).await,
            Command::Run(args) => commands::run_cli(*args).await,
            Command::Install(args) => commands::install_only(args).await,
            Command::Convert(args) => commands::convert(args),
            Command::Mask(args) => commands::mask(&args),
            Command::MarkFlaky => task::mark_flaky(parent).await,
        }
    });
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// A crash must still end with a clear message and a Failed result in the
/// pipeline, not a bare stack trace; in the post-job step, which must never
/// fail the job, with a warning and success.
fn install_panic_hook(agent_mode: bool, post_job: bool) {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = format!(
            "postman-cli-task {} crashed: {info}. Please report this at https://github.com/postman-cli-task/postman-cli-task/issues",
            env!("CARGO_PKG_VERSION")
        );
        if post_job {
            println!(
                "{}",
                vso::log_issue(vso::IssueType::Warning, &message, None)
            );
            std::process::exit(exit_code::SUCCESS);
        }
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
