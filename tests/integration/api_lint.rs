//! API governance and security lint in the same step: the real Postman CLI
//! against the Postman-cloud emulator's rulesets, through the agent harness.

use std::fs;

use serde_json::{Value, json};

use crate::e2e::volatile_filters;
use crate::support::cloud::{Cloud, Fault, Route};
use crate::support::{AgentJob, IssueKind, TargetApi, TaskResult, TaskRun, fixtures_dir};

use crate::support::TEST_API_KEY as KEY;
const API_ID: &str = "0f1e2d3c-4b5a-4678-9abc-def012345678";

struct LintJob {
    job: AgentJob,
    cloud: Cloud,
    _api: TargetApi,
}

impl LintJob {
    /// A job with a passing collection (collections and lint share the
    /// step), the key as a secret variable, and the test ruleset.
    fn new() -> LintJob {
        let api = TargetApi::start();
        let cloud = Cloud::start();
        let ruleset: Value = serde_json::from_str(
            &fs::read_to_string(fixtures_dir().join("lint/ruleset.json")).unwrap(),
        )
        .unwrap();
        cloud.set_ruleset(ruleset);
        let mut job = crate::e2e::job_with_cloud(cloud.cli_env());
        job.write_source(
            "tests/passing.postman_collection.json",
            &fs::read_to_string(fixtures_dir().join("passing.postman_collection.json")).unwrap(),
        );
        for name in ["openapi.yaml", "clean.yaml", "malformed.yaml"] {
            job.write_source(
                &format!("api/{name}"),
                &fs::read_to_string(fixtures_dir().join("lint").join(name)).unwrap(),
            );
        }
        job.secret("postmanApiKey", KEY)
            .input("apiKey", "$(postmanApiKey)")
            .input("collection", "tests/passing.postman_collection.json")
            .input("envVars", format!("baseUrl={}", api.base_url()))
            .input("apiLint", "true");
        LintJob {
            job,
            cloud,
            _api: api,
        }
    }

    fn run(&self) -> TaskRun {
        let run = self.job.run();
        assert_eq!(run.exit_code, Some(0), "{run}");
        run.assert_one_complete();
        run
    }
}

/// The lint's own published JUnit.
fn lint_junit(run: &TaskRun) -> String {
    let published = run.published_results();
    let lint: Vec<_> = published
        .iter()
        .filter(|p| {
            p.run_title
                .as_deref()
                .is_some_and(|t| t.ends_with("API governance"))
        })
        .collect();
    assert_eq!(lint.len(), 1, "{published:?}");
    fs::read_to_string(&lint[0].files[0]).unwrap()
}

