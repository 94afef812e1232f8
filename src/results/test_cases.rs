//! Which Azure Test Plans test cases the Postman tests stand for: an ID in
//! a folder's name covers every test under it, in a request's name its
//! tests, in a test's name itself; a name may hold several, and the
//! `testCaseMap` adds IDs by path. The names keep their ID tokens, so what
//! the JUnit shows, and the Tests tab's history, is unchanged. Pure.

use std::collections::BTreeMap;

use regex::Regex;

use crate::report::model::{RunResult, Status, TestCase};
use crate::resolve::TestCaseMap;

/// What a test did, as a test point's outcome needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TestOutcome {
    Passed,
    Failed,
    Skipped,
}

/// One Postman test linked to a test case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LinkedTest {
    /// The run it is in: its index among the runs.
    pub(crate) run: usize,
    /// `Collection › Folder / Request › test`, as the summary names it.
    pub(crate) title: String,
    pub(crate) outcome: TestOutcome,
    /// Passed, after failing in an earlier attempt of its run
    /// (`retryFailedRuns`).
    pub(crate) flaky: bool,
    pub(crate) duration_ms: u64,
    /// The failure's one line, for a failed test.
    pub(crate) message: Option<String>,
}

/// The tests of each test case ID, in run order.
pub(crate) type Linked = BTreeMap<u32, Vec<LinkedTest>>;

/// Every test case ID the runs name, with its tests.
pub(crate) fn link(runs: &[RunResult], pattern: &Regex, map: Option<&TestCaseMap>) -> Linked {
    let mut linked = Linked::new();
    for (index, run) in runs.iter().enumerate() {
        for case in &run.cases {
            let ids = ids_of(run, case, pattern, map);
            if ids.is_empty() {
                continue;
            }
            let test = linked_test(index, run, case);
            for id in ids {
                linked.entry(id).or_default().push(test.clone());
            }
        }
    }
    linked
}

/// The outcome a test point takes from its tests: Failed if any failed,
/// NotExecuted if all were skipped, else Passed.
pub(crate) fn point_outcome(tests: &[LinkedTest]) -> &'static str {
    if tests.iter().any(|t| t.outcome == TestOutcome::Failed) {
        "Failed"
    } else if tests.iter().all(|t| t.outcome == TestOutcome::Skipped) {
        "NotExecuted"
    } else {
        "Passed"
    }
}

/// The IDs in a name, each once, in the order they appear.
pub(crate) fn ids_in(name: &str, pattern: &Regex) -> Vec<u32> {
    let mut ids = Vec::new();
    for caps in pattern.captures_iter(name) {
        if let Some(id) = caps
            .get(1)
            .and_then(|m| m.as_str().trim().parse::<u32>().ok())
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

/// A case's IDs: those in its folders', request's and own name, then the
/// map's for its path.
fn ids_of(
    run: &RunResult,
    case: &TestCase,
    pattern: &Regex,
    map: Option<&TestCaseMap>,
) -> Vec<u32> {
    // `request` is `Folder / Sub folder / Request`: its folders and itself.
    let segments: Vec<&str> = case
        .request
        .split(" / ")
        .filter(|s| !s.is_empty())
        .chain(std::iter::once(case.name.as_str()))
        .collect();
    let mut ids = Vec::new();
    for segment in &segments {
        for id in ids_in(segment, pattern) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    if let Some(map) = map {
        let path: Vec<&str> = std::iter::once(run.name.as_str())
            .chain(segments.iter().copied())
            .collect();
        for id in map.ids_for(&path) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

fn linked_test(index: usize, run: &RunResult, case: &TestCase) -> LinkedTest {
    let (outcome, message) = match &case.status {
        Status::Passed => (TestOutcome::Passed, None),
        Status::Skipped => (TestOutcome::Skipped, None),
        Status::Failed(f) => (TestOutcome::Failed, Some(f.message.clone())),
    };
    let flaky = outcome == TestOutcome::Passed
        && run.retries.earlier.iter().any(|attempt| {
            attempt.failures.iter().any(|f| {
                f.request == case.request && f.name == case.name && f.iteration == case.iteration
            })
        });
    LinkedTest {
        run: index,
        title: format!("{} › {}", run.name, run.case_title(case)),
        outcome,
        flaky,
        duration_ms: case.time_ms,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{EarlierAttempt, Failure, FailureKind, Retries, RunEnd};

    fn case(request: &str, name: &str, status: Status) -> TestCase {
        TestCase {
            request: request.into(),
            folder: request
                .rsplit_once(" / ")
                .map(|(f, _)| f.into())
                .unwrap_or_default(),
            name: name.into(),
            iteration: 1,
            status,
            time_ms: 10,
        }
    }

    fn failed(message: &str) -> Status {
        Status::Failed(Failure {
            kind: FailureKind::Assertion,
            message: message.into(),
            detail: String::new(),
        })
    }

    fn run(cases: Vec<TestCase>) -> RunResult {
        RunResult::of_cases(cases)
    }

    fn pattern() -> Regex {
        Regex::new(crate::plan::DEFAULT_TEST_CASE_PATTERN).unwrap()
    }

    #[test]
    fn folders_cover_their_tests_requests_theirs_and_tests_themselves() {
        let runs = [run(vec![
            case("Orders [TC1] / Create", "status is 201", Status::Passed),
            case(
                "Orders [TC1] / Delete TC2 TC3",
                "gone",
                failed("expected 200 to equal 404"),
            ),
            case("Users / Get", "has a name TC4", Status::Skipped),
            case("Users / Get", "has no ID", Status::Passed),
            case("Users / TC20x", "not a word", Status::Passed),
        ])];
        let linked = link(&runs, &pattern(), None);
        let ids: Vec<u32> = linked.keys().copied().collect();
        assert_eq!(ids, [1, 2, 3, 4]);
        assert_eq!(linked[&1].len(), 2);
        assert_eq!(point_outcome(&linked[&1]), "Failed");
        assert_eq!(point_outcome(&linked[&4]), "NotExecuted");
        assert_eq!(
            linked[&2][0].title,
            "Shop › Orders [TC1] / Delete TC2 TC3 › gone"
        );
        assert_eq!(
            linked[&2][0].message.as_deref(),
            Some("expected 200 to equal 404")
        );
        assert_eq!(ids_in("TC5 and TC5, TC6", &pattern()), [5, 6]);
    }

    #[test]
    fn the_map_adds_ids_by_path() {
        let map = crate::resolve::test_case_map::parse("9: Shop/Users/*\n").unwrap();
        let runs = [run(vec![
            case("Users / Get", "has a name", Status::Passed),
            case("Orders / Get", "ok", Status::Passed),
        ])];
        let linked = link(&runs, &pattern(), Some(&map));
        assert_eq!(linked.keys().copied().collect::<Vec<_>>(), [9]);
        assert_eq!(point_outcome(&linked[&9]), "Passed");
    }

    #[test]
    fn a_test_that_passed_only_on_a_retry_is_flaky() {
        let mut r = run(vec![
            case("Orders TC7 / Get", "ok", Status::Passed),
            case("Orders TC7 / List", "ok", Status::Passed),
        ]);
        r.retries = Retries {
            attempt: 2,
            of: 2,
            earlier: vec![EarlierAttempt {
                number: 1,
                end: RunEnd::Completed,
                failures: vec![case("Orders TC7 / Get", "ok", failed("boom"))],
            }],
        };
        let linked = link(&[r], &pattern(), None);
        let flaky: Vec<bool> = linked[&7].iter().map(|t| t.flaky).collect();
        assert_eq!(flaky, [true, false]);
    }
}
