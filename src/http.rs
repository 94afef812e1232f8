//! The HTTP client the installer uses, configured the way the agent is:
//! its proxy, its CA bundle and its certificate-check switch; outside a
//! pipeline, the usual `HTTPS_PROXY`/`NO_PROXY` variables.

use std::path::PathBuf;
use std::time::Duration;

use crate::azure::agent::AgentEnv;

/// Network settings, read from the environment once.
#[derive(Clone, Debug, Default)]
pub struct HttpSettings {
    /// `Agent.ProxyUrl`, with its user name and password.
    pub proxy: Option<ProxySettings>,
    /// `Agent.CAInfo`: a PEM bundle to trust in addition to the usual roots.
    pub ca_file: Option<PathBuf>,
    /// `Agent.SkipCertValidation`.
    pub skip_cert_validation: bool,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct ProxySettings {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("the agent's proxy URL `{url}` is not valid: {source}")]
    Proxy {
        url: String,
        #[source]
        source: reqwest::Error,
    },
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

impl HttpSettings {
    pub fn from_env(env: &AgentEnv) -> HttpSettings {
        let seconds = |name: &str, default: u64| {
            Duration::from_secs(
                env.get(name)
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(default),
            )
        };
        HttpSettings {
            proxy: env.variable("agent.proxyUrl").map(|url| ProxySettings {
                url: url.to_owned(),
                username: env.variable("agent.proxyUsername").map(str::to_owned),
                password: env.variable("agent.proxyPassword").map(str::to_owned),
            }),
            ca_file: env.variable("agent.caInfo").map(PathBuf::from),
            skip_cert_validation: env
                .variable("agent.skipCertValidation")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            connect_timeout: seconds("POSTMAN_CLI_TASK_CONNECT_TIMEOUT", 30),
            read_timeout: seconds("POSTMAN_CLI_TASK_READ_TIMEOUT", 60),
        }
    }

    pub fn client(&self) -> Result<reqwest::Client, HttpError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("postman-cli-task/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout);
        if let Some(proxy) = &self.proxy {
            let mut p = reqwest::Proxy::all(&proxy.url).map_err(|source| HttpError::Proxy {
                url: proxy.url.clone(),
                source,
            })?;
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
}