/// Returns the job too: its files (the published reports) live as long as it.
fn lint_with_severity(severity: &str, failing: usize) -> (TaskRun, LintJob) {
    let mut l = LintJob::new();
    l.job
        .input("apiDefinition", "api/openapi.yaml")
        .input("lintFailSeverity", severity);
    let run = l.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    assert_eq!(
        run.published_results().len(),
        2,
        "collections and lint each publish a test run"
    );
    let xml = lint_junit(&run);
    assert!(xml.contains(&format!(r#"<testsuites name="Postman API governance" tests="3" skipped="0" failures="{failing}""#)), "{xml}");
    // Inline: each finding on its line of the definition, as an error at or
    // above the fail severity and a warning below it.
    let definition = l
        .job
        .sources_dir()
        .join("api/openapi.yaml")
        .display()
        .to_string();
    let located = |kind| {
        run.issues(kind)
            .into_iter()
            .filter(|i| i.sourcepath.as_deref() == Some(definition.as_str()))
            .count()
    };
    assert_eq!(located(IssueKind::Error), failing, "{run}");
    assert_eq!(located(IssueKind::Warning), 3 - failing, "{run}");
    assert_eq!(run.variables()["lintViolations"].value, "3");
    (run, l)
}

#[test]
fn an_error_and_a_warning_at_fail_severity_error() {
    let (run, _job) = lint_with_severity("error", 2);
    let issues: Vec<String> = run
        .issues(IssueKind::Error)
        .into_iter()
        .chain(run.issues(IssueKind::Warning))
        .filter(|i| i.sourcepath.is_some())
        .map(|i| {
            format!(
                "{}:{}:{} {}",
                i.sourcepath.unwrap().rsplit('/').next().unwrap(),
                i.linenumber.unwrap(),
                i.columnnumber.unwrap(),
                i.message
            )
        })
        .collect();
    insta::assert_snapshot!("inline_issues", issues.join("\n"));
    insta::with_settings!({ filters => volatile_filters() }, {
        insta::assert_snapshot!("lint_junit", lint_junit(&run));
        let summary = fs::read_to_string(&run.summaries()[0]).unwrap();
        let section = summary[summary.find("#### ❌ API governance").unwrap()..].to_owned();
        insta::assert_snapshot!("lint_summary", section);
    });
}

#[test]
fn an_error_and_a_warning_at_fail_severity_warn() {
    lint_with_severity("warn", 3);
}

#[test]
fn an_error_and_a_warning_at_fail_severity_info() {
    lint_with_severity("info", 3);
}

#[test]
fn an_error_and_a_warning_at_fail_severity_hint() {
    lint_with_severity("hint", 3);
}

#[test]
fn findings_only_warn_when_told_to() {
    let mut l = LintJob::new();
    l.job
        .input("apiDefinition", "api/openapi.yaml")
        .input("failOnTestFailure", "false");
    let run = l.run();
    assert_eq!(run.result(), TaskResult::SucceededWithIssues, "{run}");
}

#[test]
fn a_clean_definition_passes() {
    let mut l = LintJob::new();
    l.job.input("apiDefinition", "api/clean.yaml");
    let run = l.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let xml = lint_junit(&run);
    assert!(
        xml.contains("no issues found") && xml.contains(r#"failures="0""#),
        "{xml}"
    );
    assert_eq!(run.variables()["lintViolations"].value, "0");
}

#[test]
fn an_api_id_is_linted_and_reported_with_the_integration_and_build() {
    let mut l = LintJob::new();
    let spec = fs::read_to_string(fixtures_dir().join("lint/openapi.yaml")).unwrap();
    l.cloud.add_api(
        API_ID,
        json!({"data": {"name": "Orders API", "versions": [{"id": "v1", "schemas": [{"type": "openapi3", "language": "yaml", "content": spec}]}]}}),
    );
    l.job
        .input("apiId", API_ID)
        .input("integrationId", "1234567");
    let run = l.run();
    assert_eq!(
        run.result(),
        TaskResult::Failed,
        "two ERROR findings\n{run}"
    );
    let reports = l.cloud.requests_to("/governance/ci/builds");
    assert_eq!(reports.len(), 1, "{:?}", l.cloud.requests());
    let body: Value = serde_json::from_slice(&reports[0].body).unwrap();
    assert_eq!(
        body["integrationId"], "1234567",
        "the lint report names the bare integration; the build rides along"
    );
    assert_eq!(body["build"]["id"], "4242");
    assert_eq!(body["build"]["source"], "azure-pipelines");
    assert_eq!(body["apis"][0]["id"], API_ID);
    assert_eq!(body["apis"][0]["warnings"].as_array().unwrap().len(), 3);
    assert_eq!(reports[0].header("x-api-key"), Some(KEY));
    let summary = fs::read_to_string(&run.summaries()[0]).unwrap();
    assert!(
        summary.contains("#### ❌ API governance: Orders API"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "[view the build's findings](https://go.postman.co/governance/report/build-1)"
        ),
        "{summary}"
    );
    assert!(lint_junit(&run).contains(r#"<testsuite name="Orders API""#));
}

#[test]
fn a_lint_report_postman_refuses_is_a_warning() {
    let mut l = LintJob::new();
    let spec = fs::read_to_string(fixtures_dir().join("lint/clean.yaml")).unwrap();
    l.cloud
        .add_api(
            API_ID,
            json!({"data": {"name": "Orders API", "versions": [{"id": "v1", "schemas": [{"type": "openapi3", "language": "yaml", "content": spec}]}]}}),
        )
        .fail(Route::Report, Fault::Status(500));
    l.job
        .input("apiId", API_ID)
        .input("integrationId", "1234567");
    let run = l.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let warnings: Vec<String> = run
        .issues(IssueKind::Warning)
        .into_iter()
        .map(|i| i.message)
        .collect();
    assert!(
        warnings.iter().any(
            |w| w.starts_with("The API lint report was not sent to Postman") && w.contains("500")
        ),
        "{warnings:#?}"
    );
    let summary = fs::read_to_string(&run.summaries()[0]).unwrap();
    assert!(
        summary.contains("The report was not sent to Postman"),
        "{summary}"
    );
}

fn lint_cannot_run(setup: impl FnOnce(&mut LintJob), cause: &str) {
    let mut l = LintJob::new();
    l.job.input("apiDefinition", "api/openapi.yaml");
    setup(&mut l);
    let run = l.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let errors: Vec<String> = run
        .issues(IssueKind::Error)
        .into_iter()
        .map(|i| i.message)
        .collect();
    assert!(
        errors.iter().any(|e| e.starts_with("API lint of ")
            && e.contains("did not run")
            && e.contains(cause)),
        "{errors:#?}"
    );
    // The collections' results are not lost.
    let collections = &run.published_results()[0];
    assert_eq!(collections.run_title.as_deref(), Some("Postman"));
    let xml = fs::read_to_string(&collections.files[0]).unwrap();
    assert!(
        xml.contains(r#"<testsuite name="Passing API" tests="3""#),
        "{xml}"
    );
    assert!(lint_junit(&run).contains("LintError"));
}

#[test]
fn a_ruleset_answered_401_is_an_error_that_names_it() {
    lint_cannot_run(
        |l| {
            l.cloud.fail(Route::Ruleset, Fault::Status(401));
        },
        "Status code:401 Something went wrong when fetching the ruleset",
    );
}

#[test]
fn a_ruleset_answered_500_is_an_error_that_names_it() {
    lint_cannot_run(
        |l| {
            l.cloud.fail(Route::Ruleset, Fault::Status(500));
        },
        "Status code:500",
    );
}

#[test]
fn a_malformed_definition_is_an_error_that_names_it() {
    lint_cannot_run(
        |l| {
            l.job.input("apiDefinition", "api/malformed.yaml");
        },
        "Couldn't parse the API",
    );
}

#[test]
fn lint_runs_even_when_collections_fail() {
    let mut l = LintJob::new();
    l.job.write_source(
        "tests/failing.postman_collection.json",
        &fs::read_to_string(fixtures_dir().join("failing.postman_collection.json")).unwrap(),
    );
    l.job
        .input("collection", "tests/failing.postman_collection.json")
        .input("apiDefinition", "api/clean.yaml");
    let run = l.run();
    assert_eq!(run.result(), TaskResult::Failed);
    assert_eq!(run.published_results().len(), 2, "{run}");
    assert!(lint_junit(&run).contains("no issues found"));
}

#[test]
fn lint_settings_are_checked() {
    let mut l = LintJob::new();
    l.job
        .input("apiDefinition", "api/openapi.yaml")
        .input("apiId", API_ID)
        .input("lintFailSeverity", "critical");
    let run = l.run();
    assert_eq!(run.result(), TaskResult::Failed);
    let errors: Vec<String> = run
        .issues(IssueKind::Error)
        .into_iter()
        .map(|i| i.message)
        .collect();
    insta::assert_snapshot!(errors.join("\n"), @r"
    input `lintFailSeverity`: `critical` is not one of error, warn, info, hint. Use one of error, warn, info, hint.
    input `apiDefinition`: is set, and so is input `apiId`. Use one or the other: clear input `apiDefinition` or input `apiId`.
    ");
}
