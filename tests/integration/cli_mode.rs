//! `postman-cli-task run` on a laptop: the same work as the task, a report
//! for a person, and exit codes that tell "tests failed" from "we failed".

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{CloudSink, PINNED_CLI_VERSION, TargetApi, fixtures_dir, shared_tools_dir};

struct Laptop {
    dir: tempfile::TempDir,
    api: TargetApi,
    cloud: CloudSink,
}

impl Laptop {
    fn new() -> Laptop {
        Laptop {
            dir: tempfile::tempdir().unwrap(),
            api: TargetApi::start(),
            cloud: CloudSink::start(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs the binary in the temp folder with a clean environment: no
    /// agent variables, no CI, the shared tool cache.
    fn run(&self, args: &[&str]) -> Output {
        let home = self.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_postman-cli-task"));
        cmd.args(args)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("AGENT_TOOLSDIRECTORY", shared_tools_dir());
        for (k, v) in self.cloud.cli_env() {
            cmd.env(k, v);
        }
        cmd.output().expect("run postman-cli-task")
    }

    fn base_url_arg(&self) -> String {
        format!("baseUrl={}", self.api.base_url())
    }
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn fixture(name: &str) -> String {
    fixtures_dir().join(name).display().to_string()
}

#[test]
fn passing_collections_exit_0_with_a_report_for_people() {
    let l = Laptop::new();
    let base = l.base_url_arg();
    let out = l.run(&[
        "run",
        &fixture("passing.postman_collection.json"),
        "--env-var",
        &base,
        "--cli-version",
        PINNED_CLI_VERSION,
    ]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("PASS Passing API  2 requests, 3 tests, 0 failed"),
        "{shown}"
    );
    assert!(
        shown.contains("3 tests passed in 1 collection run."),
        "{shown}"
    );
    assert!(
        !shown.contains("##vso["),
        "no logging commands outside a pipeline: {shown}"
    );
    let reports: Vec<_> = std::fs::read_dir(l.path().join("postman-cli-task-reports"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(reports.len(), 1);
    assert!(reports[0].path().join("postman-junit.xml").is_file());
    assert!(reports[0].path().join("Postman.md").is_file());
}

#[test]
fn failing_tests_exit_1_and_list_the_failures() {
    let l = Laptop::new();
    let base = l.base_url_arg();
    let out = l.run(&[
        "run",
        &fixture("failing.postman_collection.json"),
        "--env-var",
        &base,
        "--cli-version",
        PINNED_CLI_VERSION,
        "--report-dir",
        "out",
    ]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("✗ Orders / List orders › status is 200: expected response to have status code 200 but got 500"),
        "{shown}"
    );
    assert!(shown.contains("4 of 6 tests failed."), "{shown}");
    assert!(l.path().join("out").is_dir());
}

#[test]
fn bad_flags_exit_2_and_name_the_flag() {
    let l = Laptop::new();
    let out = l.run(&[
        "run",
        "missing.json",
        "--iteration-count",
        "0",
        "--",
        "-r",
        "html",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stderr), @r"
    error: `--iteration-count`: `0` is less than 1. Set it to a whole number from 1 to 2147483647, or leave it empty to run once (or once per row of the iteration data).
    error: `-- <ARGS>`: contains `-r`, which the task sets itself. Remove it: the task chooses the reporters and report paths so it can publish results. Its JUnit and summary files are in the output variables junitFile and summaryFile.
    ");
}

#[test]
fn a_dry_run_prints_the_command_lines_and_installs_nothing() {
    let l = Laptop::new();
    std::fs::copy(
        fixtures_dir().join("passing.postman_collection.json"),
        l.path().join("api.json"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_postman-cli-task"))
        .args([
            "run",
            "api.json",
            "-n",
            "2",
            "--folder",
            "Orders",
            "--dry-run",
            "--",
            "--verbose",
        ])
        .current_dir(l.path())
        .env_clear()
        .env("AGENT_TOOLSDIRECTORY", l.path().join("empty-cache"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout =
        String::from_utf8_lossy(&out.stdout).replace(&l.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!(stdout, @r"
    Postman CLI: latest, published at least 3d ago (@postman/pm-bin-linux-x64, or Postman's download site if npm has none)
    Run 1: Passing API
      postman collection run [DIR]/api.json -n 2 -i Orders --working-dir [DIR] --reporters cli,json,html --reporter-cli-no-failures --reporter-json-export '<private>/run-01/report.json' --reporter-html-export '<private>/run-01/report.html' --no-report-events --verbose
    ");
    assert!(!l.path().join("empty-cache").exists());
}

#[test]
fn install_prints_where_the_cli_is() {
    let l = Laptop::new();
    let out = l.run(&["install", "--version", PINNED_CLI_VERSION]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(Path::new(&path).is_file(), "{path}");
    assert!(
        path.starts_with(&shared_tools_dir().display().to_string()),
        "{path}"
    );
    let version = Command::new(&path)
        .arg("--version")
        .env("HOME", l.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        PINNED_CLI_VERSION
    );
}

#[test]
fn help_lists_the_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_postman-cli-task"))
        .arg("--help")
        .output()
        .unwrap();
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
