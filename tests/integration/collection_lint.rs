//! Collection lint in the lint step (issue 12): the real Postman CLI's
//! `collection lint` on v3 collections and `environment lint` on a YAML
//! environment, through the agent harness. Findings are test cases in the
//! lint's test run, inline issues at their file, line and column, and
//! summary entries; `collectionLint: false` runs none. By default they fail
//! nothing (issue 18 item 12): `collectionLintFailSeverity` gates on them.

use std::fs;

use crate::e2e::{Scenario, summary_text, volatile_filters};
use crate::support::{IssueKind, TaskResult, TaskRun};

const HEALTH: &str = "$kind: http-request\nid: health\nurl: \"{{baseUrl}}/ok\"\nmethod: GET\nscripts:\n  - type: afterResponse\n    code: pm.test('is up', () => pm.response.to.have.status(200));\n    language: text/javascript\n";

/// `Lint me`: a passing request, a request file that is not YAML (FMT018,
/// with its line and column) and one whose `url` is a number (FMT015, a
/// schema finding without a range). The CLI runs the passing request and
/// leaves the other two out. `Clean` has no findings.
fn scenario() -> Scenario {
    let mut s = Scenario::new();
    let lint_me = "postman/collections/Lint me";
    s.job.write_source(
        &format!("{lint_me}/.resources/definition.yaml"),
        "$kind: collection\nname: Lint me\n",
    );
    s.job
        .write_source(&format!("{lint_me}/Health.request.yaml"), HEALTH);
    s.job.write_source(
        &format!("{lint_me}/Cart/Broken.request.yaml"),
        "$kind: http-request\nurl: \"{{baseUrl}}/ok\nmethod: GET\n",
    );
    s.job.write_source(
        &format!("{lint_me}/Odd.request.yaml"),
        "$kind: http-request\nurl: 42\nmethod: GET\n",
    );
    s.job.write_source(
        "postman/collections/Clean/.resources/definition.yaml",
        "$kind: collection\nname: Clean\n",
    );
    s.job
        .write_source("postman/collections/Clean/Health.request.yaml", HEALTH);
    s.job.write_source(
        "postman/environments/local.environment.yaml",
        "name: local\nvalues:\n  - key: unused\n    value: x\n",
    );
    s.job
        .input("collection", "postman/collections/*")
        .input("environment", "postman/environments/local.environment.yaml");
    s
}

/// The lint's own published JUnit, if any.
fn lint_junit(run: &TaskRun) -> Option<String> {
    let published = run.published_results();
    let lint: Vec<_> = published
        .iter()
        .filter(|p| {
            p.run_title
                .as_deref()
                .is_some_and(|t| t.ends_with("collection lint"))
        })
        .collect();
    assert!(lint.len() <= 1, "{published:?}");
    lint.first()
        .map(|p| fs::read_to_string(&p.files[0]).unwrap())
}

/// Snapshots the lint's JUnit (`<name>_junit`) and the summary from the
/// lint section starting with `heading` (`<name>_summary`).
fn snapshot_junit_and_summary(run: &TaskRun, name: &str, heading: &str) {
    let xml = lint_junit(run).expect("a lint test run");
    insta::with_settings!({ filters => volatile_filters() }, {
        insta::assert_snapshot!(format!("{name}_junit"), xml);
        let summary = summary_text(run);
        let section = &summary[summary.find(heading).unwrap()..];
        let section = &section[..section.find("<sub>").unwrap_or(section.len())];
        insta::assert_snapshot!(format!("{name}_summary"), section);
    });
}

