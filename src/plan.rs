//! Turns [`RawInputs`] into a [`Plan`]: every value parsed and checked, with
//! no I/O, so the same checks run in a pipeline and on a laptop and are
//! cheap to test.
//!
//! Anything that needs the file system (globs, files that must exist,
//! collection contents) is checked next, in [`crate::resolve`]. Both stages
//! report [`InputError`]s, which name the input and say how to fix it; all
//! of them are collected before anything runs, so one pipeline run shows
//! every mistake at once.

use crate::inputs::{ExtraArgs, Field, Naming, RawInputs, Secret};
pub use crate::install::version::VersionSpec;

/// Everything a task run will do, decided up front.
#[derive(Clone, Debug)]
pub struct Plan {
    pub naming: Naming,
    /// Collection lines as given: paths, glob patterns or UIDs.
    pub collections: Vec<String>,
    /// Environment lines as given: files or UIDs.
    pub environments: Vec<String>,
    pub globals: Option<String>,
    pub iteration_data: Option<String>,
    pub iteration_count: Option<u32>,
    pub folders: Vec<String>,
    pub env_vars: Vec<KeyValue>,
    pub global_vars: Vec<KeyValue>,
    pub working_directory: Option<String>,
    pub bail: bool,
    pub timeout_ms: Option<u64>,
    pub timeout_request_ms: Option<u64>,
    pub timeout_script_ms: Option<u64>,
    pub delay_request_ms: Option<u64>,
    pub insecure: bool,
    pub ignore_redirects: bool,
    pub ssl_client_cert: Option<String>,
    pub ssl_client_key: Option<String>,
    pub ssl_client_passphrase: Option<Secret>,
    pub ssl_extra_ca_certs: Option<String>,
    pub extra_args: Vec<String>,
    pub publish_test_results: bool,
    pub test_run_title: String,
    pub fail_on_test_failure: bool,
    pub report_directory: Option<String>,
    pub install: InstallPlan,
    pub cloud: CloudPlan,
    /// API lint, when `apiLint` is on.
    pub lint: Option<LintPlan>,
    /// How many collection runs go at once.
    pub parallel: Parallel,
    pub shard: ShardSpec,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parallel {
    /// One per CPU.
    Auto,
    Runs(usize),
}

/// Which share of the runs this job takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSpec {
    None,
    /// From the job's position with `strategy: parallel`.
    Auto,
    /// Shard `index` (1-based) of `count`.
    Explicit {
        index: usize,
        count: usize,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintPlan {
    /// Exactly one of these is set.
    pub api_id: Option<String>,
    pub definition: Option<String>,
    pub fail_severity: crate::lint::Severity,
}

/// Reporting to Postman and the credentials for it.
#[derive(Clone, Debug)]
pub struct CloudPlan {
    /// The service connection's id (a GUID), if one is chosen.
    pub connection: Option<String>,
    /// A key given directly (the `apiKey` input, or `POSTMAN_API_KEY` on a
    /// laptop).
    pub api_key: Option<Secret>,
    pub integration_id: Option<String>,
    pub region: Region,
    pub fail_on_upload_error: bool,
    /// `timeoutMinutes`: the most one Postman CLI run may take.
    pub run_limit: Option<std::time::Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    Us,
    Eu,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl KeyValue {
    pub fn to_arg(&self) -> String {
        format!("{}={}", self.key, self.value)
    }
}

impl Plan {
    /// The working directory, resolved against `base`.
    pub fn working_directory_path(&self, base: &std::path::Path) -> std::path::PathBuf {
        self.working_directory
            .as_ref()
            .map_or_else(|| base.to_path_buf(), |d| base.join(d))
    }
}

/// Where the Postman CLI comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstallSource {
    /// The npm registry (or a mirror), with an optional token.
    Npm {
        registry: Option<String>,
        token: Option<Secret>,
    },
    /// Postman's download site.
    PostmanSite,
    /// A local archive.
    Archive { path: String },
    /// An installed `postman` (the given one, or the one on PATH).
    Path { path: Option<String> },
}

/// What the installer must do.
#[derive(Clone, Debug)]
pub struct InstallPlan {
    pub source: InstallSource,
    /// Whether `installSource` was chosen (`npm`, …) rather than left to
    /// its default (`auto`): only the default may turn from npm to the
    /// download site when the registry has no package for the platform.
    pub source_given: bool,
    pub version: VersionSpec,
    /// Expected SHA-256 (lower-case hex) of a download-site archive or a
    /// local archive.
    pub sha256: Option<String>,
    /// `cliMinimumReleaseAge`: how long a version must have been public
    /// before `latest` or a range may resolve to it; zero turns it off.
    pub min_release_age: std::time::Duration,
}

/// The default `cliMinimumReleaseAge`. Three days outlast npm's 72-hour
/// window in which a publisher may still unpublish, and the time the
/// November 2025 worm's releases stayed up; Renovate's
/// `security:minimumReleaseAgeNpm` preset waits as long.
pub const DEFAULT_MIN_RELEASE_AGE: &str = "3d";

/// A problem with one setting: what is wrong, and with [`InputError::render`],
/// where and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub field: Field,
    pub kind: InputErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputErrorKind {
    Missing,
    NotANumber {
        value: String,
    },
    TooSmall {
        value: String,
        min: u64,
    },
    NotABoolean {
        value: String,
    },
    NotKeyValue {
        line: usize,
        text: String,
    },
    UnmatchedQuote,
    Reserved {
        arg: String,
    },
    SecretArgument {
        arg: String,
    },
    BadVersion {
        value: String,
    },
    BadUrl {
        value: String,
    },
    BadSha256 {
        value: String,
    },
    NotAnAge {
        value: String,
    },
    NotMinutes {
        value: String,
    },
    NotAnId {
        value: String,
    },
    Conflicts {
        other: Field,
    },
    NotParallel {
        value: String,
    },
    NotShard {
        value: String,
    },
    ShardPosition {
        detail: String,
    },
    /// Set, but only used when a boolean input is on.
    NeedsSwitch {
        switch: Field,
    },
    /// A Postman API key is needed and none was given; says why.
    KeyNeeded {
        why: String,
    },
    NoKeyInConnection {
        id: String,
    },
    NotOneOf {
        value: String,
        allowed: &'static str,
    },
    /// Needed because another input has this value.
    RequiredBy {
        other: Field,
        value: String,
    },
    /// Set, but only used with another `installSource`.
    OtherSource {
        value: String,
        belongs: &'static str,
    },
    KeyInUrl,
    SecretWithCloudEnvironment {
        line: usize,
        key: String,
    },
    Requires {
        other: Field,
    },
    NotFound {
        path: String,
    },
    NoMatch {
        pattern: String,
        base: String,
    },
    NotADirectory {
        path: String,
    },
    Unreadable {
        path: String,
        detail: String,
    },
    BadJson {
        path: String,
        detail: String,
    },
    NotACollection {
        path: String,
    },
    NotAnEnvironment {
        path: String,
    },
    UnknownFolder {
        name: String,
        collection: String,
        available: Vec<String>,
    },
}

impl InputError {
    pub fn new(field: Field, kind: InputErrorKind) -> InputError {
        InputError { field, kind }
    }

    /// The message a user sees: the setting in their own words, what is wrong
    /// with it, and what to do.
    pub fn render(&self, naming: Naming) -> String {
        use InputErrorKind::*;
        let name = naming.name(self.field);
        let (what, how): (String, String) = match &self.kind {
            Missing => (
                "is required".into(),
                match self.field {
                    Field::Collection => "Give one or more collection files, glob patterns or Postman collection UIDs, one per line.".into(),
                    _ => "Give it a value.".into(),
                },
            ),
            NotANumber { value } => (
                format!("`{value}` is not a whole number"),
                number_hint(self.field),
            ),
            TooSmall { value, min } => (
                format!("`{value}` is less than {min}"),
                number_hint(self.field),
            ),
            NotABoolean { value } => (
                format!("`{value}` is not true or false"),
                "Set it to true or false.".into(),
            ),
            NotKeyValue { line, text } => (
                format!("line {line} (`{text}`) is not key=value"),
                "Write one variable per line as key=value, e.g. baseUrl=https://staging.example.com.".into(),
            ),
            UnmatchedQuote => (
                "has a quote that is never closed".into(),
                "Close every \" or ' quote; quote arguments that contain spaces.".into(),
            ),
            Reserved { arg } => (
                format!("contains `{arg}`, which the task sets itself"),
                "Remove it: the task chooses the reporters and report paths so it can publish results. Its JUnit and summary files are in the output variables junitFile and summaryFile.".into(),
            ),
            SecretArgument { arg } => (
                format!("contains `{arg}`, which would put a secret on the command line"),
                match arg.as_str() {
                    "--ssl-client-passphrase" => format!("Use {} instead.", naming.name(Field::SslClientPassphrase)),
                    _ => "Remove it; the task passes credentials to the Postman CLI through its environment.".into(),
                },
            ),
            BadVersion { value } => (
                format!("`{value}` is neither `latest` nor a version"),
                "Use `latest`, an exact version such as 1.62.0, or a range such as 1.x.".into(),
            ),
            BadUrl { value } => (
                format!("`{value}` is not an http:// or https:// URL"),
                "Give the registry's full URL, e.g. https://pkgs.dev.azure.com/contoso/_packaging/feed/npm/registry/.".into(),
            ),
            BadSha256 { value } => (
                format!("`{value}` is not a SHA-256 digest"),
                "Give the 64 hexadecimal characters of the file's SHA-256, e.g. from `sha256sum`.".into(),
            ),
            NotAnAge { value } => (
                format!("`{value}` is not a duration"),
                "Give a duration with a unit, such as 3d, 48h or 90m, or 0 to take new versions at once.".into(),
            ),
            NotMinutes { value } => (
                format!("`{value}` is not a number of minutes"),
                "Give a number of minutes such as 30 (decimals are fine), or leave it empty for no limit.".into(),
            ),
            NotAnId { value } => (
                format!("`{value}` is not an integration ID"),
                "Copy the ID from the API's Azure Pipelines integration in Postman (API › Test and Automation); it is a number, without the build suffix.".into(),
            ),
            Conflicts { other } => (
                format!("is set, and so is {}", naming.name(*other)),
                match self.field {
                    Field::ApiKey => format!("Give the key one way only: clear {} or {}.", name, naming.name(*other)),
                    _ => format!("Use one or the other: clear {} or {}.", name, naming.name(*other)),
                },
            ),
            NotParallel { value } => (
                format!("`{value}` is neither a number of runs nor `auto`"),
                "Give how many collection runs may go at once (1 or more), or `auto` for one per CPU.".into(),
            ),
            NotShard { value } => (
                format!("`{value}` is not `none`, `auto`, or a shard such as 2/4"),
                "Use `auto` in a job with `strategy: parallel: N`, or `i/n` with 1 ≤ i ≤ n, or `none`.".into(),
            ),
            ShardPosition { detail } => (
                detail.clone(),
                "Use `auto` only in a job with `strategy: parallel: N`, or give the shard as `i/n`.".into(),
            ),
            NeedsSwitch { switch } => (
                format!("is only used when {} is true", naming.name(*switch)),
                format!("Set {} to true, or clear {}.", naming.name(*switch), name),
            ),
            KeyNeeded { why } => (
                format!("no Postman API key is given, but {why}"),
                match naming {
                    Naming::Task => "Choose a Postman API service connection in postmanConnection, or set apiKey from a secret variable.".into(),
                    Naming::Cli => "Set the environment variable POSTMAN_API_KEY.".into(),
                },
            ),
            NoKeyInConnection { id } => (
                format!("the service connection `{id}` gave the task no API key"),
                "Choose a connection of the type Postman API, and check that this pipeline is allowed to use it.".into(),
            ),
            NotOneOf { value, allowed } => (
                format!("`{value}` is not one of {allowed}"),
                format!("Use one of {allowed}."),
            ),
            RequiredBy { other, value } => (
                format!("is needed because {} is `{value}`", naming.name(*other)),
                match self.field {
                    Field::ApiDefinition => format!(
                        "Give the definition file to lint in {name}, or a Postman API ID in {}.",
                        naming.name(Field::ApiId)
                    ),
                    _ => format!("Set {} too, or change {}.", name, naming.name(*other)),
                },
            ),
            OtherSource { value, belongs } => (
                format!("is only used when {} is {belongs}, but it is `{value}`", naming.name(Field::InstallSource)),
                format!("Set {} to {belongs}, or clear {}.", naming.name(Field::InstallSource), name),
            ),
            KeyInUrl => (
                "contains a Postman API key (`apikey=`)".into(),
                "Give the collection or environment UID instead; a key in a URL ends up in logs and process listings.".into(),
            ),
            SecretWithCloudEnvironment { line, key } => (
                format!("line {line} (`{key}`) holds a secret, and with an environment given by UID it could only reach the Postman CLI on its command line"),
                "Use a local environment file, or keep the value in the Postman environment itself.".into(),
            ),
            Requires { other } => (
                format!("is set but {} is not", naming.name(*other)),
                format!("Set {} too, or clear {}.", naming.name(*other), name),
            ),
            NotFound { path } => (
                format!("file `{path}` does not exist"),
                "Check the path; relative paths are resolved against the working directory.".into(),
            ),
            NoMatch { pattern, base } => (
                format!("pattern `{pattern}` matches no files in `{base}`"),
                "Check the pattern and the working directory; `**` matches any number of folders.".into(),
            ),
            NotADirectory { path } => (
                format!("`{path}` is not a directory"),
                "Give an existing directory.".into(),
            ),
            Unreadable { path, detail } => (
                format!("cannot read `{path}`: {detail}"),
                "Check that the file exists and the agent's user may read it.".into(),
            ),
            BadJson { path, detail } => (
                format!("`{path}` is not valid JSON: {detail}"),
                "Fix the file, or export it again from Postman.".into(),
            ),
            NotACollection { path } => (
                format!("`{path}` is not a Postman collection (it has no `info` and `item`)"),
                "Export the collection from Postman as Collection v2.1, or give its UID.".into(),
            ),
            NotAnEnvironment { path } => (
                format!("`{path}` is not a Postman environment or globals file (it has no `values` list)"),
                "Export it again from Postman, or give the environment's UID.".into(),
            ),
            UnknownFolder { name, collection, available } => (
                format!("`{name}` is not a folder or request in collection `{collection}`"),
                if available.is_empty() {
                    "The collection has no folders or requests.".into()
                } else {
                    format!("Use a name, ID or path (Folder/Request) from the collection; its top level has: {}.", list_some(available, 10))
                },
            ),
        };
        format!("{name}: {what}. {how}")
    }
}

fn number_hint(field: Field) -> String {
    match field {
        Field::IterationCount => "Set it to a whole number of 1 or more, or leave it empty to run once (or once per row of the iteration data).".into(),
        _ => "Give a whole number of milliseconds, or leave it empty for the default.".into(),
    }
}

fn list_some(items: &[String], max: usize) -> String {
    let shown: Vec<String> = items.iter().take(max).map(|s| format!("`{s}`")).collect();
    if items.len() > max {
        format!("{} and {} more", shown.join(", "), items.len() - max)
    } else {
        shown.join(", ")
    }
}

/// Checks every setting. Returns all problems, not just the first.
pub fn build(raw: &RawInputs) -> Result<Plan, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut err = |field, kind| errors.push(InputError::new(field, kind));

    if raw.collection.is_empty() {
        err(Field::Collection, InputErrorKind::Missing);
    }
    for (field, lines) in [
        (Field::Collection, &raw.collection),
        (Field::Environment, &raw.environment),
    ] {
        if lines
            .iter()
            .any(|l| l.to_ascii_lowercase().contains("apikey="))
        {
            err(field, InputErrorKind::KeyInUrl);
        }
    }

    let iteration_count = match raw.iteration_count.as_deref() {
        None => None,
        Some(text) => match parse_number(text, 1) {
            Ok(n) => u32::try_from(n).ok().or_else(|| {
                err(
                    Field::IterationCount,
                    InputErrorKind::NotANumber { value: text.into() },
                );
                None
            }),
            Err(kind) => {
                err(Field::IterationCount, kind);
                None
            }
        },
    };
    let mut millis = |field: Field, value: &Option<String>| match value.as_deref() {
        None => None,
        Some(text) => match parse_number(text, 0) {
            Ok(0) => None,
            Ok(n) => Some(n),
            Err(kind) => {
                err(field, kind);
                None
            }
        },
    };
    let timeout_ms = millis(Field::Timeout, &raw.timeout);
    let timeout_request_ms = millis(Field::TimeoutRequest, &raw.timeout_request);
    let timeout_script_ms = millis(Field::TimeoutScript, &raw.timeout_script);
    let delay_request_ms = millis(Field::DelayRequest, &raw.delay_request);

    let mut flag = |field: Field, value: &Option<String>, default: bool| {
        boolean(field, value, default, &mut err)
    };
    let bail = flag(Field::Bail, &raw.bail, false);
    let insecure = flag(Field::Insecure, &raw.insecure, false);
    let ignore_redirects = flag(Field::IgnoreRedirects, &raw.ignore_redirects, false);
    let publish_test_results = flag(Field::PublishTestResults, &raw.publish_test_results, true);
    let fail_on_test_failure = flag(Field::FailOnTestFailure, &raw.fail_on_test_failure, true);

    let mut key_values = |field: Field, lines: &[String]| {
        let mut out = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match line.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => out.push(KeyValue {
                    key: k.trim().to_owned(),
                    value: v.to_owned(),
                }),
                _ => err(
                    field,
                    InputErrorKind::NotKeyValue {
                        line: i + 1,
                        text: line.clone(),
                    },
                ),
            }
        }
        out
    };
    let env_vars = key_values(Field::EnvVars, &raw.env_vars);
    let global_vars = key_values(Field::GlobalVars, &raw.global_vars);

    let extra_args = match &raw.additional_arguments {
        ExtraArgs::Split(words) => words.clone(),
        ExtraArgs::Quoted(text) => split_args(text).unwrap_or_else(|| {
            err(Field::AdditionalArguments, InputErrorKind::UnmatchedQuote);
            Vec::new()
        }),
    };
    for arg in &extra_args {
        if let Some(kind) = reserved_argument(arg) {
            err(Field::AdditionalArguments, kind);
        }
    }

    let install = install_plan(raw, &mut err);
    let cloud = cloud_plan(raw, &mut err);
    let lint = lint_plan(raw, &mut err);
    let parallel = match raw.parallel.as_deref().map(str::trim) {
        None => Parallel::Runs(1),
        Some(v) if v.eq_ignore_ascii_case("auto") => Parallel::Auto,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n >= 1 => Parallel::Runs(n),
            _ => {
                err(
                    Field::Parallel,
                    InputErrorKind::NotParallel { value: v.into() },
                );
                Parallel::Runs(1)
            }
        },
    };
    let shard = match raw.shard.as_deref().map(str::trim) {
        None => ShardSpec::None,
        Some(v) if v.eq_ignore_ascii_case("none") => ShardSpec::None,
        Some(v) if v.eq_ignore_ascii_case("auto") => ShardSpec::Auto,
        Some(v) => match v
            .split_once('/')
            .map(|(i, n)| (i.trim().parse::<usize>(), n.trim().parse::<usize>()))
        {
            Some((Ok(index), Ok(count))) if count >= 1 && (1..=count).contains(&index) => {
                ShardSpec::Explicit { index, count }
            }
            _ => {
                err(Field::Shard, InputErrorKind::NotShard { value: v.into() });
                ShardSpec::None
            }
        },
    };

    if raw.ssl_client_key.is_some() && raw.ssl_client_cert.is_none() {
        err(
            Field::SslClientKey,
            InputErrorKind::Requires {
                other: Field::SslClientCert,
            },
        );
    }
    if raw.ssl_client_passphrase.is_some() && raw.ssl_client_key.is_none() {
        err(
            Field::SslClientPassphrase,
            InputErrorKind::Requires {
                other: Field::SslClientKey,
            },
        );
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Plan {
        naming: raw.naming(),
        collections: raw.collection.clone(),
        environments: raw.environment.clone(),
        globals: raw.globals.clone(),
        iteration_data: raw.iteration_data.clone(),
        iteration_count,
        folders: raw.folder.clone(),
        env_vars,
        global_vars,
        working_directory: raw.working_directory.clone(),
        bail,
        timeout_ms,
        timeout_request_ms,
        timeout_script_ms,
        delay_request_ms,
        insecure,
        ignore_redirects,
        ssl_client_cert: raw.ssl_client_cert.clone(),
        ssl_client_key: raw.ssl_client_key.clone(),
        ssl_client_passphrase: raw.ssl_client_passphrase.clone().map(Secret::new),
        ssl_extra_ca_certs: raw.ssl_extra_ca_certs.clone(),
        extra_args,
        publish_test_results,
        test_run_title: raw
            .test_run_title
            .clone()
            .unwrap_or_else(|| "Postman".to_owned()),
        fail_on_test_failure,
        report_directory: raw.report_directory.clone(),
        install,
        cloud,
        lint,
        parallel,
        shard,
    })
}

