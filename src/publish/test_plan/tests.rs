//! The sink's pure steps: which items a setting names, the failing tests
//! named in a result's message, each result's update.

use serde_json::json;

use super::*;
use crate::results::test_cases::TestOutcome;

fn named(id: u32, name: &str) -> api::Named {
    serde_json::from_value(json!({"id": id, "name": name})).unwrap()
}

fn test(title: &str, outcome: TestOutcome, flaky: bool) -> LinkedTest {
    LinkedTest {
        run: 0,
        title: title.into(),
        outcome,
        flaky,
        duration_ms: 12,
        message: (outcome == TestOutcome::Failed).then(|| "expected 500 to equal 200".into()),
    }
}

#[test]
fn settings_name_items_by_id_or_name_and_the_rest_are_missing() {
    let all = [named(11, "API"), named(12, "Smoke")];
    let wanted = [ItemRef::Name("smoke".into()), ItemRef::Id(99)];
    let (chosen, missing) = choose(&all, &wanted);
    assert_eq!(chosen.iter().map(|c| c.id).collect::<Vec<_>>(), [12]);
    assert_eq!(missing, [ItemRef::Id(99)]);
}

#[test]
fn a_result_names_its_failing_tests_and_sums_their_time() {
    let tests = [
        test(
            "Shop › Orders / Create › status is 200",
            TestOutcome::Failed,
            false,
        ),
        test("Shop › Orders / List › lists", TestOutcome::Passed, true),
    ];
    assert_eq!(
        error_message(&tests).unwrap(),
        "1 of 2 Postman tests failed: Shop › Orders / Create › status is 200: expected 500 to equal 200"
    );
    assert!(error_message(&tests[1..]).is_none());
    let points: Vec<api::Point> = vec![
        serde_json::from_value(json!({"id": 1003, "configuration": {"id": 1, "name": "Linux"}, "testCaseReference": {"id": 102, "name": "Create order"}})).unwrap(),
    ];
    let results: Vec<api::RunResult> = vec![
        serde_json::from_value(
            json!({"id": 100000, "testPoint": {"id": "1003"}, "testCaseReferenceId": 5}),
        )
        .unwrap(),
    ];
    let linked = Linked::from([(102, tests.to_vec())]);
    let links = Links {
        build: Some("https://dev.azure.com/contoso/Shop/_build/results?buildId=1".into()),
        tab: Some("https://dev.azure.com/contoso/Shop/_build/results?buildId=1&view=x".into()),
        label: "build 1".into(),
    };
    let (updates, cases) = result_updates(&results, &points, &linked, &[], &links);
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["id"], 100000);
    assert_eq!(updates[0]["outcome"], "Failed");
    assert_eq!(updates[0]["state"], "Completed");
    assert_eq!(updates[0]["durationInMs"], 24.0);
    let comment = updates[0]["comment"].as_str().unwrap();
    assert!(comment.starts_with("2 Postman tests in build 1. 1 passed only on a retry (flaky). Requests and responses: https://"), "{comment}");
    assert_eq!(
        cases,
        [LinkedCase {
            id: 102,
            name: "Create order".into(),
            outcome: "Failed",
            points: 1,
            tests: 2,
            flaky: true
        }]
    );
}

#[test]
fn long_text_is_cut_with_an_ellipsis() {
    assert_eq!(cut("abcdef", 4), "abc…");
    assert_eq!(cut("abc", 4), "abc");
}
