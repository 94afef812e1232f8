//! Shared test support: the agent's logging-command grammar ([`vso`]), the
//! agent emulation ([`agent`]), Azure's JUnit reader ([`azure_junit`]), HTTP
//! servers for tests ([`servers`]), and a few paths and helpers every test
//! module uses.

// Each test module uses only part of this support code.
#![allow(
    dead_code,
    unused_imports,
    reason = "shared by test modules, none of which uses all of it"
)]

pub mod agent;
pub mod azure_devops;
pub mod azure_junit;
pub mod cloud;
pub mod leaks;
pub mod proxy;
pub mod registry;
pub mod servers;
pub mod vso;

use std::fs;
use std::path::PathBuf;

pub use agent::{
    AgentJob, Issue, IssueKind, MAX_FULL_NAME, Publish, PublishedRun, RunningTask, SetVariable,
    TaskResult, TaskRun,
};
pub use servers::{CloudSink, RecordedRequest, TargetApi};
pub use vso::{LineKind, Stream, VsoCommand};

/// A well-formed Postman API key (`PMAK-` + 24 + 34 hex digits), so the
/// real CLI uploads with it.
pub const TEST_API_KEY: &str = "PMAK-0123456789abcdef01234567-0123456789abcdef0123456789abcdef01";

/// The Postman CLI version end-to-end tests install.
pub const PINNED_CLI_VERSION: &str = "1.62.0";

/// The tool cache every end-to-end test shares (`Agent.ToolsDirectory`), so
/// the Postman CLI download happens once per machine, not once per test.
pub fn shared_tools_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("agent-tool-cache");
    fs::create_dir_all(&dir).expect("create the shared tool cache");
    dir
}

/// `tests/fixtures`: captured samples, named after what they show.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// Replaces each `from` with its `to`, in the order given.
pub fn redact(text: &str, pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .fold(text.to_string(), |text, (from, to)| text.replace(from, to))
}
