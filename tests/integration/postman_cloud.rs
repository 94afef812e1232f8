//! Results reported back to Postman, with the API key kept secret: the real
//! Postman CLI against the Postman-cloud emulator, run through the agent
//! harness with a service connection or a secret variable.

use std::fs;

use serde_json::{Value, json};

use crate::support::cloud::{Cloud, Fault, Route};
use crate::support::registry::TestCa;
use crate::support::{AgentJob, IssueKind, TargetApi, TaskResult, TaskRun, fixtures_dir};

use crate::support::TEST_API_KEY as KEY;
const CONNECTION: &str = "3f4b2c1d-1111-4222-8333-444455556666";
const COLLECTION_UID: &str = "12345678-0c1d2e3f-0000-4000-8000-000000000001";
const ENVIRONMENT_UID: &str = "12345678-9e8d7c6b-0000-4000-8000-0000000000e1";

struct CloudJob {
    job: AgentJob,
    api: TargetApi,
    cloud: Cloud,
}

impl CloudJob {
    fn new() -> CloudJob {
        CloudJob::with_cloud(Cloud::start())
    }

    fn with_cloud(cloud: Cloud) -> CloudJob {
        let api = TargetApi::start();
        let job = crate::e2e::job_with_cloud(cloud.cli_env());
        CloudJob { job, api, cloud }
    }

    /// The service connection the way the agent passes one.
    fn connection(&mut self) -> &mut Self {
        self.job
            .endpoint(
                CONNECTION,
                "https://api.getpostman.com",
                "Token",
                &[("apitoken", KEY)],
            )
            .input("postmanConnection", CONNECTION);
        self
    }

    /// The passing collection, carrying its collection UID (so the CLI
    /// uploads it), with `baseUrl` pointing at the target API.
    fn uploadable_collection(&mut self) -> &mut Self {
        let mut collection: Value = serde_json::from_str(
            &fs::read_to_string(fixtures_dir().join("passing.postman_collection.json")).unwrap(),
        )
        .unwrap();
        collection["info"]["_uid"] = json!(COLLECTION_UID);
        self.job
            .write_source("tests/api.postman_collection.json", &collection.to_string());
        self.job
            .input("collection", "tests/api.postman_collection.json")
            .input("envVars", format!("baseUrl={}", self.api.base_url()));
        self
    }

    fn run(&self) -> TaskRun {
        let run = self.job.run();
        assert_eq!(run.exit_code, Some(0), "{run}");
        run.assert_one_complete();
        run
    }
}

fn warnings(run: &TaskRun) -> Vec<String> {
    run.issues(IssueKind::Warning)
        .into_iter()
        .map(|i| i.message)
        .collect()
}

fn errors(run: &TaskRun) -> Vec<String> {
    run.issues(IssueKind::Error)
        .into_iter()
        .map(|i| i.message)
        .collect()
}

/// Whether the Postman CLI made a request, rather than the task.
fn from_cli(request: &crate::support::RecordedRequest) -> bool {
    request
        .header("user-agent")
        .is_some_and(|ua| ua.starts_with("Postman CLI"))
}

fn summary(run: &TaskRun) -> String {
    fs::read_to_string(&run.summaries()[0]).unwrap()
}

#[test]
fn runs_are_reported_to_the_integration_tied_to_the_build() {
    let mut c = CloudJob::new();
    c.connection().uploadable_collection();
    c.job.input("integrationId", "1234567");
    let run = c.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");

    let uploads = c.cloud.uploads();
    assert_eq!(uploads.len(), 1, "{:?}", c.cloud.requests());
    let upload = &uploads[0];
    assert!(
        upload
            .path_and_query
            .contains("integrationIdentifier=1234567-4242"),
        "{}",
        upload.path_and_query
    );
    assert_eq!(upload.header("x-api-key"), Some(KEY));
    let body: Value = serde_json::from_slice(&upload.body).unwrap();
    let run_body = &body["collectionRun"];
    assert_eq!(run_body["collection"], COLLECTION_UID);
    assert_eq!(run_body["branchSource"], "azure-pipelines");
    assert_eq!(run_body["branch"], "main");
    assert_eq!(run_body["pipelineMeta"]["id"], "4242");
    assert_eq!(run_body["pipelineMeta"]["source"], "azure-pipelines");
    let commit = c.job.environment()["BUILD_SOURCEVERSION"].clone();
    assert_eq!(run_body["pipelineMeta"]["commit"], commit.as_str());

    let url = "https://go.postman.co/workspace/ws-test/run/run-1";
    assert_eq!(run.variables()["postmanRunUrls"].value, url);
    assert!(
        summary(&run).contains(&format!("[View run]({url})")),
        "{}",
        summary(&run)
    );
    assert!(
        run.secrets().iter().any(|s| s == KEY),
        "the key is registered with the masker"
    );
}

