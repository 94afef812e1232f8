//! The answers to the calls the task makes, over the emulator's state, in
//! the shapes of the specs' response models (ids of `ShallowReference`s are
//! strings, every other id a number).

use serde_json::{Value, json};

use super::server::{Answer, Point, State};
use super::{PROJECT_ID, PROJECT_NAME, ResultRecord, RunRecord};

/// Azure numbers each run's results from here.
pub(super) const FIRST_RESULT_ID: u32 = 100_000;
pub(super) const FIRST_RUN_ID: u32 = 1001;
pub(super) const FIRST_REFERENCE_ID: u32 = 5001;

/// `TestRunState` names Azure accepts.
const RUN_STATES: &[&str] = &[
    "Unspecified",
    "NotStarted",
    "InProgress",
    "Completed",
    "Aborted",
    "Waiting",
    "NeedsInvestigation",
];
/// `TestResultState` names.
const RESULT_STATES: &[&str] = &[
    "Unspecified",
    "Pending",
    "Queued",
    "InProgress",
    "Paused",
    "Completed",
];
/// `TestOutcome` names.
const OUTCOMES: &[&str] = &[
    "Unspecified",
    "None",
    "Passed",
    "Failed",
    "Inconclusive",
    "Timeout",
    "Aborted",
    "Blocked",
    "NotExecuted",
    "Warning",
    "Error",
    "NotApplicable",
    "Paused",
    "InProgress",
    "NotImpacted",
];

fn project() -> Value {
    json!({ "id": PROJECT_ID, "name": PROJECT_NAME })
}

pub(super) fn not_found(what: &str) -> Answer {
    Answer::error(
        404,
        "TestObjectNotFoundException",
        &format!("{what} not found."),
    )
}

fn bad_request(message: &str) -> Answer {
    Answer::error(400, "InvalidPropertyException", message)
}

impl State {
    pub(super) fn list_plans(&mut self, query: &[(String, String)]) -> Answer {
        let plans: Vec<Value> = self
            .plans
            .iter()
            .map(|(id, _)| self.plan_json(*id))
            .collect();
        self.page(plans, query)
    }

    pub(super) fn get_plan(&mut self, plan: u32) -> Answer {
        if self.plan_name(plan).is_none() {
            return not_found(&format!("Test plan {plan}"));
        }
        Answer::ok(self.plan_json(plan))
    }

    pub(super) fn list_suites(&mut self, plan: u32, query: &[(String, String)]) -> Answer {
        if self.plan_name(plan).is_none() {
            return not_found(&format!("Test plan {plan}"));
        }
        let suites: Vec<Value> = self
            .suites
            .iter()
            .filter(|s| s.plan == plan)
            .map(|s| {
                let mut suite = json!({
                    "id": s.id,
                    "name": s.name,
                    "suiteType": "staticTestSuite",
                    "plan": { "id": plan, "name": self.plan_name(plan) },
                    "project": project(),
                    "hasChildren": self.suites.iter().any(|c| c.parent == Some(s.id)),
                    "inheritDefaultConfigurations": true,
                    "revision": 1,
                });
                if let Some(parent) = s.parent {
                    suite["parentSuite"] = json!({ "id": parent, "name": self.suite_name(parent) });
                }
                suite
            })
            .collect();
        self.page(suites, query)
    }

