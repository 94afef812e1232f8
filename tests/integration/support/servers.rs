//! Small HTTP servers for tests, each on 127.0.0.1 with a port of its own:
//! [`TargetApi`], an API under test for collections to call, and
//! [`CloudSink`], which stands in for every Postman cloud service so the
//! real Postman CLI never reaches the internet. Each runs on a background
//! thread with its own Tokio runtime, records every request, and stops when
//! dropped.

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A request as a server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path_and_query: String,
    /// Header names are lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The path without its query string.
    pub fn path(&self) -> &str {
        self.path_and_query.split('?').next().unwrap_or_default()
    }
}

/// Which routes a server answers.
#[derive(Clone, Copy)]
enum Role {
    Target,
    Sink,
}

struct Shared {
    role: Role,
    requests: Mutex<Vec<RecordedRequest>>,
    /// Requests to `/gate/{n}` in flight now, and the most seen at once.
    in_flight: Mutex<(usize, usize)>,
    gate: tokio::sync::Notify,
    /// Keys of `/flaky/{key}` and `/fail-then-hang/{key}` seen so far.
    seen: Mutex<std::collections::HashSet<String>>,
}

/// A server on 127.0.0.1 with a port of its own, over HTTP or TLS, on a
/// background thread with its own runtime; dropping it stops it. The
/// registry and cloud emulators are built on it too.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    pub fn start(app: Router, tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>) -> Running {
        // Bind before the thread starts so the port is known and listening
        // by the time start() returns.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("make the listener non-blocking");
        let addr = listener.local_addr().expect("listener address");
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("build the server runtime");
            runtime.block_on(async move {
                let tcp = tokio::net::TcpListener::from_std(listener).expect("adopt the listener");
                // Not a graceful shutdown: a client that keeps a connection
                // open (a leaked CLI process, say) must not block drop().
                match tls {
                    None => tokio::select! {
                        served = axum::serve(tcp, app).into_future() => served.expect("serve"),
                        _ = stopped => {}
                    },
                    Some(config) => tokio::select! {
                        served = axum::serve(TlsListener::new(tcp, config), app).into_future() => served.expect("serve"),
                        _ = stopped => {}
                    },
                }
            });
        });
        Running {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads a whole request into a [`RecordedRequest`].
pub async fn record(request: Request) -> RecordedRequest {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    RecordedRequest {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "/".to_string()),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    }
}

/// Accepts TLS connections for [`Running`].
pub struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl TlsListener {
    pub fn new(
        tcp: tokio::net::TcpListener,
        config: Arc<tokio_rustls::rustls::ServerConfig>,
    ) -> TlsListener {
        TlsListener {
            tcp,
            acceptor: tokio_rustls::TlsAcceptor::from(config),
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            // A client that refuses our certificate is simply dropped.
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// The target API and the cloud sink: a [`Running`] server with a request
/// log.
struct Server {
    running: Running,
    shared: Arc<Shared>,
}

impl Server {
    fn start(role: Role) -> Server {
        let shared = Arc::new(Shared {
            role,
            requests: Mutex::new(Vec::new()),
            in_flight: Mutex::new((0, 0)),
            gate: tokio::sync::Notify::new(),
            seen: Mutex::new(std::collections::HashSet::new()),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        Server {
            running: Running::start(app, None),
            shared,
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().expect("request log").clone()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let recorded = record(request).await;
    shared
        .requests
        .lock()
        .expect("request log")
        .push(recorded.clone());
    let segments: Vec<&str> = recorded.path().trim_start_matches('/').split('/').collect();
    if let (Role::Target, ["gate", n]) = (shared.role, segments.as_slice())
        && let Ok(n) = n.parse::<usize>()
    {
        return gate(&shared, n).await;
    }
    if let (Role::Target, [route @ ("flaky" | "fail-then-hang"), key]) =
        (shared.role, segments.as_slice())
    {
        // The first request for a key fails; later ones pass, or hang for
        // two minutes (a retry to cancel).
        let first = shared
            .seen
            .lock()
            .expect("seen keys")
            .insert((*key).to_owned());
        if first {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "flaky": key, "attempt": 1 })),
            )
                .into_response();
        }
        if *route == "fail-then-hang" {
            tokio::time::sleep(Duration::from_secs(120)).await;
        }
        return Json(json!({ "flaky": key, "ok": true })).into_response();
    }
    match shared.role {
        Role::Target => target_route(&recorded).await,
        Role::Sink => StatusCode::NO_CONTENT.into_response(),
    }
}

/// Holds each request until `n` are in flight at once (or a minute has
/// passed, so a test that is not parallel fails rather than hangs), then
/// answers them all: proof that `n` clients overlapped.
async fn gate(shared: &Shared, n: usize) -> Response {
    {
        let mut flight = shared.in_flight.lock().expect("in flight");
        flight.0 += 1;
        flight.1 = flight.1.max(flight.0);
        if flight.0 >= n {
            shared.gate.notify_waiters();
        }
    }
    let reached = {
        let wait = shared.gate.notified();
        let ready = shared.in_flight.lock().expect("in flight").1 >= n;
        ready
            || tokio::time::timeout(Duration::from_secs(60), wait)
                .await
                .is_ok()
    };
    shared.in_flight.lock().expect("in flight").0 -= 1;
    Json(json!({ "overlapped": reached })).into_response()
}

async fn target_route(request: &RecordedRequest) -> Response {
    let method = &request.method.parse::<Method>().unwrap_or(Method::GET);
    let path = request.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::GET, ["ok"]) => Json(json!({ "ok": true })).into_response(),
        (_, ["status", code]) => match code.parse().ok().and_then(|c| StatusCode::from_u16(c).ok())
        {
            // These statuses carry no body.
            Some(status)
                if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED =>
            {
                status.into_response()
            }
            Some(status) => (status, Json(json!({ "status": status.as_u16() }))).into_response(),
            None => (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "bad status code" })),
            )
                .into_response(),
        },
        // A session the API hands out in a cookie, refused: a failed
        // request whose response sets a credential.
        (_, ["session"]) => (
            StatusCode::UNAUTHORIZED,
            [(
                axum::http::header::SET_COOKIE,
                format!("session={SESSION_COOKIE}; Path=/; HttpOnly"),
            )],
            Json(json!({ "error": "session refused" })),
        )
            .into_response(),
        // Values a strict XML reader refuses (U+FFFF, U+0001), two items
        // of which one has no id, and text longer than Azure keeps of a
        // test's name.
        (&Method::GET, ["hostile"]) => Json(json!({
            "odd": "\u{ffff}",
            "control": "\u{1}",
            "items": [{ "id": 1 }, {}],
            "long": "n".repeat(685),
        }))
        .into_response(),
        (&Method::GET, ["inject"]) => Json(json!({
            "note": "##vso[task.setvariable variable=pwned]x",
            "status": "##vso[task.complete result=Failed;]boom",
            "log": "##[error]spoof",
        }))
        .into_response(),
        (_, ["echo"]) => Json(echoed(request)).into_response(),
        // The same echo as text in another charset, which the body's
        // `Content-Type` declares.
        (_, ["echo", charset]) => {
            let text = echoed(request).to_string();
            let bytes: Vec<u8> = match *charset {
                "utf-16le" => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
                "utf-16be" => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
                "iso-8859-1" => text
                    .chars()
                    .map(|c| u8::try_from(c).unwrap_or(b'?'))
                    .collect(),
                _ => return (StatusCode::NOT_FOUND, "unknown charset").into_response(),
            };
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    format!("text/plain; charset={charset}"),
                )],
                bytes,
            )
                .into_response()
        }
        (&Method::GET, ["slow", ms]) => match ms.parse::<u64>() {
            Ok(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Json(json!({ "slept_ms": ms })).into_response()
            }
            Err(_) => (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "bad delay" })),
            )
                .into_response(),
        },
        _ => (StatusCode::NOT_FOUND, Json(Value::from("not found"))).into_response(),
    }
}

