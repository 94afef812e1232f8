//! The command line's words: clap's types, and how `run`'s flags become
//! the same [`RawInputs`] a pipeline's inputs do.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::azure::agent::AgentEnv;
use crate::inputs::{ExtraArgs, Naming, RawInputs};

#[derive(Debug, Parser)]
#[command(
    name = "postman-cli-task",
    version,
    about = "Run Postman collections with the real Postman CLI, in Azure Pipelines or on your machine.",
    after_help = "Exit codes of `run`: 0 all tests passed; 1 tests failed; 2 bad input; \
                  3 the Postman CLI could not be installed; 4 a collection run did not complete; 130 interrupted; 101 internal error."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Run collections and write JUnit and markdown reports, as the pipeline task does.
    Run(Box<RunArgs>),
    /// Install the Postman CLI into the tool cache (or find it there) and print its path.
    Install(InstallArgs),
    /// Run as the Azure Pipelines task, reading the agent's environment. Used by task/launcher.js.
    Task,
    /// Turn a Postman CLI JSON report (`postman collection run -r json`) into this task's JUnit and summary.
    Convert(ConvertArgs),
    /// Mask secrets in standard input as the task masks what it writes (for scripts/bench.sh).
    #[command(hide = true)]
    Mask(MaskArgs),
    /// The task's post-job step: marks the Tests tab's results of the tests that passed only on a retry flaky. Used by task/post.js.
    #[command(hide = true, name = "mark-flaky")]
    MarkFlaky,
}

#[derive(Debug, Args)]
pub(super) struct MaskArgs {
    /// A file of secrets, one a line.
    #[arg(long)]
    pub(super) secrets: PathBuf,
    /// Mask the input as a JSON document, as the copied JSON report is.
    #[arg(long)]
    pub(super) json: bool,
}

#[derive(Debug, Args)]
pub(super) struct ConvertArgs {
    /// The report the Postman CLI wrote with `-r json`.
    pub(super) report: PathBuf,
    /// The JUnit file to write (default: next to the report, `.junit.xml`).
    #[arg(long)]
    pub(super) junit: Option<PathBuf>,
    /// The markdown summary to write (default: next to the report, `.md`).
    #[arg(long)]
    pub(super) summary: Option<PathBuf>,
    /// The collection file, to name requests by their folders.
    #[arg(long)]
    pub(super) collection: Option<PathBuf>,
    /// Title of the test run.
    #[arg(long, default_value = "Postman")]
    pub(super) title: String,
}