#[test]
fn a_collection_and_an_environment_run_by_uid() {
    let mut c = CloudJob::new();
    let mut collection: Value = serde_json::from_str(
        &fs::read_to_string(fixtures_dir().join("passing.postman_collection.json")).unwrap(),
    )
    .unwrap();
    collection["info"]["name"] = json!("Cloud API");
    c.cloud.add_collection(COLLECTION_UID, collection).add_environment(
        ENVIRONMENT_UID,
        json!({"id": ENVIRONMENT_UID, "name": "Cloud staging",
               "values": [{"key": "baseUrl", "value": c.api.base_url(), "enabled": true, "type": "default"}]}),
    );
    c.job
        .secret("postmanApiKey", KEY)
        .input("apiKey", "$(postmanApiKey)")
        .input("collection", COLLECTION_UID)
        .input("environment", ENVIRONMENT_UID);
    let run = c.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_eq!(
        c.api.requests().len(),
        2,
        "the cloud collection ran against the cloud environment's baseUrl"
    );
    for path in [
        format!("/collection/{COLLECTION_UID}"),
        format!("/environment/{ENVIRONMENT_UID}"),
    ] {
        // The task itself fetches the collection's tree (to name requests
        // with their folders); the CLI fetches what it runs.
        let fetched = c.cloud.requests_to(&path);
        let by_cli: Vec<_> = fetched.iter().filter(|r| from_cli(r)).collect();
        assert_eq!(by_cli.len(), 1, "{path}: {:?}", c.cloud.requests());
        assert!(fetched.iter().all(|r| r.header("x-api-key") == Some(KEY)));
    }
    assert_eq!(c.cloud.uploads().len(), 1, "a run by UID is reported");
    let xml = fs::read_to_string(&run.published_results()[0].files[0]).unwrap();
    assert!(xml.contains(r#"<testsuite name="Cloud API""#), "{xml}");
    assert!(
        xml.contains(r#"name="Orders / Create order › "#),
        "requests of a collection run by UID are named with their folders\n{xml}"
    );
}

/// An upload that fails leaves the results published and says why.
fn upload_fails(fault: Fault, expect: &str) {
    let mut c = CloudJob::new();
    c.connection().uploadable_collection();
    c.job
        .input("integrationId", "1234567")
        .agent_env("POSTMAN_CLI_TASK_UPLOAD_GRACE", "3");
    c.cloud.fail(Route::Upload, fault);
    let run = c.run();
    assert_eq!(
        run.result(),
        TaskResult::Succeeded,
        "a failed upload is a warning by default\n{run}"
    );
    let xml = fs::read_to_string(&run.published_results()[0].files[0]).unwrap();
    assert!(
        xml.contains(r#"tests="3" skipped="0" errors="0" failures="0""#),
        "{xml}"
    );
    let warnings = warnings(&run);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("was not reported to Postman") && w.contains(expect)),
        "{warnings:#?}"
    );
    assert!(summary(&run).contains("#### Not reported to Postman"));
    assert!(!run.variables().contains_key("postmanRunUrls"));
}

#[test]
fn an_upload_answered_401_is_a_warning() {
    upload_fails(
        Fault::Status(401),
        "Authorization error occurred while uploading",
    );
}

#[test]
fn an_upload_answered_403_is_a_warning() {
    upload_fails(
        Fault::Status(403),
        "Forbidden error occurred while uploading",
    );
}

#[test]
fn an_upload_answered_500_is_a_warning() {
    upload_fails(Fault::Status(500), "Error occurred while uploading");
}

#[test]
fn an_upload_answered_with_something_else_than_json_is_a_warning() {
    upload_fails(Fault::NotJson, "not JSON");
}

#[test]
fn an_upload_that_never_answers_is_cut_short_and_the_results_kept() {
    upload_fails(Fault::Hang, "did not answer the upload within 3 s");
}

#[test]
fn fail_on_upload_error_makes_it_an_error() {
    let mut c = CloudJob::new();
    c.connection().uploadable_collection();
    c.job
        .input("integrationId", "1234567")
        .input("failOnUploadError", "true");
    c.cloud.fail(Route::Upload, Fault::Status(500));
    let run = c.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    assert!(
        errors(&run)
            .iter()
            .any(|e| e.contains("was not reported to Postman")),
        "{run}"
    );
    assert_eq!(
        run.published_results().len(),
        1,
        "the results are still published"
    );
}

/// The CLI's environment and command line, read from /proc while it runs.
#[cfg(target_os = "linux")]
fn cli_process(marker: &str) -> Option<(String, String)> {
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
        if cmdline.contains("collection\0run\0") && cmdline.contains(marker) {
            let environ = fs::read(entry.path().join("environ")).ok()?;
            return Some((cmdline, String::from_utf8_lossy(&environ).into_owned()));
        }
    }
    None
}

#[cfg(target_os = "linux")]
#[test]
fn the_key_appears_nowhere_it_should_not() {
    let mut c = CloudJob::new();
    c.connection().uploadable_collection();
    let slow = fs::read_to_string(fixtures_dir().join("slow.postman_collection.json")).unwrap();
    c.job
        .write_source("tests/slow.postman_collection.json", &slow);
    c.job
        .input(
            "collection",
            "tests/api.postman_collection.json\ntests/slow.postman_collection.json",
        )
        .input(
            "envVars",
            format!("baseUrl={}\ndelayMs=3000", c.api.base_url()),
        )
        .input("integrationId", "1234567");
    let task = c.job.spawn();
    assert!(task.wait_for_output("Collection 2 of 2"));
    let marker = c.job.root().display().to_string();
    let (cmdline, environ) = loop {
        if let Some(found) = cli_process(&marker) {
            break found;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let run = task.wait();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");

    assert!(
        !cmdline.contains(KEY),
        "the key is on the CLI's command line"
    );
    assert!(
        environ
            .split('\0')
            .any(|v| v == format!("POSTMAN_API_KEY={KEY}")),
        "the CLI gets it in its environment only"
    );
    // The only line that carries it is the one asking the agent to mask it.
    for line in run.stdout.lines().chain(run.stderr.lines()) {
        if line.contains(KEY) {
            assert_eq!(line, format!("##vso[task.setsecret]{KEY}"));
        }
    }
    // No file the task or the CLI left behind holds it, and nobody logged in.
    let mut stack = vec![c.job.root().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = fs::read(&path) {
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(KEY),
                    "{} holds the key",
                    path.display()
                );
            }
        }
    }
    assert!(
        !c.job.home_dir().join(".postman").exists(),
        "no profile in the agent user's home"
    );
}

#[test]
fn key_mistakes_are_input_errors() {
    // Both ways at once.
    let mut c = CloudJob::new();
    c.connection().uploadable_collection();
    c.job.input("apiKey", KEY);
    let run = c.run();
    assert_eq!(run.result(), TaskResult::Failed);
    insta::assert_snapshot!(errors(&run).join("\n"), @"input `apiKey`: is set, and so is input `postmanConnection`. Give the key one way only: clear input `apiKey` or input `postmanConnection`.");

    // A UID needs a key.
    let mut c = CloudJob::new();
    c.job.input("collection", COLLECTION_UID);
    let run = c.run();
    assert_eq!(run.result(), TaskResult::Failed);
    insta::assert_snapshot!(errors(&run).join("\n"), @"input `postmanConnection`: no Postman API key is given, but collection `12345678-0c1d2e3f-0000-4000-8000-000000000001` is a Postman UID, which the Postman CLI fetches with a key. Choose a Postman API service connection in postmanConnection, or set apiKey from a secret variable.");

    // An integration needs a key too.
    let mut c = CloudJob::new();
    c.uploadable_collection();
    c.job.input("integrationId", "1234567");
    let run = c.run();
    assert!(
        errors(&run)
            .iter()
            .any(|e| e.contains("integrationId asks for the runs to be reported")),
        "{run}"
    );

    // A connection that gives no key.
    let mut c = CloudJob::new();
    c.uploadable_collection();
    c.job
        .endpoint(CONNECTION, "https://api.getpostman.com", "Token", &[])
        .input("postmanConnection", CONNECTION);
    let run = c.run();
    assert!(
        errors(&run)
            .iter()
            .any(|e| e.contains("gave the task no API key")),
        "{run}"
    );
}

#[test]
fn settings_that_would_silently_do_nothing_are_warned_about() {
    let mut c = CloudJob::new();
    c.connection();
    let passing =
        fs::read_to_string(fixtures_dir().join("passing.postman_collection.json")).unwrap();
    c.job
        .write_source("tests/local.postman_collection.json", &passing);
    c.job
        .write_source(".postmanrc", r#"{"run": {"bail": true}}"#);
    c.job
        .input("collection", "tests/local.postman_collection.json")
        .input("envVars", format!("baseUrl={}", c.api.base_url()))
        .input("integrationId", "1234567")
        .input("region", "eu");
    let run = c.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let sources = c.job.sources_dir().display().to_string();
    let warnings: Vec<String> = warnings(&run)
        .into_iter()
        .map(|w| w.replace(&sources, "[SOURCES]"))
        .collect();
    insta::assert_snapshot!(warnings.join("\n"));
    assert!(c.cloud.uploads().is_empty());
}

#[test]
fn a_run_over_its_time_limit_is_stopped() {
    let mut c = CloudJob::new();
    let slow = fs::read_to_string(fixtures_dir().join("slow.postman_collection.json")).unwrap();
    c.job
        .write_source("tests/slow.postman_collection.json", &slow);
    c.job
        .input("collection", "tests/slow.postman_collection.json")
        .input(
            "envVars",
            format!("baseUrl={}\ndelayMs=60000", c.api.base_url()),
        )
        .input("timeoutMinutes", "0.05");
    let run = c.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    assert!(
        errors(&run)
            .iter()
            .any(|e| e.contains("did not finish within 3 s (timeoutMinutes)")),
        "{:#?}",
        errors(&run)
    );
    assert_eq!(
        run.published_results().len(),
        1,
        "the run that did not finish is in the results"
    );
}

#[test]
fn cloud_calls_trust_the_agent_ca() {
    let ca = TestCa::new();
    let run_with = |trust: bool| {
        let mut c = CloudJob::with_cloud(Cloud::start_tls(&ca));
        let collection: Value = serde_json::from_str(
            &fs::read_to_string(fixtures_dir().join("passing.postman_collection.json")).unwrap(),
        )
        .unwrap();
        c.cloud.add_collection(COLLECTION_UID, collection);
        c.job
            .secret("postmanApiKey", KEY)
            .input("apiKey", "$(postmanApiKey)")
            .input("collection", COLLECTION_UID)
            .input("envVars", format!("baseUrl={}", c.api.base_url()));
        if trust {
            let file = c.job.write_source("corp-ca.pem", &ca.ca_pem);
            c.job.variable("agent.caInfo", file.display().to_string());
        }
        // The result is read while the job's files still exist (the agent
        // checks that an uploaded summary is there).
        let run = c.run();
        (
            run.result(),
            run.to_string(),
            c.cloud
                .requests_to("/collection/")
                .iter()
                .filter(|r| from_cli(r))
                .count(),
        )
    };
    let (untrusted, output, fetches) = run_with(false);
    assert_eq!(untrusted, TaskResult::Failed, "{output}");
    assert_eq!(fetches, 0, "the CLI refused the untrusted certificate");
    let (trusted, output, fetches) = run_with(true);
    assert_eq!(trusted, TaskResult::Succeeded, "{output}");
    assert_eq!(fetches, 1);
}
