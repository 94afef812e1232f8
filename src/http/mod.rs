//! Network settings, taken the way the agent gives them: its proxy (with
//! credentials and a bypass list of regular expressions), its CA bundle and
//! its certificate-check switch. They configure the installer's HTTP client
//! and the environment of the Postman CLI, so collection runs and uploads
//! work behind the same proxy. Outside a pipeline the usual `HTTPS_PROXY` /
//! `NO_PROXY` variables apply (reqwest reads them itself).
//!
//! Every request goes out through one door, [`fetch`]: the same retry, size
//! bounds and errors that name the URL, for the installer and for
//! Postman's small JSON answers alike.

pub(crate) mod fetch;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::azure::agent::AgentEnv;

/// Network settings, read from the environment once.
#[derive(Clone, Debug, Default)]
pub(crate) struct HttpSettings {
    /// `Agent.ProxyUrl`, with its credentials and bypass list.
    pub(crate) proxy: Option<ProxySettings>,
    /// `Agent.CAInfo`: a PEM bundle trusted in addition to the usual roots.
    pub(crate) ca_file: Option<PathBuf>,
    /// `Agent.SkipCertValidation`.
    pub(crate) skip_cert_validation: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
}

#[derive(Clone, Debug)]
pub(crate) struct ProxySettings {
    pub(crate) url: String,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    /// `Agent.ProxyBypassList`: URLs matching any of these go direct.
    pub(crate) bypass: Vec<regex::Regex>,
    /// Entries of the bypass list that are not valid regular expressions.
    pub(crate) invalid_bypass: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum HttpError {
    #[error("the agent's proxy URL `{url}` is not valid: {detail}")]
    Proxy { url: String, detail: String },
    #[error("cannot read the CA bundle `{path}` (Agent.CAInfo): {source}")]
    CaFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the CA bundle `{path}` (Agent.CAInfo) holds no usable PEM certificate: {source}")]
    CaParse {
        path: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot set up HTTPS: {0}")]
    Build(#[source] reqwest::Error),
}

impl ProxySettings {
    pub(crate) fn bypasses(&self, url: &str) -> bool {
        self.bypass.iter().any(|r| r.is_match(url))
    }

    /// The proxy URL with its credentials in it, for tools that take only
    /// a URL (the `HTTPS_PROXY` convention).
    fn url_with_credentials(&self) -> String {
        let Some(user) = &self.username else {
            return self.url.clone();
        };
        match proxy_url(&self.url) {
            Ok(mut url) => {
                let _ = url.set_username(user);
                let _ = url.set_password(self.password.as_deref());
                url.to_string()
            }
            Err(_) => self.url.clone(),
        }
    }

    /// The bypass list as `NO_PROXY` host names, as far as a regular
    /// expression reads as one (`.*\.corp\.example\.com`, `localhost`).
    fn no_proxy_hosts(&self) -> Vec<String> {
        self.bypass
            .iter()
            .filter_map(|r| {
                let text = r.as_str().trim_start_matches('^').trim_end_matches('$');
                let text = text
                    .trim_start_matches("https?://")
                    .trim_start_matches("http://")
                    .trim_start_matches("https://");
                let (wild, rest) = match text.strip_prefix(".*") {
                    Some(rest) => (true, rest),
                    None => (false, text),
                };
                let host = rest.replace("\\.", ".").replace("\\-", "-");
                let host = host
                    .trim_end_matches(".*")
                    .trim_end_matches("/.*")
                    .trim_end_matches('/');
                let plain = !host.is_empty()
                    && host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c));
                plain.then(|| {
                    if wild && !host.starts_with('.') {
                        format!(".{}", host.trim_start_matches('.'))
                    } else {
                        host.to_owned()
                    }
                })
            })
            .collect()
    }
}

impl HttpSettings {
    pub(crate) fn from_env(env: &AgentEnv) -> HttpSettings {
        let knobs = crate::knobs::Knobs::from_env(env);
        HttpSettings {
            proxy: env.variable("agent.proxyUrl").map(|url| {
                let (bypass, invalid_bypass) = bypass_list(env.variable("agent.proxyBypassList"));
                ProxySettings {
                    url: url.to_owned(),
                    username: env.variable("agent.proxyUsername").map(str::to_owned),
                    password: env.variable("agent.proxyPassword").map(str::to_owned),
                    bypass,
                    invalid_bypass,
                }
            }),
            ca_file: env.variable("agent.caInfo").map(PathBuf::from),
            skip_cert_validation: env
                .variable("agent.skipCertValidation")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            connect_timeout: knobs.connect_timeout,
            read_timeout: knobs.read_timeout,
        }
    }

