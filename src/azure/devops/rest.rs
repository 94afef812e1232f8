//! Azure DevOps' REST API, as the job's connection calls it: every call
//! through [`crate::http::fetch`] (retries of 429 and 5xx honouring
//! `Retry-After`, bounded answers, a bounded time per call), the token in a
//! sensitive `Authorization: Bearer` header, list calls followed through
//! their continuation tokens.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use serde::de::DeserializeOwned;

use super::JobConnection;
use crate::events::Events;
use crate::http::fetch::{FetchError, Get, json_and_header};

/// The REST API version the calls are written against.
pub(crate) const API_VERSION: &str = "7.1";
/// The most one answer may weigh: a page of a list is far smaller.
const ANSWER_LIMIT: u64 = 32 * 1024 * 1024;
/// The most pages a list is followed through: a server that never stops
/// paging cannot keep the step.
const MAX_PAGES: usize = 1000;
const CONTINUATION: &str = "x-ms-continuationtoken";
/// Items per page of a `$top`/`$skip` list: the most the Test area gives.
pub(crate) const SKIP_PAGE: usize = 1000;

/// A list answer: `{ "value": [...], "count": n }`.
#[derive(serde::Deserialize)]
struct Page<T> {
    value: Vec<T>,
}

/// The calls of one task run.
pub(crate) struct DevOps<'a> {
    http: reqwest::Client,
    connection: &'a JobConnection,
    events: &'a dyn Events,
    /// The most one call may take, answer included.
    timeout: Duration,
}

impl<'a> DevOps<'a> {
    pub(crate) fn new(
        http: reqwest::Client,
        connection: &'a JobConnection,
        events: &'a dyn Events,
        timeout: Duration,
    ) -> DevOps<'a> {
        DevOps {
            http,
            connection,
            events,
            timeout,
        }
    }

    /// `{collection}{project}/`: where the project's pages are, for links.
    pub(crate) fn project_url(&self) -> String {
        format!(
            "{}{}/",
            self.connection.collection_url,
            encode(&self.connection.project)
        )
    }

    /// `{collection}{project}/_apis/{path}?api-version=…` with `query`.
    pub(crate) fn url(&self, path: &str, version: &str, query: &[(&str, &str)]) -> String {
        let base = format!("{}_apis/{path}", self.project_url());
        match reqwest::Url::parse(&base) {
            Ok(mut url) => {
                {
                    let mut pairs = url.query_pairs_mut();
                    for (k, v) in query {
                        pairs.append_pair(k, v);
                    }
                    pairs.append_pair("api-version", version);
                }
                url.to_string()
            }
            Err(_) => format!("{base}?api-version={version}"),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
        what: &'static str,
    ) -> Result<(T, Option<String>), FetchError> {
        let mut request = Get::new(url, what, ANSWER_LIMIT)
            .secret_header(
                AUTHORIZATION,
                &format!("Bearer {}", self.connection.token()),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.timeout);
        if let Some(body) = body {
            request = request.json_body(method, body);
        }
        json_and_header(&self.http, &request, self.events, CONTINUATION).await
    }

    /// GETs one document.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        what: &'static str,
    ) -> Result<T, FetchError> {
        let url = self.url(path, API_VERSION, &[]);
        Ok(self.call(Method::GET, &url, None, what).await?.0)
    }

    /// GETs every page of a list.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        what: &'static str,
    ) -> Result<Vec<T>, FetchError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let query: Vec<(&str, &str)> = token
                .as_deref()
                .map(|t| ("continuationToken", t))
                .into_iter()
                .collect();
            let url = self.url(path, API_VERSION, &query);
            let (page, next): (Page<T>, _) = self.call(Method::GET, &url, None, what).await?;
            all.extend(page.value);
            match next.filter(|t| !t.trim().is_empty()) {
                Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                _ => return Ok(all),
            }
        }
        Ok(all)
    }

    /// GETs every page of a list paged by `$top` and `$skip` (the Test
    /// area's runs and results), with `query`: until a page comes back
    /// short.
    pub(crate) async fn list_skipping<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        what: &'static str,
    ) -> Result<Vec<T>, FetchError> {
        let mut all = Vec::new();
        let top = SKIP_PAGE.to_string();
        for _ in 0..MAX_PAGES {
            let skip = all.len().to_string();
            let mut pairs = query.to_vec();
            pairs.extend([("$skip", skip.as_str()), ("$top", top.as_str())]);
            let url = self.url(path, API_VERSION, &pairs);
            let (page, _): (Page<T>, _) = self.call(Method::GET, &url, None, what).await?;
            let short = page.value.len() < SKIP_PAGE;
            all.extend(page.value);
            if short {
                break;
            }
        }
        Ok(all)
    }

    /// POSTs or PATCHes a JSON body and reads the answer.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        version: &str,
        body: &serde_json::Value,
        what: &'static str,
    ) -> Result<T, FetchError> {
        let url = self.url(path, version, &[]);
        Ok(self.call(method, &url, Some(body), what).await?.0)
    }
}

/// A path segment, percent-encoded (a project name may hold spaces).
fn encode(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_project_the_version_and_the_query() {
        let env = crate::azure::agent::AgentEnv::from_pairs([
            (
                "ENDPOINT_URL_SYSTEMVSSCONNECTION",
                "https://dev.azure.com/contoso/",
            ),
            (
                "ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN",
                "t",
            ),
            ("SYSTEM_TEAMPROJECTID", "My Shop"),
        ]);
        let c = JobConnection::from_env(&env).unwrap();
        let events = crate::http::fetch::Quiet;
        let api = DevOps::new(reqwest::Client::new(), &c, &events, Duration::from_secs(1));
        assert_eq!(
            api.url(
                "testplan/plans/5/suites",
                API_VERSION,
                &[("continuationToken", "a b;c")]
            ),
            "https://dev.azure.com/contoso/My%20Shop/_apis/testplan/plans/5/suites?continuationToken=a+b%3Bc&api-version=7.1"
        );
    }
}
