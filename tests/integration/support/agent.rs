//! Runs the task the way the Azure Pipelines agent does and reads its output
//! the way the agent does. [`AgentJob`] lays out an agent work folder, installs
//! the task folder as the agent leaves it after unzipping a .vsix (binary
//! without its run bit), builds the environment `TaskRunner` and the Node
//! `Handler` build from task.json, variables, endpoints and the step's `env:`
//! block, and starts `node <taskdir>/launcher.js`. [`TaskRun`] holds the
//! result: the agent lines, and the task result, variables, issues and
//! published files the agent would derive from them.
//!
//! Sources: microsoft/azure-pipelines-agent `src/Agent.Worker/TaskRunner.cs`,
//! `Handlers/Handler.cs`, `Handlers/NodeHandler.cs`, `Agent.Sdk/ProcessInvoker.cs`,
//! `Util/VarUtil.cs`, `Build/BuildJobExtension.cs`, `TaskCommandExtension.cs`,
//! `TestResults/ResultsCommandExtension.cs`, `StepsRunner.cs` and `Util/TaskResultUtil.cs`.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::vso::{LineKind, Stream, VsoCommand, parse_line, split_agent_lines};

const TASK_SOURCE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/task");
const TASK_BINARY: &str = env!("CARGO_BIN_EXE_postman-cli-task");
const BINARY_NAME: &str = "postman-cli-task";

const EMPTY_GUID: &str = "00000000-0000-0000-0000-000000000000";
const COLLECTION_URI: &str = "https://dev.azure.com/contoso/";
/// How long the agent keeps reading output after the process exits.
const STREAM_GRACE: Duration = Duration::from_secs(5);
/// The token the job's `SystemVssConnection` carries; fake, never sent anywhere real.
pub const SYSTEM_ACCESS_TOKEN: &str = "fake-system-vss-connection-token";

/// One pipeline job on an emulated agent, with one step running this task.
pub struct AgentJob {
    root: TempDir,
    task_json: Value,
    task_json_edited: bool,
    inputs: BTreeMap<String, String>,
    variables: Vec<Variable>,
    endpoints: Vec<Endpoint>,
    step_env: Vec<(String, String)>,
    agent_env: Vec<(String, String)>,
    tools_dir: Option<PathBuf>,
    binary: Binary,
    /// The task folder to install: the repository's `task/`, or an unpacked one.
    source_dir: PathBuf,
}

#[derive(Clone)]
struct Variable {
    name: String,
    value: String,
    secret: bool,
}

struct Endpoint {
    id: String,
    url: String,
    scheme: String,
    params: Vec<(String, String)>,
}

/// What the job installs as the task's native binary.
enum Binary {
    Built,
    Custom(PathBuf),
    Missing,
    /// The `bin/` of the source folder, as it is (see [`AgentJob::with_task_dir`]).
    FromSource,
}

impl Default for AgentJob {
    fn default() -> Self {
        Self::new()
    }
}

impl AgentJob {
    /// Creates the agent root: `work/{_temp,_tool,_tasks,1/s,1/a,1/b}` and a
    /// `home` that serves as the job's HOME, so nothing touches the real one.
    pub fn new() -> AgentJob {
        let root = tempfile::Builder::new()
            .prefix("agent-")
            .tempdir()
            .expect("create the agent root");
        for dir in [
            "work/_temp",
            "work/_tool",
            "work/_tasks",
            "work/1/s",
            "work/1/a",
            "work/1/b",
            "home",
        ] {
            fs::create_dir_all(root.path().join(dir)).expect("create the agent folders");
        }
        let task_json = fs::read_to_string(Path::new(TASK_SOURCE_DIR).join("task.json"))
            .expect("read task/task.json");
        AgentJob {
            root,
            task_json: serde_json::from_str(&task_json).expect("parse task/task.json"),
            task_json_edited: false,
            inputs: BTreeMap::new(),
            variables: Vec::new(),
            endpoints: Vec::new(),
            step_env: Vec::new(),
            agent_env: Vec::new(),
            tools_dir: None,
            binary: Binary::Built,
            source_dir: PathBuf::from(TASK_SOURCE_DIR),
        }
    }

