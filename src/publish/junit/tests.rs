use super::*;
use crate::report::lint::LintOutcome;
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
            // A run cut off before the CLI wrote its report: timed as the
            // task saw it (see `run::observed`).
            started_ms: Some(1_795_610_761_200),
            duration_ms: Some(1500),
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
        observed: crate::run::observed::Observed {
            started_ms: 1_795_610_758_000,
            duration_ms: 840,
        },
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
                    message: "YAML parse error: Missing closing \"quote at line 4, column 1".into(),
                    path: "Cart/Broken.request.yaml".into(),
                    line: Some(4),
                    column: Some(1),
                    file: Some("/repo/postman/collections/Shop/Cart/Broken.request.yaml".into()),
                },
                Violation {
                    kind: "FMT015".into(),
                    severity: Severity::Error,
                    message: "Invalid input: expected string, received number (path: /url)".into(),
                    path: "Odd.request.yaml".into(),
                    line: None,
                    column: None,
                    file: Some("/repo/postman/collections/Shop/Odd.request.yaml".into()),
                },
            ],
            report: LintReport::NotExpected,
        }),
        fail_severity: Severity::Error.into(),
        observed: crate::run::observed::Observed {
            started_ms: 1_795_610_758_000,
            duration_ms: 840,
        },
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

/// Checks what Azure's XML reader checks of characters: each one is in
/// XML 1.0, written raw or as a character reference.
fn assert_xml_1_0(xml: &str) {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..);
    if let Some(c) = xml.chars().find(|c| !allowed(*c)) {
        panic!("{c:?} is not XML 1.0 in\n{xml}");
    }
    for reference in xml.split("&#").skip(1) {
        let digits = reference.split(';').next().unwrap();
        let code = match digits.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16).unwrap(),
            None => digits.parse().unwrap(),
        };
        let c = char::from_u32(code).unwrap_or('\u{fffe}');
        assert!(allowed(c), "&#{digits}; is not XML 1.0");
    }
}

pub(crate) fn outcome(status: &TestCaseStatus) -> &'static str {
    match status {
        TestCaseStatus::Success { .. } => "success",
        TestCaseStatus::NonSuccess { .. } => "failure",
        TestCaseStatus::Skipped { .. } => "skipped",
    }
}

/// Every text of a run and a lint with characters XML 1.0 cannot carry.
fn hostile_run_and_lint() -> (RunResult, LintOutcome) {
    let odd = |s: &str| format!("{s} \u{ffff}\u{fffe}\u{1}\u{1b}[31m");
    let mut run = retried_run(true);
    run.name = odd("Shop");
    run.collection = odd("shop.json");
    run.environment = Some(odd("staging"));
    let hostile = |c: &mut Case| {
        c.request = odd(&c.request);
        c.folder = odd(&c.folder);
        c.name = odd(&c.name);
        if let Status::Failed(f) = &mut c.status {
            f.message = odd(&f.message);
            f.detail = odd(&f.detail);
        }
    };
    run.cases.iter_mut().for_each(hostile);
    for attempt in &mut run.retries.earlier {
        attempt.failures.iter_mut().for_each(hostile);
        if let RunEnd::Failed(why) = &mut attempt.end {
            why.message = odd(&why.message);
            why.detail = odd(&why.detail);
        }
    }
    run.end = RunEnd::Failed(crate::report::model::Incomplete::new(
        odd("the run stopped: Error"),
        odd("the run stopped:\nError"),
    ));
    let mut lint = sample_collection_lint();
    if let Ok(parsed) = &mut lint.result {
        for v in &mut parsed.violations {
            v.message = odd(&v.message);
            v.path = odd(&v.path);
            v.kind = odd(&v.kind);
        }
    }
    (run, lint)
}

#[test]
fn every_character_reaches_the_junit_as_text_xml_can_carry() {
    let (run, lint) = hostile_run_and_lint();
    let xml = build(
        "Postman \u{ffff}",
        std::slice::from_ref(&run),
        Some("1.62.0"),
    )
    .to_string()
    .unwrap();
    assert_xml_1_0(&xml);
    for visible in [
        r"Shop \uFFFF\uFFFE\u0001\u001B[31m",
        r"shop.json \uFFFF",
        r"staging \uFFFF",
    ] {
        assert!(xml.contains(visible), "{visible} in\n{xml}");
    }
    // Names, messages, stack traces, outputs, properties, rerun elements.
    assert!(xml.matches(r"\uFFFF").count() > 20, "{xml}");
    let lint_xml = build_lint("Postman \u{1}", &[lint]).to_string().unwrap();
    assert_xml_1_0(&lint_xml);
    assert!(lint_xml.contains(r"Postman \u0001"), "{lint_xml}");
    assert!(
        lint_xml.contains(r"\u001B[31m (Cart/Broken.request.yaml \uFFFF"),
        "{lint_xml}"
    );
}

#[test]
fn every_suite_has_a_start_and_a_length() {
    let mut runs = sample_runs();
    runs.push(retried_run(true));
    let xml = build("Postman", &runs, None).to_string().unwrap();
    let back = Report::deserialize_from_str(&xml).unwrap();
    for suite in &back.test_suites {
        assert!(suite.timestamp.is_some() && suite.time.is_some(), "{xml}");
    }
    let lint = build_lint(
        "Postman API governance",
        &[sample_lint(), sample_collection_lint()],
    );
    for suite in &lint.test_suites {
        assert!(suite.timestamp.is_some() && suite.time.is_some());
    }
}

#[test]
fn quick_junit_gets_nothing_it_would_drop() {
    let mut run = sample_runs().remove(0);
    run.cases.truncate(2);
    run.cases[1].name = "a\tb\r\nc\rd\u{85}e".into();
    let xml = build("Postman", &[run], None).to_string().unwrap();
    assert!(
        xml.contains("Orders / List › a b\nc\nd\\u0085e (iteration 2)"),
        "{xml}"
    );
}
