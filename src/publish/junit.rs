//! Writes the JUnit file the pipeline publishes: a suite per collection run,
//! a test case per assertion, request error and script error in every
//! iteration, and a failing case for a run that did not complete.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};

use crate::report::lint::LintOutcome;
use crate::report::model::{RunEnd, RunResult, Status, TestCase as Case};

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
    if run.retries.of > 1 {
        suite.add_property(Property::new(
            "attempt",
            format!("{} of {}", run.retries.attempt, run.retries.of),
        ));
        if run.flaky() {
            suite.add_property(Property::new("flaky", "true"));
        }
    }
    let mut earlier = Earlier::of(run);

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
        tc.set_classname(classname(run, &case.folder));
        tc.set_time(Duration::from_millis(case.time_ms));
        earlier.attach(&mut tc, Some(case));
        suite.add_test_case(tc);
    }

    if run.end == RunEnd::Aborted {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_type("Aborted")
            .set_message("the task was cancelled while this collection was running");
        let mut tc = TestCase::new(format!("{} › collection run", run.name), s);
        tc.set_classname(classname(run, ""));
        tc.set_time(Duration::ZERO);
        earlier.attach(&mut tc, None);
        suite.add_test_case(tc);
    }
    if let RunEnd::Failed(why) = &run.end {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_type("RunError")
            .set_message(why.message.as_str())
            .set_description(why.detail.as_str());
        let mut tc = TestCase::new(format!("{} › collection run", run.name), s);
        tc.set_classname(classname(run, ""));
        tc.set_time(Duration::ZERO);
        earlier.attach(&mut tc, None);
        suite.add_test_case(tc);
    }
    if !earlier.is_empty() {
        // An earlier attempt failed where the last one has no case: it did
        // not complete, or a request it reached was not reached again. A
        // case made up for them would count a test no other run has, so
        // they are told in the suite's output.
        suite.set_system_err(earlier.leftovers());
    }
    suite
}

/// A case's request, name and iteration.
type CaseKey = (String, String, u32);

/// The earlier attempts' failures of a run, as `flakyFailure` (the case
/// passed in the end) or `rerunFailure` (it failed again) elements, each
/// on the case it belongs to.
struct Earlier {
    /// The attempt the results come from, and the most allowed.
    attempt: u32,
    of: u32,
    by_case: HashMap<CaseKey, Vec<(usize, TestRerun, String)>>,
    next: usize,
}

impl Earlier {
    fn of(run: &RunResult) -> Earlier {
        let mut earlier = Earlier {
            attempt: run.retries.attempt,
            of: run.retries.of,
            by_case: HashMap::new(),
            next: 0,
        };
        for attempt in &run.retries.earlier {
            let n = attempt.number;
            for case in &attempt.failures {
                let Some(f) = case.failure() else { continue };
                let mut rerun = TestRerun::new(NonSuccessKind::Failure);
                rerun
                    .set_type(f.kind.as_str())
                    .set_message(f.message.as_str())
                    .set_description(format!("attempt {n} of {}\n{}", earlier.of, f.detail));
                let note = format!("failed on attempt {n} of {}: {}", earlier.of, f.message);
                earlier.push(key(Some(case)), rerun, note);
            }
            if let RunEnd::Failed(why) = &attempt.end {
                let mut rerun = TestRerun::new(NonSuccessKind::Error);
                rerun
                    .set_type("RunError")
                    .set_message(why.message.as_str())
                    .set_description(format!("attempt {n} of {}\n{}", earlier.of, why.detail));
                let note = format!("on attempt {n} of {}: {}", earlier.of, why.message);
                earlier.push(key(None), rerun, note);
            }
        }
        earlier
    }

    fn push(&mut self, key: CaseKey, rerun: TestRerun, note: String) {
        self.by_case
            .entry(key)
            .or_default()
            .push((self.next, rerun, note));
        self.next += 1;
    }

    fn is_empty(&self) -> bool {
        self.by_case.is_empty()
    }