/// Flags mirror the task's inputs. The client key passphrase is read from
/// the environment variable POSTMAN_SSL_CLIENT_PASSPHRASE, never from a flag.
#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// Collection files, glob patterns (quote them) or Postman collection UIDs.
    #[arg(value_name = "COLLECTION", required = true)]
    pub(super) collections: Vec<String>,
    /// A Postman environment file or UID; repeat to run every collection against each.
    #[arg(short = 'e', long)]
    pub(super) environment: Vec<String>,
    /// A Postman globals file.
    #[arg(short = 'g', long)]
    pub(super) globals: Option<String>,
    /// A JSON or CSV iteration data file.
    #[arg(short = 'd', long)]
    pub(super) iteration_data: Option<String>,
    /// How many times to run each collection.
    #[arg(short = 'n', long)]
    pub(super) iteration_count: Option<String>,
    /// A folder or request to run (name, ID or Folder/Request path); repeatable.
    #[arg(short = 'i', long)]
    pub(super) folder: Vec<String>,
    /// An environment variable for the run, KEY=VALUE; repeatable.
    #[arg(long = "env-var", value_name = "KEY=VALUE")]
    pub(super) env_var: Vec<String>,
    /// A global variable for the run, KEY=VALUE; repeatable.
    #[arg(long = "global-var", value_name = "KEY=VALUE")]
    pub(super) global_var: Vec<String>,
    /// Where the CLI runs and relative paths are resolved (default: the current directory).
    #[arg(long)]
    pub(super) working_directory: Option<String>,
    /// Stop each collection run at its first failure.
    #[arg(long)]
    pub(super) bail: bool,
    /// Milliseconds a whole collection run may take.
    #[arg(long, value_name = "MS")]
    pub(super) timeout: Option<String>,
    /// Milliseconds a request may take.
    #[arg(long, value_name = "MS")]
    pub(super) timeout_request: Option<String>,
    /// Milliseconds a script may take.
    #[arg(long, value_name = "MS")]
    pub(super) timeout_script: Option<String>,
    /// Milliseconds to wait between requests.
    #[arg(long, value_name = "MS")]
    pub(super) delay_request: Option<String>,
    /// Accept any TLS certificate from the API under test.
    #[arg(short = 'k', long)]
    pub(super) insecure: bool,
    /// Do not follow redirects.
    #[arg(long)]
    pub(super) ignore_redirects: bool,
    /// A client certificate (PEM) to present to the API under test.
    #[arg(long)]
    pub(super) ssl_client_cert: Option<String>,
    /// The client certificate's private key.
    #[arg(long)]
    pub(super) ssl_client_key: Option<String>,
    /// Extra CA certificates (PEM) to trust for the API under test.
    #[arg(long)]
    pub(super) ssl_extra_ca_certs: Option<String>,
    /// Title of the test run in the JUnit report.
    #[arg(long)]
    pub(super) test_run_title: Option<String>,
    /// Where report folders go (default: ./postman-cli-task-reports).
    #[arg(long = "report-dir")]
    pub(super) report_dir: Option<String>,
    /// Report the runs to this Postman CI integration (the key comes from POSTMAN_API_KEY).
    #[arg(long, value_name = "ID")]
    pub(super) integration_id: Option<String>,
    /// Postman region: us or eu.
    #[arg(long, value_name = "REGION")]
    pub(super) region: Option<String>,
    /// Fail (exit 4) when a run cannot be reported to Postman.
    #[arg(long)]
    pub(super) fail_on_upload_error: bool,
    /// Let the Postman CLI send usage analytics to Postman (and report v3 collection runs with a key).
    #[arg(long)]
    pub(super) postman_analytics: bool,
    /// The most one Postman CLI run may take, in minutes.
    #[arg(long, value_name = "MINUTES")]
    pub(super) timeout_minutes: Option<String>,
    /// Do not lint the v3 collections and YAML environments of the run (`postman collection lint`).
    #[arg(long)]
    pub(super) no_collection_lint: bool,
    /// Lint an API definition file with your team's governance and security rules.
    #[arg(long, value_name = "FILE", conflicts_with = "api_id")]
    pub(super) api_definition: Option<String>,
    /// Lint a Postman API by ID (its report goes to the integration from a pipeline).
    #[arg(long, value_name = "ID")]
    pub(super) api_id: Option<String>,
    /// Fail on API lint findings of at least this severity: error (default), warn, info or hint.
    #[arg(long, value_name = "SEVERITY")]
    pub(super) lint_fail_severity: Option<String>,
    /// Fail on collection lint findings of at least this severity: none
    /// (default: report them, fail nothing), error, warn, info or hint.
    #[arg(long, value_name = "SEVERITY")]
    pub(super) collection_lint_fail_severity: Option<String>,
    /// How many collection runs go at once: a number, or `auto`.
    #[arg(long, value_name = "N")]
    pub(super) parallel: Option<String>,
    /// Run only this share of the runs: `i/n`.
    #[arg(long, value_name = "I/N")]
    pub(super) shard: Option<String>,
    /// How many times a collection run that failed is run again, as a whole (default 0).
    #[arg(long, value_name = "N")]
    pub(super) retry_failed_runs: Option<String>,
    /// Which requests keep their headers and bodies in the results
    /// attachment: failed (default), all or none.
    #[arg(long, value_name = "WHICH")]
    pub(super) request_details: Option<String>,
    /// An Azure Test Plans test plan (ID or name) whose test points the
    /// tests update; needs the job's token (SYSTEM_ACCESSTOKEN on a laptop).
    #[arg(long, value_name = "PLAN")]
    pub(super) test_plan: Option<String>,
    /// A suite of the test plan (ID or name); repeatable; default every suite.
    #[arg(long, value_name = "SUITE")]
    pub(super) test_suite: Vec<String>,
    /// A test configuration (ID or name); repeatable; default every configuration.
    #[arg(long, value_name = "CONFIGURATION")]
    pub(super) test_configuration: Vec<String>,
    /// A regex with one group, the test case ID (default `\bTC(\d+)\b`).
    #[arg(long, value_name = "REGEX")]
    pub(super) test_case_pattern: Option<String>,
    /// A YAML or JSON file mapping test case IDs to collection, folder or request paths.
    #[arg(long, value_name = "FILE")]
    pub(super) test_case_map: Option<String>,
    #[command(flatten)]
    pub(super) install: InstallFlags,
    /// Print what would run, without installing or running anything.
    #[arg(long)]
    pub(super) dry_run: bool,
    /// More `postman collection run` options, after `--`.
    #[arg(last = true, value_name = "ARGS")]
    pub(super) cli_args: Vec<String>,
}

