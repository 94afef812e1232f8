//! The checks: every setting parsed, with every problem collected, so one
//! pipeline run shows every mistake at once. No I/O.

use super::{
    CloudPlan, InputError, InputErrorKind, InstallPlan, InstallSource, KeyValue, LintPlan,
    Parallel, Plan, Region, RequestDetails, Severity, ShardSpec, VersionSpec,
};
use crate::inputs::{ExtraArgs, Field, RawInputs, Secret};

/// The most milliseconds a timeout or delay may be: the Postman CLI waits
/// with Node.js timers, which treat any longer delay as 1 ms.
pub(super) const MAX_MILLIS: u64 = 2_147_483_647;
/// Iterations: the same bound, as a count the CLI takes as a 32-bit number.
pub(super) const MAX_COUNT: u64 = 2_147_483_647;
/// `timeoutMinutes`: the same span as [`MAX_MILLIS`], in whole minutes.
pub(super) const MAX_MINUTES: u64 = MAX_MILLIS / 60_000;
pub(super) const MAX_PARALLEL: u64 = 256;
pub(super) const MAX_SHARDS: u64 = 1000;
/// `retryFailedRuns`: more than a few retries hides a broken API rather
/// than a flaky one.
pub(super) const MAX_RETRIES: u64 = 10;

