//! The one door for HTTP requests. Every request the task makes goes out
//! here: the installer's package documents and downloads, Postman's small
//! JSON answers (a collection's tree, the handshake), and Azure DevOps'
//! REST calls (GET, POST and PATCH with a JSON body). So every caller gets
//! the same things: a retry of what is worth retrying, a bound on what an
//! answer may weigh (a server is input like any other), a body that must
//! arrive whole, and errors that name the URL. The caller adds the setting
//! that decides the URL, which only it knows.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue};

use crate::events::{Event, Events};

/// Tries per request: the first, then two more after 1 s and 2 s.
pub(crate) const ATTEMPTS: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("cannot reach {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("{url} answered {status}{}", status_hint(*status))]
    Status { url: String, status: u16 },
    /// A 429 or 5xx that said how long to wait (`Retry-After`).
    #[error("{url} answered {status} and asked to wait {}", crate::text::limit(*wait))]
    Throttled {
        url: String,
        status: u16,
        wait: Duration,
    },
    #[error("the download of {url} broke off after {received} of {total} bytes: {detail}")]
    Truncated {
        url: String,
        received: u64,
        total: String,
        detail: String,
    },
    #[error(
        "{url} sends more than {}, the most the task takes for {what}; nothing was kept",
        crate::text::size(*limit)
    )]
    TooLarge {
        url: String,
        limit: u64,
        what: &'static str,
    },
    #[error("the answer from {url} is not what {what} should be: {detail}")]
    BadAnswer {
        url: String,
        what: &'static str,
        detail: String,
    },
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => "; the server needs credentials, or refused them",
        404 => "; there is nothing at that address",
        429 => "; too many requests, try again later",
        500..=599 => "; the server had a problem, try again later",
        _ => "",
    }
}

/// Errors that say whether another try could end otherwise.
pub(crate) trait Retry: std::fmt::Display {
    /// Faults of the network and the server, not of the content.
    fn retryable(&self) -> bool;
    /// How long the server asked to wait before the next try.
    fn wait(&self) -> Option<Duration> {
        None
    }
}

impl Retry for FetchError {
    fn retryable(&self) -> bool {
        match self {
            FetchError::Network { .. }
            | FetchError::Truncated { .. }
            | FetchError::Throttled { .. } => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 429,
            FetchError::TooLarge { .. } | FetchError::BadAnswer { .. } => false,
        }
    }

    fn wait(&self) -> Option<Duration> {
        match self {
            FetchError::Throttled { wait, .. } => Some(*wait),
            _ => None,
        }
    }
}

/// The longest `Retry-After` honoured: a server asking for more is
/// waited on this long, so a step never stalls for it.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Runs `attempt` up to [`ATTEMPTS`] times while it fails in a way worth
/// retrying, waiting 1 s, then 2 s, and telling `events` each time.
pub(crate) async fn retry<T, E, F, Fut>(events: &dyn Events, attempt: F) -> Result<T, E>
where
    E: Retry,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    retry_waiting(events, Duration::from_secs(1), attempt).await
}

/// [`retry`], with the first wait given (tests wait none).
async fn retry_waiting<T, E, F, Fut>(
    events: &dyn Events,
    first: Duration,
    mut attempt: F,
) -> Result<T, E>
where
    E: Retry,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut n = 1;
    loop {
        match attempt().await {
            Err(e) if e.retryable() && n < ATTEMPTS => {
                let wait = wait_before(n, first, &e);
                events.emit(Event::Warning(&format!(
                    "{e}; trying again in {} (attempt {} of {ATTEMPTS})",
                    crate::text::limit(wait),
                    n + 1
                )));
                tokio::time::sleep(wait).await;
                n += 1;
            }
            other => return other,
        }
    }
}

/// The wait before try `n + 1`: what the server asked (within
/// [`MAX_RETRY_AFTER`]), else `first` doubled at each try.
fn wait_before(n: u32, first: Duration, e: &impl Retry) -> Duration {
    e.wait()
        .map_or(first * (1 << (n - 1)), |w| w.min(MAX_RETRY_AFTER))
}

/// Events nobody needs to see: for a lookup whose failure the caller
/// reports in its own words, its retries are not news.
pub(crate) struct Quiet;

impl Events for Quiet {
    fn emit(&self, _: Event<'_>) {}
}

/// One GET: where, with which headers, and how much of an answer the
/// caller takes.
pub(crate) struct Get<'a> {
    url: &'a str,
    headers: Vec<(HeaderName, String, bool)>,
    limit: u64,
    /// What the answer is, for errors: `a Postman CLI package`.
    what: &'static str,
    /// GET unless said; POST and PATCH carry a JSON body.
    method: reqwest::Method,
    body: Option<Vec<u8>>,
    /// The most the whole request may take, on top of the client's
    /// connect and read timeouts.
    timeout: Option<Duration>,
}