    /// What no case took, one line each, in the order it happened.
    fn leftovers(&mut self) -> String {
        let mut runs: Vec<_> = self.by_case.drain().flat_map(|(_, v)| v).collect();
        runs.sort_by_key(|(seq, _, _)| *seq);
        let mut lines: Vec<String> = runs
            .into_iter()
            .map(|(_, _, note)| format!("Earlier, {note}."))
            .collect();
        lines.push(format!(
            "These results are attempt {} of {}.",
            self.attempt, self.of
        ));
        lines.join("\n")
    }

    /// Puts a case's earlier failures on it; the run's own case (`None`)
    /// takes every failure no other case took. Azure's Tests tab does not
    /// read the rerun elements, so the case's output says it too.
    fn attach(&mut self, tc: &mut TestCase, case: Option<&Case>) {
        let mut runs = match case {
            Some(case) => self.by_case.remove(&key(Some(case))).unwrap_or_default(),
            None => self.by_case.drain().flat_map(|(_, v)| v).collect(),
        };
        if runs.is_empty() {
            return;
        }
        runs.sort_by_key(|(seq, _, _)| *seq);
        let notes: Vec<String> = runs.iter().map(|(_, _, note)| note.clone()).collect();
        let passed = matches!(tc.status, TestCaseStatus::Success { .. });
        let mut out = if passed {
            format!("Flaky: {}.", notes.join("; "))
        } else {
            format!("Also {}.", notes.join("; "))
        };
        if passed {
            out.push_str(&format!(
                " It passed on attempt {} of {}.",
                self.attempt, self.of
            ));
        }
        tc.status.add_reruns(runs.into_iter().map(|(_, r, _)| r));
        tc.set_system_out(out);
    }
}

/// What ties an earlier failure to a case of the last attempt: its
/// request, name and iteration; the run's own case for a run-level one.
fn key(case: Option<&Case>) -> CaseKey {
    match case {
        Some(c) => (c.request.clone(), c.name.clone(), c.iteration),
        None => (String::new(), String::new(), 0),
    }
}

/// The lint's own test run: one suite per lint (API lint, each collection
/// lint), one case per finding, failing at or above the fail severity and
/// passing (with its message) below it, so the Tests tab shows the whole
/// picture; a lint that could not run is one failing case.
pub(crate) fn build_lint(title: &str, lints: &[LintOutcome]) -> Report {
    let mut report = Report::new(title);
    for lint in lints {
        report.add_test_suite(lint_suite(lint));
    }
    report
}