/// Checks every setting. Returns all problems, not just the first.
pub(crate) fn build(raw: &RawInputs) -> Result<Plan, Vec<InputError>> {
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
        Some(text) => match parse_number(text, 1, MAX_COUNT) {
            Ok(n) => u32::try_from(n).ok(),
            Err(kind) => {
                err(Field::IterationCount, kind);
                None
            }
        },
    };
    let mut millis = |field: Field, value: &Option<String>| match value.as_deref() {
        None => None,
        Some(text) => match parse_number(text, 0, MAX_MILLIS) {
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
    for kind in reserved_arguments(&extra_args) {
        err(Field::AdditionalArguments, kind);
    }

    let install = install_plan(raw, &mut err);
    let cloud = cloud_plan(raw, &mut err);
    let lint_fail_severity = lint_fail_severity(raw, &mut err);
    let lint = lint_plan(raw, lint_fail_severity, &mut err);
    let collection_lint = boolean(Field::CollectionLint, &raw.collection_lint, true, &mut err)
        .then_some(lint_fail_severity);
    let parallel = match raw.parallel.as_deref().map(str::trim) {
        None => Parallel::Runs(1),
        Some(v) if v.eq_ignore_ascii_case("auto") => Parallel::Auto,
        Some(v) => match parse_number(v, 1, MAX_PARALLEL) {
            Ok(n) => Parallel::Runs(n as usize),
            Err(kind @ (InputErrorKind::TooSmall { .. } | InputErrorKind::TooLarge { .. })) => {
                err(Field::Parallel, kind);
                Parallel::Runs(1)
            }
            Err(_) => {
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
        Some(v) => match v.split_once('/').map(|(i, n)| {
            (
                parse_number(i, 1, MAX_SHARDS),
                parse_number(n, 1, MAX_SHARDS),
            )
        }) {
            Some((Ok(index), Ok(count))) if index <= count => ShardSpec::Explicit {
                index: index as usize,
                count: count as usize,
            },
            Some((_, Err(kind @ InputErrorKind::TooLarge { .. }))) => {
                err(Field::Shard, kind);
                ShardSpec::None
            }
            _ => {
                err(Field::Shard, InputErrorKind::NotShard { value: v.into() });
                ShardSpec::None
            }
        },
    };

    let retry_failed_runs = match raw.retry_failed_runs.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(v) => match parse_number(v, 0, MAX_RETRIES) {
            Ok(n) => n as u32,
            Err(kind) => {
                err(Field::RetryFailedRuns, kind);
                0
            }
        },
    };
    let request_details = match raw.request_details.as_deref().map(str::trim) {
        None | Some("") => RequestDetails::Failed,
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "failed" => RequestDetails::Failed,
            "all" => RequestDetails::All,
            "none" => RequestDetails::None,
            _ => {
                err(
                    Field::RequestDetails,
                    InputErrorKind::NotOneOf {
                        value: v.into(),
                        allowed: "failed, all, none",
                    },
                );
                RequestDetails::Failed
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
        install,
        cloud,
        lint,
        collection_lint,
        parallel,
        shard,
        retry_failed_runs,
        request_details,
    })
}

/// `lintFailSeverity`, shared by API lint and collection lint.
fn lint_fail_severity(raw: &RawInputs, err: &mut impl FnMut(Field, InputErrorKind)) -> Severity {
    match raw.lint_fail_severity.as_deref() {
        None => Severity::Error,
        Some(v) => Severity::parse(v).unwrap_or_else(|| {
            err(
                Field::LintFailSeverity,
                InputErrorKind::NotOneOf {
                    value: v.into(),
                    allowed: "error, warn, info, hint",
                },
            );
            Severity::Error
        }),
    }
}

fn lint_plan(
    raw: &RawInputs,
    fail_severity: Severity,
    err: &mut impl FnMut(Field, InputErrorKind),
) -> Option<LintPlan> {
    let on = boolean(Field::ApiLint, &raw.api_lint, false, err);
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
    // Off unless asked: a privacy-conscious team expects no usage data sent
    // from its build agents.
    let analytics = boolean(Field::PostmanAnalytics, &raw.postman_analytics, false, err);
    let run_limit =
        raw.timeout_minutes
            .as_deref()
            .and_then(|text| match text.trim().parse::<f64>() {
                Ok(m) if m > 0.0 && m <= MAX_MINUTES as f64 => {
                    Some(std::time::Duration::from_secs_f64(m * 60.0))
                }
                Ok(0.0) => None,
                Ok(m) if m > MAX_MINUTES as f64 => {
                    err(
                        Field::TimeoutMinutes,
                        InputErrorKind::TooLarge {
                            value: text.into(),
                            max: MAX_MINUTES,
                        },
                    );
                    None
                }
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
        analytics,
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
            .unwrap_or(super::DEFAULT_MIN_RELEASE_AGE);
        super::age::parse_age(text).unwrap_or_else(|| {
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

fn parse_number(text: &str, min: u64, max: u64) -> Result<u64, InputErrorKind> {
    let text = text.trim();
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(InputErrorKind::NotANumber {
            value: text.to_owned(),
        });
    }
    // All digits: a parse failure can only mean too many of them.
    let n: u64 = text.parse().unwrap_or(u64::MAX);
    if n < min {
        return Err(InputErrorKind::TooSmall {
            value: text.to_owned(),
            min,
        });
    }
    if n > max {
        return Err(InputErrorKind::TooLarge {
            value: text.to_owned(),
            max,
        });
    }
    Ok(n)
}

/// Short options of `postman collection run` that take no value, so more
/// letters may follow them in one word (`-kx`), as commander reads them.
const SHORT_SWITCHES: &[char] = &['k', 'x'];
/// Short options that take a value, which may be glued on (`-rcli`).
const SHORT_WITH_VALUE: &[char] = &['e', 'g', 'r', 'n', 'd', 'i'];

/// Options the task owns, in every spelling the Postman CLI (commander)
/// accepts: `--reporters cli`, `--reporters=cli`, `-r cli`, `-rcli`, and
/// `-r` at the end of a cluster of switches (`-kr cli`). The CLI takes no
/// abbreviation of a long option (`--report` is an unknown option), so none
/// is looked for. Reporters and their export paths are how the task reads
/// results; secrets must not appear on a command line.
fn reserved_arguments(args: &[String]) -> Vec<InputErrorKind> {
    let mut found = Vec::new();
    for arg in args {
        if let Some(long) = arg.strip_prefix("--") {
            let name = format!("--{}", long.split_once('=').map_or(long, |(n, _)| n));
            match name.as_str() {
                "--reporters" | "--output" => found.push(InputErrorKind::Reserved { arg: name }),
                n if n.starts_with("--reporter-") => {
                    found.push(InputErrorKind::Reserved { arg: name })
                }
                "--postman-api-key" | "--ssl-client-passphrase" => {
                    found.push(InputErrorKind::SecretArgument { arg: name })
                }
                _ => {}
            }
        } else if let Some(cluster) = arg.strip_prefix('-') {
            for letter in cluster.chars() {
                if letter == 'r' {
                    found.push(InputErrorKind::Reserved {
                        arg: if arg.len() == 2 {
                            "-r".into()
                        } else {
                            format!("-r (in `{arg}`)")
                        },
                    });
                    break;
                }
                if SHORT_WITH_VALUE.contains(&letter) || !SHORT_SWITCHES.contains(&letter) {
                    // The rest of the word is this option's value (or the
                    // CLI refuses the word as an unknown option).
                    break;
                }
            }
        }
    }
    found
}

/// Splits a command line the way users write one in a YAML field: words
/// separated by spaces, `"…"` and `'…'` group words, and inside double
/// quotes `\"` and `\\` escape. A backslash elsewhere is an ordinary
/// character, so Windows paths such as `C:\data\rows.csv` survive (POSIX
/// shell splitting, as the `shlex` crate does it, would eat them).
pub(crate) fn split_args(text: &str) -> Option<Vec<String>> {
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
    use crate::inputs::Naming;

    fn raw() -> RawInputs {
        RawInputs {
            naming: Some(Naming::Task),
            collection: vec!["tests/api.postman_collection.json".into()],
            ..RawInputs::default()
        }
    }

    #[test]
    fn retry_failed_runs_is_a_small_count_that_defaults_to_none() {
        assert_eq!(build(&raw()).unwrap().retry_failed_runs, 0);
        let mut r = raw();
        r.retry_failed_runs = Some(" 3 ".into());
        assert_eq!(build(&r).unwrap().retry_failed_runs, 3);
        for bad in ["11", "-1", "two"] {
            r.retry_failed_runs = Some(bad.into());
            let e = build(&r).unwrap_err();
            assert_eq!(e.len(), 1, "{bad}");
            assert!(
                e[0].render(Naming::Task)
                    .contains("input `retryFailedRuns`"),
                "{bad}"
            );
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
    fn options_the_task_owns_are_refused_in_every_spelling() {
        let refused = |args: &str| {
            let mut r = raw();
            r.additional_arguments = ExtraArgs::Quoted(args.into());
            errors(&r)
        };
        for args in [
            "-r json",
            "-rcli",
            "-kr json",
            "-xkrjson",
            "--reporters=json",
            "--reporters cli",
            "--reporter-junit-export=x.xml",
            "--output out",
        ] {
            assert!(
                refused(args).contains("which the task sets itself"),
                "{args}: {}",
                refused(args)
            );
        }
        assert!(refused("--postman-api-key=PMAK-1").contains("secret on the command line"));
        // A value glued to another short option is that option's value
        // (`-ir` is `-i r`, a folder named r).
        for fine in ["-i regression", "-ir", "-e staging.json", "--verbose", "-k"] {
            let mut r = raw();
            r.additional_arguments = ExtraArgs::Quoted(fine.into());
            assert!(build(&r).is_ok(), "{fine}");
        }
    }

    #[test]
    fn numbers_have_bounds_and_say_them() {
        let mut r = raw();
        r.timeout_minutes = Some("1e300".into());
        r.timeout = Some("18446744073709551615".into());
        r.timeout_request = Some("99999999999999999999999".into());
        r.delay_request = Some("2147483648".into());
        r.iteration_count = Some("4294967296".into());
        r.parallel = Some("100000".into());
        r.shard = Some("1/100000".into());
        insta::assert_snapshot!(errors(&r), @r"
        input `iterationCount`: `4294967296` is more than 2147483647, the most it can be. Set it to a whole number from 1 to 2147483647, or leave it empty to run once (or once per row of the iteration data).
        input `timeout`: `18446744073709551615` is more than 2147483647, the most it can be. Give a whole number of milliseconds up to 2147483647 (the longest a Node.js timer can wait), or leave it empty for the default.
        input `timeoutRequest`: `99999999999999999999999` is more than 2147483647, the most it can be. Give a whole number of milliseconds up to 2147483647 (the longest a Node.js timer can wait), or leave it empty for the default.
        input `delayRequest`: `2147483648` is more than 2147483647, the most it can be. Give a whole number of milliseconds up to 2147483647 (the longest a Node.js timer can wait), or leave it empty for the default.
        input `timeoutMinutes`: `1e300` is more than 35791, the most it can be. Give a number of minutes up to 35791 (about 24 days; decimals are fine), or leave it empty for no limit.
        input `parallel`: `100000` is more than 256, the most it can be. Give how many collection runs may go at once, from 1 to 256, or `auto` for one per CPU.
        input `shard`: `100000` is more than 1000, the most it can be. Give the shard as `i/n` with 1 ≤ i ≤ n ≤ 1000, or `auto` or `none`.
        ");
        let mut ok = raw();
        ok.timeout_minutes = Some("35791".into());
        ok.timeout = Some("2147483647".into());
        ok.parallel = Some("256".into());
        assert!(build(&ok).is_ok());
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
