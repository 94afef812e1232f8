//! The `postman collection run` command line of one run, built from the
//! plan, the resolved files and the run's private files. Pure, so the exact
//! command line is easy to check (the dry run prints it too).

use std::path::Path;

use super::folder::RunFiles;
use crate::plan::{Plan, RequestDetails};
use crate::resolve::{Resolved, RunTarget};

/// The `postman collection run` arguments for one run. Pure, so the exact
/// command line is easy to check.
///
/// `has_key`: a Postman key is given; `no_report_events`: this CLI knows
/// `--no-report-events`.
pub(crate) fn collection_run_args(
    plan: &Plan,
    resolved: &Resolved,
    target: &RunTarget,
    files: &RunFiles,
    has_key: bool,
    no_report_events: bool,
) -> Vec<String> {
    let mut args = vec![
        "collection".to_owned(),
        "run".to_owned(),
        target.source.arg(),
    ];
    let path = |p: &Path| p.display().to_string();
    let environment = target
        .environment
        .map(|i| &resolved.environments[i].resource);
    match (&files.environment, environment) {
        (Some(merged), _) => args.extend(["-e".into(), path(merged)]),
        (None, Some(env)) => args.extend(["-e".into(), env.arg()]),
        (None, None) => {}
    }
    match (&files.globals, &resolved.globals) {
        (Some(merged), _) => args.extend(["-g".into(), path(merged)]),
        (None, Some(g)) => args.extend(["-g".into(), path(g)]),
        (None, None) => {}
    }
    if let Some(data) = &resolved.iteration_data {
        args.extend(["-d".into(), path(data)]);
    }
    if let Some(n) = plan.iteration_count {
        args.extend(["-n".into(), n.to_string()]);
    }
    for folder in &plan.folders {
        args.extend(["-i".into(), folder.clone()]);
    }
    if files.environment.is_none() {
        // Only an environment given by UID lands here; its variables are
        // checked for secrets before the run.
        for kv in &plan.env_vars {
            args.extend(["--env-var".into(), kv.to_arg()]);
        }
    }
    if plan.bail {
        args.push("--bail".into());
    }
    let mut number = |flag: &str, value: Option<u64>| {
        if let Some(v) = value {
            args.extend([flag.to_owned(), v.to_string()]);
        }
    };
    number("--timeout", plan.timeout_ms);
    number("--timeout-request", plan.timeout_request_ms);
    number("--timeout-script", plan.timeout_script_ms);
    number("--delay-request", plan.delay_request_ms);
    if plan.insecure {
        args.push("--insecure".into());
    }
    if plan.ignore_redirects {
        args.push("--ignore-redirects".into());
    }
    args.extend(["--working-dir".into(), path(&resolved.working_dir)]);
    if let Some(p) = &resolved.ssl_client_cert {
        args.extend(["--ssl-client-cert".into(), path(p)]);
    }
    if let Some(p) = &resolved.ssl_client_key {
        args.extend(["--ssl-client-key".into(), path(p)]);
    }
    if let Some(p) = &resolved.ssl_extra_ca_certs {
        args.extend(["--ssl-extra-ca-certs".into(), path(p)]);
    }
    if let (Some(_), Some(yaml_dir)) = (&target.v3, &files.yaml_dir) {
        // The YAML run report, read by `report::yaml`. `--output` refuses
        // `-r`, and the console report (the default `cli` reporter, plain)
        // is still printed, for the log and as the fallback.
        args.extend([
            "--output".into(),
            path(yaml_dir),
            "--color".into(),
            "off".into(),
            "--disable-unicode".into(),
        ]);
        if plan.cloud.analytics && has_key {
            args.push("--report-events".into());
        }
    } else if target.v3.is_some() {
        // A v3 collection allows only the `cli` reporter (`-r json` fails
        // with "not supported for multi-protocol collections"), so its
        // console report, plain, is what `report::cli_report` reads, failure
        // list included.
        args.extend([
            "--reporters".into(),
            "cli".into(),
            "--color".into(),
            "off".into(),
            "--disable-unicode".into(),
        ]);
        if plan.cloud.analytics && has_key {
            args.push("--report-events".into());
        }
    } else {
        args.extend(json_report_args(files, plan.request_details));
    }
    if !plan.cloud.analytics && no_report_events {
        // Without it, a CLI given a key posts usage analytics on every run.
        args.push("--no-report-events".into());
    }
    args.extend(plan.extra_args.iter().cloned());
    args
}

