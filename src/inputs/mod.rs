//! What the user said, before anything is checked: the task's inputs in a
//! pipeline, or the flags of `postman-cli-task run` on a laptop.
//!
//! Both front ends fill the same [`RawInputs`], so one validation
//! ([`crate::plan`]) serves both and its errors read the same, naming the
//! input (`iterationCount`) or the flag (`--iteration-count`) as the user
//! wrote it. The names here are a public contract: pipelines break when an
//! input or flag is renamed.

use std::fmt;

use crate::azure::agent::AgentEnv;

/// Every setting a user can give, with its task input name and CLI flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Field {
    Collection,
    Environment,
    Globals,
    IterationData,
    IterationCount,
    Folder,
    EnvVars,
    GlobalVars,
    WorkingDirectory,
    Bail,
    Timeout,
    TimeoutRequest,
    TimeoutScript,
    DelayRequest,
    Insecure,
    IgnoreRedirects,
    SslClientCert,
    SslClientKey,
    SslClientPassphrase,
    SslExtraCaCerts,
    AdditionalArguments,
    PublishTestResults,
    TestRunTitle,
    FailOnTestFailure,
    ReportDirectory,
    CliVersion,
    NpmRegistry,
    PostmanConnection,
    ApiKey,
    IntegrationId,
    Region,
    FailOnUploadError,
    PostmanAnalytics,
    TimeoutMinutes,
    CollectionLint,
    ApiLint,
    ApiId,
    ApiDefinition,
    LintFailSeverity,
    Parallel,
    Shard,
    RetryFailedRuns,
    InstallSource,
    NpmRegistryToken,
    CliArchive,
    CliPath,
    CliSha256,
    CliMinimumReleaseAge,
    RequestDetails,
}