fn lint_plan(raw: &RawInputs, err: &mut impl FnMut(Field, InputErrorKind)) -> Option<LintPlan> {
    let on = boolean(Field::ApiLint, &raw.api_lint, false, err);
    let fail_severity = match raw.lint_fail_severity.as_deref() {
        None => crate::lint::Severity::Error,
        Some(v) => crate::lint::Severity::parse(v).unwrap_or_else(|| {
            err(
                Field::LintFailSeverity,
                InputErrorKind::NotOneOf {
                    value: v.into(),
                    allowed: "error, warn, info, hint",
                },
            );
            crate::lint::Severity::Error
        }),
    };
    if !on {
        for (field, set) in [
            (Field::ApiId, raw.api_id.is_some()),
            (Field::ApiDefinition, raw.api_definition.is_some()),
        ] {
            if set {
                err(
                    field,
                    InputErrorKind::NeedsSwitch {
                        switch: Field::ApiLint,
                    },
                );
            }
        }
        return None;
    }
    match (&raw.api_id, &raw.api_definition) {
        (Some(_), Some(_)) => err(
            Field::ApiDefinition,
            InputErrorKind::Conflicts {
                other: Field::ApiId,
            },
        ),
        (None, None) => err(
            Field::ApiDefinition,
            InputErrorKind::RequiredBy {
                other: Field::ApiLint,
                value: "true".into(),
            },
        ),
        _ => {}
    }
    Some(LintPlan {
        api_id: raw.api_id.clone(),
        definition: raw.api_definition.clone(),
        fail_severity,
    })
}

