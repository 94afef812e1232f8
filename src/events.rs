//! What a stage tells the conductor while it works, as cargo-nextest's
//! runner tells its reporters: the stage says what happened, and the
//! conductor decides how it looks (a live group per collection run, or one
//! group per run printed when it ends, a progress bar or `task.setprogress`).
//!
//! Only what cannot wait is an event: a tool's command line and output as
//! they come, download progress, a notice that a step is under way.
//! Findings a stage can return (warnings, results) are returned.

use crate::process::Stream;

/// What a tool's output belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Job<'a> {
    /// Collection run `index` of `of`.
    Run {
        index: usize,
        of: usize,
        name: &'a str,
    },
    /// A lint of a target: `what` says which (`API lint`, `Collection
    /// lint`).
    Lint { what: &'a str, target: &'a str },
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Event<'a> {
    /// A step under way that takes a while (a download, a wait for a lock).
    Note(&'a str),
    /// A problem met on the way that the stage works around (a retry).
    Warning(&'a str),
    /// A download's progress.
    Download {
        received: u64,
        total: Option<u64>,
    },
    DownloadDone,
    /// A tool is about to run this command line.
    ToolStarted {
        job: Job<'a>,
        command: &'a str,
    },
    /// A line the tool printed, as it printed it (not yet defused).
    ToolOutput {
        job: Job<'a>,
        stream: Stream,
        line: &'a str,
    },
    /// The tool has ended.
    ToolFinished {
        job: Job<'a>,
    },
}

/// Where a stage's events go.
pub(crate) trait Events {
    fn emit(&self, event: Event<'_>);
}