impl Field {
    #[cfg(test)]
    pub(crate) const ALL: &'static [Field] = &[
        Field::Collection,
        Field::Environment,
        Field::Globals,
        Field::IterationData,
        Field::IterationCount,
        Field::Folder,
        Field::EnvVars,
        Field::GlobalVars,
        Field::WorkingDirectory,
        Field::Bail,
        Field::Timeout,
        Field::TimeoutRequest,
        Field::TimeoutScript,
        Field::DelayRequest,
        Field::Insecure,
        Field::IgnoreRedirects,
        Field::SslClientCert,
        Field::SslClientKey,
        Field::SslClientPassphrase,
        Field::SslExtraCaCerts,
        Field::AdditionalArguments,
        Field::PublishTestResults,
        Field::TestRunTitle,
        Field::FailOnTestFailure,
        Field::ReportDirectory,
        Field::CliVersion,
        Field::NpmRegistry,
        Field::PostmanConnection,
        Field::ApiKey,
        Field::IntegrationId,
        Field::Region,
        Field::FailOnUploadError,
        Field::PostmanAnalytics,
        Field::TimeoutMinutes,
        Field::CollectionLint,
        Field::ApiLint,
        Field::ApiId,
        Field::ApiDefinition,
        Field::LintFailSeverity,
        Field::Parallel,
        Field::Shard,
        Field::RetryFailedRuns,
        Field::InstallSource,
        Field::NpmRegistryToken,
        Field::CliArchive,
        Field::CliPath,
        Field::CliSha256,
        Field::CliMinimumReleaseAge,
        Field::RequestDetails,
    ];

    /// The task input name, as declared in task.json.
    pub(crate) fn input(self) -> &'static str {
        match self {
            Field::Collection => "collection",
            Field::Environment => "environment",
            Field::Globals => "globals",
            Field::IterationData => "iterationData",
            Field::IterationCount => "iterationCount",
            Field::Folder => "folder",
            Field::EnvVars => "envVars",
            Field::GlobalVars => "globalVars",
            Field::WorkingDirectory => "workingDirectory",
            Field::Bail => "bail",
            Field::Timeout => "timeout",
            Field::TimeoutRequest => "timeoutRequest",
            Field::TimeoutScript => "timeoutScript",
            Field::DelayRequest => "delayRequest",
            Field::Insecure => "insecure",
            Field::IgnoreRedirects => "ignoreRedirects",
            Field::SslClientCert => "sslClientCert",
            Field::SslClientKey => "sslClientKey",
            Field::SslClientPassphrase => "sslClientPassphrase",
            Field::SslExtraCaCerts => "sslExtraCaCerts",
            Field::AdditionalArguments => "additionalArguments",
            Field::PublishTestResults => "publishTestResults",
            Field::TestRunTitle => "testRunTitle",
            Field::FailOnTestFailure => "failOnTestFailure",
            Field::ReportDirectory => "reportDirectory",
            Field::CliVersion => "cliVersion",
            Field::NpmRegistry => "npmRegistry",
            Field::PostmanConnection => "postmanConnection",
            Field::ApiKey => "apiKey",
            Field::IntegrationId => "integrationId",
            Field::Region => "region",
            Field::FailOnUploadError => "failOnUploadError",
            Field::PostmanAnalytics => "postmanAnalytics",
            Field::TimeoutMinutes => "timeoutMinutes",
            Field::CollectionLint => "collectionLint",
            Field::ApiLint => "apiLint",
            Field::ApiId => "apiId",
            Field::ApiDefinition => "apiDefinition",
            Field::LintFailSeverity => "lintFailSeverity",
            Field::Parallel => "parallel",
            Field::Shard => "shard",
            Field::RetryFailedRuns => "retryFailedRuns",
            Field::InstallSource => "installSource",
            Field::NpmRegistryToken => "npmRegistryToken",
            Field::CliArchive => "cliArchive",
            Field::CliPath => "cliPath",
            Field::CliSha256 => "cliSha256",
            Field::CliMinimumReleaseAge => "cliMinimumReleaseAge",
            Field::RequestDetails => "requestDetails",
        }
    }

    /// How `postman-cli-task run` spells it. Settings that only mean
    /// something to the agent have none; the passphrase comes from the
    /// environment so it never sits on a command line.
    pub(crate) fn flag(self) -> Option<&'static str> {
        Some(match self {
            Field::Collection => "<COLLECTION>",
            Field::Environment => "--environment",
            Field::Globals => "--globals",
            Field::IterationData => "--iteration-data",
            Field::IterationCount => "--iteration-count",
            Field::Folder => "--folder",
            Field::EnvVars => "--env-var",
            Field::GlobalVars => "--global-var",
            Field::WorkingDirectory => "--working-directory",
            Field::Bail => "--bail",
            Field::Timeout => "--timeout",
            Field::TimeoutRequest => "--timeout-request",
            Field::TimeoutScript => "--timeout-script",
            Field::DelayRequest => "--delay-request",
            Field::Insecure => "--insecure",
            Field::IgnoreRedirects => "--ignore-redirects",
            Field::SslClientCert => "--ssl-client-cert",
            Field::SslClientKey => "--ssl-client-key",
            Field::SslClientPassphrase => "$POSTMAN_SSL_CLIENT_PASSPHRASE",
            Field::SslExtraCaCerts => "--ssl-extra-ca-certs",
            Field::AdditionalArguments => "-- <ARGS>",
            Field::TestRunTitle => "--test-run-title",
            Field::ReportDirectory => "--report-dir",
            Field::CliVersion => "--cli-version",
            Field::NpmRegistry => "--npm-registry",
            Field::ApiKey => "$POSTMAN_API_KEY",
            Field::IntegrationId => "--integration-id",
            Field::Region => "--region",
            Field::FailOnUploadError => "--fail-on-upload-error",
            Field::PostmanAnalytics => "--postman-analytics",
            Field::TimeoutMinutes => "--timeout-minutes",
            Field::CollectionLint => "--no-collection-lint",
            Field::ApiLint => "--api-definition or --api-id",
            Field::ApiId => "--api-id",
            Field::ApiDefinition => "--api-definition",
            Field::LintFailSeverity => "--lint-fail-severity",
            Field::Parallel => "--parallel",
            Field::Shard => "--shard",
            Field::RetryFailedRuns => "--retry-failed-runs",
            Field::InstallSource => "--install-source",
            Field::NpmRegistryToken => "$NPM_TOKEN",
            Field::CliArchive => "--cli-archive",
            Field::CliPath => "--cli-path",
            Field::CliSha256 => "--cli-sha256",
            Field::CliMinimumReleaseAge => "--cli-minimum-release-age",
            Field::RequestDetails => "--request-details",
            Field::PublishTestResults | Field::FailOnTestFailure | Field::PostmanConnection => {
                return None;
            }
        })
    }
}