/// The step's Postman tab attachment.
fn attachment(run: &TaskRun) -> serde_json::Value {
    let (_, _, path) = run.attachments().into_iter().next().expect("an attachment");
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn findings_are_tests_inline_issues_and_summary_entries() {
    let mut s = scenario();
    s.job.input("collectionLintFailSeverity", "error");
    let run = s.run();
    // The runs pass; asked to, the lint's errors fail the task.
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    assert_eq!(run.variables()["testsFailed"].value, "0", "{run}");
    assert_eq!(run.variables()["lintViolations"].value, "2", "{run}");

    let root = s.job.sources_dir().display().to_string();
    let issues: Vec<String> = run
        .issues(IssueKind::Error)
        .into_iter()
        .filter_map(|i| {
            let path = i.sourcepath?;
            Some(format!(
                "{}:{}:{} {}",
                path.replace(&root, "[SRC]"),
                i.linenumber.unwrap_or_default(),
                i.columnnumber.unwrap_or_default(),
                i.message
            ))
        })
        .collect();
    // The CLI lists findings in the order it reads the files.
    let mut issues = issues;
    issues.sort();
    insta::assert_snapshot!("collection_lint_inline_issues", issues.join("\n"));

    snapshot_junit_and_summary(&run, "collection_lint", "#### ❌ Collection lint");

    // The Postman tab lists each lint by what it checked, with its findings.
    let doc = attachment(&run);
    let lints = doc["lints"].as_array().expect("lints");
    let lint_me = lints
        .iter()
        .find(|l| l["what"] == "Collection lint" && l["name"].as_str().unwrap().contains("Lint me"))
        .unwrap_or_else(|| panic!("the collection lint of Lint me in {doc:#}"));
    let codes: Vec<&str> = lint_me["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fails"] == true)
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["error", "error"], "{lint_me:#}");
}

#[test]
fn collection_lint_off_runs_no_lint() {
    let mut s = scenario();
    s.job.input("collectionLint", "false");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_eq!(lint_junit(&run), None, "{run}");
    assert!(!summary_text(&run).contains("Collection lint"), "{run}");
    assert!(!run.variables().contains_key("lintViolations"), "{run}");
}

/// A v3 collection as `postman collection migrate` writes newman's own: a
/// folder named `--variable-- works for data file values`, which the lint
/// flags (FMT019, unsafe for file systems) while the CLI runs the request
/// in it, and its test passes.
fn migrated() -> Scenario {
    let mut s = Scenario::new();
    let root = "postman/collections/Newman";
    s.job.write_source(
        &format!("{root}/.resources/definition.yaml"),
        "$kind: collection\nname: Newman\n",
    );
    s.job.write_source(
        &format!("{root}/--variable-- works for data file values/Health.request.yaml"),
        HEALTH,
    );
    s.job.input("collection", root);
    s
}

/// On by default, collection lint reports: the step whose runs pass
/// succeeds, and the finding shows in the Tests tab (a passed case named by
/// it, so the tab stays green), as a warning at its folder, in the summary
/// and in the Postman tab.
#[test]
fn a_finding_on_a_passing_run_is_shown_and_fails_nothing_by_default() {
    let s = migrated();
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let vars = run.variables();
    assert_eq!(
        (
            vars["testsTotal"].value.as_str(),
            vars["testsFailed"].value.as_str()
        ),
        ("1", "0"),
        "{run}"
    );
    assert_eq!(vars["lintViolations"].value, "1", "{run}");
    assert!(run.issues(IssueKind::Error).is_empty(), "{run}");
    let warnings: Vec<String> = run
        .issues(IssueKind::Warning)
        .into_iter()
        .filter(|i| i.sourcepath.is_some())
        .map(|i| i.message)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}\n{run}");
    assert!(
        warnings[0].contains("unsafe for filesystem operations") && warnings[0].contains("FMT019"),
        "{warnings:?}"
    );

    snapshot_junit_and_summary(&run, "collection_lint_reports", "#### ✅ Collection lint");

    let doc = attachment(&run);
    let lint = &doc["lints"][0];
    assert_eq!(lint["what"], "Collection lint", "{doc:#}");
    assert_eq!(lint["failSeverity"], serde_json::Value::Null, "{lint:#}");
    assert_eq!(lint["findings"][0]["fails"], false, "{lint:#}");
}

/// Gating is asked for by name; then the same finding fails the step.
#[test]
fn with_collection_lint_fail_severity_the_same_finding_fails_the_step() {
    let mut s = migrated();
    s.job.input("collectionLintFailSeverity", "error");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    assert_eq!(run.variables()["testsFailed"].value, "0", "{run}");
    let xml = lint_junit(&run).expect("a lint test run");
    assert!(xml.contains(r#"failures="1""#), "{xml}");
    assert!(
        run.issues(IssueKind::Error)
            .iter()
            .any(|i| i.message.contains("unsafe for filesystem operations")),
        "{run}"
    );
}
