//! The environment the agent builds for the step: `TaskRunner` and the Node
//! `Handler` (inputs, variables, secrets, endpoints, the step's `env:`
//! block), with the agent's own rules for names, macros, GUIDs and paths.

use std::collections::BTreeMap;

use serde_json::Value;
use std::path::{Component, Path, PathBuf};

use super::job::{AgentJob, EMPTY_GUID, Endpoint, SYSTEM_ACCESS_TOKEN, Variable};

impl AgentJob {
    /// The complete environment the task process starts with.
    pub fn environment(&self) -> BTreeMap<String, String> {
        let path = std::env::var("PATH").ok();
        self.environment_with_host(&Vec::from_iter(path.map(|p| ("PATH".to_string(), p))))
    }

    /// [`AgentJob::environment`] as if the test process's environment were
    /// `host`. Only `PATH` is taken from it (so `node` is found); the rest
    /// of the agent's environment is the job HOME plus [`AgentJob::agent_env`].
    pub fn environment_with_host(&self, host: &[(String, String)]) -> BTreeMap<String, String> {
        let mut process_env = BTreeMap::new();
        if let Some((_, path)) = host.iter().find(|(k, _)| k == "PATH") {
            process_env.insert("PATH".to_string(), path.clone());
        }
        process_env.insert("HOME".to_string(), self.home_dir().display().to_string());
        process_env.extend(self.agent_env.iter().cloned());

        let variables = self.all_variables();
        let trim = !knob_enabled(&variables, &process_env, "DISABLE_INPUT_TRIMMING");

        // TaskRunner loads the step's env block first (keys and values
        // trimmed, macros expanded); the handler then adds its entries on
        // top, so a variable or input wins over an `env:` entry of that name.
        let mut task_env = BTreeMap::new();
        for (key, value) in &self.step_env {
            let key = key.trim();
            if !key.is_empty() {
                task_env.insert(key.to_string(), value.trim().to_string());
            }
        }
        for value in task_env.values_mut() {
            *value = expand(value, &variables, &process_env);
        }

        // Handler.AddVariablesToEnvironment.
        let (public, secret): (Vec<&Variable>, Vec<&Variable>) =
            variables.iter().partition(|v| !v.secret);
        for var in &public {
            if var.name.eq_ignore_ascii_case("agent.jobstatus") {
                task_env.insert(var.name.clone(), var.value.clone());
            }
            task_env.insert(env_name(&var.name), var.value.clone());
        }
        let names = |vars: &[&Variable]| {
            Value::from(vars.iter().map(|v| v.name.clone()).collect::<Vec<_>>()).to_string()
        };
        task_env.insert("VSTS_PUBLIC_VARIABLES".to_string(), names(&public));
        for var in &secret {
            task_env.insert(format!("SECRET_{}", env_name(&var.name)), var.value.clone());
        }
        task_env.insert("VSTS_SECRET_VARIABLES".to_string(), names(&secret));

        // Handler.AddInputsToEnvironment.
        let inputs = self.resolved_inputs(&variables, &process_env, trim);
        for (name, value) in &inputs {
            task_env.insert(format!("INPUT_{}", env_name(name)), value.clone());
        }

        // Handler.AddEndpointsToEnvironment.
        for endpoint in self.referenced_endpoints(&inputs) {
            endpoint_env(
                &mut task_env,
                &endpoint.id,
                &endpoint.url,
                &endpoint.scheme,
                &endpoint.params,
            );
            task_env.insert(format!("ENDPOINT_DATA_{}", endpoint.id), "{}".to_string());
        }
        let token = [("AccessToken".to_string(), SYSTEM_ACCESS_TOKEN.to_string())];
        endpoint_env(
            &mut task_env,
            "SYSTEMVSSCONNECTION",
            &self.collection_uri(),
            "OAuth",
            if self.system_token { &token } else { &[] },
        );

        // ProcessInvoker: the handler's dictionary over the agent's own
        // environment, then TF_BUILD, which nothing can override.
        process_env.extend(task_env);
        process_env.insert("TF_BUILD".to_string(), "True".to_string());
        process_env
    }

