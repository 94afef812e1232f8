//! Bad inputs, as a pipeline author would make them: each is a logged error
//! that names the input and says how to fix it, the task is Failed, the
//! binary exits 0, and whatever results exist are still published.

use crate::e2e::{Scenario, error_messages, published_junit, summary_text};
use crate::support::TaskResult;

/// Runs a job and checks the common contract for an input error.
fn failing_job(s: &Scenario) -> crate::support::TaskRun {
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    assert!(!error_messages(&run).is_empty(), "{run}");
    let summary = summary_text(&run);
    assert!(summary.starts_with("### ❌"), "{summary}");
    run
}

fn only_error(run: &crate::support::TaskRun) -> String {
    let errors = error_messages(run);
    assert_eq!(errors.len(), 1, "{errors:#?}\n{run}");
    errors[0].clone()
}

#[test]
fn a_missing_collection_file() {
    let mut s = Scenario::new();
    s.job
        .input("collection", "tests/missing.postman_collection.json");
    let run = failing_job(&s);
    insta::assert_snapshot!(only_error(&run), @"input `collection`: file `tests/missing.postman_collection.json` does not exist. Check the path; relative paths are resolved against the working directory.");
    assert!(
        run.published_results().is_empty(),
        "nothing ran, nothing to publish"
    );
}

#[test]
fn a_glob_that_matches_nothing() {
    let mut s = Scenario::new();
    s.job
        .input("collection", "tests/api/**/*.postman_collection.json");
    let run = failing_job(&s);
    let message = only_error(&run).replace(&s.job.sources_dir().display().to_string(), "[SOURCES]");
    insta::assert_snapshot!(message, @"input `collection`: pattern `tests/api/**/*.postman_collection.json` matches no files in `[SOURCES]`. Check the pattern and the working directory; `**` matches any number of folders.");
}

#[test]
fn a_malformed_collection_beside_a_good_one() {
    let mut s = Scenario::new();
    s.fixture("malformed.postman_collection.json")
        .fixture("passing.postman_collection.json");
    s.job.input(
        "collection",
        "tests/malformed.postman_collection.json\ntests/passing.postman_collection.json",
    );
    let run = failing_job(&s);
    insta::assert_snapshot!(only_error(&run), @"input `collection`: `tests/malformed.postman_collection.json` is not valid JSON: EOF while parsing a list at line 4 column 0. Fix the file, or export it again from Postman.");
    // The good collection still ran, and its results were published.
    let (_, xml) = published_junit(&run);
    assert!(xml.contains(r#"<testsuite name="Passing API""#), "{xml}");
    assert_eq!(run.variables()["testsPassed"].value, "3");
    let summary = summary_text(&run);
    assert!(
        summary.contains("#### Not run") && summary.contains("malformed"),
        "{summary}"
    );
}

#[test]
fn iteration_counts_that_are_not_whole_numbers_of_one_or_more() {
    for (value, expected) in [
        (
            "0",
            "input `iterationCount`: `0` is less than 1. Set it to a whole number from 1 to 2147483647, or leave it empty to run once (or once per row of the iteration data).",
        ),
        (
            "two",
            "input `iterationCount`: `two` is not a whole number. Set it to a whole number from 1 to 2147483647, or leave it empty to run once (or once per row of the iteration data).",
        ),
    ] {
        let mut s = Scenario::new();
        s.fixture("passing.postman_collection.json");
        s.job
            .input("collection", "tests/passing.postman_collection.json")
            .input("iterationCount", value);
        let run = failing_job(&s);
        assert_eq!(only_error(&run), expected);
        assert!(s.api.requests().is_empty(), "nothing ran");
    }
}

#[test]
fn a_folder_the_collection_does_not_have() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json")
        .input("folder", "Orders\nPayments");
    let run = failing_job(&s);
    insta::assert_snapshot!(only_error(&run), @"input `folder`: `Payments` is not a folder or request in collection `tests/passing.postman_collection.json`. Use a name, ID or path (Folder/Request) from the collection; its top level has: `Health`, `Orders`.");
}

#[test]
fn an_environment_that_cannot_be_read() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job.write_source(
        "tests/staging.postman_environment.json",
        "{ \"values\": [ oops",
    );
    s.job
        .input("collection", "tests/passing.postman_collection.json")
        .input("environment", "tests/staging.postman_environment.json");
    let run = failing_job(&s);
    insta::assert_snapshot!(only_error(&run), @"input `environment`: `tests/staging.postman_environment.json` is not valid JSON: expected value at line 1 column 15. Fix the file, or export it again from Postman.");
}

#[test]
fn a_cli_version_that_does_not_exist() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json")
        .input("cliVersion", "0.0.1");
    let run = failing_job(&s);
    let error = only_error(&run);
    assert!(
        error.starts_with("The Postman CLI could not be installed: Postman CLI version 0.0.1 is not published as @postman/pm-bin-"),
        "{error}"
    );
    assert!(
        error.contains("Set cliVersion to `latest`, a range such as 1.x, or one of: "),
        "{error}"
    );
    assert!(run.published_results().is_empty());
}

#[test]
fn every_setting_mistake_is_reported_at_once() {
    let mut s = Scenario::new();
    s.job
        .input("collection", "tests/a.postman_collection.json")
        .input("iterationCount", "-1")
        .input("timeoutRequest", "5s")
        .input("bail", "yes")
        .input("envVars", "baseUrl=http://x\njust-a-word")
        .input(
            "additionalArguments",
            "--reporters html --postman-api-key PMAK-xyz",
        )
        .input("cliVersion", "newest");
    let run = failing_job(&s);
    insta::assert_snapshot!(error_messages(&run).join("\n"));
    assert!(s.api.requests().is_empty());
}
