//! The runs the agent publishes from a step's JUnit (`results.publish`),
//! tied to the build, and the Test area's list of a build's runs
//! (`GET test/runs?buildUri=vstfs:///Build/Build/{id}`, `$skip`/`$top`);
//! and the test case references both kinds of run share.

use serde_json::{Value, json};

use super::routes::{FIRST_REFERENCE_ID, FIRST_RESULT_ID, FIRST_RUN_ID};
use super::server::{Answer, State};
use super::{ResultRecord, RunRecord};

impl State {
    /// See [`super::AzureDevOps::publish_junit_run`].
    pub(super) fn publish_junit_run(
        &mut self,
        build_id: u32,
        title: &str,
        cases: &[(String, String, String)],
    ) -> u32 {
        let id = FIRST_RUN_ID + u32::try_from(self.runs.len()).expect("few runs");
        let mut results = Vec::new();
        for (i, (storage, name, outcome)) in cases.iter().enumerate() {
            let key = (storage.clone(), name.clone());
            let next = self.next_reference();
            let reference = *self.automated.entry(key).or_insert(next);
            results.push(ResultRecord {
                id: FIRST_RESULT_ID + u32::try_from(i).expect("few results"),
                point_id: 0,
                test_case_id: 0,
                configuration_id: 0,
                test_case_reference_id: reference,
                outcome: Some(outcome.clone()),
                state: "Completed".to_string(),
                duration_ms: Some(0.0),
                error_message: None,
                comment: None,
                automated_test_name: Some(name.clone()),
                automated_test_storage: Some(storage.clone()),
            });
        }
        self.runs.push(RunRecord {
            id,
            name: title.to_string(),
            state: "Completed".to_string(),
            plan_id: None,
            point_ids: Vec::new(),
            build_id: Some(build_id.to_string()),
            release_uri: None,
            comment: None,
            automated: true,
            results,
            body: Value::Null,
            completed_date: None,
        });
        id
    }

    /// The runs tied to `buildUri`'s build (every run without it), `$skip`
    /// and `$top` applied.
    pub(super) fn list_runs(&mut self, query: &[(String, String)]) -> Answer {
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let number =
            |name: &str, default: usize| get(name).and_then(|v| v.parse().ok()).unwrap_or(default);
        let build = match get("buildUri") {
            None => None,
            Some(uri) => match uri.strip_prefix("vstfs:///Build/Build/") {
                Some(id) if id.parse::<u32>().is_ok() => Some(id.to_string()),
                _ => {
                    let message =
                        format!("buildUri {uri:?} is no build's URI (vstfs:///Build/Build/<id>)");
                    self.violations.push(message.clone());
                    return Answer::error(400, "InvalidPropertyException", &message);
                }
            },
        };
        let runs: Vec<Value> = self
            .runs
            .iter()
            .filter(|r| build.is_none() || r.build_id == build)
            .skip(number("$skip", 0))
            .take(number("$top", 1000))
            .map(|r| self.run_json(r.id))
            .collect();
        Answer::ok(json!({ "count": runs.len(), "value": runs }))
    }

    /// The test case's reference, created on first use.
    pub(super) fn reference(&mut self, test_case: u32) -> u32 {
        let next = self.next_reference();
        *self.references.entry(test_case).or_insert(next)
    }

    /// The next test case reference, for a test case or an automated test.
    pub(super) fn next_reference(&self) -> u32 {
        FIRST_REFERENCE_ID
            + u32::try_from(self.references.len() + self.automated.len()).expect("few test cases")
    }
}