    /// `Get Points List` (and `Get Points`, by `pointId`): the suite's
    /// points, its descendants' too with `isRecursive=true`, filtered by
    /// `testPointIds` / `pointId` and `testCaseId` (comma-separated).
    pub(super) fn list_points(
        &mut self,
        plan: u32,
        suite: u32,
        query: &[(String, String)],
    ) -> Answer {
        if self.plan_name(plan).is_none() {
            return not_found(&format!("Test plan {plan}"));
        }
        if !self.suites.iter().any(|s| s.plan == plan && s.id == suite) {
            return not_found(&format!("Test suite {suite}"));
        }
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| {
                    v.split(',')
                        .filter_map(|n| n.trim().parse::<u32>().ok())
                        .collect::<Vec<_>>()
                })
        };
        let point_ids = get("testPointIds").or_else(|| get("pointId"));
        let test_cases = get("testCaseId");
        let recursive = query
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("isRecursive") && v.eq_ignore_ascii_case("true"));
        let suites = if recursive {
            self.descendants(suite)
        } else {
            vec![suite]
        };
        let points: Vec<Value> = self
            .points
            .iter()
            .filter(|p| p.plan == plan && suites.contains(&p.suite))
            .filter(|p| point_ids.as_ref().is_none_or(|ids| ids.contains(&p.id)))
            .filter(|p| {
                test_cases
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&p.test_case))
            })
            .map(|p| self.point_json(p))
            .collect();
        self.page(points, query)
    }

    pub(super) fn list_configurations(&mut self, query: &[(String, String)]) -> Answer {
        let configurations: Vec<Value> = self
            .configurations
            .iter()
            .map(|(id, name)| {
                json!({ "id": id, "name": name, "project": project(), "isDefault": false, "state": "active" })
            })
            .collect();
        self.page(configurations, query)
    }

    pub(super) fn create_run(&mut self, body: Option<&Value>) -> Answer {
        let Some(body) = body.filter(|b| b.is_object()) else {
            return bad_request("The run to create is missing: send a RunCreateModel.");
        };
        let text = |v: &Value| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        };
        let plan_id = text(&body["plan"]["id"]);
        let point_ids: Vec<u32> = body["pointIds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_u64().and_then(|p| u32::try_from(p).ok()))
            .collect();
        let state = body["state"].as_str().unwrap_or("Unspecified").to_string();
        if let Some(answer) = self.reject_name("run state", &state, RUN_STATES) {
            return answer;
        }
        let plan = plan_id.as_deref().map(|p| {
            p.parse::<u32>()
                .ok()
                .filter(|p| self.plan_name(*p).is_some())
        });
        let plan = match plan {
            Some(Some(plan)) => Some(plan),
            Some(None) => return not_found(&format!("Test plan {}", plan_id.unwrap_or_default())),
            None if !point_ids.is_empty() => return bad_request("pointIds need the run's plan."),
            None => None,
        };
        let mut points = Vec::new();
        for id in &point_ids {
            match self
                .points
                .iter()
                .find(|p| p.id == *id && Some(p.plan) == plan)
            {
                Some(point) => points.push(point.clone()),
                None => {
                    return bad_request(&format!(
                        "Test point {id} is not in test plan {}.",
                        plan.unwrap_or_default()
                    ));
                }
            }
        }
        let id = FIRST_RUN_ID + u32::try_from(self.runs.len()).expect("few runs");
        let results = points
            .iter()
            .enumerate()
            .map(|(i, p)| ResultRecord {
                id: FIRST_RESULT_ID + u32::try_from(i).expect("few results"),
                point_id: p.id,
                test_case_id: p.test_case,
                configuration_id: p.configuration,
                test_case_reference_id: self.reference(p.test_case),
                outcome: None,
                state: "Pending".to_string(),
                duration_ms: None,
                error_message: None,
                comment: None,
                automated_test_name: None,
                automated_test_storage: None,
            })
            .collect();
        self.runs.push(RunRecord {
            id,
            name: body["name"].as_str().unwrap_or_default().to_string(),
            state,
            plan_id,
            point_ids,
            build_id: text(&body["build"]["id"]),
            release_uri: body["releaseUri"].as_str().map(str::to_string),
            comment: body["comment"].as_str().map(str::to_string),
            automated: body["automated"].as_bool().unwrap_or(false),
            results,
            body: body.clone(),
            completed_date: None,
        });
        Answer::ok(self.run_json(id))
    }

    pub(super) fn get_run(&mut self, run: u32) -> Answer {
        if !self.runs.iter().any(|r| r.id == run) {
            return not_found(&format!("Test run {run}"));
        }
        Answer::ok(self.run_json(run))
    }

    pub(super) fn update_run(&mut self, run: u32, body: Option<&Value>) -> Answer {
        let Some(body) = body.filter(|b| b.is_object()) else {
            return bad_request("The update is missing: send a RunUpdateModel.");
        };
        if let Some(state) = body["state"].as_str()
            && let Some(answer) = self.reject_name("run state", state, RUN_STATES)
        {
            return answer;
        }
        let Some(record) = self.runs.iter_mut().find(|r| r.id == run) else {
            return not_found(&format!("Test run {run}"));
        };
        if let Some(state) = body["state"].as_str() {
            record.state = state.to_string();
        }
        if let Some(comment) = body["comment"].as_str() {
            record.comment = Some(comment.to_string());
        }
        if let Some(date) = body["completedDate"].as_str() {
            record.completed_date = Some(date.to_string());
        }
        Answer::ok(self.run_json(run))
    }

    /// A run's results, `$skip` and `$top` applied (Azure's default top is 1000).
    pub(super) fn list_results(&mut self, run: u32, query: &[(String, String)]) -> Answer {
        let Some(record) = self.runs.iter().find(|r| r.id == run) else {
            return not_found(&format!("Test run {run}"));
        };
        let number = |name: &str, default: usize| {
            query
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(default)
        };
        let results: Vec<Value> = record
            .results
            .iter()
            .skip(number("$skip", 0))
            .take(number("$top", 1000))
            .map(|r| self.result_json(record, r))
            .collect();
        Answer::ok(json!({ "count": results.len(), "value": results }))
    }

    /// Sets each listed result's fields; a result's outcome becomes its
    /// point's last outcome. Nothing changes when any item is rejected.
    pub(super) fn update_results(&mut self, run: u32, body: Option<&Value>) -> Answer {
        let Some(items) = body.and_then(Value::as_array) else {
            return bad_request(
                "The results to update are missing: send an array of TestCaseResult.",
            );
        };
        let Some(index) = self.runs.iter().position(|r| r.id == run) else {
            return not_found(&format!("Test run {run}"));
        };
        for item in items {
            let known = item["id"].as_u64().is_some_and(|id| {
                self.runs[index]
                    .results
                    .iter()
                    .any(|r| u64::from(r.id) == id)
            });
            if !known {
                return bad_request(&format!(
                    "Test result {} is not in test run {run}.",
                    item["id"]
                ));
            }
            for (field, names, what) in [
                ("outcome", OUTCOMES, "outcome"),
                ("state", RESULT_STATES, "result state"),
            ] {
                if let Some(name) = item[field].as_str()
                    && let Some(answer) = self.reject_name(what, name, names)
                {
                    return answer;
                }
            }
        }
        let mut updated = Vec::new();
        for item in items {
            let record = &mut self.runs[index];
            let result = record
                .results
                .iter_mut()
                .find(|r| item["id"].as_u64() == Some(u64::from(r.id)))
                .expect("checked above");
            let text = |name: &str| item[name].as_str().map(str::to_string);
            if let Some(outcome) = text("outcome") {
                result.outcome = Some(outcome);
            }
            if let Some(state) = text("state") {
                result.state = state;
            }
            if let Some(duration) = item["durationInMs"].as_f64() {
                result.duration_ms = Some(duration);
            }
            result.error_message = text("errorMessage").or(result.error_message.take());
            result.comment = text("comment").or(result.comment.take());
            let (point, outcome) = (result.point_id, result.outcome.clone());
            updated.push(result.id);
            if outcome.is_some()
                && let Some(point) = self.points.iter_mut().find(|p| p.id == point)
            {
                point.outcome = outcome;
            }
        }
        let record = &self.runs[index];
        let value: Vec<Value> = record
            .results
            .iter()
            .filter(|r| updated.contains(&r.id))
            .map(|r| self.result_json(record, r))
            .collect();
        Answer::ok(json!({ "count": value.len(), "value": value }))
    }

    /// Result Meta Data - Update: records each flaky identifier.
    pub(super) fn mark_flaky(&mut self, reference: u32, body: Option<&Value>) -> Answer {
        if !self.references.values().any(|r| *r == reference)
            && !self.automated.values().any(|r| *r == reference)
        {
            return not_found(&format!("Test case reference {reference}"));
        }
        let Some(identifiers) = body.and_then(|b| b["flakyIdentifiers"].as_array()) else {
            return bad_request(
                "flakyIdentifiers is missing: send a TestResultMetaDataUpdateInput.",
            );
        };
        for identifier in identifiers {
            let branch = identifier["branchName"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let flaky = identifier["isFlaky"].as_bool().unwrap_or(false);
            self.flaky.push((reference, branch, flaky));
        }
        let marks: Vec<Value> = self
            .flaky
            .iter()
            .filter(|(r, _, _)| *r == reference)
            .map(|(_, branch, flaky)| json!({ "branchName": branch, "isFlaky": flaky }))
            .collect();
        Answer::ok(json!({ "testCaseReferenceId": reference, "flakyIdentifiers": marks }))
    }

    /// A 400 (and a violation: the task sent a name Azure does not know)
    /// unless `name` is one of `names`, ignoring case as Azure does.
    fn reject_name(&mut self, what: &str, name: &str, names: &[&str]) -> Option<Answer> {
        if names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return None;
        }
        let message = format!(
            "the {what} {name:?} is unknown to Azure, which knows {}",
            names.join(", ")
        );
        self.violations.push(message.clone());
        Some(bad_request(&message))
    }

    fn plan_name(&self, plan: u32) -> Option<String> {
        self.plans
            .iter()
            .find(|(id, _)| *id == plan)
            .map(|(_, name)| name.clone())
    }

    fn suite_name(&self, suite: u32) -> Option<String> {
        self.suites
            .iter()
            .find(|s| s.id == suite)
            .map(|s| s.name.clone())
    }

    fn configuration_name(&self, configuration: u32) -> Option<String> {
        self.configurations
            .iter()
            .find(|(id, _)| *id == configuration)
            .map(|(_, name)| name.clone())
    }

    /// `suite` and every suite under it.
    fn descendants(&self, suite: u32) -> Vec<u32> {
        let mut found = vec![suite];
        let mut i = 0;
        while i < found.len() {
            let parent = found[i];
            found.extend(
                self.suites
                    .iter()
                    .filter(|s| s.parent == Some(parent))
                    .map(|s| s.id),
            );
            i += 1;
        }
        found
    }

    fn plan_json(&self, plan: u32) -> Value {
        let mut value = json!({
            "id": plan,
            "name": self.plan_name(plan),
            "project": project(),
            "state": "Active",
            "revision": 1,
        });
        if let Some(root) = self
            .suites
            .iter()
            .find(|s| s.plan == plan && s.parent.is_none())
        {
            value["rootSuite"] = json!({ "id": root.id, "name": root.name });
        }
        value
    }

    fn point_json(&self, point: &Point) -> Value {
        let mut value = json!({
            "id": point.id,
            "testCaseReference": { "id": point.test_case, "name": point.test_case_name },
            "configuration": { "id": point.configuration, "name": self.configuration_name(point.configuration) },
            "testPlan": { "id": point.plan, "name": self.plan_name(point.plan) },
            "testSuite": { "id": point.suite, "name": self.suite_name(point.suite) },
            "project": project(),
            "isActive": true,
            "isAutomated": false,
        });
        if let Some(outcome) = &point.outcome {
            // The Test Plans area writes enum names in camel case.
            let mut camel = outcome.clone();
            if let Some(first) = camel.get_mut(..1) {
                first.make_ascii_lowercase();
            }
            value["results"] = json!({ "outcome": camel, "state": "completed" });
        }
        value
    }

    pub(super) fn run_json(&self, run: u32) -> Value {
        let record = self.runs.iter().find(|r| r.id == run).expect("a known run");
        let count = |outcome: Option<&str>| {
            record
                .results
                .iter()
                .filter(|r| r.outcome.as_deref().map(str::to_ascii_lowercase).as_deref() == outcome)
                .count()
        };
        let mut value = json!({
            "id": record.id,
            "name": record.name,
            "url": format!("{}{PROJECT_NAME}/_apis/test/Runs/{}", self.base_url, record.id),
            "webAccessUrl": format!("{}{PROJECT_NAME}/_TestManagement/Runs?runId={}&_a=runCharts", self.base_url, record.id),
            "state": record.state,
            "isAutomated": record.automated,
            "project": project(),
            "totalTests": record.results.len(),
            "passedTests": count(Some("passed")),
            "incompleteTests": count(None),
            "unanalyzedTests": count(Some("failed")),
            "notApplicableTests": count(Some("notapplicable")),
            "revision": 1,
        });
        if let Some(plan) = &record.plan_id {
            value["plan"] = json!({ "id": plan });
        }
        if let Some(build) = &record.build_id {
            value["build"] = json!({ "id": build });
        }
        if let Some(release) = &record.release_uri {
            value["releaseUri"] = json!(release);
        }
        if let Some(comment) = &record.comment {
            value["comment"] = json!(comment);
        }
        if let Some(date) = &record.completed_date {
            value["completedDate"] = json!(date);
        }
        value
    }

    fn result_json(&self, run: &RunRecord, result: &ResultRecord) -> Value {
        let title = self
            .points
            .iter()
            .find(|p| p.id == result.point_id)
            .map(|p| p.test_case_name.clone());
        let mut value = json!({
            "id": result.id,
            "testCaseReferenceId": result.test_case_reference_id,
            "testRun": { "id": run.id.to_string(), "name": run.name },
            "project": { "id": PROJECT_ID, "name": PROJECT_NAME },
            "state": result.state,
            "priority": 2,
            "url": format!("{}{PROJECT_NAME}/_apis/test/Runs/{}/Results/{}", self.base_url, run.id, result.id),
        });
        if result.point_id != 0 {
            value["testCaseTitle"] = json!(title);
            value["testCase"] = json!({ "id": result.test_case_id.to_string(), "name": title });
            value["testPoint"] = json!({ "id": result.point_id.to_string() });
            value["configuration"] = json!({
                "id": result.configuration_id.to_string(),
                "name": self.configuration_name(result.configuration_id),
            });
        }
        if let Some(name) = &result.automated_test_name {
            value["testCaseTitle"] = json!(name);
            value["automatedTestName"] = json!(name);
        }
        if let Some(storage) = &result.automated_test_storage {
            value["automatedTestStorage"] = json!(storage);
        }
        if let Some(plan) = &run.plan_id {
            value["testPlan"] = json!({ "id": plan });
        }
        if let Some(outcome) = &result.outcome {
            value["outcome"] = json!(outcome);
        }
        if let Some(duration) = result.duration_ms {
            value["durationInMs"] = json!(duration);
        }
        if let Some(message) = &result.error_message {
            value["errorMessage"] = json!(message);
        }
        if let Some(comment) = &result.comment {
            value["comment"] = json!(comment);
        }
        value
    }
}
