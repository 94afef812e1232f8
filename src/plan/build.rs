//! The checks: every setting parsed, with every problem collected, so one
//! pipeline run shows every mistake at once. No I/O. [`build`] is a table,
//! a line per setting; the parsers are in [`super::parse`],
//! [`super::install`] and [`super::args`].

use super::args::extra_args;
use super::install::install_plan;
use super::parse::{self, Errors, boolean, given_or_default, millis};
use super::{CloudPlan, InputError, InputErrorKind, LintPlan, Plan};
use crate::inputs::{Field, RawInputs, Secret};

/// Checks every setting. Returns all problems, not just the first.
pub(crate) fn build(raw: &RawInputs) -> Result<Plan, Vec<InputError>> {
    let mut errors = Vec::new();
    let err = &mut |field, kind| errors.push(InputError::new(field, kind));

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
    // In the order the checks report their errors.
    let plan = Plan {
        naming: raw.naming(),
        collections: raw.collection.clone(),
        environments: raw.environment.clone(),
        globals: raw.globals.clone(),
        iteration_data: raw.iteration_data.clone(),
        folders: raw.folder.clone(),
        working_directory: raw.working_directory.clone(),
        iteration_count: parse::iteration_count(raw, err),
        timeout_ms: millis(Field::Timeout, &raw.timeout, err),
        timeout_request_ms: millis(Field::TimeoutRequest, &raw.timeout_request, err),
        timeout_script_ms: millis(Field::TimeoutScript, &raw.timeout_script, err),
        delay_request_ms: millis(Field::DelayRequest, &raw.delay_request, err),
        bail: boolean(Field::Bail, &raw.bail, err),
        insecure: boolean(Field::Insecure, &raw.insecure, err),
        ignore_redirects: boolean(Field::IgnoreRedirects, &raw.ignore_redirects, err),
        publish_test_results: boolean(Field::PublishTestResults, &raw.publish_test_results, err),
        fail_on_test_failure: boolean(Field::FailOnTestFailure, &raw.fail_on_test_failure, err),
        env_vars: parse::key_values(Field::EnvVars, &raw.env_vars, err),
        global_vars: parse::key_values(Field::GlobalVars, &raw.global_vars, err),
        extra_args: extra_args(raw, err),
        install: install_plan(raw, err),
        cloud: cloud_plan(raw, err),
        lint: lint_plan(raw, err),
        collection_lint: parse::collection_lint(raw, err),
        parallel: parse::parallel(raw, err),
        shard: parse::shard(raw, err),
        retry_failed_runs: parse::retry_failed_runs(raw, err),
        request_details: parse::request_details(raw, err),
        test_plan: super::test_plan::test_plan(raw, err),
        ssl_client_cert: raw.ssl_client_cert.clone(),
        ssl_client_key: raw.ssl_client_key.clone(),
        ssl_client_passphrase: raw.ssl_client_passphrase.clone().map(Secret::new),
        ssl_extra_ca_certs: raw.ssl_extra_ca_certs.clone(),
        test_run_title: given_or_default(Field::TestRunTitle, &raw.test_run_title)
            .unwrap_or_default()
            .to_owned(),
    };
    for (field, set, other, other_set) in [
        (
            Field::SslClientKey,
            raw.ssl_client_key.is_some(),
            Field::SslClientCert,
            raw.ssl_client_cert.is_some(),
        ),
        (
            Field::SslClientPassphrase,
            raw.ssl_client_passphrase.is_some(),
            Field::SslClientKey,
            raw.ssl_client_key.is_some(),
        ),
    ] {
        if set && !other_set {
            err(field, InputErrorKind::Requires { other });
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// API lint: on with `apiLint`, against exactly one of `apiId` and
/// `apiDefinition`, failing at `lintFailSeverity` (checked even when off).
fn lint_plan(raw: &RawInputs, err: &mut impl Errors) -> Option<LintPlan> {
    let fail_severity = parse::lint_fail_severity(raw, err);
    let on = boolean(Field::ApiLint, &raw.api_lint, err);
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

/// Reporting to Postman: the key given one way, the region, the
/// integration and the run limit.
fn cloud_plan(raw: &RawInputs, err: &mut impl Errors) -> CloudPlan {
    if raw.postman_connection.is_some() && raw.api_key.is_some() {
        err(
            Field::ApiKey,
            InputErrorKind::Conflicts {
                other: Field::PostmanConnection,
            },
        );
    }
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
    CloudPlan {
        connection: raw.postman_connection.clone(),
        api_key: raw.api_key.clone().map(Secret::new),
        integration_id,
        region: parse::region(raw, err),
        fail_on_upload_error: boolean(Field::FailOnUploadError, &raw.fail_on_upload_error, err),
        analytics: boolean(Field::PostmanAnalytics, &raw.postman_analytics, err),
        run_limit: parse::run_limit(raw, err),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::inputs::{ExtraArgs, Naming};
    use crate::plan::{InstallSource, LintGate, Severity, VersionSpec};

    /// A task's inputs with one collection and nothing else.
    pub(in crate::plan) fn raw() -> RawInputs {
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

    /// Every input error of `raw`, one a line, in the user's words.
    pub(in crate::plan) fn errors(raw: &RawInputs) -> String {
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
    fn keys_in_urls_are_refused() {
        let mut r = raw();
        r.collection = vec!["https://api.getpostman.com/collections/1-2?apikey=PMAK-abc".into()];
        assert!(errors(&r).contains("API key"));
    }

    /// Collection lint is on by default and fails nothing unless asked;
    /// `lintFailSeverity` is API lint's alone.
    #[test]
    fn collection_lint_reports_and_gates_only_when_asked() {
        assert_eq!(
            build(&raw()).unwrap().collection_lint,
            Some(LintGate::Never)
        );
        let mut r = raw();
        r.lint_fail_severity = Some("hint".into());
        assert_eq!(build(&r).unwrap().collection_lint, Some(LintGate::Never));
        for (given, gate) in [
            ("none", LintGate::Never),
            ("NONE", LintGate::Never),
            ("error", LintGate::AtLeast(Severity::Error)),
            ("warn", LintGate::AtLeast(Severity::Warn)),
            ("warning", LintGate::AtLeast(Severity::Warn)),
            ("info", LintGate::AtLeast(Severity::Info)),
            ("hint", LintGate::AtLeast(Severity::Hint)),
        ] {
            r.collection_lint_fail_severity = Some(given.into());
            assert_eq!(build(&r).unwrap().collection_lint, Some(gate), "{given}");
        }
        r.collection_lint = Some("false".into());
        assert_eq!(build(&r).unwrap().collection_lint, None);
        r.collection_lint_fail_severity = Some("fatal".into());
        r.naming = Some(Naming::Cli);
        insta::assert_snapshot!(errors(&r), @"`--collection-lint-fail-severity`: `fatal` is not one of none, error, warn, info, hint. Use one of none, error, warn, info, hint.");
    }
}
