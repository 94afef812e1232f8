//! The emulator's HTTP side: each request is recorded, checked against the
//! specs, faulted when a [`Fault`] matches, then authorized and routed to
//! the state's answers (`routes.rs`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State as Extract};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::spec::{Request as SpecRequest, parse_query, percent_decode, specs};
use super::{
    Fault, ORGANIZATION, PROJECT_ID, PROJECT_NAME, Recorded, Reply, RunRecord, SYSTEM_ACCESS_TOKEN,
};
use crate::support::servers::record;

#[derive(Debug, Clone)]
pub(super) struct Suite {
    pub(super) plan: u32,
    pub(super) id: u32,
    pub(super) name: String,
    pub(super) parent: Option<u32>,
}

#[derive(Debug, Clone)]
pub(super) struct Point {
    pub(super) plan: u32,
    pub(super) suite: u32,
    pub(super) id: u32,
    pub(super) test_case: u32,
    pub(super) test_case_name: String,
    pub(super) configuration: u32,
    /// The last outcome a result set.
    pub(super) outcome: Option<String>,
}

/// Everything the emulator holds.
pub(super) struct State {
    pub(super) base_url: String,
    pub(super) plans: Vec<(u32, String)>,
    pub(super) suites: Vec<Suite>,
    pub(super) configurations: Vec<(u32, String)>,
    pub(super) points: Vec<Point>,
    pub(super) runs: Vec<RunRecord>,
    /// Test case → its test case reference.
    pub(super) references: BTreeMap<u32, u32>,
    /// Automated test (storage, name) → its test case reference.
    pub(super) automated: BTreeMap<(String, String), u32>,
    pub(super) flaky: Vec<(u32, String, bool)>,
    pub(super) page_size: usize,
    pub(super) faults: Vec<Fault>,
    pub(super) requests: Vec<Recorded>,
    pub(super) violations: Vec<String>,
}

impl Default for State {
    fn default() -> Self {
        State {
            base_url: String::new(),
            plans: Vec::new(),
            suites: Vec::new(),
            configurations: Vec::new(),
            points: Vec::new(),
            runs: Vec::new(),
            references: BTreeMap::new(),
            automated: BTreeMap::new(),
            flaky: Vec::new(),
            page_size: 100,
            faults: Vec::new(),
            requests: Vec::new(),
            violations: Vec::new(),
        }
    }
}

/// An answer: status, JSON body, extra headers.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: Value,
    pub(super) headers: Vec<(&'static str, String)>,
}

impl Answer {
    pub(super) fn ok(body: Value) -> Answer {
        Answer {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }

    /// Azure's error shape (`VssServiceException` serialized).
    pub(super) fn error(status: u16, type_key: &str, message: &str) -> Answer {
        Answer {
            status,
            body: json!({
                "$id": "1",
                "innerException": null,
                "message": message,
                "typeName": format!("Microsoft.TeamFoundation.TestManagement.WebApi.{type_key}, Microsoft.TeamFoundation.TestManagement.WebApi"),
                "typeKey": type_key,
                "errorCode": 0,
                "eventId": 3000,
            }),
            headers: Vec::new(),
        }
    }

    fn with_header(mut self, name: &'static str, value: String) -> Answer {
        self.headers.push((name, value));
        self
    }

    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Body::from(self.body.to_string())).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8; api-version=7.1"),
        );
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }
}

pub(super) async fn handle(
    Extract(state): Extract<Arc<Mutex<State>>>,
    request: Request,
) -> Response {
    let request = record(request).await;
    let (path, query) = request
        .path_and_query
        .split_once('?')
        .unwrap_or((request.path_and_query.as_str(), ""));
    let query = parse_query(query);
    let violations = specs().check_request(&SpecRequest {
        method: &request.method,
        path,
        query: &query,
        content_type: request.header("content-type"),
        body: &request.body,
    });
    let authorization = request.header("authorization").map(str::to_string);
    let body: Option<Value> = serde_json::from_slice(&request.body).ok();
    let fault = {
        let mut state = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.requests.push(Recorded {
            method: request.method.clone(),
            path_and_query: request.path_and_query.clone(),
            authorization: authorization.clone(),
            body: body.clone(),
        });
        state.violations.extend(violations);
        state.take_fault(&request.method, &request.path_and_query)
    };
    match fault {
        Some(Reply::Hang) => return std::future::pending::<Response>().await,
        Some(Reply::Status(status)) => return fault_answer(status).into_response(),
        Some(Reply::RetryAfter(status, seconds)) => {
            return fault_answer(status)
                .with_header("retry-after", seconds.to_string())
                .into_response();
        }
        None => {}
    }
    let mut state = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let answer = state.answer(
        &request.method,
        path,
        &query,
        authorization.as_deref(),
        body,
    );
    if answer.status == 200 {
        let found = specs().check_response(&request.method, path, &answer.body);
        state.violations.extend(
            found
                .into_iter()
                .map(|v| format!("the emulator's answer: {v}")),
        );
    }
    answer.into_response()
}

fn fault_answer(status: u16) -> Answer {
    let (key, message) = match status {
        401 => (
            "UnauthorizedRequestException",
            "TF400813: The user '' is not authorized to access this resource.",
        ),
        403 => (
            "AccessDeniedException",
            "Access denied. Project Collection Build Service (contoso) needs the following permission(s) on the resource Shop to perform this action: View test runs, Create test runs",
        ),
        404 => (
            "TestObjectNotFoundException",
            "The requested test object was not found (fault).",
        ),
        429 => (
            "RequestBlockedException",
            "Request was blocked due to exceeding usage of resource 'Concurrency' in namespace 'User'.",
        ),
        503 => (
            "ServiceUnavailableException",
            "The service is temporarily unavailable (fault).",
        ),
        _ => (
            "VssServiceException",
            "The emulator was told to fail this request.",
        ),
    };
    Answer::error(status, key, message)
}

