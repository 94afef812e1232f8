//! Set-up shared by the end-to-end tests: an agent job wired to the shared
//! tool cache, the pinned Postman CLI, a target API, and a cloud sink that
//! keeps the real CLI off the internet.

use std::fs;
use std::path::PathBuf;

use crate::support::{
    AgentJob, CloudSink, PINNED_CLI_VERSION, TargetApi, TaskRun, fixtures_dir, shared_tools_dir,
};

pub struct Scenario {
    pub job: AgentJob,
    pub api: TargetApi,
    pub cloud: CloudSink,
}

/// An agent job on the shared tool cache with the pinned Postman CLI, whose
/// CLI reaches "Postman's cloud" through `cloud_env` (a sink or an emulator).
pub fn job_with_cloud(cloud_env: Vec<(String, String)>) -> AgentJob {
    let mut job = AgentJob::new();
    job.tools_dir(shared_tools_dir())
        .input("cliVersion", PINNED_CLI_VERSION);
    for (k, v) in cloud_env {
        job.agent_env(&k, v);
    }
    job
}

impl Scenario {
    /// A job whose `baseUrl` points at a fresh target API.
    pub fn new() -> Scenario {
        let api = TargetApi::start();
        let cloud = CloudSink::start();
        let mut job = job_with_cloud(cloud.cli_env());
        job.input("envVars", format!("baseUrl={}", api.base_url()));
        Scenario { job, api, cloud }
    }

    /// Copies a fixture into the job's sources under `tests/`.
    pub fn fixture(&self, name: &str) -> &Self {
        let text = fs::read_to_string(fixtures_dir().join(name)).expect("read fixture");
        self.job.write_source(&format!("tests/{name}"), &text);
        self
    }

    pub fn run(&self) -> TaskRun {
        let run = self.job.run();
        assert_eq!(
            run.exit_code,
            Some(0),
            "the binary must exit 0 unless it crashed\n{run}"
        );
        run.assert_one_complete();
        assert!(
            run.command_errors().is_empty(),
            "{:?}\n{run}",
            run.command_errors()
        );
        run
    }

    /// Path prefixes to hide in snapshots.
    pub fn redactions(&self) -> Vec<(PathBuf, &'static str)> {
        vec![
            (self.job.root().to_path_buf(), "[JOB]"),
            (shared_tools_dir(), "[TOOLS]"),
        ]
    }
}

/// The JUnit file the task published for its runs (not a lint's), read
/// back.
pub fn published_junit(run: &TaskRun) -> (PathBuf, String) {
    let published: Vec<_> = run
        .published_results()
        .into_iter()
        .filter(|p| {
            !p.run_title
                .as_deref()
                .is_some_and(|t| t.ends_with(" API governance") || t.ends_with(" collection lint"))
        })
        .collect();
    assert_eq!(published.len(), 1, "exactly one results.publish\n{run}");
    assert_eq!(published[0].kind, "JUnit");
    assert_eq!(published[0].files.len(), 1);
    let path = published[0].files[0].clone();
    let xml = fs::read_to_string(&path).expect("read the published JUnit");
    (path, xml)
}

pub fn summary_text(run: &TaskRun) -> String {
    let summaries = run.summaries();
    assert_eq!(summaries.len(), 1, "one uploaded summary\n{run}");
    fs::read_to_string(&summaries[0]).expect("read the summary")
}

pub fn error_messages(run: &TaskRun) -> Vec<String> {
    run.issues(crate::support::IssueKind::Error)
        .into_iter()
        .map(|i| i.message)
        .collect()
}

/// Filters for values that change from run to run: times, ports, paths.
pub fn volatile_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r#"time="[0-9.]+""#, r#"time="[T]""#),
        (r#"timestamp="[^"]+""#, r#"timestamp="[TS]""#),
        (r"\(\d+ ms\)", "([T] ms)"),
        (r"\| \d+(\.\d+)? (ms|s) \|", "| [T] |"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"\d{8}-\d{6}-[A-Za-z0-9]+", "[STAMP]"),
        (
            r"\.postman-cli-task-[A-Za-z0-9]+",
            ".postman-cli-task-[RND]",
        ),
        (
            r"postman-cli-task \d+\.\d+\.\d+",
            "postman-cli-task [VERSION]",
        ),
        // Where the shared CLI came from depends on which job installed it
        // first (and when); the summary's unit snapshot pins that part.
        (
            r"(<sub>Postman CLI [^ ]+) from [^<]*?( · postman-cli-task)",
            "$1$2",
        ),
    ]
}

/// The pinned real Postman CLI in the shared tool cache, installed by our
/// own installer if no test has done it yet.
pub fn shared_cli() -> PathBuf {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_postman-cli-task"))
        .args(["install", "--version", crate::support::PINNED_CLI_VERSION])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("AGENT_TOOLSDIRECTORY", shared_tools_dir())
        .output()
        .expect("run postman-cli-task install");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}