fn cloud_plan(raw: &RawInputs, err: &mut impl FnMut(Field, InputErrorKind)) -> CloudPlan {
    if raw.postman_connection.is_some() && raw.api_key.is_some() {
        err(
            Field::ApiKey,
            InputErrorKind::Conflicts {
                other: Field::PostmanConnection,
            },
        );
    }
    let region = match raw
        .region
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("us") => Region::Us,
        Some("eu") => Region::Eu,
        Some(other) => {
            err(
                Field::Region,
                InputErrorKind::NotOneOf {
                    value: other.into(),
                    allowed: "us, eu",
                },
            );
            Region::Us
        }
    };
    let integration_id = raw.integration_id.clone().map(|id| id.trim().to_owned());
    if let Some(id) = &integration_id
        && !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        err(
            Field::IntegrationId,
            InputErrorKind::NotAnId { value: id.clone() },
        );
    }
    let fail_on_upload_error = boolean(
        Field::FailOnUploadError,
        &raw.fail_on_upload_error,
        false,
        err,
    );
    let run_limit =
        raw.timeout_minutes
            .as_deref()
            .and_then(|text| match text.trim().parse::<f64>() {
                Ok(m) if m > 0.0 && m.is_finite() => {
                    Some(std::time::Duration::from_secs_f64(m * 60.0))
                }
                Ok(0.0) => None,
                _ => {
                    err(
                        Field::TimeoutMinutes,
                        InputErrorKind::NotMinutes { value: text.into() },
                    );
                    None
                }
            });
    CloudPlan {
        connection: raw.postman_connection.clone(),
        api_key: raw.api_key.clone().map(Secret::new),
        integration_id,
        region,
        fail_on_upload_error,
        run_limit,
    }
}

