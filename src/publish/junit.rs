//! Writes the JUnit file the pipeline publishes: a suite per collection run,
//! a test case per assertion, request error and script error in every
//! iteration, and a failing case for a run that did not complete.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::report::lint::LintOutcome;
use crate::report::model::{RunEnd, RunResult, Status};

/// Builds the report in memory; [`write`] puts it on disk.
pub(crate) fn build(title: &str, runs: &[RunResult], cli_version: Option<&str>) -> Report {
    let mut report = Report::new(title);
    for run in runs {
        report.add_test_suite(suite(run, cli_version));
    }
    report
}

fn suite(run: &RunResult, cli_version: Option<&str>) -> TestSuite {
    let mut suite = TestSuite::new(run.name.as_str());
    if let Some(ts) = run.started_ms.and_then(timestamp) {
        suite.set_timestamp(ts);
    }
    if let Some(ms) = run.duration_ms {
        suite.set_time(Duration::from_millis(ms));
    }
    suite.add_property(Property::new("collection", run.collection.as_str()));
    if let Some(env) = &run.environment {
        suite.add_property(Property::new("environment", env.as_str()));
    }
    suite.add_property(Property::new("iterations", run.iterations.to_string()));
    if let Some(v) = cli_version {
        suite.add_property(Property::new("postman-cli", v));
    }

    for case in &run.cases {
        let status = match &case.status {
            Status::Passed => TestCaseStatus::success(),
            Status::Skipped => TestCaseStatus::skipped(),
            Status::Failed(f) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type(f.kind.as_str())
                    .set_message(f.message.as_str())
                    .set_description(f.detail.as_str());
                s
            }
        };
        let mut tc = TestCase::new(run.case_title(case), status);
        tc.set_classname(classname(run, &case.request));
        if let Some(ms) = case.time_ms {
            tc.set_time(Duration::from_millis(ms));
        }
        suite.add_test_case(tc);
    }

    if run.end == RunEnd::Aborted {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_type("Aborted")
            .set_message("the task was cancelled while this collection was running");
        let mut tc = TestCase::new(format!("{} › collection run", run.name), s);
        tc.set_classname(classname(run, ""));
        suite.add_test_case(tc);
    }
    if let RunEnd::Failed(reason) = &run.end {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        let first = reason.lines().next().unwrap_or_default();
        s.set_type("RunError")
            .set_message(first)
            .set_description(reason.as_str());
        let mut tc = TestCase::new(format!("{} › collection run", run.name), s);
        tc.set_classname(classname(run, ""));
        suite.add_test_case(tc);
    }
    suite
}

/// The lint's own test run: one case per finding, failing at or above the
/// fail severity and passing (with its message) below it, so the Tests tab
/// shows the whole picture; a lint that could not run is one failing case.
pub(crate) fn build_lint(title: &str, lint: &LintOutcome) -> Report {
    let mut report = Report::new(title);
    let name = lint.name();
    let mut suite = TestSuite::new(name.as_str());
    suite.add_property(Property::new("target", lint.target.display()));
    suite.add_property(Property::new("fail-severity", lint.fail_severity.as_str()));
    match &lint.result {
        Err(reason) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_type("LintError").set_message(reason.as_str());
            let mut tc = TestCase::new(format!("{name} › lint"), s);
            tc.set_classname(name.as_str());
            suite.add_test_case(tc);
        }
        Ok(parsed) if parsed.violations.is_empty() => {
            let mut tc = TestCase::new(
                format!("{name} › no issues found"),
                TestCaseStatus::success(),
            );
            tc.set_classname(name.as_str());
            suite.add_test_case(tc);
        }
        Ok(parsed) => {
            for v in &parsed.violations {
                let at = match (v.line, v.column) {
                    (Some(l), Some(c)) => format!("{}:{l}:{c}", lint.target.display()),
                    (Some(l), None) => format!("{}:{l}", lint.target.display()),
                    _ => lint.target.display(),
                };
                let detail = format!(
                    "{} {} rule at {at}, path {}\n{}",
                    v.severity.as_str().to_uppercase(),
                    v.kind,
                    v.path,
                    v.message
                );
                let mut tc = if lint.fails(v) {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_type(v.severity.as_str().to_uppercase())
                        .set_message(v.message.as_str())
                        .set_description(detail);
                    TestCase::new(format!("{} ({})", v.message, v.path), s)
                } else {
                    let mut tc = TestCase::new(
                        format!("{} ({})", v.message, v.path),
                        TestCaseStatus::success(),
                    );
                    tc.set_system_out(detail);
                    tc
                };
                tc.set_classname(format!("{name}.{}", v.kind));
                suite.add_test_case(tc);
            }
        }
    }
    report.add_test_suite(suite);
    report
}

