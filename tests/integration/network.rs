//! The agent's network settings reach the Postman CLI too, and the CLI can
//! come from an archive or an existing install: real collections, run end
//! to end through the agent harness.

use std::io::Write;
use std::path::PathBuf;

use crate::e2e::{Scenario, published_junit, shared_cli};
use crate::support::proxy::Proxy;
use crate::support::registry::{Registry, TestCa};
use crate::support::{PINNED_CLI_VERSION, TaskResult};

#[test]
fn collection_runs_go_through_the_agent_proxy() {
    let proxy = Proxy::start();
    proxy.resolve_to_loopback();
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    let port = s.api.base_url().rsplit(':').next().unwrap().to_owned();
    // `api.test` resolves nowhere: only the proxy can reach it.
    s.job
        .input("collection", "tests/passing.postman_collection.json")
        .input("envVars", format!("baseUrl=http://api.test:{port}"))
        .variable("agent.proxyUrl", proxy.url());
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let seen = proxy.seen();
    assert!(
        seen.contains(&format!("GET http://api.test:{port}/ok")),
        "{seen:?}"
    );
}

#[test]
fn requests_to_the_api_under_test_trust_the_agent_ca() {
    let ca = TestCa::new();
    let api = Registry::start_tls(&ca);
    let collection = r#"{"info":{"name":"TLS"},"item":[{"name":"Latest","event":[{"listen":"test","script":{"exec":["pm.test('status is 200', () => pm.response.to.have.status(200));"]}}],"request":{"method":"GET","url":"{{baseUrl}}/api/version/latest"}}]}"#;
    let run_with = |ca_pem: Option<&str>| {
        let mut s = Scenario::new();
        s.job
            .write_source("tls.postman_collection.json", collection);
        s.job
            .input("collection", "tls.postman_collection.json")
            .input("envVars", format!("baseUrl={}", api.site_url()));
        if let Some(pem) = ca_pem {
            let file = s.job.write_source("corp-ca.pem", pem);
            s.job.variable("agent.caInfo", file.display().to_string());
        }
        // Read while the job's files exist: the agent checks the summary.
        let run = s.run();
        (run.result(), run.to_string())
    };
    let (untrusted, output) = run_with(None);
    assert_eq!(untrusted, TaskResult::Failed, "{output}");
    assert!(output.contains("[errored]"), "{output}");
    let (trusted, output) = run_with(Some(&ca.ca_pem));
    assert_eq!(trusted, TaskResult::Succeeded, "{output}");
}

/// The real CLI packed as a user would for an air-gapped agent.
fn real_cli_archive() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("postman-cli-{PINNED_CLI_VERSION}.tgz"));
    if path.is_file() {
        return path;
    }
    let exe = shared_cli();
    let install_dir = exe.parent().unwrap().parent().unwrap();
    let tmp = tempfile::NamedTempFile::new_in(path.parent().unwrap()).unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        tmp.reopen().unwrap(),
        flate2::Compression::fast(),
    ));
    tar.append_dir_all("package", install_dir).unwrap();
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
    // Several tests may race to build it; a rename is atomic either way.
    tmp.persist(&path).unwrap();
    path
}

#[test]
fn an_archive_install_runs_a_real_collection() {
    let archive = real_cli_archive();
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    let tools = s.job.root().join("air-gapped-tools");
    s.job
        .tools_dir(&tools)
        .input("collection", "tests/passing.postman_collection.json")
        .input("installSource", "archive")
        .input("cliArchive", archive.display().to_string());
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_eq!(run.variables()["cliVersion"].value, PINNED_CLI_VERSION);
    assert!(
        tools
            .join("postman-cli")
            .join(PINNED_CLI_VERSION)
            .join("x64.complete")
            .is_file()
    );
    published_junit(&run);
}

#[test]
fn a_path_install_runs_a_real_collection() {
    let exe = shared_cli();
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json")
        .input("installSource", "path")
        .input("cliPath", exe.display().to_string());
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_eq!(run.variables()["cliPath"].value, exe.display().to_string());
    assert_eq!(run.variables()["cliVersion"].value, PINNED_CLI_VERSION);
}
