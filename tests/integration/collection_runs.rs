//! The backbone end to end: the task, started as the agent starts it,
//! installs the real Postman CLI, runs collections against a local API, and
//! publishes what happened.

use std::fs;

use crate::e2e::{Scenario, error_messages, published_junit, summary_text, volatile_filters};
use crate::support::{PINNED_CLI_VERSION, TaskResult, shared_tools_dir};

#[test]
fn a_passing_collection_succeeds_and_publishes_everything() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json");
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert!(error_messages(&run).is_empty(), "{run}");
    let (junit_path, xml) = published_junit(&run);
    let published = &run.published_results()[0];
    assert_eq!(published.run_title.as_deref(), Some("Postman"));
    for case in [
        "Health › status is 200",
        "Health › says ok",
        "Orders / Create order › echoes the body",
    ] {
        assert!(
            xml.contains(&format!("name=\"{case}\"")),
            "{case} missing from\n{xml}"
        );
    }
    assert!(
        xml.contains(
            r#"<testsuite name="Passing API" tests="3" skipped="0" errors="0" failures="0""#
        ),
        "{xml}"
    );

    let vars = run.variables();
    let var = |name: &str| vars.get(name).map(|v| v.value.clone()).unwrap_or_default();
    assert_eq!(var("testsTotal"), "3");
    assert_eq!(var("testsPassed"), "3");
    assert_eq!(var("testsFailed"), "0");
    assert_eq!(var("cliVersion"), PINNED_CLI_VERSION);
    assert_eq!(var("junitFile"), junit_path.display().to_string());
    assert!(vars["testsTotal"].is_output);
    assert!(std::path::Path::new(&var("cliPath")).is_file());
    assert_eq!(var("summaryFile"), run.summaries()[0].display().to_string());

    let summary = summary_text(&run);
    assert!(
        summary.starts_with("### ✅ Postman: 3 tests passed in 1 collection run."),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("Postman CLI {PINNED_CLI_VERSION}")),
        "{summary}"
    );
    assert_eq!(
        s.api.requests().len(),
        2,
        "the collection's two requests reached the API"
    );
    assert!(
        s.cloud
            .requests()
            .iter()
            .all(|r| r.header("x-api-key").is_none()),
        "no key was configured, so none may be sent"
    );
}

#[test]
fn failures_errors_and_their_messages_reach_the_tests_tab() {
    let mut s = Scenario::new();
    s.fixture("failing.postman_collection.json");
    s.job
        .input("collection", "tests/failing.postman_collection.json")
        .input("testRunTitle", "API tests");
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let (_, xml) = published_junit(&run);
    assert_eq!(
        run.published_results()[0].run_title.as_deref(),
        Some("API tests")
    );
    let vars = run.variables();
    assert_eq!(vars["testsFailed"].value, "4", "{run}");
    assert_eq!(vars["testsTotal"].value, "6", "{run}");

    let summary = summary_text(&run);
    insta::with_settings!({ filters => volatile_filters() }, {
        insta::assert_snapshot!("failing_junit", xml);
        insta::assert_snapshot!("failing_summary", summary);
        let redactions = s.redactions();
        let redactions: Vec<_> = redactions.iter().map(|(p, l)| (p.as_path(), *l)).collect();
        insta::assert_snapshot!("failing_command_stream", run.command_stream(&redactions));
    });
    assert!(run.summaries()[0].ends_with("API tests.md"));
}

#[test]
fn failing_tests_only_warn_when_told_to() {
    let mut s = Scenario::new();
    s.fixture("failing.postman_collection.json");
    s.job
        .input("collection", "tests/failing.postman_collection.json")
        .input("failOnTestFailure", "false");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::SucceededWithIssues, "{run}");
    assert_eq!(run.published_results().len(), 1);
}

