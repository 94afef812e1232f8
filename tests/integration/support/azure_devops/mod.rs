//! An Azure DevOps REST emulator for the Test Plans integration (issue 23):
//! the Test Plans, Test and Test Results endpoints the task calls, on
//! 127.0.0.1 with a port of its own, with plans, suites, configurations,
//! test points, runs, results and flaky marks in memory.
//!
//! Every request is checked against the published OpenAPI specs vendored in
//! `specs/` ([`spec`], [`schema`]): the operation is found by method and path
//! template, then path and query parameters (`api-version` included) and the
//! JSON body are checked, unknown properties too. What fails is kept for
//! [`AzureDevOps::spec_violations`], which tests assert is empty; the
//! emulator's own answers are checked against the operations' response
//! schemas the same way.
//!
//! Beyond the specs it behaves as Azure does for these calls: `Bearer` with
//! the job's token ([`SYSTEM_ACCESS_TOKEN`]) or 401; the organization
//! `contoso` and the project [`PROJECT_ID`] or [`PROJECT_NAME`] in the path,
//! or 404; lists as `{value, count}`, paged with the `x-ms-continuationtoken`
//! header and `continuationToken` query; a run created with `pointIds`
//! holding one pending result per point; a result's outcome becoming its
//! point's last outcome; the agent's own runs, published from a step's
//! JUnit ([`AzureDevOps::publish_junit_run`]), found by their build
//! (`buildUri`). [`AzureDevOps::fault`] makes matching requests fail
//! (a status, 429/503 with `Retry-After`, or no answer at all).
//!
//! [`client`] is a small HTTP client for driving it directly.

mod build_runs;
pub mod client;
mod routes;
mod schema;
mod server;
mod spec;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use serde_json::Value;

pub use spec::{Request as SpecRequest, Specs, parse_query, percent_decode, specs};

use super::agent::SYSTEM_ACCESS_TOKEN;
use super::servers::Running;
use server::{Point, State, Suite};

/// The organization in [`AzureDevOps::collection_url`].
pub const ORGANIZATION: &str = "contoso";
/// The agent emulation's `System.TeamProjectId`.
pub const PROJECT_ID: &str = "6f1c9d2e-4b7a-4c3e-9f0d-2a5b8c7e1d40";
/// The agent emulation's `System.TeamProject`.
pub const PROJECT_NAME: &str = "Shop";

/// How a faulted request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// This status, with an Azure-shaped error body.
    Status(u16),
    /// This status (429 or 503, say) with `Retry-After: seconds`.
    RetryAfter(u16, u32),
    /// No answer: the connection stays open until the emulator is dropped.
    Hang,
}

/// Makes requests fail. A request matches when its method is `method` (any
/// when `None`, case-insensitive) and its path and query (as sent) contain
/// `path_contains`. Faults are tried in the order added; one with
/// `times: Some(n)` answers the next n matching requests, then is gone.
/// Faulted requests are still recorded and checked against the specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub method: Option<&'static str>,
    pub path_contains: String,
    pub reply: Reply,
    /// `None`: every matching request, for as long as the emulator runs.
    pub times: Option<usize>,
}

impl Fault {
    /// Every request whose path and query contain `path_contains`, always.
    pub fn on(path_contains: &str, reply: Reply) -> Fault {
        Fault {
            method: None,
            path_contains: path_contains.to_string(),
            reply,
            times: None,
        }
    }

    /// Only requests of this method.
    pub fn method(mut self, method: &'static str) -> Fault {
        self.method = Some(method);
        self
    }

    /// Only the next `n` matching requests.
    pub fn times(mut self, n: usize) -> Fault {
        self.times = Some(n);
        self
    }
}

/// A request as the emulator received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub method: String,
    /// As sent: percent-encoded.
    pub path_and_query: String,
    pub authorization: Option<String>,
    /// The body parsed as JSON; `None` when empty or not JSON.
    pub body: Option<Value>,
}

impl Recorded {
    /// The path without its query.
    pub fn path(&self) -> &str {
        self.path_and_query.split('?').next().unwrap_or_default()
    }

    /// The query's pairs, decoded.
    pub fn query(&self) -> Vec<(String, String)> {
        self.path_and_query
            .split_once('?')
            .map(|(_, q)| parse_query(q))
            .unwrap_or_default()
    }
}

/// A test run the task created, as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: u32,
    pub name: String,
    pub state: String,
    /// `plan.id` of the create body (a string in the API).
    pub plan_id: Option<String>,
    pub point_ids: Vec<u32>,
    /// `build.id` of the create body.
    pub build_id: Option<String>,
    pub release_uri: Option<String>,
    /// The latest comment, from the create body or an update.
    pub comment: Option<String>,
    pub automated: bool,
    /// One per point, in the order of `pointIds`.
    pub results: Vec<ResultRecord>,
    /// The create body as sent.
    pub body: Value,
    /// `completedDate` of the update that completed the run.
    pub completed_date: Option<String>,
}

