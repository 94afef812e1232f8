//! How many times the task starts the Postman CLI in one step (issue 21):
//! once per collection run and once per lint, never to ask it something
//! (`--help`, `--version`). Each start costs seconds of a packaged Node.js
//! program's start-up.
//!
//! The task runs a `postman` wrapper (`installSource: path`) that logs its
//! arguments and then execs the real CLI from the shared tool cache. The
//! wrapper sits in a copy of the CLI's package layout (`package.json`,
//! `bin/lib/commands/{collection,api}/index.js`), so the task reads the
//! same files it reads beside an installed CLI.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::e2e::shared_cli;
use crate::support::cloud::Cloud;
use crate::support::{AgentJob, TEST_API_KEY, TargetApi, TaskResult, fixtures_dir};

const HEALTH: &str = "$kind: http-request\nid: health\nurl: \"{{baseUrl}}/ok\"\nmethod: GET\nscripts:\n  - type: afterResponse\n    code: pm.test('is up', () => pm.response.to.have.status(200));\n    language: text/javascript\n";

/// A wrapper for `real` in `dir`, in the layout of an npm install; returns
/// the wrapper and the log it appends each start's arguments to.
fn wrapper(dir: &Path, real: &Path) -> (PathBuf, PathBuf) {
    let package = real.parent().unwrap().parent().unwrap();
    let bin = dir.join("bin");
    for command in ["collection", "api"] {
        let rel = format!("lib/commands/{command}/index.js");
        fs::create_dir_all(bin.join(&rel).parent().unwrap()).unwrap();
        fs::copy(real.parent().unwrap().join(&rel), bin.join(&rel)).unwrap();
    }
    fs::copy(package.join("package.json"), dir.join("package.json")).unwrap();
    let log = dir.join("starts.log");
    let exe = bin.join("postman");
    fs::write(
        &exe,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
    }
    (exe, log)
}

#[cfg(unix)]
#[test]
fn one_start_per_collection_run_and_per_lint_and_no_probes() {
    let real = shared_cli();
    let dir = tempfile::tempdir().unwrap();
    let (exe, log) = wrapper(dir.path(), &real);

    let api = TargetApi::start();
    let cloud = Cloud::start();
    let ruleset: Value = serde_json::from_str(
        &fs::read_to_string(fixtures_dir().join("lint/ruleset.json")).unwrap(),
    )
    .unwrap();
    cloud.set_ruleset(ruleset);
    let mut job: AgentJob = crate::e2e::job_with_cloud(cloud.cli_env());
    job.write_source(
        "tests/passing.postman_collection.json",
        &fs::read_to_string(fixtures_dir().join("passing.postman_collection.json")).unwrap(),
    );
    job.write_source(
        "postman/collections/Shop/.resources/definition.yaml",
        "$kind: collection\nname: Shop\n",
    );
    job.write_source("postman/collections/Shop/Health.request.yaml", HEALTH);
    job.write_source(
        "api/clean.yaml",
        &fs::read_to_string(fixtures_dir().join("lint/clean.yaml")).unwrap(),
    );
    job.secret("postmanApiKey", TEST_API_KEY)
        .input("apiKey", "$(postmanApiKey)")
        .input(
            "collection",
            "tests/passing.postman_collection.json\npostman/collections/Shop",
        )
        .input("envVars", format!("baseUrl={}", api.base_url()))
        .input("apiLint", "true")
        .input("apiDefinition", "api/clean.yaml")
        .input("installSource", "path")
        .input("cliPath", exe.display().to_string());

    let run = job.run();
    assert_eq!(run.exit_code, Some(0), "{run}");
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");

    let starts = fs::read_to_string(&log).unwrap();
    let starts: Vec<&str> = starts.lines().collect();
    let count = |prefix: &str| starts.iter().filter(|s| s.starts_with(prefix)).count();
    assert_eq!(count("collection run "), 2, "{starts:#?}");
    assert_eq!(count("collection lint "), 1, "{starts:#?}");
    assert_eq!(count("api lint "), 1, "{starts:#?}");
    assert_eq!(starts.len(), 4, "nothing else starts the CLI: {starts:#?}");
    assert!(
        !starts
            .iter()
            .any(|s| s.contains("--help") || s.contains("--version")),
        "{starts:#?}"
    );
    // The option the task read in the CLI's files, given to both runs.
    assert_eq!(
        starts
            .iter()
            .filter(|s| s.contains("--no-report-events"))
            .count(),
        2,
        "{starts:#?}"
    );
}

/// A CLI whose files say it knows `--no-report-events` but which refuses
/// it, as commander does: the run fails, and says why, rather than showing
/// a help text or passing.
#[cfg(unix)]
#[test]
fn an_option_the_cli_refuses_after_all_fails_the_run_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    fs::create_dir_all(bin.join("lib/commands/collection")).unwrap();
    fs::write(
        bin.join("lib/commands/collection/index.js"),
        ".option('--no-report-events', 'Do not send analytics to Postman')",
    )
    .unwrap();
    fs::write(
        dir.path().join("package.json"),
        format!(
            r#"{{"name":"@postman/pm-bin-linux-x64","version":"{}"}}"#,
            crate::support::PINNED_CLI_VERSION
        ),
    )
    .unwrap();
    let exe = bin.join("postman");
    fs::write(
        &exe,
        "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = --no-report-events ] && { echo \"error: unknown option '--no-report-events'\" >&2; exit 1; }; done\nexit 0\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut job = AgentJob::new();
    job.tools_dir(crate::support::shared_tools_dir())
        .input("cliVersion", crate::support::PINNED_CLI_VERSION);
    job.write_source(
        "tests/passing.postman_collection.json",
        &fs::read_to_string(fixtures_dir().join("passing.postman_collection.json")).unwrap(),
    );
    job.input("collection", "tests/passing.postman_collection.json")
        .input("installSource", "path")
        .input("cliPath", exe.display().to_string());
    let run = job.run();
    assert_eq!(run.exit_code, Some(0), "{run}");
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let text = run.to_string();
    assert!(
        text.contains("refused `--no-report-events`, which its command definitions in"),
        "{text}"
    );
}
