//! The Test Plans, Test and Test Results calls the sink makes, and the
//! parts of their answers it reads. IDs come as numbers in the Test Plans
//! area and as strings in the Test area's shallow references: both are
//! read.

use reqwest::Method;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use std::collections::BTreeSet;

use super::tests_tab::FlakyTest;
use crate::azure::devops::rest::{API_VERSION, DevOps, SKIP_PAGE};
use crate::http::fetch::FetchError;

/// Result Meta Data - Update is a preview API.
const METADATA_VERSION: &str = "7.1-preview.4";

/// An ID as a number or a numeric string.
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(u32),
        Text(String),
    }
    match Id::deserialize(d)? {
        Id::Number(n) => Ok(n),
        Id::Text(t) => t.trim().parse().map_err(serde::de::Error::custom),
    }
}

fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "id")] u32);
    Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
}

/// A plan, suite or configuration: its ID and name.
#[derive(Clone, Debug, Deserialize)]
pub(super) struct Named {
    #[serde(deserialize_with = "id")]
    pub(super) id: u32,
    #[serde(default)]
    pub(super) name: String,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct Point {
    #[serde(deserialize_with = "id")]
    pub(super) id: u32,
    pub(super) configuration: Option<Named>,
    #[serde(rename = "testCaseReference")]
    pub(super) test_case: Option<Named>,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct Run {
    #[serde(deserialize_with = "id")]
    pub(super) id: u32,
    #[serde(rename = "webAccessUrl")]
    pub(super) web_access_url: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
struct Reference {
    #[serde(deserialize_with = "id")]
    id: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct RunResult {
    #[serde(deserialize_with = "id")]
    pub(super) id: u32,
    #[serde(rename = "testPoint")]
    test_point: Option<Reference>,
    #[serde(rename = "testCaseReferenceId", default, deserialize_with = "opt_id")]
    pub(super) test_case_reference_id: Option<u32>,
    /// A JUnit case's `name`, in the run the agent publishes.
    #[serde(rename = "automatedTestName", default)]
    automated_test_name: Option<String>,
    /// A JUnit case's `classname`.
    #[serde(rename = "automatedTestStorage", default)]
    automated_test_storage: Option<String>,
}

impl RunResult {
    /// Whether this is the result of one of `tests`.
    pub(super) fn is_one_of(&self, tests: &BTreeSet<FlakyTest>) -> bool {
        let Some(name) = &self.automated_test_name else {
            return false;
        };
        tests.contains(&FlakyTest {
            storage: self.automated_test_storage.clone().unwrap_or_default(),
            name: name.clone(),
        })
    }

    pub(super) fn point(&self) -> Option<u32> {
        self.test_point.as_ref().map(|p| p.id)
    }
}

pub(super) async fn plan(api: &DevOps<'_>, id: u32) -> Result<Named, FetchError> {
    api.get(&format!("testplan/plans/{id}"), "a test plan")
        .await
}

pub(super) async fn plans(api: &DevOps<'_>) -> Result<Vec<Named>, FetchError> {
    api.list("testplan/plans", "the project's test plans").await
}

pub(super) async fn suites(api: &DevOps<'_>, plan: u32) -> Result<Vec<Named>, FetchError> {
    api.list(
        &format!("testplan/Plans/{plan}/suites"),
        "a test plan's suites",
    )
    .await
}

pub(super) async fn points(
    api: &DevOps<'_>,
    plan: u32,
    suite: u32,
) -> Result<Vec<Point>, FetchError> {
    api.list(
        &format!("testplan/Plans/{plan}/Suites/{suite}/TestPoint"),
        "a test suite's test points",
    )
    .await
}

pub(super) async fn configurations(api: &DevOps<'_>) -> Result<Vec<Named>, FetchError> {
    api.list(
        "testplan/configurations",
        "the project's test configurations",
    )
    .await
}

/// Creates the automated run of these points, tied to the plan (and not
/// to the build: see the sink's module).
pub(super) async fn create_run(api: &DevOps<'_>, body: &Value) -> Result<Run, FetchError> {
    api.send(Method::POST, "test/runs", API_VERSION, body, "a test run")
        .await
}

pub(super) async fn results(api: &DevOps<'_>, run: u32) -> Result<Vec<RunResult>, FetchError> {
    api.list_skipping(
        &format!("test/Runs/{run}/results"),
        &[],
        "a test run's results",
    )
    .await
}

/// The test runs tied to a build (`vstfs:///Build/Build/{id}`): the Tests
/// tab's.
pub(super) async fn build_runs(api: &DevOps<'_>, build_uri: &str) -> Result<Vec<Run>, FetchError> {
    api.list_skipping(
        "test/runs",
        &[("buildUri", build_uri)],
        "the build's test runs",
    )
    .await
}

/// Updates the results, a page at a time.
pub(super) async fn update_results(
    api: &DevOps<'_>,
    run: u32,
    results: &[Value],
) -> Result<(), FetchError> {
    for chunk in results.chunks(SKIP_PAGE) {
        let _: Value = api
            .send(
                Method::PATCH,
                &format!("test/Runs/{run}/results"),
                API_VERSION,
                &Value::Array(chunk.to_vec()),
                "the updated test results",
            )
            .await?;
    }
    Ok(())
}

pub(super) async fn complete_run(
    api: &DevOps<'_>,
    run: u32,
    completed: &str,
) -> Result<Value, FetchError> {
    api.send(
        Method::PATCH,
        &format!("test/runs/{run}"),
        API_VERSION,
        &json!({ "state": "Completed", "completedDate": completed }),
        "the completed test run",
    )
    .await
}

/// Marks a test case reference's results flaky on a branch.
pub(super) async fn mark_flaky(
    api: &DevOps<'_>,
    test_case_reference: u32,
    branch: &str,
) -> Result<Value, FetchError> {
    api.send(
        Method::PATCH,
        &format!("testresults/results/resultmetadata/{test_case_reference}"),
        METADATA_VERSION,
        &json!({ "flakyIdentifiers": [{ "branchName": branch, "isFlaky": true }] }),
        "the test result's metadata",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_as_numbers_or_strings() {
        let r: RunResult = serde_json::from_value(json!({
            "id": 100000, "testPoint": {"id": "12"}, "testCaseReferenceId": 7, "outcome": "Unspecified"
        }))
        .unwrap();
        assert_eq!(
            (r.id, r.point(), r.test_case_reference_id),
            (100000, Some(12), Some(7))
        );
        let p: Point = serde_json::from_value(json!({
            "id": 3, "configuration": {"id": 1, "name": "Chrome"}, "testCaseReference": {"id": 101, "name": "Get user"}
        }))
        .unwrap();
        assert_eq!(p.test_case.unwrap().id, 101);
    }
}