fn lint_suite(lint: &LintOutcome) -> TestSuite {
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
                // A collection's finding is in one of its files.
                let file = if v.file.is_some() {
                    format!("{}/{}", lint.target.display(), v.path)
                } else {
                    lint.target.display()
                };
                let at = match (v.line, v.column) {
                    (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
                    (Some(l), None) => format!("{file}:{l}"),
                    _ => file,
                };
                let detail = format!(
                    "{} {} rule at {at}, path {}\n{}",
                    v.severity.as_str().to_uppercase(),
                    v.kind,
                    v.path,
                    v.message
                );
                // A YAML error quotes the lines it is at: the name is its
                // first line, the description all of it.
                let headline = v.message.lines().next().unwrap_or_default();
                let mut tc = if lint.fails(v) {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_type(v.severity.as_str().to_uppercase())
                        .set_message(headline)
                        .set_description(detail);
                    TestCase::new(format!("{headline} ({})", v.path), s)
                } else {
                    let mut tc = TestCase::new(
                        format!("{headline} ({})", v.path),
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
    suite
}

/// `Collection · environment › Folder / Sub folder`: what the Tests tab
/// groups by (its "Test file"). Azure splits a class name at its dots, so a
/// dot in a name (a URL, a version) becomes U+2024 ONE DOT LEADER, which
/// looks the same and splits nothing.
pub(crate) fn classname(run: &RunResult, folder: &str) -> String {
    let name = if folder.is_empty() {
        run.name.clone()
    } else {
        format!("{} › {folder}", run.name)
    };
    name.replace('.', "\u{2024}")
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
            folder: request
                .rsplit_once(" / ")
                .map(|(f, _)| f.into())
                .unwrap_or_default(),
            name: name.into(),
            iteration,
            status,
            time_ms: 12,
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
                    case(
                        "Orders / List",
                        "status is 200",
                        2,
                        failed(FailureKind::Assertion, "expected 500 to equal 200"),
                    ),
                    case(
                        "Orders / Create",
                        "test script",
                        2,
                        failed(FailureKind::ScriptError, "TypeError: x is undefined"),
                    ),
                    case(
                        "Health",
                        "request",
                        2,
                        failed(
                            FailureKind::RequestError,
                            "connect ECONNREFUSED 127.0.0.1:9",
                        ),
                    ),
                    case("Health", "pending <feature>", 1, Status::Skipped),
                ],
                end: RunEnd::Completed,
                report_dir: "runs/01-shop-api".into(),
                upload: crate::run::upload::Upload::Uploaded {
                    url: Some("https://go.postman.co/workspace/ws/run/1-abc".into()),
                },
                retries: Default::default(),
                details: Vec::new(),
                header_secrets: Vec::new(),
                html_report: None,
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
                end: RunEnd::Failed(crate::report::model::Incomplete::new(
                    "the collection did not complete: Error: collection could not be loaded",
                    "The Postman CLI exited with code 1 without writing its report. Its last output:\nError: collection could not be loaded",
                )),
                report_dir: "runs/02-broken-co".into(),
                upload: crate::run::upload::Upload::NotExpected,
                retries: Default::default(),
                details: Vec::new(),
                header_secrets: Vec::new(),
                html_report: None,
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
                        file: None,
                    },
                    Violation {
                        kind: "Governance".into(),
                        severity: Severity::Warn,
                        message: "API info should have a contact".into(),
                        path: "info".into(),
                        line: Some(2),
                        column: Some(6),
                        file: None,
                    },
                ],
                report: LintReport::NotExpected,
            }),
            fail_severity: Severity::Error.into(),
        }
    }

    /// Collection lint of a v3 collection: a broken request file (with its
    /// line and column) and a schema finding (without).
    pub(crate) fn sample_collection_lint() -> LintOutcome {
        use crate::plan::Severity;
        use crate::report::lint::*;
        use crate::resolve::LintTarget;
        LintOutcome {
            target: LintTarget::Collection {
                path: "/repo/postman/collections/Shop".into(),
                display: "postman/collections/Shop".into(),
            },
            result: Ok(ParsedLint {
                name: None,
                violations: vec![
                    Violation {
                        kind: "FMT018".into(),
                        severity: Severity::Error,
                        message: "YAML parse error: Missing closing \"quote at line 4, column 1"
                            .into(),
                        path: "Cart/Broken.request.yaml".into(),
                        line: Some(4),
                        column: Some(1),
                        file: Some(
                            "/repo/postman/collections/Shop/Cart/Broken.request.yaml".into(),
                        ),
                    },
                    Violation {
                        kind: "FMT015".into(),
                        severity: Severity::Error,
                        message: "Invalid input: expected string, received number (path: /url)"
                            .into(),
                        path: "Odd.request.yaml".into(),
                        line: None,
                        column: None,
                        file: Some("/repo/postman/collections/Shop/Odd.request.yaml".into()),
                    },
                ],
                report: LintReport::NotExpected,
            }),
            fail_severity: Severity::Error.into(),
        }
    }

    #[test]
    fn lint_junit_shows_every_finding() {
        insta::assert_snapshot!(
            build_lint(
                "Postman API governance",
                std::slice::from_ref(&sample_lint())
            )
            .to_string()
            .unwrap()
        );
    }

    #[test]
    fn lint_junit_has_a_suite_per_lint() {
        insta::assert_snapshot!(
            build_lint(
                "Postman API governance",
                &[sample_lint(), sample_collection_lint()]
            )
            .to_string()
            .unwrap()
        );
    }

    /// The sample's first run as a third attempt: it failed on attempts 1
    /// and 2, and passes or fails on the last as `last_fails` says.
    pub(crate) fn retried_run(last_fails: bool) -> RunResult {
        use crate::report::model::{EarlierAttempt, Retries};
        let mut run = sample_runs().remove(0);
        let failing: Vec<Case> = run
            .cases
            .iter()
            .filter(|c| c.failure().is_some())
            .cloned()
            .collect();
        if !last_fails {
            run.cases.retain(|c| c.failure().is_none());
            run.cases.push(Case {
                status: Status::Passed,
                ..failing[0].clone()
            });
        }
        run.retries = Retries {
            attempt: 3,
            of: 3,
            earlier: vec![
                EarlierAttempt {
                    number: 1,
                    end: RunEnd::Completed,
                    failures: failing[..1].to_vec(),
                },
                EarlierAttempt {
                    number: 2,
                    end: RunEnd::Failed(crate::report::model::Incomplete::new(
                        "the collection did not complete: the Postman CLI exited with code 1 without writing its report",
                        "It printed nothing.",
                    )),
                    failures: vec![],
                },
            ],
        };
        run
    }

    #[test]
    fn retried_runs_keep_earlier_failures_as_flaky_and_rerun_elements() {
        let runs = vec![retried_run(false), {
            let mut r = retried_run(true);
            r.index = 2;
            r.name = "Shop API · production".into();
            r
        }];
        let xml = build("Postman", &runs, None).to_string().unwrap();
        insta::assert_snapshot!(xml);
        // Azure reads flaky and rerun elements as nothing: the counts are the
        // last attempt's.
        let back = Report::deserialize_from_str(&xml).unwrap();
        let flaky = &back.test_suites[0];
        assert_eq!(
            (flaky.tests, flaky.failures, flaky.errors, flaky.skipped),
            (3, 0, 0, 1)
        );
        assert_eq!(
            flaky.tests,
            runs[0].counts().total,
            "the output variables agree"
        );
        let failing = &back.test_suites[1];
        assert_eq!(
            (
                failing.tests,
                failing.failures,
                failing.errors,
                failing.skipped
            ),
            (5, 3, 0, 1)
        );
    }

    #[test]
    fn the_junit_reads_back_with_the_counts_the_runs_have() {
        let runs = sample_runs();
        let xml = build("Postman", &runs, None).to_string().unwrap();
        let back = Report::deserialize_from_str(&xml).unwrap();
        for (suite, run) in back.test_suites.iter().zip(&runs) {
            let c = run.counts();
            assert_eq!(suite.tests, c.total, "{}", run.name);
            assert_eq!(suite.failures + suite.errors, c.failed, "{}", run.name);
            assert_eq!(suite.skipped, c.skipped, "{}", run.name);
        }
        assert_eq!(back.tests, crate::results::totals(&runs).total);
    }

    /// From the CLI's report to the published names, for every naming rule:
    /// requests in folders, without names, named by URLs, sharing a name,
    /// over iterations, in a matrix of collection × environment, and in a
    /// shard that holds only some of the runs.
    #[test]
    fn test_names_follow_the_naming_rules() {
        let collection = crate::resolve::collection::Collection::parse(
            br#"{"info":{"name":"Shop"},"item":[
                {"name":"Basic form data test.https://postman-echo.com","request":"https://postman-echo.com/post"},
                {"name":"Orders","item":[
                    {"request":{"method":"GET","url":{"raw":"{{baseUrl}}/orders"}}},
                    {"request":{"method":"GET","url":{"raw":"{{baseUrl}}/orders"}}},
                    {"id":"r-create","name":"Create","request":{}}]}]}"#,
        )
        .unwrap();
        // What the real CLI writes: a made-up ID and no name for a request
        // saved without either, new on every run.
        let report = |seed: &str| {
            let execution = |iteration: u32, id: String, name: Option<&str>| {
                let name = name.map_or(String::new(), |n| format!(r#","name":"{n}""#));
                format!(
                    r#"{{"iterationCount":{iteration},"requestExecuted":{{"id":"{id}"{name},"method":"GET","url":"http://x"}},
                       "response":{{"code":200,"responseTime":9}},"tests":[{{"name":"ok","status":"passed"}},{{"name":"v1.2 ok","status":"passed"}}]}}"#
                )
            };
            let mut executions = Vec::new();
            for i in 0..2 {
                executions.push(execution(
                    i,
                    format!("{seed}-a"),
                    Some("Basic form data test.https://postman-echo.com"),
                ));
                executions.push(execution(i, format!("{seed}-b"), None));
                executions.push(execution(i, format!("{seed}-c"), None));
                executions.push(execution(i, "r-create".into(), Some("Create")));
            }
            format!(
                r#"{{"run":{{"meta":{{"duration":100}},"summary":{{"iterations":{{"executed":2}},"executedRequests":{{"executed":8}}}},"executions":[{}]}}}}"#,
                executions.join(",")
            )
        };
        let read = |seed: &str, index: usize, env: &str| {
            let mut run = sample_runs().remove(0);
            run.index = index;
            run.name = format!("Shop · {env}");
            run.environment = Some(env.into());
            let summary = crate::report::json::read(
                report(seed).as_bytes(),
                &mut collection.request_paths(),
                crate::plan::RequestDetails::None,
            )
            .unwrap();
            crate::report::run::fill(&mut run, summary);
            run
        };
        let names = |runs: &[RunResult]| -> Vec<String> {
            let report = build("Postman", runs, None);
            report
                .test_suites
                .iter()
                .flat_map(|s| s.test_cases.iter())
                .map(|c| {
                    format!(
                        "{} | {}",
                        c.classname.as_ref().unwrap().as_str(),
                        c.name.as_str()
                    )
                })
                .collect()
        };
        let matrix = |seed: &str| {
            let mut runs = vec![read(seed, 1, "staging"), read(seed, 2, "production")];
            crate::results::ready(&mut runs, &crate::secrets::Secrets::default());
            runs
        };
        let first = names(&matrix("run1"));
        insta::assert_snapshot!(first.join("\n"));
        assert_eq!(first, names(&matrix("run2")), "the same names on every run");
        // Shard 2/2 holds only the second run: its names do not change.
        let mut shard = vec![read("run3", 2, "production")];
        crate::results::ready(&mut shard, &crate::secrets::Secrets::default());
        let in_shard = names(&shard);
        assert_eq!(in_shard[..], first[first.len() - in_shard.len()..]);
        assert!(
            first
                .iter()
                .all(|n| !n.split(" | ").next().unwrap().contains('.')),
            "{first:#?}"
        );
        let unique: std::collections::BTreeSet<_> = first.iter().collect();
        assert_eq!(unique.len(), first.len(), "names are unique within a run");
    }

    #[test]
    fn case_times_add_up_to_the_requests_times() {
        let report = r#"{"run":{"meta":{"duration":40},"summary":{"executedRequests":{"executed":3}},"executions":[
            {"requestExecuted":{"id":"a"},"response":{"responseTime":10},"tests":[{"name":"1","status":"passed"},{"name":"2","status":"passed"},{"name":"3","status":"failed"}]},
            {"requestExecuted":{"id":"b"},"response":{"responseTime":17},"tests":[{"name":"1","status":"passed"}],"errors":[{"source":"test","message":"x"}]},
            {"requestExecuted":{"id":"c"},"tests":[{"name":"1","status":"passed"}],"errors":[{"source":"request","message":"ECONNREFUSED"}]}]}}"#;
        let mut run = sample_runs().remove(0);
        let summary = crate::report::json::read(
            report.as_bytes(),
            &mut crate::resolve::collection::RequestPaths::default(),
            crate::plan::RequestDetails::None,
        )
        .unwrap();
        crate::report::run::fill(&mut run, summary);
        let xml = build("Postman", &[run], None).to_string().unwrap();
        let back = Report::deserialize_from_str(&xml).unwrap();
        let cases = &back.test_suites[0].test_cases;
        assert_eq!(cases.len(), 7);
        assert!(
            cases.iter().all(|c| c.time.is_some()),
            "every case has a time"
        );
        let total: Duration = cases.iter().filter_map(|c| c.time).sum();
        assert_eq!(
            total,
            Duration::from_millis(10 + 17),
            "each response time counted once"
        );
    }

    #[test]
    fn junit_matches_the_runs() {
        let report = build("Postman", &sample_runs(), Some("1.62.0"));
        insta::assert_snapshot!(report.to_string().unwrap());
    }
}