/// The installer's settings, checked together: a setting that belongs to
/// another source is a mistake worth saying, not something to ignore.
fn install_plan(raw: &RawInputs, err: &mut impl FnMut(Field, InputErrorKind)) -> InstallPlan {
    let version = match raw.cli_version.as_deref() {
        None => VersionSpec::Latest,
        Some(v) => VersionSpec::parse(v).unwrap_or_else(|| {
            err(
                Field::CliVersion,
                InputErrorKind::BadVersion { value: v.into() },
            );
            VersionSpec::Latest
        }),
    };
    let registry = raw.npm_registry.as_ref().map(|value| {
        let ok = reqwest::Url::parse(value)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if !ok {
            err(
                Field::NpmRegistry,
                InputErrorKind::BadUrl {
                    value: value.clone(),
                },
            );
        }
        value.clone()
    });
    let sha256 = raw.cli_sha256.as_ref().map(|value| {
        let hex = value.trim().to_ascii_lowercase();
        let hex = hex.strip_prefix("sha256:").unwrap_or(&hex).to_owned();
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            err(
                Field::CliSha256,
                InputErrorKind::BadSha256 {
                    value: value.clone(),
                },
            );
        }
        hex
    });
    let min_release_age = {
        let text = raw
            .cli_minimum_release_age
            .as_deref()
            .unwrap_or(DEFAULT_MIN_RELEASE_AGE);
        crate::install::guard::parse_age(text).unwrap_or_else(|| {
            err(
                Field::CliMinimumReleaseAge,
                InputErrorKind::NotAnAge { value: text.into() },
            );
            std::time::Duration::ZERO
        })
    };
    let name = raw.install_source.as_deref().unwrap_or("auto");
    let source_given = !name.eq_ignore_ascii_case("auto");
    let source = match name.to_ascii_lowercase().as_str() {
        "npm" | "auto" => InstallSource::Npm {
            registry,
            token: raw.npm_registry_token.clone().map(Secret::new),
        },
        "postman" => InstallSource::PostmanSite,
        "archive" => match &raw.cli_archive {
            Some(path) => InstallSource::Archive { path: path.clone() },
            None => {
                err(
                    Field::CliArchive,
                    InputErrorKind::RequiredBy {
                        other: Field::InstallSource,
                        value: "archive".into(),
                    },
                );
                InstallSource::Archive {
                    path: String::new(),
                }
            }
        },
        "path" => InstallSource::Path {
            path: raw.cli_path.clone(),
        },
        _ => {
            err(
                Field::InstallSource,
                InputErrorKind::NotOneOf {
                    value: name.into(),
                    allowed: "auto, npm, postman, archive, path",
                },
            );
            InstallSource::Npm {
                registry: None,
                token: None,
            }
        }
    };
    let mut stray = |field: Field, set: bool, belongs: &'static str| {
        if set {
            err(
                field,
                InputErrorKind::OtherSource {
                    value: name.into(),
                    belongs,
                },
            );
        }
    };
    let npm = matches!(source, InstallSource::Npm { .. });
    stray(
        Field::NpmRegistry,
        raw.npm_registry.is_some() && !npm,
        "npm",
    );
    stray(
        Field::NpmRegistryToken,
        raw.npm_registry_token.is_some() && !npm,
        "npm",
    );
    stray(
        Field::CliArchive,
        raw.cli_archive.is_some() && !matches!(source, InstallSource::Archive { .. }),
        "archive",
    );
    stray(
        Field::CliPath,
        raw.cli_path.is_some() && !matches!(source, InstallSource::Path { .. }),
        "path",
    );
    stray(
        Field::CliSha256,
        raw.cli_sha256.is_some()
            && !matches!(
                source,
                InstallSource::PostmanSite | InstallSource::Archive { .. }
            ),
        "postman or archive",
    );
    InstallPlan {
        source,
        source_given,
        version,
        sha256,
        min_release_age,
    }
}

