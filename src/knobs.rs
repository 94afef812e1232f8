//! The environment variables that tune the task for unusual setups, read in
//! one place. They are documented in the README ("Knobs for unusual
//! setups"); each says in its own error or warning when it is the one to
//! change.

use std::time::Duration;

use crate::azure::agent::AgentEnv;

/// Postman's download site, unless `POSTMAN_CLI_DOWNLOAD_URL` says another.
pub(crate) const DEFAULT_SITE: &str = "https://dl-cli.pstmn.io";
/// The npm registry, unless the plan or `npm_config_registry` names one.
pub(crate) const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org/";
/// The Postman tab's attachment: 8 MiB keeps the tab quick to load and
/// parse, and holds thousands of requests with their failed bodies.
pub(crate) const DEFAULT_ATTACHMENT_LIMIT: usize = 8 * 1024 * 1024;

#[derive(Clone, Debug)]
pub(crate) struct Knobs {
    /// `POSTMAN_CLI_TASK_LOCK_TIMEOUT`: how long to wait for another job
    /// installing the same CLI version.
    pub(crate) lock_timeout: Duration,
    /// `POSTMAN_CLI_TASK_CONNECT_TIMEOUT` and `…_READ_TIMEOUT`: downloads.
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
    /// `POSTMAN_CLI_TASK_UPLOAD_GRACE`: how long the CLI may take to exit
    /// once its reports are written (it is uploading then, and its upload
    /// has no timeout of its own).
    pub(crate) upload_grace: Duration,
    /// `POSTMAN_CLI_DOWNLOAD_URL`: Postman's download site.
    pub(crate) download_site: String,
    /// `npm_config_registry`: the registry npm itself would use.
    pub(crate) npm_registry: String,
    /// `POSTMAN_CLI_TASK_ATTACHMENT_LIMIT`: the most bytes the Postman tab's
    /// attachment may take (default 8 MiB).
    pub(crate) attachment_limit: usize,
}

impl Knobs {
    pub(crate) fn from_env(env: &AgentEnv) -> Knobs {
        let seconds = |name: &str, default: u64| {
            Duration::from_secs(
                env.get(name)
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(default),
            )
        };
        Knobs {
            lock_timeout: seconds("POSTMAN_CLI_TASK_LOCK_TIMEOUT", 600),
            connect_timeout: seconds("POSTMAN_CLI_TASK_CONNECT_TIMEOUT", 30),
            read_timeout: seconds("POSTMAN_CLI_TASK_READ_TIMEOUT", 60),
            upload_grace: seconds("POSTMAN_CLI_TASK_UPLOAD_GRACE", 120),
            download_site: env
                .get("POSTMAN_CLI_DOWNLOAD_URL")
                .filter(|u| !u.trim().is_empty())
                .unwrap_or(DEFAULT_SITE)
                .to_owned(),
            npm_registry: env
                .get("npm_config_registry")
                .or(env.get("NPM_CONFIG_REGISTRY"))
                .filter(|r| !r.trim().is_empty())
                .unwrap_or(DEFAULT_REGISTRY)
                .to_owned(),
            attachment_limit: env
                .get("POSTMAN_CLI_TASK_ATTACHMENT_LIMIT")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(DEFAULT_ATTACHMENT_LIMIT),
        }
    }
}