#[test]
fn collections_from_a_glob_run_apart_and_publish_together() {
    let mut s = Scenario::new();
    s.fixture("glob/alpha.postman_collection.json")
        .fixture("glob/beta.postman_collection.json");
    s.job
        .input("collection", "tests/glob/*.postman_collection.json");
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let (_, xml) = published_junit(&run);
    assert!(
        xml.contains(r#"<testsuite name="Alpha""#) && xml.contains(r#"<testsuite name="Beta""#),
        "{xml}"
    );
    // Each run wrote its reports into a folder of its own.
    let exports: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("##[command]"))
        .filter_map(|l| l.split("--reporter-json-export ").nth(1))
        .filter_map(|rest| rest.split(' ').next())
        .collect();
    assert_eq!(exports.len(), 2, "{run}");
    assert_ne!(exports[0], exports[1]);
    assert!(
        run.stdout.contains("Collection 1 of 2: Alpha")
            && run.stdout.contains("Collection 2 of 2: Beta")
    );
    assert_eq!(run.variables()["testsTotal"].value, "2");
}

#[test]
fn iteration_data_drives_iterations_and_each_keeps_its_failures() {
    let mut s = Scenario::new();
    s.fixture("iterations.postman_collection.json")
        .fixture("rows.csv");
    s.job
        .input("collection", "tests/iterations.postman_collection.json")
        .input("iterationData", "tests/rows.csv");
    let run = s.run();

    // Three rows, three iterations (no `-n` was sent); the second fails.
    let (_, xml) = published_junit(&run);
    for i in 1..=3 {
        assert!(
            xml.contains(&format!("Row › row status (iteration {i})")),
            "{xml}"
        );
    }
    assert_eq!(run.variables()["testsFailed"].value, "1", "{run}");
    assert!(
        !run.stdout.contains(" -n "),
        "iterationCount is never sent unless set"
    );
}

#[test]
fn a_second_run_of_the_same_version_downloads_nothing() {
    // Make sure the pinned version is in the shared cache.
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json");
    let first = s.run();
    assert_eq!(first.result(), TaskResult::Succeeded, "{first}");

    // A registry that cannot be reached proves no network is touched.
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json")
        .input("npmRegistry", "http://127.0.0.1:1/");
    let second = s.run();
    assert_eq!(second.result(), TaskResult::Succeeded, "{second}");
    assert!(
        second.stdout.contains("found in the tool cache"),
        "{second}"
    );
    assert!(!second.stdout.contains("Downloading"), "{second}");
    let marker = shared_tools_dir()
        .join("postman-cli")
        .join(PINNED_CLI_VERSION)
        .join("x64.complete");
    assert!(marker.is_file(), "the cache follows the tool-lib layout");
}

