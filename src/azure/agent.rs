//! What the Azure Pipelines agent hands a task through its environment:
//! inputs, pipeline variables, service connections, and the variables that
//! carry secrets and so must never reach a child process.
//!
//! The agent's Node handler puts everything in the environment (see
//! `Handler.cs` in microsoft/azure-pipelines-agent). The task library
//! normally reads and then deletes the secret-bearing entries when it loads;
//! our launcher does not load it, so this module does that job.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};

/// Prefixes of the variables that carry inputs or secrets. task-lib's
/// `_loadData` removes exactly these from `process.env` so that tools a task
/// starts never inherit them; we build every child's environment without them.
pub(crate) const SECRET_BEARING_PREFIXES: &[&str] = &[
    "INPUT_",
    "ENDPOINT_AUTH_",
    "SECRET_",
    "SECUREFILE_TICKET_",
    "VSTS_TASKVARIABLE_",
];

/// Bookkeeping variables task-lib also removes after reading them, and
/// the job's access token when a step maps it (`SYSTEM_ACCESSTOKEN`, which
/// the Test Plans calls may use): the Postman CLI never needs it.
const TASK_LIB_PRIVATE: &[&str] = &[
    "VSTS_PUBLIC_VARIABLES",
    "VSTS_SECRET_VARIABLES",
    "COMMAND_CORRELATION_ID",
    "SYSTEM_ACCESSTOKEN",
];

/// A snapshot of the process environment, read once, looked up the way the
/// agent and task-lib name things.
#[derive(Clone, Debug, Default)]
pub(crate) struct AgentEnv {
    vars: BTreeMap<OsString, OsString>,
}

impl AgentEnv {
    pub(crate) fn from_process() -> AgentEnv {
        AgentEnv::from_pairs(std::env::vars_os())
    }

    pub(crate) fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> AgentEnv
    where
        K: Into<OsString>,
        V: Into<OsString>,
    {
        AgentEnv {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A raw environment variable, if set and valid UTF-8.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(OsStr::new(name)).and_then(|v| v.to_str())
    }

    /// A task input as the agent passes it (`INPUT_<NAME>`), or `None` when
    /// absent or blank.
    pub(crate) fn input(&self, name: &str) -> Option<&str> {
        self.get(&format!("INPUT_{}", env_name(name)))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// A pipeline variable by its pipeline name (`agent.tempDirectory`), or
    /// `None` when absent or blank. Secret variables arrive as `SECRET_*`.
    pub(crate) fn variable(&self, name: &str) -> Option<&str> {
        let key = env_name(name);
        self.get(&key)
            .or_else(|| self.get(&format!("SECRET_{key}")))
            .filter(|v| !v.trim().is_empty())
    }

    /// One authorization parameter of a service connection, e.g. its
    /// `apitoken`. The id is the connection's GUID exactly as the input holds
    /// it: the agent does not upper-case it, and Linux names are case-sensitive.
    pub(crate) fn endpoint_auth_parameter(&self, id: &str, key: &str) -> Option<&str> {
        self.get(&format!(
            "ENDPOINT_AUTH_PARAMETER_{id}_{}",
            key.to_ascii_uppercase()
        ))
    }

    /// Every variable whose name starts with `prefix`, as UTF-8 pairs.
    pub(crate) fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.vars.iter().filter_map(move |(k, v)| {
            let (k, v) = (k.to_str()?, v.to_str()?);
            k.starts_with(prefix).then_some((k, v))
        })
    }

    /// True when an agent started us: it sets `TF_BUILD` for every task.
    pub(crate) fn in_pipeline(&self) -> bool {
        self.get("TF_BUILD").is_some_and(|v| !v.is_empty())
    }

    /// The environment for a child process: ours without the secret-bearing
    /// variables. Callers add what the child needs on top.
    pub(crate) fn child_env(&self) -> BTreeMap<OsString, OsString> {
        self.vars
            .iter()
            .filter(|(k, _)| !is_secret_bearing(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Whether a variable must be kept from children. Compared upper-cased
/// because Windows environment names are case-insensitive.
pub(crate) fn is_secret_bearing(name: &OsStr) -> bool {
    let upper = name.to_string_lossy().to_ascii_uppercase();
    SECRET_BEARING_PREFIXES.iter().any(|p| upper.starts_with(p))
        || TASK_LIB_PRIVATE.contains(&upper.as_str())
}

/// The agent's `VarUtil.ConvertToEnvVariableFormat`: `.` and space become
/// `_`, then upper case.
pub(crate) fn env_name(name: &str) -> String {
    name.replace(['.', ' '], "_").to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> AgentEnv {
        AgentEnv::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn inputs_and_variables_use_agent_names() {
        let e = env(&[
            ("INPUT_ITERATIONCOUNT", " 3 "),
            ("INPUT_FOLDER", "  "),
            ("AGENT_TEMPDIRECTORY", "/w/_temp"),
            ("SECRET_AGENT_PROXYPASSWORD", "pw"),
        ]);
        assert_eq!(e.input("iterationCount"), Some("3"));
        assert_eq!(e.input("folder"), None);
        assert_eq!(e.variable("agent.tempDirectory"), Some("/w/_temp"));
        assert_eq!(e.variable("Agent.ProxyPassword"), Some("pw"));
    }

    #[test]
    fn endpoint_ids_keep_their_case() {
        let id = "3f4b2c1d-0000-4000-8000-00000000abcd";
        let e = env(&[(
            "ENDPOINT_AUTH_PARAMETER_3f4b2c1d-0000-4000-8000-00000000abcd_APITOKEN",
            "PMAK-x",
        )]);
        assert_eq!(e.endpoint_auth_parameter(id, "apitoken"), Some("PMAK-x"));
        assert_eq!(
            e.endpoint_auth_parameter(&id.to_uppercase(), "apitoken"),
            None
        );
    }

    #[test]
    fn children_never_see_secret_bearing_variables() {
        let e = env(&[
            ("PATH", "/bin"),
            ("INPUT_COLLECTION", "c.json"),
            ("ENDPOINT_AUTH_abc", "{}"),
            ("ENDPOINT_AUTH_PARAMETER_abc_APITOKEN", "k"),
            ("ENDPOINT_URL_abc", "https://api.getpostman.com"),
            ("SECRET_TOKEN", "s"),
            ("SECUREFILE_TICKET_x", "t"),
            ("VSTS_TASKVARIABLE_V", "v"),
            ("VSTS_SECRET_VARIABLES", "[]"),
            ("SYSTEM_ACCESSTOKEN", "job-token"),
            ("input_lower", "x"),
        ]);
        let child = e.child_env();
        let names: Vec<_> = child
            .keys()
            .map(|k| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["ENDPOINT_URL_abc", "PATH"]);
    }
}