impl<'a> Get<'a> {
    pub(crate) fn new(url: &'a str, what: &'static str, limit: u64) -> Get<'a> {
        Get {
            url,
            headers: Vec::new(),
            limit,
            what,
            method: reqwest::Method::GET,
            body: None,
            timeout: None,
        }
    }

    /// A request with another method and a JSON body (POST, PATCH).
    pub(crate) fn json_body(
        mut self,
        method: reqwest::Method,
        body: &serde_json::Value,
    ) -> Get<'a> {
        self.method = method;
        self.body = Some(body.to_string().into_bytes());
        self
    }

    /// Bounds the whole request, answer included.
    pub(crate) fn timeout(mut self, limit: Duration) -> Get<'a> {
        self.timeout = Some(limit);
        self
    }

    pub(crate) fn header(mut self, name: HeaderName, value: &str) -> Get<'a> {
        self.headers.push((name, value.to_owned(), false));
        self
    }

    /// A header whose value is a secret (a token, an API key): marked so
    /// that no debug output of the request shows it.
    pub(crate) fn secret_header(mut self, name: HeaderName, value: &str) -> Get<'a> {
        self.headers.push((name, value.to_owned(), true));
        self
    }

    fn request(&self, client: &reqwest::Client) -> Result<reqwest::RequestBuilder, FetchError> {
        let mut request = client.request(self.method.clone(), self.url);
        if let Some(body) = &self.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        if let Some(limit) = self.timeout {
            request = request.timeout(limit);
        }
        for (name, value, secret) in &self.headers {
            let mut value = HeaderValue::from_str(value).map_err(|_| FetchError::Network {
                url: self.url.to_owned(),
                detail: format!("the value for the header {name} holds characters HTTP does not allow (a line break?)"),
            })?;
            value.set_sensitive(*secret);
            request = request.header(name, value);
        }
        Ok(request)
    }
}

/// Sends `get` once. A success gives its body to read; no answer, an answer
/// that is not a success, or one that says it is larger than the caller
/// takes, is the error.
pub(crate) async fn open(client: &reqwest::Client, get: &Get<'_>) -> Result<Body, FetchError> {
    let response = get
        .request(client)?
        .send()
        .await
        .map_err(|e| network(get.url, &e))?;
    if !response.status().is_success() {
        let status = response.status().as_u16();
        let url = get.url.to_owned();
        return Err(match retry_after(&response) {
            Some(wait) if status == 429 || status >= 500 => {
                FetchError::Throttled { url, status, wait }
            }
            _ => FetchError::Status { url, status },
        });
    }
    let body = Body {
        total: response.content_length(),
        response,
        url: get.url.to_owned(),
        limit: get.limit,
        what: get.what,
        received: 0,
    };
    match body.total {
        Some(total) if total > body.limit => Err(body.too_large()),
        _ => Ok(body),
    }
}

/// `Retry-After` in seconds (the form Azure DevOps and most APIs send).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// Sends a request and reads its JSON answer, retrying what is worth it,
/// with the value of one response header (a continuation token).
pub(crate) async fn json_and_header<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    get: &Get<'_>,
    events: &dyn Events,
    header: &str,
) -> Result<(T, Option<String>), FetchError> {
    let (body, value) = retry(events, || async {
        let body = open(client, get).await?;
        let value = body
            .response
            .headers()
            .get(header)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok::<_, FetchError>((body.read_all().await?, value))
    })
    .await?;
    let doc =
        serde_json::from_slice(&body).map_err(|e| bad_answer(get.url, get.what, e.to_string()))?;
    Ok((doc, value))
}

/// GETs a whole answer, retrying what is worth it.
pub(crate) async fn get_bytes(
    client: &reqwest::Client,
    get: &Get<'_>,
    events: &dyn Events,
) -> Result<Bytes, FetchError> {
    retry(events, || async {
        open(client, get).await?.read_all().await
    })
    .await
}

/// GETs a JSON document, retrying what is worth it; an answer that is not
/// the document expected is a [`FetchError::BadAnswer`].
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    get: &Get<'_>,
    events: &dyn Events,
) -> Result<T, FetchError> {
    let body = get_bytes(client, get, events).await?;
    serde_json::from_slice(&body).map_err(|e| bad_answer(get.url, get.what, e.to_string()))
}

pub(crate) fn bad_answer(url: &str, what: &'static str, detail: String) -> FetchError {
    FetchError::BadAnswer {
        url: url.to_owned(),
        what,
        detail,
    }
}

/// A success's body, read chunk by chunk within its bound: it fails when it
/// grows past the bound or breaks off before its announced length.
pub(crate) struct Body {
    response: reqwest::Response,
    url: String,
    limit: u64,
    what: &'static str,
    total: Option<u64>,
    received: u64,
}

impl Body {
    /// The length the server announced, if it did.
    pub(crate) fn total(&self) -> Option<u64> {
        self.total
    }

    pub(crate) fn received(&self) -> u64 {
        self.received
    }