    pub(crate) fn client(&self) -> Result<reqwest::Client, HttpError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("postman-cli-task/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout);
        if let Some(proxy) = &self.proxy {
            let target = proxy_url(&proxy.url).map_err(|detail| HttpError::Proxy {
                url: proxy.url.clone(),
                detail,
            })?;
            let matcher = proxy.clone();
            // task-lib applies the bypass list to the whole request URL.
            let mut p = reqwest::Proxy::custom(move |url| {
                (!matcher.bypasses(url.as_str())).then(|| target.clone())
            });
            if let Some(user) = &proxy.username {
                p = p.basic_auth(user, proxy.password.as_deref().unwrap_or(""));
            }
            builder = builder.proxy(p);
        }
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path).map_err(|source| HttpError::CaFile {
                path: path.display().to_string(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| {
                HttpError::CaParse {
                    path: path.display().to_string(),
                    source,
                }
            })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if self.skip_cert_validation {
            builder = builder.danger_accept_invalid_certs(true);
        }
        builder.build().map_err(HttpError::Build)
    }

    /// A child's environment with the agent's proxy and CA added, for the
    /// Postman CLI (a Node program: it reads `HTTPS_PROXY`, `NO_PROXY` and
    /// `NODE_EXTRA_CA_CERTS`).
    pub(crate) fn child_env(
        &self,
        mut env: BTreeMap<OsString, OsString>,
    ) -> BTreeMap<OsString, OsString> {
        if let Some(proxy) = &self.proxy {
            let url = proxy.url_with_credentials();
            for name in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"] {
                env.insert(name.into(), url.clone().into());
            }
            let mut hosts = proxy.no_proxy_hosts();
            for local in ["localhost", "127.0.0.1", "::1"] {
                if !hosts.iter().any(|h| h == local) {
                    hosts.push(local.into());
                }
            }
            let no_proxy = hosts.join(",");
            env.insert("NO_PROXY".into(), no_proxy.clone().into());
            env.insert("no_proxy".into(), no_proxy.into());
        }
        if let Some(ca) = &self.ca_file {
            // Node reads one extra CA file; a user's own setting wins.
            env.entry("NODE_EXTRA_CA_CERTS".into())
                .or_insert_with(|| ca.clone().into());
        }
        env
    }
}

/// The agent's proxy setting usually has a scheme; `host:port` means HTTP.
fn proxy_url(text: &str) -> Result<reqwest::Url, String> {
    let text = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    let url = reqwest::Url::parse(&text).map_err(|e| e.to_string())?;
    match url.scheme() {
        "http" | "https" | "socks5" | "socks5h" if url.has_host() => Ok(url),
        other => Err(format!(
            "`{other}` proxies are not supported; use http://host:port"
        )),
    }
}

/// The agent passes the bypass list as a JSON array of JavaScript regular
/// expressions, matched case-insensitively (as task-lib does).
fn bypass_list(raw: Option<&str>) -> (Vec<regex::Regex>, Vec<String>) {
    let entries: Vec<String> = raw
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for entry in entries {
        match regex::RegexBuilder::new(&entry)
            .case_insensitive(true)
            .build()
        {
            Ok(r) => ok.push(r),
            Err(_) => bad.push(entry),
        }
    }
    (ok, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> HttpSettings {
        HttpSettings::from_env(&AgentEnv::from_pairs(
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        ))
    }

    #[test]
    fn reads_the_agent_proxy_and_its_bypass_list() {
        let s = settings(&[
            ("AGENT_PROXYURL", "http://proxy.corp:8080"),
            ("AGENT_PROXYUSERNAME", "svc"),
            ("SECRET_AGENT_PROXYPASSWORD", "p@ss"),
            (
                "AGENT_PROXYBYPASSLIST",
                r#"[".*\\.internal\\.example\\.com", "^https?://registry\\.local", "(unclosed"]"#,
            ),
        ]);
        let proxy = s.proxy.as_ref().unwrap();
        assert!(proxy.bypasses("https://NPM.internal.example.com/x"));
        assert!(proxy.bypasses("http://registry.local:4873/@postman%2fx"));
        assert!(!proxy.bypasses("https://registry.npmjs.org/"));
        assert_eq!(proxy.invalid_bypass, ["(unclosed"]);
        assert!(s.client().is_ok());
        assert!(
            settings(&[("AGENT_PROXYURL", "proxy.corp:3128")])
                .client()
                .is_ok()
        );
        assert!(
            settings(&[("AGENT_PROXYURL", "ftp://proxy.corp")])
                .client()
                .unwrap_err()
                .to_string()
                .contains("not supported")
        );

        let env = s.child_env(BTreeMap::new());
        let get = |k: &str| {
            env.get(std::ffi::OsStr::new(k))
                .map(|v| v.to_string_lossy().into_owned())
        };
        assert_eq!(
            get("HTTPS_PROXY").as_deref(),
            Some("http://svc:p%40ss@proxy.corp:8080/")
        );
        assert_eq!(
            get("NO_PROXY").as_deref(),
            Some(".internal.example.com,registry.local,localhost,127.0.0.1,::1")
        );
    }

    #[test]
    fn the_agent_ca_reaches_node_unless_set_already() {
        let s = settings(&[("AGENT_CAINFO", "/etc/corp-ca.pem")]);
        let env = s.child_env(BTreeMap::new());
        assert_eq!(
            env.get(std::ffi::OsStr::new("NODE_EXTRA_CA_CERTS"))
                .unwrap(),
            "/etc/corp-ca.pem"
        );
        let mut own = BTreeMap::new();
        own.insert(
            OsString::from("NODE_EXTRA_CA_CERTS"),
            OsString::from("/mine.pem"),
        );
        assert_eq!(
            s.child_env(own)
                .get(std::ffi::OsStr::new("NODE_EXTRA_CA_CERTS"))
                .unwrap(),
            "/mine.pem"
        );
        assert!(settings(&[]).child_env(BTreeMap::new()).is_empty());
    }
}