/// `Collection.Folder / Request`: Azure shows this as the automated test
/// name, so results group by collection and then by request.
fn classname(run: &RunResult, request: &str) -> String {
    if request.is_empty() {
        run.name.clone()
    } else {
        format!("{}.{}", run.name, request)
    }
}

fn timestamp(ms: i64) -> Option<DateTime<FixedOffset>> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.fixed_offset())
}

pub(crate) fn write(report: &Report, path: &Path) -> std::io::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new(".")))?;
    report
        .serialize(std::io::BufWriter::new(file.as_file_mut()))
        .map_err(std::io::Error::other)?;
    // A temporary file is private (0600); the report is for everyone who
    // reads the build's files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::model::{Failure, FailureKind, TestCase as Case};

    pub(crate) fn sample_runs() -> Vec<RunResult> {
        let case = |request: &str, name: &str, iteration, status| Case {
            request: request.into(),
            name: name.into(),
            iteration,
            status,
            time_ms: Some(12),
        };
        let failed = |kind, message: &str| {
            Status::Failed(Failure {
                kind,
                message: message.into(),
                detail: format!(
                    "GET http://api.test/x → 500 Internal Server Error (12 ms), iteration 2\n{message}"
                ),
            })
        };
        vec![
            RunResult {
                index: 1,
                name: "Shop API".into(),
                collection: "tests/shop.postman_collection.json".into(),
                environment: Some("tests/staging.postman_environment.json".into()),
                started_ms: Some(1_795_610_759_579),
                duration_ms: Some(1250),
                iterations: 2,
                requests: 4,
                cases: vec![
                    case("Orders / List", "status is 200", 1, Status::Passed),
                    case("Orders / List", "status is 200", 2, failed(FailureKind::Assertion, "expected 500 to equal 200")),
                    case("Orders / Create", "test script", 2, failed(FailureKind::ScriptError, "TypeError: x is undefined")),
                    case("Health", "request", 2, failed(FailureKind::RequestError, "connect ECONNREFUSED 127.0.0.1:9")),
                    case("Health", "pending <feature>", 1, Status::Skipped),
                ],
                end: RunEnd::Completed,
                report_dir: "runs/01-shop-api".into(),
                upload: crate::run::upload::Upload::Uploaded {
                    url: Some("https://go.postman.co/workspace/ws/run/1-abc".into()),
                },
                details: Vec::new(),
                header_secrets: Vec::new(),
            },
            RunResult {
                index: 2,
                name: "Broken & co".into(),
                collection: "12345678-0d2f58a4-3c6a-4f0e-9d1b-1234567890ab".into(),
                environment: None,
                started_ms: None,
                duration_ms: None,
                iterations: 0,
                requests: 0,
                cases: vec![],
                end: RunEnd::Failed("the Postman CLI exited with code 1 before writing its report:\nError: collection could not be loaded".into()),
                report_dir: "runs/02-broken-co".into(),
                upload: crate::run::upload::Upload::NotExpected,
                details: Vec::new(),
                header_secrets: Vec::new(),
            },
        ]
    }

    pub(crate) fn sample_lint() -> LintOutcome {
        use crate::plan::Severity;
        use crate::report::lint::*;
        use crate::resolve::LintTarget;
        LintOutcome {
            target: LintTarget::Definition {
                path: "/repo/api/openapi.yaml".into(),
                display: "api/openapi.yaml".into(),
            },
            result: Ok(ParsedLint {
                name: Some("api/openapi.yaml".into()),
                violations: vec![
                    Violation {
                        kind: "Governance".into(),
                        severity: Severity::Error,
                        message: "Operations must have a summary".into(),
                        path: "paths./orders.get".into(),
                        line: Some(9),
                        column: Some(9),
                    },
                    Violation {
                        kind: "Governance".into(),
                        severity: Severity::Warn,
                        message: "API info should have a contact".into(),
                        path: "info".into(),
                        line: Some(2),
                        column: Some(6),
                    },
                ],
                report: LintReport::NotExpected,
            }),
            fail_severity: Severity::Error,
        }
    }

    #[test]
    fn lint_junit_shows_every_finding() {
        insta::assert_snapshot!(
            build_lint("Postman API governance", &sample_lint())
                .to_string()
                .unwrap()
        );
    }

    #[test]
    fn junit_matches_the_runs() {
        let report = build("Postman", &sample_runs(), Some("1.62.0"));
        insta::assert_snapshot!(report.to_string().unwrap());
    }
}