/// A result of a run, as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRecord {
    /// Azure numbers a run's results from 100000.
    pub id: u32,
    pub point_id: u32,
    pub test_case_id: u32,
    pub configuration_id: u32,
    /// One per test case, the same in every run.
    pub test_case_reference_id: u32,
    /// `None` until an update sets it.
    pub outcome: Option<String>,
    /// `Pending` when created.
    pub state: String,
    pub duration_ms: Option<f64>,
    pub error_message: Option<String>,
    pub comment: Option<String>,
    /// A JUnit case's `name`, in a run the agent published
    /// ([`AzureDevOps::publish_junit_run`]); `None` in the plan's runs.
    pub automated_test_name: Option<String>,
    /// A JUnit case's `classname`.
    pub automated_test_storage: Option<String>,
}

/// The emulator: a server on 127.0.0.1 with a port of its own, stopped when
/// dropped (hung connections included).
pub struct AzureDevOps {
    server: Running,
    state: Arc<Mutex<State>>,
}

impl AzureDevOps {
    pub fn start() -> AzureDevOps {
        let state = Arc::new(Mutex::new(State::default()));
        let app = Router::new()
            .fallback(server::handle)
            .with_state(Arc::clone(&state));
        let server = Running::start(app, None);
        let emulator = AzureDevOps { server, state };
        emulator.lock().base_url = emulator.collection_url();
        emulator
    }

    /// The collection URL, as `System.CollectionUri` gives it: with a
    /// trailing `/`.
    pub fn collection_url(&self) -> String {
        format!("http://{}/{ORGANIZATION}/", self.server.addr)
    }

    /// The token requests must carry as `Authorization: Bearer <token>`.
    pub fn token(&self) -> &'static str {
        SYSTEM_ACCESS_TOKEN
    }

    pub fn plan(&self, id: u32, name: &str) {
        let mut state = self.lock();
        state.plans.retain(|(p, _)| *p != id);
        state.plans.push((id, name.to_string()));
    }

    /// A suite of `plan`; `parent: None` makes it a root suite (Azure's plan
    /// has one, named after the plan, which the plan's `rootSuite` names).
    pub fn suite(&self, plan: u32, id: u32, name: &str, parent: Option<u32>) {
        let mut state = self.lock();
        state.suites.retain(|s| s.id != id);
        state.suites.push(Suite {
            plan,
            id,
            name: name.to_string(),
            parent,
        });
    }

    pub fn configuration(&self, id: u32, name: &str) {
        let mut state = self.lock();
        state.configurations.retain(|(c, _)| *c != id);
        state.configurations.push((id, name.to_string()));
    }

    /// A test point: `test_case` in `suite` of `plan`, for `configuration`.
    pub fn point(
        &self,
        plan: u32,
        suite: u32,
        id: u32,
        test_case: u32,
        test_case_name: &str,
        configuration: u32,
    ) {
        let mut state = self.lock();
        state.points.retain(|p| p.id != id);
        state.points.push(Point {
            plan,
            suite,
            id,
            test_case,
            test_case_name: test_case_name.to_string(),
            configuration,
            outcome: None,
        });
    }

    /// Items per page of the Test Plans lists (plans, suites, points,
    /// configurations); 100 unless set.
    pub fn page_size(&self, n: usize) {
        self.lock().page_size = n.max(1);
    }

    pub fn fault(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn runs(&self) -> Vec<RunRecord> {
        self.lock().runs.clone()
    }

    /// The outcome of the point's latest result, as a result update set it
    /// (`"Passed"`, say); `None` while no run has set one.
    pub fn point_outcome(&self, point: u32) -> Option<String> {
        self.lock()
            .points
            .iter()
            .find(|p| p.id == point)
            .and_then(|p| p.outcome.clone())
    }

    /// The test run the agent creates after a step from a JUnit file it
    /// published (`results.publish`), tied to the build `build_id`: one
    /// completed result per `(classname, name, outcome)`, its
    /// `automatedTestStorage` and `automatedTestName`, with a test case
    /// reference per automated test, the same in every run. The run's ID.
    pub fn publish_junit_run(
        &self,
        build_id: u32,
        title: &str,
        cases: &[(String, String, String)],
    ) -> u32 {
        self.lock().publish_junit_run(build_id, title, cases)
    }

    /// The test case reference of an automated test (`classname`, `name`)
    /// a published JUnit run holds.
    pub fn automated_reference(&self, storage: &str, name: &str) -> Option<u32> {
        self.lock()
            .automated
            .get(&(storage.to_string(), name.to_string()))
            .copied()
    }

    /// Every flakiness mark received: test case reference, branch, flaky.
    pub fn flaky_marks(&self) -> Vec<(u32, String, bool)> {
        self.lock().flaky.clone()
    }

    /// What the specs (or Azure's rules for these calls) reject, in the
    /// order seen: one line each, naming the request and the operation.
    pub fn spec_violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
