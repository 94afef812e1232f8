//! Turns [`RawInputs`](crate::inputs::RawInputs) into a [`Plan`]: every value parsed and checked, with
//! no I/O, so the same checks run in a pipeline and on a laptop and are
//! cheap to test.
//!
//! Anything that needs the file system (globs, files that must exist,
//! collection contents) is checked next, in [`crate::resolve`]. Both stages
//! report [`InputError`]s, which name the input and say how to fix it; all
//! of them are collected before anything runs, so one pipeline run shows
//! every mistake at once.

pub(crate) mod age;
mod args;
mod build;
#[cfg(test)]
mod contract;
mod error;
mod install;
mod messages;
mod parse;
mod test_plan;
mod version;

pub(crate) use build::build;
pub(crate) use error::{InputError, InputErrorKind};
pub(crate) use install::install;
#[cfg(test)]
pub(crate) use test_plan::DEFAULT_PATTERN as DEFAULT_TEST_CASE_PATTERN;
pub(crate) use test_plan::{ItemRef, TestPlanPlan};
pub(crate) use version::VersionSpec;

use crate::inputs::{Naming, Secret};

/// Everything a task run will do, decided up front.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) naming: Naming,
    /// Collection lines as given: paths, glob patterns or UIDs.
    pub(crate) collections: Vec<String>,
    /// Environment lines as given: files or UIDs.
    pub(crate) environments: Vec<String>,
    pub(crate) globals: Option<String>,
    pub(crate) iteration_data: Option<String>,
    pub(crate) iteration_count: Option<u32>,
    pub(crate) folders: Vec<String>,
    pub(crate) env_vars: Vec<KeyValue>,
    pub(crate) global_vars: Vec<KeyValue>,
    pub(crate) working_directory: Option<String>,
    pub(crate) bail: bool,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) timeout_request_ms: Option<u64>,
    pub(crate) timeout_script_ms: Option<u64>,
    pub(crate) delay_request_ms: Option<u64>,
    pub(crate) insecure: bool,
    pub(crate) ignore_redirects: bool,
    pub(crate) ssl_client_cert: Option<String>,
    pub(crate) ssl_client_key: Option<String>,
    pub(crate) ssl_client_passphrase: Option<Secret>,
    pub(crate) ssl_extra_ca_certs: Option<String>,
    pub(crate) extra_args: Vec<String>,
    pub(crate) publish_test_results: bool,
    pub(crate) test_run_title: String,
    pub(crate) fail_on_test_failure: bool,
    pub(crate) install: InstallPlan,
    pub(crate) cloud: CloudPlan,
    /// API lint, when `apiLint` is on.
    pub(crate) lint: Option<LintPlan>,
    /// `collectionLint`: lint the v3 collections and YAML environments and
    /// globals of the step (`postman collection lint`), failing as
    /// `collectionLintFailSeverity` says; `None` when off.
    pub(crate) collection_lint: Option<LintGate>,
    /// How many collection runs go at once.
    pub(crate) parallel: Parallel,
    pub(crate) shard: ShardSpec,
    /// `retryFailedRuns`: how many times a collection run that failed is
    /// run again, as a whole.
    pub(crate) retry_failed_runs: u32,
    /// `requestDetails`: which requests keep their headers and bodies.
    pub(crate) request_details: RequestDetails,
    /// Azure Test Plans: the test points the Postman tests update, when
    /// `testPlan` is set.
    pub(crate) test_plan: Option<TestPlanPlan>,
}

/// Which requests keep their headers and bodies for the Postman tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestDetails {
    /// Those with a failed assertion or an error: what people open.
    Failed,
    All,
    /// None: the CLI is told to leave them out of its report.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parallel {
    /// One per CPU.
    Auto,
    Runs(usize),
}

/// Which share of the runs this job takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShardSpec {
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
pub(crate) struct LintPlan {
    /// Exactly one of these is set.
    pub(crate) api_id: Option<String>,
    pub(crate) definition: Option<String>,
    pub(crate) fail_severity: Severity,
}