impl State {
    fn take_fault(&mut self, method: &str, path_and_query: &str) -> Option<Reply> {
        let index = self.faults.iter().position(|f| {
            f.method.is_none_or(|m| m.eq_ignore_ascii_case(method))
                && path_and_query.contains(&f.path_contains)
        })?;
        let fault = &mut self.faults[index];
        let reply = fault.reply;
        if let Some(times) = &mut fault.times {
            *times = times.saturating_sub(1);
            if *times == 0 {
                self.faults.remove(index);
            }
        }
        Some(reply)
    }

    /// Authorizes, checks the organization and project, and routes.
    fn answer(
        &mut self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        if authorization != Some(format!("Bearer {SYSTEM_ACCESS_TOKEN}").as_str()) {
            return Answer::error(
                401,
                "UnauthorizedRequestException",
                "TF400813: The user '' is not authorized to access this resource.",
            )
            .with_header(
                "www-authenticate",
                "Bearer authorization_uri=https://login.microsoftonline.com/common".to_string(),
            );
        }
        let segments: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(|s| percent_decode(s, false))
            .collect();
        let line = format!("{method} {path}");
        if segments.len() < 4 || !segments[2].eq_ignore_ascii_case("_apis") {
            return self.not_found(&line, "no route of the Azure DevOps REST API has this path");
        }
        if !segments[0].eq_ignore_ascii_case(ORGANIZATION) {
            return self.not_found(
                &line,
                &format!(
                    "the organization is {:?}, not {ORGANIZATION:?}",
                    segments[0]
                ),
            );
        }
        let project = &segments[1];
        if !project.eq_ignore_ascii_case(PROJECT_ID) && !project.eq_ignore_ascii_case(PROJECT_NAME)
        {
            self.violations.push(format!(
                "{line}: the project is {project:?}, not System.TeamProjectId ({PROJECT_ID}) or {PROJECT_NAME:?}"
            ));
            return Answer::error(
                404,
                "ProjectDoesNotExistWithNameException",
                &format!(
                    "TF200016: The following project does not exist: {project}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server."
                ),
            );
        }
        let rest: Vec<String> = segments[3..]
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
        let method = method.to_ascii_uppercase();
        let answer = self.route(&method, &rest, query, body.as_ref());
        answer.unwrap_or_else(|| self.not_found(&line, "the emulator has no such route"))
    }

    fn not_found(&mut self, line: &str, why: &str) -> Answer {
        self.violations.push(format!("{line}: {why}"));
        Answer::error(
            404,
            "VssResourceNotFoundException",
            &format!("{why}: {line}"),
        )
    }

    /// The routes the task calls; `None` for any other.
    fn route(
        &mut self,
        method: &str,
        rest: &[&str],
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Option<Answer> {
        let id = |s: &str| s.parse::<u32>().ok();
        Some(match (method, rest) {
            ("GET", ["testplan", "plans"]) => self.list_plans(query),
            ("GET", ["testplan", "plans", plan]) => self.get_plan(id(plan)?),
            ("GET", ["testplan", "plans", plan, "suites"]) => self.list_suites(id(plan)?, query),
            ("GET", ["testplan", "plans", plan, "suites", suite, "testpoint"]) => {
                self.list_points(id(plan)?, id(suite)?, query)
            }
            ("GET", ["testplan", "configurations"]) => self.list_configurations(query),
            ("POST", ["test", "runs"]) => self.create_run(body),
            ("GET", ["test", "runs"]) => self.list_runs(query),
            ("GET", ["test", "runs", run]) => self.get_run(id(run)?),
            ("PATCH", ["test", "runs", run]) => self.update_run(id(run)?, body),
            ("GET", ["test", "runs", run, "results"]) => self.list_results(id(run)?, query),
            ("PATCH", ["test", "runs", run, "results"]) => self.update_results(id(run)?, body),
            ("PATCH", ["testresults", "results", "resultmetadata", reference]) => {
                self.mark_flaky(id(reference)?, body)
            }
            _ => return None,
        })
    }

    /// One page of a Test Plans list: `continuationToken` says where it
    /// starts; `x-ms-continuationtoken` where the next one does.
    pub(super) fn page(&mut self, items: Vec<Value>, query: &[(String, String)]) -> Answer {
        let token = query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("continuationToken"))
            .map(|(_, v)| v.as_str());
        let start = match token {
            None => 0,
            Some(token) => match token
                .split_once(';')
                .and_then(|(n, _)| n.parse::<usize>().ok())
            {
                Some(start) if start <= items.len() => start,
                _ => {
                    self.violations.push(format!(
                        "continuationToken {token:?} is none the emulator gave"
                    ));
                    return Answer::error(
                        400,
                        "InvalidContinuationTokenException",
                        "The continuation token is not valid.",
                    );
                }
            },
        };
        let end = (start + self.page_size).min(items.len());
        let page: Vec<Value> = items[start..end].to_vec();
        let count = page.len();
        let answer = Answer::ok(json!({ "value": page, "count": count }));
        if end < items.len() {
            // Opaque to clients; it carries a `;`, as Azure's do.
            answer.with_header("x-ms-continuationtoken", format!("{end};{}", items.len()))
        } else {
            answer
        }
    }
}