#[test]
fn child_output_never_becomes_an_agent_command() {
    let mut s = Scenario::new();
    s.fixture("inject.postman_collection.json");
    s.job
        .input("collection", "tests/inject.postman_collection.json");
    let run = s.run();

    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert!(!run.variables().contains_key("pwned"), "{run}");
    assert!(run.malformed().is_empty(), "{:?}", run.malformed());
    // The body, the script's console output and the hostile names were all
    // printed, defused.
    // (The CLI wraps long console lines, so the body shows in pieces.)
    assert!(
        run.stdout
            .contains("'{\"log\":\"##_[error]spoof\",\"note\":\"##_vso[task.setvariabl"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("##_vso[task.setvariable variable=pwned]from-script"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("##_vso[task.complete result=Failed;]from-script"),
        "{run}"
    );
    // The published names keep their text but cannot be commands either.
    let (_, xml) = published_junit(&run);
    assert!(xml.contains("test-name"), "{xml}");
}

/// The real CLI's environment and command line, read from /proc while it
/// runs: no secret-bearing variable and no secret value reach it.
#[cfg(target_os = "linux")]
#[test]
fn the_cli_sees_no_secrets_in_its_environment_or_command_line() {
    const SECRET: &str = "hunter2-very-secret-value";
    let mut s = Scenario::new();
    s.fixture("slow.postman_collection.json");
    s.job
        .secret("apiToken", SECRET)
        .input("collection", "tests/slow.postman_collection.json")
        .input(
            "envVars",
            format!(
                "baseUrl={}\ndelayMs=4000\ntoken=$(apiToken)",
                s.api.base_url()
            ),
        )
        .input("globalVars", "alsoSecret=$(apiToken)");

    let task = s.job.spawn();
    assert!(
        task.wait_for_output("Collection 1 of 1"),
        "the run never started"
    );
    let marker = s.job.root().display().to_string();
    let (cmdline, environ) = loop {
        if let Some(found) = find_cli_process(&marker) {
            break found;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let run = task.wait();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");

    assert!(cmdline.contains("collection\0run\0"), "{cmdline:?}");
    assert!(
        !cmdline.contains(SECRET),
        "the secret is on the CLI's command line: {cmdline:?}"
    );
    assert!(
        !environ.contains(SECRET),
        "the secret is in the CLI's environment"
    );
    for var in environ.split('\0') {
        let name = var
            .split('=')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        for prefix in [
            "INPUT_",
            "ENDPOINT_AUTH_",
            "SECRET_",
            "SECUREFILE_TICKET_",
            "VSTS_TASKVARIABLE_",
        ] {
            assert!(!name.starts_with(prefix), "the CLI inherited {name}");
        }
        assert_ne!(name, "VSTS_SECRET_VARIABLES");
    }
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "{run}"
    );
    // Nothing the task left behind holds the secret.
    assert_no_file_contains(s.job.root(), SECRET);
}

#[cfg(target_os = "linux")]
fn find_cli_process(marker: &str) -> Option<(String, String)> {
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let dir = entry.path();
        let Ok(cmdline) = fs::read(dir.join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
        if cmdline.contains("collection\0run\0") && cmdline.contains(marker) {
            let environ = fs::read(dir.join("environ")).ok()?;
            return Some((cmdline, String::from_utf8_lossy(&environ).into_owned()));
        }
    }
    None
}

fn assert_no_file_contains(root: &std::path::Path, needle: &str) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                // Node's own task copy and the binary are not ours to scan.
                if !path.ends_with("_tasks") {
                    stack.push(path);
                }
            } else if let Ok(bytes) = fs::read(&path) {
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(needle),
                    "{} holds the secret",
                    path.display()
                );
            }
        }
    }
}

/// The agent cancels with SIGINT to node: the launcher passes it on, the
/// running CLI is stopped, and what finished is published.
#[cfg(unix)]
#[test]
fn cancelling_publishes_what_finished_and_leaves_no_cli_behind() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json")
        .fixture("slow.postman_collection.json");
    s.job
        .input(
            "collection",
            "tests/passing.postman_collection.json\ntests/slow.postman_collection.json",
        )
        .input(
            "envVars",
            format!("baseUrl={}\ndelayMs=60000", s.api.base_url()),
        );
    let task = s.job.spawn();
    assert!(
        task.wait_for_output("Collection 2 of 2"),
        "the second run never started"
    );
    #[cfg(target_os = "linux")]
    let marker = s.job.root().display().to_string();
    #[cfg(target_os = "linux")]
    while find_cli_process(&marker).is_none() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    task.signal("INT");
    let run = task.wait();

    assert_eq!(run.exit_code, Some(0), "{run}");
    run.assert_one_complete();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let (_, xml) = published_junit(&run);
    assert!(
        xml.contains(
            r#"<testsuite name="Passing API" tests="3" skipped="0" errors="0" failures="0""#
        ),
        "{xml}"
    );
    assert!(
        xml.contains(r#"type="Aborted""#) && xml.contains("Slow API › collection run"),
        "{xml}"
    );
    assert!(summary_text(&run).contains("the run was cut short"));
    #[cfg(target_os = "linux")]
    assert!(
        find_cli_process(&marker).is_none(),
        "the Postman CLI outlived the task"
    );
}