/// Reporting to Postman and the credentials for it.
#[derive(Clone, Debug)]
pub(crate) struct CloudPlan {
    /// The service connection's id (a GUID), if one is chosen.
    pub(crate) connection: Option<String>,
    /// A key given directly (the `apiKey` input, or `POSTMAN_API_KEY` on a
    /// laptop).
    pub(crate) api_key: Option<Secret>,
    pub(crate) integration_id: Option<String>,
    pub(crate) region: Region,
    pub(crate) fail_on_upload_error: bool,
    /// `postmanAnalytics`: let the CLI send usage analytics and, for v3
    /// collections, run events (one CLI option, `--[no-]report-events`).
    pub(crate) analytics: bool,
    /// `timeoutMinutes`: the most one Postman CLI run may take.
    pub(crate) run_limit: Option<std::time::Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Region {
    Us,
    Eu,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyValue {
    pub(crate) key: String,
    pub(crate) value: String,
}

impl KeyValue {
    pub(crate) fn to_arg(&self) -> String {
        format!("{}={}", self.key, self.value)
    }
}

impl Plan {
    /// The working directory, resolved against `base`.
    pub(crate) fn working_directory_path(&self, base: &std::path::Path) -> std::path::PathBuf {
        self.working_directory
            .as_ref()
            .map_or_else(|| base.to_path_buf(), |d| base.join(d))
    }
}

/// Where the Postman CLI comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum InstallSource {
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
pub(crate) struct InstallPlan {
    pub(crate) source: InstallSource,
    /// Whether `installSource` was chosen (`npm`, …) rather than left to
    /// its default (`auto`): only the default may turn from npm to the
    /// download site when the registry has no package for the platform.
    pub(crate) source_given: bool,
    pub(crate) version: VersionSpec,
    /// Expected SHA-256 (lower-case hex) of a download-site archive or a
    /// local archive.
    pub(crate) sha256: Option<String>,
    /// `cliMinimumReleaseAge`: how long a version must have been public
    /// before `latest` or a range may resolve to it; zero turns it off.
    pub(crate) min_release_age: std::time::Duration,
}

/// How serious a lint finding is, in the order `lintFailSeverity` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Severity {
    Hint,
    Info,
    Warn,
    Error,
}

impl Severity {
    /// Reads a severity as the CLI prints it (`ERROR`, `WARN`, `WARNING`…).
    pub(crate) fn parse(text: &str) -> Option<Severity> {
        Some(match text.trim().to_ascii_uppercase().as_str() {
            "ERROR" => Severity::Error,
            "WARN" | "WARNING" => Severity::Warn,
            "INFO" | "INFORMATION" => Severity::Info,
            "HINT" => Severity::Hint,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warn => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }

    /// The value `api lint --fail-severity` takes.
    pub(crate) fn api_lint_arg(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warn => "warn",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }
}

/// Which lint findings fail the step: those at or above a severity, or,
/// for a lint that only reports, none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LintGate {
    /// Findings are reported and fail nothing (`none`).
    Never,
    AtLeast(Severity),
}

impl LintGate {
    /// Whether a finding of this severity fails the step.
    pub(crate) fn fails(self, severity: Severity) -> bool {
        match self {
            LintGate::Never => false,
            LintGate::AtLeast(gate) => severity >= gate,
        }
    }

    /// The severity findings start to fail at, if any.
    pub(crate) fn severity(self) -> Option<Severity> {
        match self {
            LintGate::Never => None,
            LintGate::AtLeast(gate) => Some(gate),
        }
    }

    /// As the JUnit property says it: a severity, or `none`.
    pub(crate) fn as_str(self) -> &'static str {
        self.severity().map_or("none", Severity::as_str)
    }

    /// As the summary says it: `error and above`, or `never (reported only)`.
    pub(crate) fn describe(self) -> String {
        match self {
            LintGate::Never => "never (reported only)".to_owned(),
            LintGate::AtLeast(gate) => format!("{} and above", gate.as_str()),
        }
    }
}

impl From<Severity> for LintGate {
    fn from(severity: Severity) -> LintGate {
        LintGate::AtLeast(severity)
    }
}