    /// Sets a task input, as the step's `inputs:` block does. Panics when
    /// task.json declares no such input (names match case-insensitively, as
    /// the agent's input dictionary does), so a typo cannot pass silently.
    pub fn input(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        let declared = self
            .declared_inputs()
            .into_iter()
            .find(|input| input.name.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("task.json declares no input named {name:?}"));
        self.inputs.insert(declared.name, value.into());
        self
    }

    /// Sets a public pipeline variable. Names are case-insensitive, so this
    /// replaces a variable of the same name in any case, secret or not.
    pub fn variable(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        upsert(&mut self.variables, name, value.into(), false);
        self
    }

    /// Sets a secret pipeline variable.
    pub fn secret(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        upsert(&mut self.variables, name, value.into(), true);
        self
    }

    /// Adds a service connection to the job. The task only receives it when
    /// a `connectedService:*` input names its GUID, as on a real agent.
    pub fn endpoint(
        &mut self,
        id: &str,
        url: &str,
        scheme: &str,
        params: &[(&str, &str)],
    ) -> &mut Self {
        let id = parse_guid(id)
            .filter(|id| id != EMPTY_GUID)
            .unwrap_or_else(|| panic!("endpoint id {id:?} is not a non-empty GUID"));
        self.endpoints.retain(|e| e.id != id);
        self.endpoints.push(Endpoint {
            id,
            url: url.to_string(),
            scheme: scheme.to_string(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
        self
    }

    /// Adds an entry to the step's YAML `env:` block.
    pub fn step_env(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.step_env.push((name.to_string(), value.into()));
        self
    }

    /// Adds a variable to the agent process's own environment, which every
    /// task inherits (on a real agent: the machine, service and `.env` file).
    pub fn agent_env(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.agent_env.push((name.to_string(), value.into()));
        self
    }

    /// Points `Agent.ToolsDirectory` somewhere else, e.g. a cache shared by
    /// tests (the agent never cleans it, so sharing is what real agents do).
    pub fn tools_dir(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.tools_dir = Some(path.into());
        self
    }

    /// Installs `path` as the task's binary instead of the one cargo built.
    /// For testing the harness and the launcher with small fakes.
    pub fn with_binary(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.binary = Binary::Custom(path.into());
        self
    }

    /// Installs the task folder at `path` (e.g. the `task/` of an unpacked
    /// .vsix) instead of the repository's, `bin/` included and file modes
    /// kept, and uses its task.json.
    pub fn with_task_dir(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        let path = path.into();
        let text = fs::read_to_string(path.join("task.json"))
            .unwrap_or_else(|e| panic!("read {}/task.json: {e}", path.display()));
        self.task_json = serde_json::from_str(&text).expect("parse the task folder's task.json");
        self.task_json_edited = false;
        self.binary = Binary::FromSource;
        self.source_dir = path;
        self
    }

    /// Installs the task folder without any `bin/` folder.
    pub fn without_binary(&mut self) -> &mut Self {
        self.binary = Binary::Missing;
        self
    }

    /// Edits the task definition this job uses (and installs as task.json),
    /// e.g. to add a `connectedService:` or `filePath` input for harness tests.
    pub fn edit_task_json(&mut self, edit: impl FnOnce(&mut Value)) -> &mut Self {
        edit(&mut self.task_json);
        self.task_json_edited = true;
        self
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    fn work_dir(&self) -> PathBuf {
        self.root().join("work")
    }

    /// `Build.SourcesDirectory`, which is also `System.DefaultWorkingDirectory`
    /// and the task's working directory.
    pub fn sources_dir(&self) -> PathBuf {
        self.work_dir().join("1").join("s")
    }

    /// `Agent.TempDirectory`.
    pub fn temp_dir(&self) -> PathBuf {
        self.work_dir().join("_temp")
    }

    /// `Build.ArtifactStagingDirectory`.
    pub fn staging_dir(&self) -> PathBuf {
        self.work_dir().join("1").join("a")
    }

    /// `Agent.ToolsDirectory`: the agent takes `AGENT_TOOLSDIRECTORY` from
    /// its own environment when set, else `<work>/_tool`.
    pub fn agent_tools_dir(&self) -> PathBuf {
        let from_agent_env = self
            .agent_env
            .iter()
            .rfind(|(k, _)| k == "AGENT_TOOLSDIRECTORY")
            .map(|(_, v)| PathBuf::from(v));
        self.tools_dir
            .clone()
            .or(from_agent_env)
            .unwrap_or_else(|| self.work_dir().join("_tool"))
    }

    pub fn home_dir(&self) -> PathBuf {
        self.root().join("home")
    }

    /// The installed task folder: `_tasks/<name>_<id>/<version>`.
    pub fn task_dir(&self) -> PathBuf {
        let task = &self.task_json;
        let text = |key: &str| {
            task[key]
                .as_str()
                .unwrap_or_else(|| panic!("task.json has no {key}"))
        };
        let part = |key: &str| match &task["version"][key] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let version = format!("{}.{}.{}", part("Major"), part("Minor"), part("Patch"));
        self.work_dir()
            .join("_tasks")
            .join(format!("{}_{}", text("name"), text("id")))
            .join(version)
    }

    /// Where the launcher looks for the binary on this platform.
    pub fn binary_path(&self) -> PathBuf {
        let exe = if cfg!(windows) {
            format!("{BINARY_NAME}.exe")
        } else {
            BINARY_NAME.to_string()
        };
        self.task_dir().join("bin").join(node_platform()).join(exe)
    }

    /// Writes a file under the sources directory, creating parent folders.
    pub fn write_source(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.sources_dir().join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create source folders");
        }
        fs::write(&path, contents).expect("write source file");
        path
    }

    /// Runs the step to completion.
    pub fn run(&self) -> TaskRun {
        self.spawn().wait()
    }

    /// Starts the step and returns at once, for cancellation tests.
    pub fn spawn(&self) -> RunningTask {
        let task_dir = self.install_task();
        let mut child = Command::new("node")
            .arg(task_dir.join("launcher.js"))
            .current_dir(self.sources_dir())
            .env_clear()
            .envs(self.environment())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start node (is it on PATH?)");
        // The agent redirects stdin and closes it at once, so prompts see EOF.
        drop(child.stdin.take());
        let output = Arc::new(SharedOutput::default());
        let readers = vec![
            read_stream(
                child.stdout.take().expect("stdout is piped"),
                Stream::Stdout,
                &output,
            ),
            read_stream(
                child.stderr.take().expect("stderr is piped"),
                Stream::Stderr,
                &output,
            ),
        ];
        RunningTask {
            child: Some(child),
            output,
            readers,
        }
    }

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
        endpoint_env(
            &mut task_env,
            "SYSTEMVSSCONNECTION",
            COLLECTION_URI,
            "OAuth",
            &[("AccessToken".to_string(), SYSTEM_ACCESS_TOKEN.to_string())],
        );

        // ProcessInvoker: the handler's dictionary over the agent's own
        // environment, then TF_BUILD, which nothing can override.
        process_env.extend(task_env);
        process_env.insert("TF_BUILD".to_string(), "True".to_string());
        process_env
    }

    /// The variables every job has, then the test's, later names winning.
    fn all_variables(&self) -> Vec<Variable> {
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
            ("system.collectionUri", COLLECTION_URI.to_string()),
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
    fn resolved_inputs(
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
    fn rooted_path(&self, value: &str) -> String {
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
    fn referenced_endpoints(&self, inputs: &BTreeMap<String, String>) -> Vec<&Endpoint> {
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

    fn declared_inputs(&self) -> Vec<InputDefinition> {
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

    /// Installs the task folder once per job, as the agent extracts a task
    /// once and marks it with `<version>.completed`. [`AgentJob::run`] and
    /// [`AgentJob::spawn`] call it; tests may call it first to inspect it.
    pub fn install_task(&self) -> PathBuf {
        let task_dir = self.task_dir();
        let marker = PathBuf::from(format!("{}.completed", task_dir.display()));
        if marker.exists() {
            return task_dir;
        }
        let keep_bin = matches!(self.binary, Binary::FromSource);
        copy_tree(&self.source_dir, &task_dir, &|rel| {
            keep_bin || rel != Path::new("bin")
        });
        if self.task_json_edited {
            let text = serde_json::to_string_pretty(&self.task_json).expect("serialize task.json");
            fs::write(task_dir.join("task.json"), text).expect("write task.json");
        }
        let binary = match &self.binary {
            Binary::Built => Some(Path::new(TASK_BINARY)),
            Binary::Custom(path) => Some(path.as_path()),
            Binary::Missing | Binary::FromSource => None,
        };
        if let Some(source) = binary {
            let target = self.binary_path();
            fs::create_dir_all(target.parent().expect("binary has a folder"))
                .expect("create bin folder");
            fs::copy(source, &target).expect("copy the task binary");
            // A .vsix keeps no file modes and .NET's ZipFile extracts such
            // entries as 0644; the launcher has to restore the run bit.
            set_mode(&target, 0o644);
        }
        fs::write(&marker, "").expect("write the .completed marker");
        task_dir
    }
}

struct InputDefinition {
    name: String,
    kind: String,
    default: String,
}

/// A boolean agent knob, read from a pipeline variable or the agent's environment.
fn knob_enabled(
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
fn upsert(variables: &mut Vec<Variable>, name: &str, value: String, secret: bool) {
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
fn expand(value: &str, variables: &[Variable], process_env: &BTreeMap<String, String>) -> String {
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
fn expand_macros(value: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
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
fn env_name(name: &str) -> String {
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
fn endpoint_env(
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
fn uri_to_string(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) if !rest.contains('/') => format!("{url}/"),
        _ => url.to_string(),
    }
}

/// Parses a GUID as .NET `Guid.TryParse` does for the common forms (`D`,
/// `N`, `B`, `P`) and formats it as `Guid.ToString()` does: lower case, hyphens.
fn parse_guid(text: &str) -> Option<String> {
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
fn full_path(path: &str) -> String {
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

fn agent_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "Darwin",
        "windows" => "Windows_NT",
        _ => "Linux",
    }
}

fn agent_arch() -> &'static str {
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

fn copy_tree(from: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) {
    fn walk(base: &Path, dir: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) {
        fs::create_dir_all(to.join(dir)).expect("create task folder");
        for entry in fs::read_dir(base.join(dir)).expect("read task folder") {
            let entry = entry.expect("read task folder entry");
            let rel = dir.join(entry.file_name());
            if !keep(&rel) {
                continue;
            }
            if entry.file_type().expect("stat task file").is_dir() {
                walk(base, &rel, to, keep);
            } else {
                fs::copy(entry.path(), to.join(&rel)).expect("copy task file");
            }
        }
    }
    walk(from, Path::new(""), to, keep);
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("set file mode");
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

/// Output collected while the process runs, so a test can wait for a line.
#[derive(Default)]
struct SharedOutput {
    state: Mutex<OutputState>,
    changed: Condvar,
}

#[derive(Default)]
struct OutputState {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    closed: usize,
}

fn read_stream(
    mut pipe: impl Read + Send + 'static,
    stream: Stream,
    output: &Arc<SharedOutput>,
) -> JoinHandle<()> {
    let output = Arc::clone(output);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            let n = match pipe.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => 0,
            };
            let mut state = output.state.lock().expect("output lock");
            match (n, stream) {
                (0, _) => state.closed += 1,
                (_, Stream::Stdout) => state.stdout.extend_from_slice(&buf[..n]),
                (_, Stream::Stderr) => state.stderr.extend_from_slice(&buf[..n]),
            }
            output.changed.notify_all();
            if n == 0 {
                return;
            }
        }
    })
}

/// A step still running; see [`AgentJob::spawn`].
pub struct RunningTask {
    child: Option<Child>,
    output: Arc<SharedOutput>,
    readers: Vec<JoinHandle<()>>,
}

impl RunningTask {
    /// The node process's id: the only process the agent signals.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends a signal by name (`INT`, `TERM`, `KILL`) to the node process,
    /// as the agent does on cancellation.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {signal} {} failed", self.pid());
    }

    /// Blocks until stdout or stderr contains `needle`. Returns false when
    /// both streams closed without it.
    pub fn wait_for_output(&self, needle: &str) -> bool {
        let mut state = self.output.state.lock().expect("output lock");
        loop {
            let seen = |bytes: &[u8]| String::from_utf8_lossy(bytes).contains(needle);
            if seen(&state.stdout) || seen(&state.stderr) {
                return true;
            }
            if state.closed == 2 {
                return false;
            }
            state = self.output.changed.wait(state).expect("output lock");
        }
    }

    /// Blocks until node's main thread waits in its event loop, which it
    /// reaches only after the launcher's synchronous start-up (finding the
    /// binary, spawning it, registering signal listeners). Cancellation tests
    /// call it before [`RunningTask::signal`]. Linux only: it reads
    /// `/proc/<pid>/wchan`, and returns at once where that cannot be read.
    pub fn wait_for_event_loop(&self) {
        let wchan = format!("/proc/{}/wchan", self.pid());
        while let Ok(waiting_in) = fs::read_to_string(&wchan) {
            if waiting_in.contains("epoll") {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits for the process to exit and its output streams to close. Like
    /// the agent (`ProcessInvoker.ProcessExitedHandler`), it gives streams
    /// that something else still holds open 5 seconds after the exit, then
    /// stops reading and sets [`TaskRun::streams_left_open`].
    pub fn wait(mut self) -> TaskRun {
        let status = self
            .child
            .take()
            .expect("running")
            .wait()
            .expect("wait for node");
        let state = self.output.state.lock().expect("output lock");
        let (state, _) = self
            .output
            .changed
            .wait_timeout_while(state, STREAM_GRACE, |s| s.closed < 2)
            .expect("output lock");
        let mut run = TaskRun::from_output(status.code(), &state.stdout, &state.stderr);
        run.streams_left_open = state.closed < 2;
        drop(state);
        if !run.streams_left_open {
            for reader in self.readers.drain(..) {
                reader.join().expect("output reader");
            }
        }
        run
    }
}

impl Drop for RunningTask {
    fn drop(&mut self) {
        // A test that panicked before wait() should not leave node behind.
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A task result as the agent's `TaskResult` enum, in its numeric order,
/// which `TaskResultUtil.MergeTaskResults` relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TaskResult {
    Succeeded,
    SucceededWithIssues,
    Failed,
    Canceled,
    Skipped,
    Abandoned,
}

impl TaskResult {
    /// `Enum.TryParse<TaskResult>` without ignoreCase: exact names or the
    /// numeric values, surrounding whitespace allowed.
    fn parse(text: &str) -> Option<TaskResult> {
        use TaskResult::*;
        let all = [
            Succeeded,
            SucceededWithIssues,
            Failed,
            Canceled,
            Skipped,
            Abandoned,
        ];
        let text = text.trim();
        if let Ok(n) = text.parse::<usize>() {
            return all.get(n).copied();
        }
        all.into_iter().find(|r| format!("{r:?}") == text)
    }

    /// `TaskResultUtil.MergeTaskResults`: worst wins among Succeeded,
    /// SucceededWithIssues and Failed; Canceled, Skipped and Abandoned stick.
    fn merge(current: Option<TaskResult>, coming: TaskResult) -> TaskResult {
        match current {
            None => coming,
            Some(current) if current > TaskResult::Failed => current,
            Some(current) => current.max(coming),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetVariable {
    pub value: String,
    pub is_output: bool,
    pub is_secret: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub message: String,
    pub sourcepath: Option<String>,
    pub linenumber: Option<String>,
    pub columnnumber: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// The `type` property (`JUnit`, …).
    pub kind: String,
    pub run_title: Option<String>,
    pub files: Vec<PathBuf>,
    pub props: Vec<(String, String)>,
}

impl Publish {
    pub fn prop(&self, key: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// A finished step: its raw output, and what the agent makes of it.
pub struct TaskRun {
    /// None when the process was killed by a signal.
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Agent lines, stdout's then stderr's, each in order. The agent reads
    /// both streams concurrently, so their relative order is not defined.
    pub lines: Vec<(Stream, LineKind)>,
    /// A process the task left behind still held stdout or stderr 5 seconds
    /// after node exited; the agent stops reading then, and so did this run.
    pub streams_left_open: bool,
}

/// The events of each command area the agent knows; any other event in these
/// areas throws, which fails the step.
const KNOWN_COMMANDS: &[(&str, &[&str])] = &[
    (
        "task",
        &[
            "logdetail",
            "uploadsummary",
            "uploadfile",
            "addattachment",
            "logissue",
            "issue",
            "complete",
            "setprogress",
            "setsecret",
            "setvariable",
            "debug",
            "settaskvariable",
            "setendpoint",
            "prependpath",
        ],
    ),
    ("artifact", &["associate", "upload"]),
    (
        "build",
        &[
            "uploadlog",
            "uploadsummary",
            "updatebuildnumber",
            "addbuildtag",
        ],
    ),
    ("results", &["publish", "publishtoevidencestore"]),
    ("codecoverage", &["publish"]),
    ("telemetry", &["publish"]),
    ("release", &["updatereleasename"]),
];

impl TaskRun {
    /// Builds a run from raw output, e.g. to test this module without a process.
    pub fn from_output(exit_code: Option<i32>, stdout: &[u8], stderr: &[u8]) -> TaskRun {
        let stdout = String::from_utf8_lossy(stdout).into_owned();
        let stderr = String::from_utf8_lossy(stderr).into_owned();
        let mut lines = Vec::new();
        for (stream, text) in [(Stream::Stdout, &stdout), (Stream::Stderr, &stderr)] {
            // StreamReader drops a leading byte order mark.
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            lines.extend(
                split_agent_lines(text)
                    .into_iter()
                    .map(|l| (stream, parse_line(l, stream))),
            );
        }
        TaskRun {
            exit_code,
            stdout,
            stderr,
            lines,
            streams_left_open: false,
        }
    }

    pub fn commands(&self) -> impl Iterator<Item = &VsoCommand> {
        self.lines.iter().filter_map(|(_, line)| match line {
            LineKind::Command(command) => Some(command),
            _ => None,
        })
    }

    /// Commands named `area.event`, matched case-insensitively.
    pub fn commands_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a VsoCommand> + 'a {
        self.commands()
            .filter(move |c| c.name().eq_ignore_ascii_case(name))
    }

    /// The step result the agent records: `task.complete` results merged,
    /// a non-zero exit (or none) forcing Failed, then any command the agent
    /// would reject merged in as Failed (StepsRunner.RunStepAsync).
    pub fn result(&self) -> TaskResult {
        let mut result = None;
        for command in self.commands_named("task.complete") {
            if let Some(coming) = command.prop("result").and_then(TaskResult::parse) {
                result = Some(TaskResult::merge(result, coming));
            }
        }
        if self.exit_code != Some(0) {
            result = Some(TaskResult::Failed);
        }
        if !self.command_errors().is_empty() {
            result = Some(TaskResult::merge(result, TaskResult::Failed));
        }
        result.unwrap_or(TaskResult::Succeeded)
    }

    pub fn complete_count(&self) -> usize {
        self.commands_named("task.complete").count()
    }

    pub fn assert_one_complete(&self) {
        assert_eq!(
            self.complete_count(),
            1,
            "expected exactly one task.complete\n{self}"
        );
    }

    /// Commands the agent would reject with "Unable to process command",
    /// each of which fails the step. File checks run now, not when the
    /// command was read, so a file deleted in between is not noticed.
    pub fn command_errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for command in self.commands() {
            let area = command.area.to_lowercase();
            let event = command.event.to_lowercase();
            let Some((_, events)) = KNOWN_COMMANDS.iter().find(|(a, _)| *a == area) else {
                continue;
            };
            let problem = if !events.contains(&event.as_str()) {
                Some("unknown event".to_string())
            } else {
                command_problem(command, &area, &event)
            };
            if let Some(problem) = problem {
                errors.push(format!("{}: {problem}", command_text(command)));
            }
        }
        errors
    }

    /// `task.setvariable` results, later values winning. Names are
    /// case-insensitive, so the newest spelling is kept.
    pub fn variables(&self) -> BTreeMap<String, SetVariable> {
        let mut variables = BTreeMap::new();
        for command in self.commands_named("task.setvariable") {
            let Some(name) = command.prop("variable").filter(|n| !n.is_empty()) else {
                continue;
            };
            variables.retain(|k: &String, _| !k.eq_ignore_ascii_case(name));
            variables.insert(
                name.to_string(),
                SetVariable {
                    value: command.data.clone(),
                    is_output: parse_bool(command.prop("isoutput")),
                    is_secret: parse_bool(command.prop("issecret")),
                },
            );
        }
        variables
    }

    /// `task.logissue` (alias `task.issue`) of the given type.
    pub fn issues(&self, kind: IssueKind) -> Vec<Issue> {
        let wanted = match kind {
            IssueKind::Error => "error",
            IssueKind::Warning => "warning",
        };
        self.commands()
            .filter(|c| matches!(c.name().as_str(), "task.logissue" | "task.issue"))
            .filter(|c| {
                c.prop("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case(wanted))
            })
            .map(|c| Issue {
                message: c.data.clone(),
                sourcepath: c.prop("sourcepath").map(str::to_string),
                linenumber: c.prop("linenumber").map(str::to_string),
                columnnumber: c.prop("columnnumber").map(str::to_string),
                code: c.prop("code").map(str::to_string),
            })
            .collect()
    }

    /// `results.publish` commands. Files come from the message when it is
    /// not blank, else from `resultFiles`, split on `,` either way.
    pub fn published_results(&self) -> Vec<Publish> {
        self.commands_named("results.publish")
            .map(|c| Publish {
                kind: c.prop("type").unwrap_or_default().to_string(),
                run_title: c.prop("runTitle").map(str::to_string),
                files: result_files(c).into_iter().map(PathBuf::from).collect(),
                props: c.properties.clone(),
            })
            .collect()
    }

    /// Markdown files attached as build summaries.
    pub fn summaries(&self) -> Vec<PathBuf> {
        self.commands_named("task.uploadsummary")
            .filter(|c| !c.data.is_empty())
            .map(|c| PathBuf::from(&c.data))
            .collect()
    }

    /// Values registered with the masker through `task.setsecret`.
    pub fn secrets(&self) -> Vec<String> {
        self.commands_named("task.setsecret")
            .map(|c| c.data.clone())
            .collect()
    }

    /// Lines the agent warns about: `##vso` that does not parse
    /// (`CommandKeywordDetected`) and commands of an unknown area (`CommandNotFound`).
    pub fn malformed(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|(_, line)| match line {
                LineKind::Malformed(text) => Some(text.clone()),
                LineKind::Command(c)
                    if !KNOWN_COMMANDS
                        .iter()
                        .any(|(a, _)| c.area.eq_ignore_ascii_case(a)) =>
                {
                    Some(command_text(c))
                }
                _ => None,
            })
            .collect()
    }

    /// One line per command, `area.event key=value;… | data`, for snapshots.
    /// CR and LF show as `\r` and `\n`; each `(path, label)` prefix is
    /// replaced, longest path first. Stderr commands are marked.
    pub fn command_stream(&self, redact: &[(&Path, &str)]) -> String {
        let mut pairs: Vec<(String, &str)> = redact
            .iter()
            .map(|(p, l)| (p.display().to_string(), *l))
            .collect();
        pairs.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        let mut out = String::new();
        for command in self.commands() {
            let mut line = command_text(command);
            for (path, label) in &pairs {
                line = line.replace(path.as_str(), label);
            }
            if command.stream == Stream::Stderr {
                out.push_str("[stderr] ");
            }
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for TaskRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "exit code: {:?}", self.exit_code)?;
        if self.streams_left_open {
            writeln!(
                f,
                "(output streams still open 5 s after exit; reading stopped)"
            )?;
        }
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

impl fmt::Debug for TaskRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `area.event key=value;… | data` with CR and LF made visible.
fn command_text(command: &VsoCommand) -> String {
    let visible = |s: &str| s.replace('\r', "\\r").replace('\n', "\\n");
    let props: Vec<String> = command
        .properties
        .iter()
        .map(|(k, v)| format!("{k}={}", visible(v)))
        .collect();
    let mut text = format!("{}.{}", command.area, command.event);
    if !props.is_empty() {
        text.push(' ');
        text.push_str(&props.join(";"));
    }
    text.push_str(" | ");
    text.push_str(&visible(&command.data));
    text
}

/// `Boolean.TryParse`, false when absent or unparsable.
fn parse_bool(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

fn result_files(command: &VsoCommand) -> Vec<String> {
    if !command.data.trim().is_empty() {
        command.data.split(',').map(str::to_string).collect()
    } else {
        match command.prop("resultFiles").filter(|f| !f.is_empty()) {
            Some(files) => files.split(',').map(str::to_string).collect(),
            None => Vec::new(),
        }
    }
}

/// Why the agent would throw on a known command, if it would.
fn command_problem(command: &VsoCommand, area: &str, event: &str) -> Option<String> {
    let missing_file = |path: &str| path.is_empty() || !Path::new(path).is_file();
    let invalid_name = |s: &str| s.contains(['/', '\0']);
    match (area, event) {
        ("task", "complete") => match command.prop("result") {
            Some(r) if TaskResult::parse(r).is_some() => None,
            _ => Some("invalid or missing result".to_string()),
        },
        ("task", "logissue" | "issue") => match command.prop("type") {
            Some(t) if !t.eq_ignore_ascii_case("error") && !t.eq_ignore_ascii_case("warning") => {
                Some(format!("issue type {t} is not an expected issue type"))
            }
            _ => None,
        },
        ("task", "setvariable") => {
            if command.prop("variable").is_none_or(str::is_empty) {
                Some("missing variable name".to_string())
            } else if parse_bool(command.prop("issecret")) && command.data.contains('\n') {
                Some("multi-line secret".to_string())
            } else {
                None
            }
        }
        ("task", "uploadsummary" | "uploadfile") => missing_file(&command.data)
            .then(|| format!("missing attachment file {:?}", command.data)),
        ("task", "addattachment") => {
            let kind = command.prop("type").unwrap_or_default();
            let name = command.prop("name").unwrap_or_default();
            if kind.is_empty() || name.is_empty() {
                Some("missing attachment type or name".to_string())
            } else if invalid_name(kind) || invalid_name(name) {
                Some("invalid characters in attachment type or name".to_string())
            } else {
                missing_file(&command.data)
                    .then(|| format!("missing attachment file {:?}", command.data))
            }
        }
        ("task", "prependpath") => command.data.is_empty().then(|| "empty path".to_string()),
        ("results", "publish") => {
            if result_files(command).is_empty() {
                Some("no result files".to_string())
            } else if command.prop("type").is_none_or(str::is_empty) {
                Some("missing type".to_string())
            } else {
                None
            }
        }
        _ => None,
    }
}