/// A boolean input: `true` or `false` in any case; unset, or not a
/// boolean (which is reported), gives `default`.
fn boolean(
    field: Field,
    value: &Option<String>,
    default: bool,
    err: &mut impl FnMut(Field, InputErrorKind),
) -> bool {
    match value.as_deref() {
        None => default,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            err(field, InputErrorKind::NotABoolean { value: v.into() });
            default
        }
    }
}

fn parse_number(text: &str, min: u64) -> Result<u64, InputErrorKind> {
    let n: u64 = text
        .trim()
        .parse()
        .map_err(|_| InputErrorKind::NotANumber {
            value: text.to_owned(),
        })?;
    if n < min {
        return Err(InputErrorKind::TooSmall {
            value: text.to_owned(),
            min,
        });
    }
    Ok(n)
}

/// Options the task owns. Reporters and their export paths are how the task
/// reads results; secrets must not appear on a command line.
fn reserved_argument(arg: &str) -> Option<InputErrorKind> {
    let name = arg.split_once('=').map_or(arg, |(n, _)| n);
    match name {
        "-r" | "--reporters" | "--output" => Some(InputErrorKind::Reserved { arg: name.into() }),
        n if n.starts_with("--reporter-") => Some(InputErrorKind::Reserved { arg: name.into() }),
        "--postman-api-key" | "--ssl-client-passphrase" => {
            Some(InputErrorKind::SecretArgument { arg: name.into() })
        }
        _ => None,
    }
}