    /// The variables every job has, then the test's, later names winning.
    pub(crate) fn all_variables(&self) -> Vec<Variable> {
        let work = self.work_dir();
        let sources = self.sources_dir().display().to_string();
        let path = |p: PathBuf| p.display().to_string();
        let standard = [
            ("agent.TempDirectory", path(self.temp_dir())),
            ("agent.ToolsDirectory", path(self.agent_tools_dir())),
            ("agent.workfolder", path(work.clone())),
            ("agent.os", agent_os().to_string()),
            ("agent.osarchitecture", agent_arch().to_string()),
            ("agent.jobname", "Job".to_string()),
            ("agent.jobstatus", "Succeeded".to_string()),
            ("build.buildId", "4242".to_string()),
            ("build.buildNumber", "20261125.1".to_string()),
            ("build.sourcesdirectory", sources.clone()),
            ("build.sourcebranch", "refs/heads/main".to_string()),
            ("build.sourceBranchName", "main".to_string()),
            (
                "build.sourceversion",
                "3f8e2a1c9b7d4e6f5a0b1c2d3e4f5a6b7c8d9e0f".to_string(),
            ),
            (
                "build.repository.uri",
                "https://dev.azure.com/contoso/Shop/_git/shop".to_string(),
            ),
            ("build.repository.localpath", sources.clone()),
            ("build.artifactstagingdirectory", path(self.staging_dir())),
            ("system.defaultworkingdirectory", sources),
            ("system.collectionUri", self.collection_uri()),
            ("system.teamFoundationCollectionUri", self.collection_uri()),
            ("system.teamproject", "Shop".to_string()),
            (
                "system.teamProjectId",
                "6f1c9d2e-4b7a-4c3e-9f0d-2a5b8c7e1d40".to_string(),
            ),
            (
                "system.jobId",
                "0e7d5b3a-1c2f-4d6e-8a9b-7c4d2e1f0a93".to_string(),
            ),
            ("system.hosttype", "build".to_string()),
        ];
        let mut variables = Vec::new();
        for (name, value) in standard {
            upsert(&mut variables, name, value, false);
        }
        for var in &self.variables {
            upsert(&mut variables, &var.name, var.value.clone(), var.secret);
        }
        variables
    }

    /// TaskRunner's input pipeline: task.json defaults, the step's values over
    /// them, trimming, `$(var)` macros, then macros naming the agent's own
    /// environment variables, then rooting of `filePath` inputs.
    pub(crate) fn resolved_inputs(
        &self,
        variables: &[Variable],
        process_env: &BTreeMap<String, String>,
        trim: bool,
    ) -> BTreeMap<String, String> {
        let declared = self.declared_inputs();
        let trimmed = |v: &str| {
            if trim {
                v.trim().to_string()
            } else {
                v.to_string()
            }
        };
        let mut inputs = BTreeMap::new();
        for input in &declared {
            let value = self.inputs.get(&input.name).unwrap_or(&input.default);
            inputs.insert(input.name.clone(), trimmed(value));
        }
        for value in inputs.values_mut() {
            *value = expand(value, variables, process_env);
        }
        for input in declared
            .iter()
            .filter(|i| i.kind.eq_ignore_ascii_case("filePath"))
        {
            let value = inputs
                .get_mut(&input.name)
                .expect("every declared input has a value");
            *value = self.rooted_path(value);
        }
        inputs
    }

    /// `TaskRunner.TranslateFilePathInput` with `BuildJobExtension.GetRootedPath`
    /// for a single checkout: a relative path (even an empty one, which is the
    /// gotcha) is joined to the repository folder, then normalised.
    pub(crate) fn rooted_path(&self, value: &str) -> String {
        if value.starts_with('/') {
            full_path(value)
        } else if value.is_empty() {
            full_path(&self.sources_dir().display().to_string())
        } else {
            full_path(&self.sources_dir().join(value).display().to_string())
        }
    }

    /// Endpoints whose GUID appears in a `connectedService:*` input's value
    /// (split on `,`, trimmed, parsed as GUIDs), in the job's endpoint order.
    pub(crate) fn referenced_endpoints(&self, inputs: &BTreeMap<String, String>) -> Vec<&Endpoint> {
        let mut ids = Vec::new();
        for input in self.declared_inputs() {
            if input
                .kind
                .to_ascii_lowercase()
                .starts_with("connectedservice:")
            {
                let value = inputs
                    .get(&input.name)
                    .map(String::as_str)
                    .unwrap_or_default();
                ids.extend(value.split(',').filter_map(|raw| parse_guid(raw.trim())));
            }
        }
        self.endpoints
            .iter()
            .filter(|e| ids.contains(&e.id))
            .collect()
    }