/// The reporters of a v2.x run: the JSON report, read by
/// `report::json`.
fn json_report_args(files: &RunFiles, details: RequestDetails) -> Vec<String> {
    let path = |p: &Path| p.display().to_string();
    // The HTML report holds every request's headers and bodies, so it is
    // asked for only when some detail is wanted. It is never read: the
    // task masks it and keeps it for people who know it.
    let html = details != RequestDetails::None;
    let mut args = vec![
        // The JSON report is the one source of results. The CLI's JUnit
        // reporter is not asked for: it adds nothing the JSON lacks, and it
        // crashes (losing the run) on a control character in a test name.
        "--reporters".into(),
        if html { "cli,json,html" } else { "cli,json" }.into(),
        // The console's failure list comes after the report is written and
        // repeats test names, which a collection controls; without it, every
        // line after "Report created … Saved to: <this run's path>" is the
        // CLI's own (see `UploadWatch`). The failures are in the results.
        "--reporter-cli-no-failures".into(),
        "--reporter-json-export".into(),
        path(&files.report_json),
    ];
    if html {
        // Written after the JSON report (the CLI exports in the order the
        // reporters are named), so its "Report created" line comes after
        // the one `UploadWatch` waits for.
        args.extend(["--reporter-html-export".into(), path(&files.report_html)]);
    }
    if details == RequestDetails::None {
        // Bodies and headers can be large and can hold credentials; with no
        // detail wanted, the task reads only names, statuses and timings.
        args.push("--reporter-json-omitAllHeadersAndBody".into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{ExtraArgs, Naming, RawInputs};

    #[test]
    fn command_line_for_a_full_plan() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("c.json"),
            r#"{"info":{"name":"C"},"item":[{"name":"Smoke","item":[]}]}"#,
        )
        .unwrap();
        std::fs::write(
            root.join("env.json"),
            r#"{"values":[{"key":"a","value":"1"}]}"#,
        )
        .unwrap();
        std::fs::write(root.join("rows.csv"), "a\n1\n").unwrap();
        let raw = RawInputs {
            naming: Some(Naming::Task),
            collection: vec!["c.json".into()],
            environment: vec!["env.json".into()],
            iteration_data: Some("rows.csv".into()),
            iteration_count: Some("2".into()),
            folder: vec!["Smoke".into()],
            env_vars: vec!["token=$ecret".into()],
            bail: Some("true".into()),
            timeout_request: Some("5000".into()),
            insecure: Some("true".into()),
            additional_arguments: ExtraArgs::Quoted("--verbose".into()),
            ..Default::default()
        };
        let plan = crate::plan::build(&raw).unwrap();
        let (resolved, fatal) = crate::resolve::resolve(&plan, root);
        assert!(fatal.is_empty());
        let mut files = RunFiles::new(root.join("run-01"));
        files.environment = Some(root.join("run-01/environment.json"));
        let args =
            collection_run_args(&plan, &resolved, &resolved.runs[0], &files, false, true).join(" ");
        let args = args.replace(&root.display().to_string(), "[DIR]");
        assert!(!args.contains("$ecret"), "{args}");
        insta::assert_snapshot!(args, @"collection run [DIR]/c.json -e [DIR]/run-01/environment.json -d [DIR]/rows.csv -n 2 -i Smoke --bail --timeout-request 5000 --insecure --working-dir [DIR] --reporters cli,json,html --reporter-cli-no-failures --reporter-json-export [DIR]/run-01/report.json --reporter-html-export [DIR]/run-01/report.html --no-report-events --verbose");
    }

    #[test]
    fn no_request_details_asks_the_cli_to_omit_headers_and_bodies() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("c.json"),
            r#"{"info":{"name":"C"},"item":[]}"#,
        )
        .unwrap();
        let args = |details: Option<&str>| {
            let raw = RawInputs {
                naming: Some(Naming::Task),
                collection: vec!["c.json".into()],
                request_details: details.map(str::to_owned),
                ..Default::default()
            };
            let plan = crate::plan::build(&raw).unwrap();
            let (resolved, _) = crate::resolve::resolve(&plan, dir.path());
            let files = RunFiles::new(dir.path().join("run-01"));
            collection_run_args(&plan, &resolved, &resolved.runs[0], &files, false, true)
        };
        let omit = "--reporter-json-omitAllHeadersAndBody".to_owned();
        assert!(args(Some("none")).contains(&omit));
        let html = "--reporter-html-export".to_owned();
        assert!(!args(Some("none")).contains(&html));
        assert!(args(Some("all")).contains(&html));
        assert!(args(None).contains(&html));
        assert!(!args(Some("all")).contains(&omit));
        assert!(!args(None).contains(&omit));
        let raw = RawInputs {
            naming: Some(Naming::Task),
            collection: vec!["c.json".into()],
            request_details: Some("some".into()),
            ..Default::default()
        };
        let errors = crate::plan::build(&raw).unwrap_err();
        assert!(
            errors[0]
                .render(Naming::Task)
                .contains("`some` is not one of failed, all, none"),
            "{}",
            errors[0].render(Naming::Task)
        );
    }
}