/// Splits a command line the way users write one in a YAML field: words
/// separated by spaces, `"…"` and `'…'` group words, and inside double
/// quotes `\"` and `\\` escape. A backslash elsewhere is an ordinary
/// character, so Windows paths such as `C:\data\rows.csv` survive (POSIX
/// shell splitting, as the `shlex` crate does it, would eat them).
pub fn split_args(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\')) => {
                            word.push(chars.next()?);
                        }
                        c => word.push(c),
                    }
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawInputs {
        RawInputs {
            naming: Some(Naming::Task),
            collection: vec!["tests/api.postman_collection.json".into()],
            ..RawInputs::default()
        }
    }

    fn errors(raw: &RawInputs) -> String {
        build(raw)
            .expect_err("expected input errors")
            .iter()
            .map(|e| e.render(raw.naming()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn defaults_leave_cli_defaults_alone() {
        let plan = build(&raw()).unwrap();
        assert_eq!(plan.iteration_count, None);
        assert_eq!(plan.timeout_ms, None);
        assert!(plan.publish_test_results && plan.fail_on_test_failure);
        assert!(!plan.bail);
        assert_eq!(plan.install.version, VersionSpec::Latest);
        assert!(matches!(
            plan.install.source,
            InstallSource::Npm {
                registry: None,
                token: None
            }
        ));
        assert_eq!(plan.test_run_title, "Postman");
    }

    #[test]
    fn values_are_parsed() {
        let mut r = raw();
        r.iteration_count = Some("3".into());
        r.timeout_request = Some("0".into());
        r.delay_request = Some("250".into());
        r.env_vars = vec!["baseUrl=https://x.test/a?b=c".into()];
        r.bail = Some("True".into());
        r.cli_version = Some("v1.62.0".into());
        r.additional_arguments = ExtraArgs::Quoted(
            r#"--verbose --use-mock "{{baseUrl}} mock:./m" -d 'C:\data\rows.csv'"#.into(),
        );
        let plan = build(&r).unwrap();
        assert_eq!(plan.iteration_count, Some(3));
        assert_eq!(plan.timeout_request_ms, None);
        assert_eq!(plan.delay_request_ms, Some(250));
        assert_eq!(plan.env_vars[0].to_arg(), "baseUrl=https://x.test/a?b=c");
        assert!(plan.bail);
        assert_eq!(plan.install.version.to_string(), "1.62.0");
        assert_eq!(
            plan.extra_args,
            [
                "--verbose",
                "--use-mock",
                "{{baseUrl}} mock:./m",
                "-d",
                r"C:\data\rows.csv"
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut r = raw();
        r.collection.clear();
        r.iteration_count = Some("0".into());
        r.timeout = Some("10s".into());
        r.insecure = Some("yes".into());
        r.env_vars = vec!["a=1".into(), "oops".into()];
        r.additional_arguments =
            ExtraArgs::Quoted("-r html --postman-api-key PMAK-1 \"unclosed".into());
        r.cli_version = Some("newest".into());
        r.npm_registry = Some("registry.local".into());
        r.ssl_client_key = Some("key.pem".into());
        insta::assert_snapshot!(errors(&r));
    }

    #[test]
    fn cli_messages_name_flags() {
        let mut r = raw();
        r.naming = Some(Naming::Cli);
        r.iteration_count = Some("abc".into());
        r.additional_arguments = ExtraArgs::Split(vec!["--reporter-junit-export=x.xml".into()]);
        r.ssl_client_passphrase = Some("pw".into());
        insta::assert_snapshot!(errors(&r));
    }

    #[test]
    fn install_settings_must_fit_the_source() {
        let mut r = raw();
        r.install_source = Some("archive".into());
        r.npm_registry = Some("https://registry.example/".into());
        r.cli_path = Some("/usr/bin/postman".into());
        r.cli_sha256 = Some("abc".into());
        r.cli_version = Some(">=1.50 <2".into());
        insta::assert_snapshot!(errors(&r), @r"
        input `cliSha256`: `abc` is not a SHA-256 digest. Give the 64 hexadecimal characters of the file's SHA-256, e.g. from `sha256sum`.
        input `cliArchive`: is needed because input `installSource` is `archive`. Set input `cliArchive` too, or change input `installSource`.
        input `npmRegistry`: is only used when input `installSource` is npm, but it is `archive`. Set input `installSource` to npm, or clear input `npmRegistry`.
        input `cliPath`: is only used when input `installSource` is path, but it is `archive`. Set input `installSource` to path, or clear input `cliPath`.
        ");
        let mut ok = raw();
        ok.install_source = Some("Postman".into());
        ok.cli_version = Some("1.x".into());
        ok.cli_sha256 = Some(format!("sha256:{}", "A".repeat(64)));
        let plan = build(&ok).unwrap();
        assert_eq!(plan.install.source, InstallSource::PostmanSite);
        assert_eq!(
            plan.install.sha256.as_deref(),
            Some("a".repeat(64).as_str())
        );
        assert!(
            plan.install
                .version
                .matches(&semver::Version::new(1, 62, 0))
        );
    }

    #[test]
    fn keys_in_urls_are_refused() {
        let mut r = raw();
        r.collection = vec!["https://api.getpostman.com/collections/1-2?apikey=PMAK-abc".into()];
        assert!(errors(&r).contains("API key"));
    }

    #[test]
    fn splitting_arguments() {
        assert_eq!(
            split_args("  a  'b c' \"d \\\" e\" f\\g "),
            Some(vec![
                "a".into(),
                "b c".into(),
                "d \" e".into(),
                "f\\g".into()
            ])
        );
        assert_eq!(split_args("''"), Some(vec![String::new()]));
        assert_eq!(split_args("'open"), None);
        assert_eq!(split_args(""), Some(vec![]));
    }
}
