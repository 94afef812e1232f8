//! Building the job: the agent's folders, the task folder as the agent
//! leaves it after unzipping a .vsix, and what the step declares (inputs,
//! variables, service connections, its `env:` block).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::environment::{InputDefinition, node_platform, parse_guid, upsert};
use crate::support::azure_devops::AzureDevOps;

pub(crate) const TASK_SOURCE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/task");
pub(crate) const TASK_BINARY: &str = env!("CARGO_BIN_EXE_postman-cli-task");
pub(crate) const BINARY_NAME: &str = "postman-cli-task";

pub(crate) const EMPTY_GUID: &str = "00000000-0000-0000-0000-000000000000";
pub(crate) const COLLECTION_URI: &str = "https://dev.azure.com/contoso/";
/// How long the agent keeps reading output after the process exits.
pub(crate) const STREAM_GRACE: Duration = Duration::from_secs(5);
/// The token the job's `SystemVssConnection` carries; fake, never sent anywhere real.
pub const SYSTEM_ACCESS_TOKEN: &str = "fake-system-vss-connection-token";

/// One pipeline job on an emulated agent, with one step running this task.
pub struct AgentJob {
    pub(crate) root: TempDir,
    pub(crate) task_json: Value,
    pub(crate) task_json_edited: bool,
    pub(crate) inputs: BTreeMap<String, String>,
    pub(crate) variables: Vec<Variable>,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) step_env: Vec<(String, String)>,
    pub(crate) agent_env: Vec<(String, String)>,
    pub(crate) tools_dir: Option<PathBuf>,
    pub(crate) binary: Binary,
    /// The task folder to install: the repository's `task/`, or an unpacked one.
    pub(crate) source_dir: PathBuf,
    /// The collection URL the job's `SystemVssConnection` and
    /// `System.CollectionUri` carry: [`COLLECTION_URI`] unless set.
    pub(crate) collection_url: Option<String>,
    /// Whether the `SystemVssConnection` carries its `AccessToken`.
    pub(crate) system_token: bool,
}

#[derive(Clone)]
pub(crate) struct Variable {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) secret: bool,
}

pub(crate) struct Endpoint {
    pub(crate) id: String,
    pub(crate) url: String,
    pub(crate) scheme: String,
    pub(crate) params: Vec<(String, String)>,
}

/// What the job installs as the task's native binary.
pub(crate) enum Binary {
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
            collection_url: None,
            system_token: true,
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

    /// Points the job at an Azure DevOps emulator: the `SystemVssConnection`
    /// URL, `System.CollectionUri` and `System.TeamFoundationCollectionUri`
    /// become its collection URL.
    pub fn azure_devops(&mut self, emulator: &AzureDevOps) -> &mut Self {
        self.collection_url = Some(emulator.collection_url());
        self
    }

    /// The `SystemVssConnection` without its `AccessToken` parameter (its URL
    /// and scheme stay). Not what a real agent does when a classic
    /// pipeline's "Allow scripts to access the OAuth token" is off: that
    /// option only decides whether `System.AccessToken` is set as a variable
    /// (JobRunner.cs, `System.EnableAccessToken`), while every task's
    /// `SystemVssConnection` keeps the token (Handler.cs,
    /// AddEndpointsToEnvironment). This stands for any job whose connection
    /// comes without one, so the task's no-token path can be tested.
    pub fn without_system_token(&mut self) -> &mut Self {
        self.system_token = false;
        self
    }

    /// The collection URL of this job (see [`AgentJob::azure_devops`]).
    pub fn collection_uri(&self) -> String {
        self.collection_url
            .clone()
            .unwrap_or_else(|| COLLECTION_URI.to_string())
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub(crate) fn work_dir(&self) -> PathBuf {
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
}

impl AgentJob {
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
pub(crate) fn copy_tree(from: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) {
    pub(crate) fn walk(base: &Path, dir: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) {
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
pub(crate) fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("set file mode");
}

#[cfg(not(unix))]
pub(crate) fn set_mode(_path: &Path, _mode: u32) {}