/// Where the Postman CLI comes from; shared by `run` and `install`. An npm
/// registry token is read from the environment variable NPM_TOKEN.
#[derive(Debug, Args)]
pub(super) struct InstallFlags {
    /// `latest`, an exact version, or a range such as `1.x`.
    #[arg(
        long = "cli-version",
        visible_alias = "version",
        value_name = "VERSION"
    )]
    pub(super) cli_version: Option<String>,
    /// auto (default: npm, or the download site when npm has no package for
    /// this platform), npm, postman (the download site), archive, or path.
    #[arg(
        long = "install-source",
        visible_alias = "source",
        value_name = "SOURCE"
    )]
    pub(super) install_source: Option<String>,
    /// The npm registry to install from.
    #[arg(long, value_name = "URL")]
    pub(super) npm_registry: Option<String>,
    /// A .tgz or .zip of the Postman CLI (with `--install-source archive`).
    #[arg(long = "cli-archive", visible_alias = "archive", value_name = "FILE")]
    pub(super) cli_archive: Option<String>,
    /// The `postman` executable to use (with `--install-source path`).
    #[arg(long = "cli-path", value_name = "FILE")]
    pub(super) cli_path: Option<String>,
    /// The expected SHA-256 of a download-site archive or a local archive.
    #[arg(long = "cli-sha256", visible_alias = "sha256", value_name = "HEX")]
    cli_sha256: Option<String>,
    /// How long a version must have been on the registry before `latest`
    /// or a range takes it: 3d (default), 48h, or 0 for off.
    #[arg(long = "cli-minimum-release-age", value_name = "AGE")]
    cli_minimum_release_age: Option<String>,
}

impl InstallFlags {
    pub(super) fn apply(self, raw: &mut RawInputs, env: &AgentEnv) {
        raw.cli_version = self.cli_version;
        raw.install_source = self.install_source;
        raw.npm_registry = self.npm_registry;
        raw.npm_registry_token = env
            .get("NPM_TOKEN")
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        raw.cli_archive = self.cli_archive;
        raw.cli_path = self.cli_path;
        raw.cli_sha256 = self.cli_sha256;
        raw.cli_minimum_release_age = self.cli_minimum_release_age;
    }
}

#[derive(Debug, Args)]
pub(super) struct InstallArgs {
    #[command(flatten)]
    pub(super) install: InstallFlags,
    /// Prepare the CLI for another agent (`linux-x64`, `linux-arm64`,
    /// `macos-x64`, `macos-arm64`, `windows-x64`): it is downloaded,
    /// verified and unpacked into the tool cache, never run. Point
    /// AGENT_TOOLSDIRECTORY at a folder for that agent.
    #[arg(long, value_name = "OS-ARCH", value_parser = parse_platform)]
    pub(super) platform: Option<crate::install::platform::Platform>,
}