/// Which front end the user is talking to, so messages use their words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Naming {
    Task,
    Cli,
}

impl Naming {
    pub(crate) fn name(self, field: Field) -> String {
        match (self, field.flag()) {
            (Naming::Cli, Some(flag)) => format!("`{flag}`"),
            _ => format!("input `{}`", field.input()),
        }
    }
}

/// Extra `postman collection run` arguments: one shell-quoted string from
/// the task input, or already-split words after `--` on our command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ExtraArgs {
    Quoted(String),
    Split(Vec<String>),
}

impl Default for ExtraArgs {
    fn default() -> Self {
        ExtraArgs::Split(Vec::new())
    }
}

/// Settings exactly as given. Text stays text here; [`crate::plan`] decides
/// what it means and says what is wrong with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawInputs {
    pub(crate) naming: Option<Naming>,
    pub(crate) collection: Vec<String>,
    pub(crate) environment: Vec<String>,
    pub(crate) globals: Option<String>,
    pub(crate) iteration_data: Option<String>,
    pub(crate) iteration_count: Option<String>,
    pub(crate) folder: Vec<String>,
    pub(crate) env_vars: Vec<String>,
    pub(crate) global_vars: Vec<String>,
    pub(crate) working_directory: Option<String>,
    pub(crate) bail: Option<String>,
    pub(crate) timeout: Option<String>,
    pub(crate) timeout_request: Option<String>,
    pub(crate) timeout_script: Option<String>,
    pub(crate) delay_request: Option<String>,
    pub(crate) insecure: Option<String>,
    pub(crate) ignore_redirects: Option<String>,
    pub(crate) ssl_client_cert: Option<String>,
    pub(crate) ssl_client_key: Option<String>,
    pub(crate) ssl_client_passphrase: Option<String>,
    pub(crate) ssl_extra_ca_certs: Option<String>,
    pub(crate) additional_arguments: ExtraArgs,
    pub(crate) publish_test_results: Option<String>,
    pub(crate) test_run_title: Option<String>,
    pub(crate) fail_on_test_failure: Option<String>,
    pub(crate) report_directory: Option<String>,
    pub(crate) cli_version: Option<String>,
    pub(crate) npm_registry: Option<String>,
    pub(crate) postman_connection: Option<String>,
    pub(crate) api_key: Option<String>,
    pub(crate) integration_id: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) fail_on_upload_error: Option<String>,
    pub(crate) postman_analytics: Option<String>,
    pub(crate) timeout_minutes: Option<String>,
    pub(crate) collection_lint: Option<String>,
    pub(crate) api_lint: Option<String>,
    pub(crate) api_id: Option<String>,
    pub(crate) api_definition: Option<String>,
    pub(crate) lint_fail_severity: Option<String>,
    pub(crate) parallel: Option<String>,
    pub(crate) shard: Option<String>,
    pub(crate) retry_failed_runs: Option<String>,
    pub(crate) install_source: Option<String>,
    pub(crate) npm_registry_token: Option<String>,
    pub(crate) cli_archive: Option<String>,
    pub(crate) cli_path: Option<String>,
    pub(crate) cli_sha256: Option<String>,
    pub(crate) cli_minimum_release_age: Option<String>,
    pub(crate) request_details: Option<String>,
}

