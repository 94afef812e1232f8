//! What the Test Plans sink says, in one place: each problem with what to
//! do about it. Every one leaves the Tests tab, the summary and the
//! Postman tab as they would be without `testPlan`.

use regex::Regex;

use super::LinkedCase;
use super::api::Named;
use crate::http::fetch::FetchError;
use crate::plan::ItemRef;

const PREFIX: &str = "Azure Test Plans";
/// How many names a message lists before it says "and N more".
const LISTED: usize = 10;

pub(super) fn not_updated(why: &str) -> String {
    format!(
        "{PREFIX} were not updated: {why}. The Tests tab, the summary and the Postman tab have every result."
    )
}

pub(super) fn nothing_linked(pattern: &Regex) -> String {
    format!(
        "{PREFIX} were not updated: no folder, request or test name holds a test case ID (testCasePattern `{}`), and testCaseMap maps none. Put the ID in a name, e.g. `Get user [TC101]`, or map paths to IDs in testCaseMap.",
        pattern.as_str()
    )
}

/// A REST call that failed, with what to do for its kind of failure.
pub(super) fn failed(step: &str, e: &FetchError) -> String {
    not_updated(&format!("could not {step}: {e}. {}", how(e)))
}

/// What to do about a failed REST call.
fn how(e: &FetchError) -> &'static str {
    match e {
        FetchError::Status { status: 401, .. } => {
            "The job's access token was refused: check that the pipeline's job authorization scope lets it reach this project (Project settings › Pipelines › Settings, \"Limit job authorization scope\")."
        }
        FetchError::Status { status: 403, .. } => {
            "The project's Build Service account (\"<project> Build Service (<organization>)\") needs the \"View test runs\" and \"Create test runs\" permissions, and read access to the test plan's area path: Project settings › Permissions, and the plan's security."
        }
        FetchError::Status { status: 404, .. } => {
            "Check testPlan, testSuite and testConfiguration against the plan in Test Plans, and that Test Plans is enabled for the project."
        }
        FetchError::Network { .. } => {
            "Azure DevOps did not answer in time or could not be reached; the call was tried again and given up. Rerun the job, or raise POSTMAN_CLI_TASK_READ_TIMEOUT (seconds)."
        }
        _ => "Rerun the job; if it keeps failing, check Azure DevOps' status page.",
    }
}

/// The post-job step could not mark the Tests tab's flaky results.
pub(super) fn tests_tab_not_marked(why: &str) -> String {
    format!(
        "{PREFIX}: the tests that passed only on a retry are not marked flaky in the Tests tab: {why}. Their results, and the plan's flaky marks, stand."
    )
}

pub(super) fn tests_tab_failed(step: &str, e: &FetchError) -> String {
    tests_tab_not_marked(&format!("could not {step}: {e}. {}", how(e)))
}

fn list_named(items: &[Named]) -> String {
    let mut names: Vec<String> = items
        .iter()
        .take(LISTED)
        .map(|i| format!("`{}` ({})", i.name, i.id))
        .collect();
    if items.len() > LISTED {
        names.push(format!("and {} more", items.len() - LISTED));
    }
    names.join(", ")
}

fn list_refs(refs: &[ItemRef]) -> String {
    refs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn plan_not_found(wanted: &ItemRef, plans: &[Named]) -> String {
    let known = if plans.is_empty() {
        String::new()
    } else {
        format!("; its plans are {}", list_named(plans))
    };
    not_updated(&format!(
        "test plan {wanted} does not exist in this project{known}. Set testPlan to the ID or name of a plan in Test Plans"
    ))
}

pub(super) fn not_found(kind: &str, input: &str, missing: &[ItemRef], all: &[Named]) -> String {
    format!(
        "{PREFIX}: no test {kind} {} here; there are {}. Fix {input}; the others are updated.",
        list_refs(missing),
        list_named(all)
    )
}

pub(super) fn nothing_chosen(kinds: &str, input: &str) -> String {
    not_updated(&format!(
        "none of the test {kinds} {input} names exists. Fix {input}, or clear it for every one"
    ))
}

pub(super) fn not_in_plan(ids: &[u32], plan: &str, suites: &[Named]) -> String {
    let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
    format!(
        "{PREFIX}: test cases {} are named by Postman tests but have no test point in plan `{plan}` (suites {}) for the chosen configurations. Add them to a suite of the plan, or fix the IDs in the names or testCaseMap; their tests are published as usual.",
        ids.join(", "),
        list_named(suites)
    )
}

pub(super) fn no_points(plan: &str) -> String {
    not_updated(&format!(
        "none of the test cases the Postman tests name has a test point in plan `{plan}`"
    ))
}

pub(super) fn no_branch() -> String {
    format!(
        "{PREFIX}: the tests that passed only on a retry are not marked flaky: the build names no branch (Build.SourceBranch)."
    )
}

/// `Azure Test Plans: run 12 of plan `Release 1` set 4 test points of 3
/// test cases: 2 passed, 1 failed.`
pub(super) fn updated(plan: &str, run: u32, cases: &[LinkedCase]) -> String {
    let points: usize = cases.iter().map(|c| c.points).sum();
    let count = |o: &str| cases.iter().filter(|c| c.outcome == o).count();
    let mut parts = Vec::new();
    for (outcome, word) in [
        ("Passed", "passed"),
        ("Failed", "failed"),
        ("NotExecuted", "not executed"),
    ] {
        let n = count(outcome);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    format!(
        "{PREFIX}: run {run} of plan `{plan}` set {} of {}: {}.",
        crate::text::plural(points, "test point", "test points"),
        crate::text::plural(cases.len(), "test case", "test cases"),
        parts.join(", ")
    )
}
