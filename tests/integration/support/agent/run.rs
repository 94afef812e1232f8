//! A finished step, read as the agent reads it: the logging commands, and
//! the result, variables, issues and published files it derives from them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::support::vso::{LineKind, Stream, VsoCommand, parse_line, split_agent_lines};

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
    pub(crate) fn parse(text: &str) -> Option<TaskResult> {
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
    pub(crate) fn merge(current: Option<TaskResult>, coming: TaskResult) -> TaskResult {
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
    /// The log as the agent writes it: every line but `task.setsecret`, in
    /// the order it arrived, masked by the agent's masker as it stood then
    /// (see [`super::masker`]).
    pub log: Vec<(Stream, String)>,
}

/// The events of each command area the agent knows; any other event in these
/// areas throws, which fails the step.
pub(crate) const KNOWN_COMMANDS: &[(&str, &[&str])] = &[
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
        let log = super::masker::masked_log(
            &[
                (Stream::Stdout, stdout.as_bytes().to_vec()),
                (Stream::Stderr, stderr.as_bytes().to_vec()),
            ],
            super::masker::Masker::default(),
        );
        TaskRun {
            exit_code,
            stdout,
            stderr,
            lines,
            streams_left_open: false,
            log,
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

    /// Files attached with `task.addattachment`: type, name and path.
    pub fn attachments(&self) -> Vec<(String, String, PathBuf)> {
        self.commands_named("task.addattachment")
            .map(|c| {
                (
                    c.prop("type").unwrap_or_default().to_owned(),
                    c.prop("name").unwrap_or_default().to_owned(),
                    PathBuf::from(&c.data),
                )
            })
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
pub(crate) fn command_text(command: &VsoCommand) -> String {
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
pub(crate) fn parse_bool(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

pub(crate) fn result_files(command: &VsoCommand) -> Vec<String> {
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
pub(crate) fn command_problem(command: &VsoCommand, area: &str, event: &str) -> Option<String> {
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