impl RawInputs {
    /// Reads every input the way the agent passes them (`INPUT_<NAME>`).
    pub(crate) fn from_agent(env: &AgentEnv) -> RawInputs {
        let one = |f: Field| env.input(f.input()).map(str::to_owned);
        let lines = |f: Field| env.input(f.input()).map(split_lines).unwrap_or_default();
        RawInputs {
            naming: Some(Naming::Task),
            collection: lines(Field::Collection),
            environment: lines(Field::Environment),
            globals: one(Field::Globals),
            iteration_data: one(Field::IterationData),
            iteration_count: one(Field::IterationCount),
            folder: lines(Field::Folder),
            env_vars: lines(Field::EnvVars),
            global_vars: lines(Field::GlobalVars),
            working_directory: one(Field::WorkingDirectory),
            bail: one(Field::Bail),
            timeout: one(Field::Timeout),
            timeout_request: one(Field::TimeoutRequest),
            timeout_script: one(Field::TimeoutScript),
            delay_request: one(Field::DelayRequest),
            insecure: one(Field::Insecure),
            ignore_redirects: one(Field::IgnoreRedirects),
            ssl_client_cert: one(Field::SslClientCert),
            ssl_client_key: one(Field::SslClientKey),
            ssl_client_passphrase: one(Field::SslClientPassphrase),
            ssl_extra_ca_certs: one(Field::SslExtraCaCerts),
            additional_arguments: one(Field::AdditionalArguments)
                .map(ExtraArgs::Quoted)
                .unwrap_or_default(),
            publish_test_results: one(Field::PublishTestResults),
            test_run_title: one(Field::TestRunTitle),
            fail_on_test_failure: one(Field::FailOnTestFailure),
            report_directory: one(Field::ReportDirectory),
            cli_version: one(Field::CliVersion),
            npm_registry: one(Field::NpmRegistry),
            postman_connection: one(Field::PostmanConnection),
            api_key: one(Field::ApiKey),
            integration_id: one(Field::IntegrationId),
            region: one(Field::Region),
            fail_on_upload_error: one(Field::FailOnUploadError),
            postman_analytics: one(Field::PostmanAnalytics),
            timeout_minutes: one(Field::TimeoutMinutes),
            collection_lint: one(Field::CollectionLint),
            api_lint: one(Field::ApiLint),
            api_id: one(Field::ApiId),
            api_definition: one(Field::ApiDefinition),
            lint_fail_severity: one(Field::LintFailSeverity),
            parallel: one(Field::Parallel),
            shard: one(Field::Shard),
            retry_failed_runs: one(Field::RetryFailedRuns),
            install_source: one(Field::InstallSource),
            npm_registry_token: one(Field::NpmRegistryToken),
            cli_archive: one(Field::CliArchive),
            cli_path: one(Field::CliPath),
            cli_sha256: one(Field::CliSha256),
            cli_minimum_release_age: one(Field::CliMinimumReleaseAge),
            request_details: one(Field::RequestDetails),
        }
    }

    pub(crate) fn naming(&self) -> Naming {
        self.naming.unwrap_or(Naming::Cli)
    }
}

/// Splits a multi-line input: one entry per line, trimmed, blank lines and
/// `#` comments skipped.
pub(crate) fn split_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// An input that holds a secret: kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_distinct_input_name() {
        let mut names: Vec<_> = Field::ALL.iter().map(|f| f.input()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Field::ALL.len());
    }

    /// task.json and this enum are two copies of one public contract.
    #[test]
    fn task_json_declares_exactly_these_inputs() {
        let task: serde_json::Value =
            serde_json::from_str(include_str!("../../task/task.json")).unwrap();
        let declared: Vec<&str> = task["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        let mut ours: Vec<&str> = Field::ALL.iter().map(|f| f.input()).collect();
        let mut theirs = declared.clone();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn multi_line_inputs_skip_blanks_and_comments() {
        assert_eq!(
            split_lines("a.json\n\n  # skipped\r\n  b/*.json  \n"),
            ["a.json", "b/*.json"]
        );
    }

    #[test]
    fn agent_inputs_are_read_by_their_task_json_names() {
        let env = AgentEnv::from_pairs([
            ("INPUT_COLLECTION", "a.json\nb.json"),
            ("INPUT_ITERATIONCOUNT", "2"),
            ("INPUT_ADDITIONALARGUMENTS", "--verbose"),
        ]);
        let raw = RawInputs::from_agent(&env);
        assert_eq!(raw.collection, ["a.json", "b.json"]);
        assert_eq!(raw.iteration_count.as_deref(), Some("2"));
        assert_eq!(
            raw.additional_arguments,
            ExtraArgs::Quoted("--verbose".into())
        );
        assert_eq!(raw.naming(), Naming::Task);
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }
}