    /// The next chunk, or `None` at the end of a complete body.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, FetchError> {
        match self.response.chunk().await {
            Ok(Some(chunk)) => {
                self.received += chunk.len() as u64;
                if self.received > self.limit {
                    return Err(self.too_large());
                }
                Ok(Some(chunk))
            }
            Ok(None) => match self.total {
                Some(total) if self.received < total => {
                    Err(self.truncated("the connection closed early".into()))
                }
                _ => Ok(None),
            },
            Err(e) => Err(self.truncated(network_detail(&e))),
        }
    }

    /// The rest of the body, whole.
    pub(crate) async fn read_all(mut self) -> Result<Bytes, FetchError> {
        let mut all = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(all))
    }

    fn too_large(&self) -> FetchError {
        FetchError::TooLarge {
            url: self.url.clone(),
            limit: self.limit,
            what: self.what,
        }
    }

    fn truncated(&self, detail: String) -> FetchError {
        FetchError::Truncated {
            url: self.url.clone(),
            received: self.received,
            total: self.total.map_or_else(|| "?".to_owned(), |t| t.to_string()),
            detail,
        }
    }
}

fn network(url: &str, e: &reqwest::Error) -> FetchError {
    FetchError::Network {
        url: url.to_owned(),
        detail: network_detail(e),
    }
}

fn network_detail(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!(
            "no answer in time ({}); raise the limit with POSTMAN_CLI_TASK_READ_TIMEOUT or POSTMAN_CLI_TASK_CONNECT_TIMEOUT (seconds)",
            error_chain(e)
        )
    } else {
        error_chain(e)
    }
}

/// reqwest's top-level message is generic ("error sending request"); the
/// causes underneath say what happened.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    struct Seen(RefCell<Vec<String>>);

    impl Events for Seen {
        fn emit(&self, event: Event<'_>) {
            if let Event::Warning(text) = event {
                self.0.borrow_mut().push(text.to_owned());
            }
        }
    }

    fn status(status: u16) -> FetchError {
        FetchError::Status {
            url: "https://r.example/x".into(),
            status,
        }
    }

    #[test]
    fn errors_name_the_url_and_what_to_do() {
        assert_eq!(
            status(401).to_string(),
            "https://r.example/x answered 401; the server needs credentials, or refused them"
        );
        assert_eq!(
            status(503).to_string(),
            "https://r.example/x answered 503; the server had a problem, try again later"
        );
        assert_eq!(status(418).to_string(), "https://r.example/x answered 418");
        let too_large = FetchError::TooLarge {
            url: "https://r.example/x.tgz".into(),
            limit: 1 << 30,
            what: "a Postman CLI package",
        };
        assert_eq!(
            too_large.to_string(),
            "https://r.example/x.tgz sends more than 1 GiB, the most the task takes for a Postman CLI package; nothing was kept"
        );
    }

    #[test]
    fn only_the_network_and_the_server_are_retried() {
        assert!(status(500).retryable() && status(429).retryable());
        assert!(!status(404).retryable() && !status(401).retryable());
        assert!(!bad_answer("u", "a document", "eof".into()).retryable());
        assert!(
            FetchError::Network {
                url: "u".into(),
                detail: "refused".into()
            }
            .retryable()
        );
    }

    #[tokio::test]
    async fn retries_twice_then_gives_the_last_error() {
        let seen = Seen(RefCell::new(Vec::new()));
        let tries = std::cell::Cell::new(0);
        let result: Result<(), FetchError> = retry_waiting(&seen, Duration::ZERO, || {
            tries.set(tries.get() + 1);
            async { Err(status(502)) }
        })
        .await;
        assert_eq!(tries.get(), 3);
        assert!(matches!(
            result,
            Err(FetchError::Status { status: 502, .. })
        ));
        assert_eq!(
            seen.0.borrow().as_slice(),
            [
                "https://r.example/x answered 502; the server had a problem, try again later; trying again in 0 s (attempt 2 of 3)",
                "https://r.example/x answered 502; the server had a problem, try again later; trying again in 0 s (attempt 3 of 3)",
            ]
        );
        tries.set(0);
        let result: Result<(), FetchError> = retry_waiting(&seen, Duration::ZERO, || {
            tries.set(tries.get() + 1);
            async { Err(status(404)) }
        })
        .await;
        assert_eq!(tries.get(), 1, "a 404 is an answer");
        assert!(result.is_err());
    }

    #[test]
    fn a_server_s_retry_after_is_waited_within_a_bound() {
        let throttled = |seconds| FetchError::Throttled {
            url: "https://dev.example/x".into(),
            status: 429,
            wait: Duration::from_secs(seconds),
        };
        let second = Duration::from_secs(1);
        assert_eq!(
            wait_before(1, second, &throttled(7)),
            Duration::from_secs(7)
        );
        assert_eq!(wait_before(2, second, &throttled(3600)), MAX_RETRY_AFTER);
        assert_eq!(wait_before(2, second, &status(503)), Duration::from_secs(2));
        assert!(throttled(7).retryable());
        assert_eq!(
            throttled(7).to_string(),
            "https://dev.example/x answered 429 and asked to wait 7 s"
        );
    }
}