/// What `/echo` answers: the request's method, path, headers and body.
fn echoed(request: &RecordedRequest) -> Value {
    let headers: BTreeMap<&str, &str> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    json!({
        "method": request.method,
        "path": request.path_and_query,
        "headers": headers,
        "body": request.body_text(),
    })
}

/// The session cookie `/session` sets: known to no one but the API.
pub const SESSION_COOKIE: &str = "srv-session-5e1f0c9a7b3d";

/// An API under test. Routes: `GET /ok`; `ANY /status/{code}`; `ANY /session`
/// (401 with a `Set-Cookie` of [`SESSION_COOKIE`]); `GET /inject`
/// (a body whose strings hold logging commands); `GET /hostile` (U+FFFF,
/// U+0001, `items` one without an id, `long`: 685 characters); `ANY /echo` (method,
/// headers and body echoed as JSON); `ANY /echo/{charset}` (the same as
/// `text/plain` in `utf-16le`, `utf-16be` or `iso-8859-1`); `GET /slow/{ms}`; `ANY /flaky/{key}`
/// (503 the first time a key is seen, 200 after); `ANY
/// /fail-then-hang/{key}` (503 the first time, then two minutes' wait).
pub struct TargetApi(Server);

impl TargetApi {
    pub fn start() -> TargetApi {
        TargetApi(Server::start(Role::Target))
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.0.base_url()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.0.requests()
    }

    /// The most `/gate/{n}` requests that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.0.shared.in_flight.lock().expect("in flight").1
    }
}

/// Stands in for the Postman cloud: answers every request 204 and records it.
pub struct CloudSink(Server);

/// The Postman CLI's base-URL variables: pointed at a test server, they keep
/// the real CLI off the internet.
pub const CLI_BASE_URL_VARIABLES: &[&str] = &[
    "POSTMAN_GATEWAY_BASE_URL",
    "POSTMAN_API_BASE_URL",
    "ARS_CLI_BASE_URL",
    "POSTMAN_ANALYTICS_BASE_URL",
    "POSTMAN_IDENTITY_BASE_URL",
    "POSTMAN_IAPUB_BASE_URL",
    "POSTMAN_AUTHN_BASE_URL",
    "POSTMAN_PACKMAN_BASE_URL",
    "POSTMAN_RUNTIME_AGENT_BASE_URL",
];

impl CloudSink {
    pub fn start() -> CloudSink {
        CloudSink(Server::start(Role::Sink))
    }

    pub fn base_url(&self) -> String {
        self.0.base_url()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.0.requests()
    }

    /// Environment for the agent (`AgentJob::agent_env`) that sends every
    /// Postman CLI service call here.
    pub fn cli_env(&self) -> Vec<(String, String)> {
        cli_base_urls(&self.base_url())
    }
}

/// Every base-URL variable of the Postman CLI, set to `base`.
pub fn cli_base_urls(base: &str) -> Vec<(String, String)> {
    CLI_BASE_URL_VARIABLES
        .iter()
        .map(|name| (name.to_string(), base.to_owned()))
        .collect()
}