    pub(crate) fn declared_inputs(&self) -> Vec<InputDefinition> {
        let inputs = self.task_json["inputs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        inputs
            .iter()
            .map(|input| InputDefinition {
                name: input["name"]
                    .as_str()
                    .expect("task.json input without a name")
                    .trim()
                    .to_string(),
                kind: input["type"].as_str().unwrap_or("string").to_string(),
                default: match &input["defaultValue"] {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            })
            .collect()
    }
}

pub(crate) struct InputDefinition {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) default: String,
}

/// A boolean agent knob, read from a pipeline variable or the agent's environment.
pub(crate) fn knob_enabled(
    variables: &[Variable],
    process_env: &BTreeMap<String, String>,
    name: &str,
) -> bool {
    let value = variables
        .iter()
        .find(|v| v.name.eq_ignore_ascii_case(name))
        .map(|v| v.value.as_str())
        .or_else(|| process_env.get(name).map(String::as_str));
    value.is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Replaces a variable case-insensitively, keeping the newest spelling.
pub(crate) fn upsert(variables: &mut Vec<Variable>, name: &str, value: String, secret: bool) {
    variables.retain(|v| !v.name.eq_ignore_ascii_case(name));
    variables.push(Variable {
        name: name.to_string(),
        value,
        secret,
    });
}

/// Expands `$(name)` from the variables (case-insensitive, secrets included),
/// then from the agent's own environment (case-sensitive on Linux), as
/// `Variables.ExpandValues` and `VarUtil.ExpandEnvironmentVariables` do.
pub(crate) fn expand(
    value: &str,
    variables: &[Variable],
    process_env: &BTreeMap<String, String>,
) -> String {
    let value = expand_macros(value, |key| {
        variables
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(key))
            .map(|v| v.value.clone())
    });
    expand_macros(&value, |key| process_env.get(key).cloned())
}

/// `VarUtil.ExpandValues`: left to right, never recursive; an unknown macro
/// stays as written and the scan resumes just after its `$`.
pub(crate) fn expand_macros(value: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut value = value.to_string();
    let mut start = 0;
    while start < value.len() {
        let Some(prefix) = value[start..].find("$(").map(|i| i + start) else {
            break;
        };
        let Some(suffix) = value[prefix + 2..].find(')').map(|i| i + prefix + 2) else {
            break;
        };
        let key = &value[prefix + 2..suffix];
        match (!key.is_empty()).then(|| lookup(key)).flatten() {
            Some(replacement) => {
                value = format!(
                    "{}{}{}",
                    &value[..prefix],
                    replacement,
                    &value[suffix + 1..]
                );
                start = prefix + replacement.len();
            }
            None => start = prefix + 1,
        }
    }
    value
}

/// `VarUtil.ConvertToEnvVariableFormat(name, preserveCase: false)`: `.` and
/// space become `_`, then upper-case; everything else survives.
pub(crate) fn env_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '.' | ' ' => '_',
            // ToUpperInvariant maps one char to one char; keep those it cannot.
            c => {
                let mut upper = c.to_uppercase();
                match (upper.next(), upper.next()) {
                    (Some(u), None) => u,
                    _ => c,
                }
            }
        })
        .collect()
}

/// The `ENDPOINT_*` entries of one endpoint; `key` is the lower-case GUID or
/// `SYSTEMVSSCONNECTION`.
pub(crate) fn endpoint_env(
    env: &mut BTreeMap<String, String>,
    key: &str,
    url: &str,
    scheme: &str,
    params: &[(String, String)],
) {
    env.insert(format!("ENDPOINT_URL_{key}"), uri_to_string(url));
    // JsonUtility keeps dictionary keys as they are and orders the
    // authorization's members `parameters`, `scheme`.
    let parameters: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), Value::from(v.as_str())))
        .collect();
    env.insert(
        format!("ENDPOINT_AUTH_{key}"),
        format!(
            "{{\"parameters\":{{{}}},\"scheme\":{}}}",
            parameters.join(","),
            Value::from(scheme)
        ),
    );
    env.insert(format!("ENDPOINT_AUTH_SCHEME_{key}"), scheme.to_string());
    for (name, value) in params {
        env.insert(
            format!("ENDPOINT_AUTH_PARAMETER_{key}_{}", env_name(name)),
            value.clone(),
        );
    }
}

/// .NET `Uri.ToString()` gives an authority-only URL a `/` path.
pub(crate) fn uri_to_string(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) if !rest.contains('/') => format!("{url}/"),
        _ => url.to_string(),
    }
}

/// Parses a GUID as .NET `Guid.TryParse` does for the common forms (`D`,
/// `N`, `B`, `P`) and formats it as `Guid.ToString()` does: lower case, hyphens.
pub(crate) fn parse_guid(text: &str) -> Option<String> {
    let braced = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .or_else(|| text.strip_prefix('(').and_then(|t| t.strip_suffix(')')));
    let hex = match (braced.unwrap_or(text), braced.is_some()) {
        // `D`, or `B`/`P` (which wrap `D`).
        (d, _) if d.len() == 36 && [8, 13, 18, 23].iter().all(|&i| d.as_bytes()[i] == b'-') => {
            d.replace('-', "")
        }
        (n, false) if n.len() == 32 => n.to_string(),
        _ => return None,
    };
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// `Path.GetFullPath` on Unix for an absolute path: `.` and `..` resolved
/// lexically, repeated separators collapsed, a trailing separator kept.
pub(crate) fn full_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().expect("paths here are UTF-8")),
            Component::ParentDir => {
                parts.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    let trailing = if path.ends_with('/') && !parts.is_empty() {
        "/"
    } else {
        ""
    };
    format!("/{}{trailing}", parts.join("/"))
}

pub(crate) fn agent_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "Darwin",
        "windows" => "Windows_NT",
        _ => "Linux",
    }
}

pub(crate) fn agent_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "ARM64",
        "arm" => "ARM",
        "x86" => "X86",
        _ => "X64",
    }
}

/// Node's `process.platform-process.arch`, the launcher's folder name.
pub fn node_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        "x86" => "ia32",
        other => other,
    };
    format!("{os}-{arch}")
}
