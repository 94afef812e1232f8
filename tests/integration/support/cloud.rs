//! A Postman-cloud emulator on 127.0.0.1 for the real Postman CLI, reached
//! through the CLI's base-URL variables ([`Cloud::cli_env`]). It serves what
//! the CLI's own JavaScript (under `bin/lib/` beside the installed binary:
//! `run-upload/`, `login/`, `postman-entities/api/`) calls: run uploads, collections and environments by UID,
//! the update check, feature flags, API governance rulesets, API
//! definitions and lint reports. Each route can be made to fail (a status,
//! a 2xx that is not JSON, or no answer at all), and every request is
//! recorded for assertions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::registry::TestCa;
use super::servers::{RecordedRequest, Running, cli_base_urls, record};

/// The routes a test can make fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Route {
    Upload,
    Collection,
    Environment,
    Ruleset,
    Api,
    Report,
    Features,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Status(u16),
    /// 200 with a body that is not JSON.
    NotJson,
    /// Never answer.
    Hang,
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<RecordedRequest>>,
    faults: Mutex<BTreeMap<Route, Fault>>,
    collections: Mutex<BTreeMap<String, Value>>,
    environments: Mutex<BTreeMap<String, Value>>,
    apis: Mutex<BTreeMap<String, Value>>,
    ruleset: Mutex<Option<Value>>,
    features: Mutex<Option<Value>>,
    user_type: Mutex<Option<String>>,
}

pub struct Cloud {
    server: Running,
    tls: bool,
    shared: Arc<Shared>,
}

impl Cloud {
    pub fn start() -> Cloud {
        Cloud::start_with(None)
    }

    pub fn start_tls(ca: &TestCa) -> Cloud {
        Cloud::start_with(Some(ca))
    }

    fn start_with(ca: Option<&TestCa>) -> Cloud {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        Cloud {
            server: Running::start(app, ca.map(TestCa::server_config)),
            tls: ca.is_some(),
            shared,
        }
    }

    pub fn base_url(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.server.addr
        )
    }

    /// Every base-URL variable of the Postman CLI, pointing here.
    pub fn cli_env(&self) -> Vec<(String, String)> {
        cli_base_urls(&self.base_url())
    }

    pub fn fail(&self, route: Route, fault: Fault) -> &Self {
        self.shared.faults.lock().unwrap().insert(route, fault);
        self
    }

    pub fn add_collection(&self, uid: &str, collection: Value) -> &Self {
        self.shared
            .collections
            .lock()
            .unwrap()
            .insert(uid.to_owned(), collection);
        self
    }

    pub fn add_environment(&self, uid: &str, environment: Value) -> &Self {
        self.shared
            .environments
            .lock()
            .unwrap()
            .insert(uid.to_owned(), environment);
        self
    }

    pub fn add_api(&self, id: &str, api: Value) -> &Self {
        self.shared.apis.lock().unwrap().insert(id.to_owned(), api);
        self
    }

    pub fn set_ruleset(&self, ruleset: Value) -> &Self {
        *self.shared.ruleset.lock().unwrap() = Some(ruleset);
        self
    }

    pub fn set_features(&self, features: Value) -> &Self {
        *self.shared.features.lock().unwrap() = Some(features);
        self
    }

    /// The team's plan the runtime agent's `/handshake/token` tells (in an
    /// unsigned JWT, as the CLI decodes it without checking): `enterprise`
    /// allows the CLI's `--output`. Unset, the route answers 204.
    pub fn set_user_type(&self, user_type: &str) -> &Self {
        *self.shared.user_type.lock().unwrap() = Some(user_type.to_owned());
        self
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Requests whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path().starts_with(prefix))
            .collect()
    }

    pub fn uploads(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path() == "/collectionruns")
            .collect()
    }
}

fn route_of(method: &str, path: &str) -> Option<Route> {
    Some(match (method, path) {
        ("POST", "/collectionruns") => Route::Upload,
        ("GET", p) if p.starts_with("/collection/") => Route::Collection,
        ("GET", p) if p.starts_with("/environment/") => Route::Environment,
        ("GET", "/security/configure/checks") => Route::Ruleset,
        ("GET", p) if p.starts_with("/apis/") => Route::Api,
        ("POST", "/governance/ci/builds") => Route::Report,
        ("POST", "/features/list") => Route::Features,
        _ => return None,
    })
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let recorded = record(request).await;
    shared.requests.lock().unwrap().push(recorded.clone());
    let path = recorded.path().to_owned();
    let route = route_of(&recorded.method, &path);
    if let Some(fault) = route.and_then(|r| shared.faults.lock().unwrap().get(&r).copied()) {
        return match fault {
            Fault::Status(code) => (
                StatusCode::from_u16(code).unwrap(),
                [(header::CONTENT_TYPE, "application/json")],
                json!({"error": {"name": "injectedFault", "message": format!("injected {code}")}})
                    .to_string(),
            )
                .into_response(),
            Fault::NotJson => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html")],
                "<html>maintenance</html>",
            )
                .into_response(),
            Fault::Hang => std::future::pending().await,
        };
    }
    let json_response =
        |v: Value| ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response();
    match route {
        Some(Route::Upload) => {
            let n = shared
                .requests
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.path() == "/collectionruns")
                .count();
            json_response(
                json!({"postmanRunUrl": format!("https://go.postman.co/workspace/ws-test/run/run-{n}")}),
            )
        }
        Some(Route::Collection) => {
            let uid = path.trim_start_matches("/collection/");
            match shared.collections.lock().unwrap().get(uid) {
                Some(c) => json_response(json!({"data": c})),
                None => (
                    StatusCode::NOT_FOUND,
                    json!({"error": "not found"}).to_string(),
                )
                    .into_response(),
            }
        }
        Some(Route::Environment) => {
            let uid = path.trim_start_matches("/environment/");
            match shared.environments.lock().unwrap().get(uid) {
                Some(e) => json_response(json!({"data": e})),
                None => (
                    StatusCode::NOT_FOUND,
                    json!({"error": "not found"}).to_string(),
                )
                    .into_response(),
            }
        }
        Some(Route::Ruleset) => json_response(
            shared
                .ruleset
                .lock()
                .unwrap()
                .clone()
                .unwrap_or(json!({"categories": []})),
        ),
        Some(Route::Api) => {
            let id = path
                .trim_start_matches("/apis/")
                .split('/')
                .next()
                .unwrap_or_default();
            match shared.apis.lock().unwrap().get(id) {
                Some(a) => json_response(a.clone()),
                None => (
                    StatusCode::NOT_FOUND,
                    json!({"error": "not found"}).to_string(),
                )
                    .into_response(),
            }
        }
        Some(Route::Report) => {
            json_response(json!({"reportUrl": "https://go.postman.co/governance/report/build-1"}))
        }
        Some(Route::Features) => json_response(
            shared
                .features
                .lock()
                .unwrap()
                .clone()
                .unwrap_or(json!({"data": {"features": {}}})),
        ),
        None if path == "/handshake/token" => match shared.user_type.lock().unwrap().clone() {
            Some(user_type) => json_response(json!({"token": unsigned_jwt(&user_type)})),
            None => StatusCode::NO_CONTENT.into_response(),
        },
        None if path == "/me" => {
            json_response(json!({"user": {"id": 12345678, "username": "stub-user"}}))
        }
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// A JWT with `userType` in its payload and no signature.
fn unsigned_jwt(user_type: &str) -> String {
    use base64::Engine as _;
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(json!({"userType": user_type}))
    )
}