fn parse_platform(text: &str) -> Result<crate::install::platform::Platform, String> {
    crate::install::platform::Platform::parse(text).ok_or_else(|| {
        "expected <os>-<arch>: linux-x64, linux-arm64, macos-x64, macos-arm64 or windows-x64"
            .to_owned()
    })
}

impl RunArgs {
    pub(super) fn into_raw(self, env: &AgentEnv) -> RawInputs {
        let flag = |b: bool| b.then(|| "true".to_owned());
        let mut raw = RawInputs {
            naming: Some(Naming::Cli),
            collection: self.collections,
            environment: self.environment,
            globals: self.globals,
            iteration_data: self.iteration_data,
            iteration_count: self.iteration_count,
            folder: self.folder,
            env_vars: self.env_var,
            global_vars: self.global_var,
            working_directory: self.working_directory,
            bail: flag(self.bail),
            timeout: self.timeout,
            timeout_request: self.timeout_request,
            timeout_script: self.timeout_script,
            delay_request: self.delay_request,
            insecure: flag(self.insecure),
            ignore_redirects: flag(self.ignore_redirects),
            ssl_client_cert: self.ssl_client_cert,
            ssl_client_key: self.ssl_client_key,
            ssl_client_passphrase: env.get("POSTMAN_SSL_CLIENT_PASSPHRASE").map(str::to_owned),
            ssl_extra_ca_certs: self.ssl_extra_ca_certs,
            additional_arguments: ExtraArgs::Split(self.cli_args),
            publish_test_results: None,
            test_run_title: self.test_run_title,
            fail_on_test_failure: None,
            report_directory: self.report_dir,
            api_key: env
                .get("POSTMAN_API_KEY")
                .filter(|k| !k.trim().is_empty())
                .map(str::to_owned),
            integration_id: self.integration_id,
            region: self.region,
            fail_on_upload_error: flag(self.fail_on_upload_error),
            postman_analytics: flag(self.postman_analytics),
            timeout_minutes: self.timeout_minutes,
            collection_lint: self.no_collection_lint.then(|| "false".to_owned()),
            api_lint: (self.api_definition.is_some() || self.api_id.is_some())
                .then(|| "true".to_owned()),
            api_definition: self.api_definition,
            api_id: self.api_id,
            lint_fail_severity: self.lint_fail_severity,
            collection_lint_fail_severity: self.collection_lint_fail_severity,
            parallel: self.parallel,
            shard: self.shard,
            retry_failed_runs: self.retry_failed_runs,
            request_details: self.request_details,
            test_plan: self.test_plan,
            test_suite: self.test_suite,
            test_configuration: self.test_configuration,
            test_case_pattern: self.test_case_pattern,
            test_case_map: self.test_case_map,
            ..RawInputs::default()
        };
        self.install.apply(&mut raw, env);
        raw
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;
    use crate::inputs::Field;

    /// `run`'s flags and the inputs table name the same settings: every
    /// `--flag` of the table is one of `run`'s, and every one of `run`'s is
    /// in the table, but `--dry-run`, which is no setting.
    #[test]
    fn run_takes_the_flags_the_inputs_table_names() {
        let cli = Cli::command();
        let run = cli.find_subcommand("run").unwrap();
        let longs: Vec<String> = run
            .get_arguments()
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        let table: Vec<&str> = Field::ALL
            .iter()
            .filter_map(|f| f.flag())
            .filter(|f| f.starts_with("--") && !f.contains(' '))
            .collect();
        for flag in &table {
            assert!(longs.iter().any(|l| l == flag), "`run` has no {flag}");
        }
        for long in &longs {
            assert!(
                long == "--dry-run" || table.contains(&long.as_str()),
                "{long} is not in the inputs table"
            );
        }
    }
}
