//! Runs one collection with the Postman CLI and returns what happened: how
//! the CLI ended, whether it reported the run to Postman, and its reports
//! (the JSON report; for a v3 run its console output and YAML run report),
//! for [`crate::report`] to read.
//!
//! Each run gets a private folder (mode 0700, deleted at the end of the
//! task) holding the CLI's home, its reports, and the variables files that
//! carry `envVars` and `globalVars`: values there may be secrets, and a
//! command line is visible to every user of the machine. The CLI's own home
//! keeps a stored login or a stray profile from changing what it does.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::observed::{Observed, Stopwatch};
use super::upload::{Seen, UploadWatch};
use crate::events::{Event, Events, Job};
use crate::files::{Bounds, Limit};
use crate::install::InstalledCli;
use crate::plan::{KeyValue, Plan, Region, RequestDetails};
use crate::process::{Cancel, ExitKind, LineAction, Stream, ToolCommand, ToolExit};
use crate::resolve::variables::{Scope, decode, read_variables};
use crate::resolve::{CloudContext, CollectionSource, Resolved, Resource, RunTarget};
use crate::run::upload::Upload;

/// Everything the runs of one task share.
pub(crate) struct Runner<'a> {
    pub(crate) cli: &'a InstalledCli,
    pub(crate) plan: &'a Plan,
    pub(crate) resolved: &'a Resolved,
    /// The environment every child starts from, secret-bearing variables
    /// already removed.
    pub(crate) child_env: &'a BTreeMap<OsString, OsString>,
    /// Where run folders go; deleted by the caller when the task ends.
    pub(crate) private_root: &'a Path,
    pub(crate) cancel: &'a Cancel,
    pub(crate) cloud: &'a CloudContext,
    /// This CLI knows `--no-report-events` (see [`knows_no_report_events`]).
    pub(crate) no_report_events: bool,
}

/// Whether this CLI's `collection run` has `--no-report-events` (1.62.0
/// does; older ones refuse an unknown option, so it is asked first).
pub(crate) async fn knows_no_report_events(
    cli: &InstalledCli,
    env: &BTreeMap<OsString, OsString>,
    home: &Path,
) -> bool {
    let mut cmd = ToolCommand::new(&cli.executable);
    cmd.args(["collection", "run", "--help"])
        .envs(crate::install::cli_env(env, home, None));
    let mut text = String::new();
    match cmd
        .run(
            Some(std::time::Duration::from_secs(60)),
            &Cancel::new().1,
            |_, l| {
                text.push_str(l);
                text.push('\n');
            },
        )
        .await
    {
        Ok(exit) => exit.end.success() && text.contains("--no-report-events"),
        Err(_) => false,
    }
}

/// Files one run writes or reads, all inside its private folder.
#[derive(Clone, Debug)]
pub(crate) struct RunFiles {
    pub(crate) dir: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) report_json: PathBuf,
    /// The CLI's own HTML report, kept for people who know it.
    pub(crate) report_html: PathBuf,
    /// The environment with `envVars` merged in, when there are any.
    pub(crate) environment: Option<PathBuf>,
    /// The globals with `globalVars` merged in, when there are any.
    pub(crate) globals: Option<PathBuf>,
    /// A v3 run's `--output` folder, when its YAML run report is used.
    pub(crate) yaml_dir: Option<PathBuf>,
}

impl RunFiles {
    pub(crate) fn new(dir: PathBuf) -> RunFiles {
        RunFiles {
            home: dir.join("home"),
            report_json: dir.join("report.json"),
            report_html: dir.join("report.html"),
            environment: None,
            globals: None,
            yaml_dir: None,
            dir,
        }
    }
}

/// What one collection run left behind.
#[derive(Debug)]
pub(crate) struct RunOutput {
    /// The run's private folder: its reports, until the task ends.
    pub(crate) dir: PathBuf,
    /// How the CLI ended, or why it could not be started.
    pub(crate) exit: Result<ToolExit, String>,
    /// What became of the report to Postman.
    pub(crate) upload: Upload,
    /// The CLI's JSON report, opened, when it wrote one.
    pub(crate) report: Option<std::fs::File>,
    /// A v3 collection's run: what the CLI printed on stdout, its only
    /// report (the `cli` reporter is the only one it allows).
    pub(crate) console: Option<CapturedOutput>,
    /// A v3 run with `--output`: its YAML run report (summary, executions),
    /// opened, or why it could not be.
    pub(crate) yaml: Option<Result<(std::fs::File, std::fs::File), String>>,
    /// When the task started the CLI and how long it ran, until it ended or
    /// was cut off.
    pub(crate) observed: Observed,
}

/// The stdout of a v3 run, kept up to [`CAPTURED_LIMIT`] bytes.
#[derive(Debug, Default)]
pub(crate) struct CapturedOutput {
    pub(crate) text: String,
    /// More was printed than is kept: the report cannot be checked whole.
    pub(crate) truncated: bool,
}

/// The most of a v3 run's console output kept for reading. A run with a
/// million assertions prints well under this; a collection printing more
/// (through `console.log`) gets its run reported as unreadable rather
/// than the task's memory exhausted.
pub(crate) const CAPTURED_LIMIT: usize = 256 * 1024 * 1024;

impl Runner<'_> {
    /// Runs one collection; `None` when the task was cancelled before it
    /// started. `attempt` (1-based) gives each attempt of a retried run a
    /// folder of its own.
    pub(crate) async fn run(
        &self,
        target: &RunTarget,
        of: usize,
        attempt: u32,
        events: &dyn Events,
    ) -> Option<RunOutput> {
        if self.cancel.is_cancelled() {
            return None;
        }
        let watch = Stopwatch::start();
        let dir = self.private_root.join(match attempt {
            0 | 1 => format!("run-{:02}", target.index),
            n => format!("run-{:02}-attempt-{n}", target.index),
        });
        let mut files = RunFiles::new(dir);
        if target.v3.is_some() && self.cloud.yaml_report {
            files.yaml_dir = Some(files.dir.join("output"));
        }
        if let Err(e) = self.prepare(target, &mut files) {
            return Some(RunOutput {
                exit: Err(format!(
                    "cannot prepare the run's folder {}: {e}",
                    files.dir.display()
                )),
                dir: PathBuf::new(),
                upload: Upload::NotExpected,
                report: None,
                console: None,
                yaml: None,
                observed: watch.stop(),
            });
        }

        let mut cmd = ToolCommand::new(&self.cli.executable);
        cmd.args(collection_run_args(
            self.plan,
            self.resolved,
            target,
            &files,
            self.cloud.api_key.is_some(),
            self.no_report_events,
        ));
        if let Some(id) = &self.cloud.integration {
            cmd.args(["--integration-id", id.as_str()]);
        }
        cmd.envs(self.env_for(&files));
        cmd.cwd(&self.resolved.working_dir);

        let job = Job::Run {
            index: target.index,
            of,
            name: &target.name,
        };
        events.emit(Event::ToolStarted {
            job,
            command: &cmd.display(),
        });
        // The CLI's own time starts now, after its folder was made.
        let watch = Stopwatch::start();
        let mut upload = UploadWatch::new(self.upload_expected(target), &files.report_json);
        let mut console = target.v3.as_ref().map(|_| CapturedOutput::default());
        let exit = cmd
            .run_watching(self.cloud.run_limit, self.cancel, |stream, line| {
                if let (Some(c), Stream::Stdout) = (console.as_mut(), stream) {
                    if c.text.len() + line.len() < CAPTURED_LIMIT {
                        c.text.push_str(line);
                        c.text.push('\n');
                    } else {
                        c.truncated = true;
                    }
                }
                // The console masks every line it shows, in every form the
                // task knows (the agent's masker knows fewer).
                events.emit(Event::ToolOutput { job, stream, line });
                if upload.line(line) == Seen::ReportWritten {
                    // The run is over; only the upload may still be going.
                    return LineAction::FinishWithin(self.cloud.upload_grace);
                }
                LineAction::Continue
            })
            .await;
        let observed = watch.stop();
        events.emit(Event::ToolFinished { job });
        let upload = match &exit {
            // A v3 run reports through `--report-events`, whose outcome the
            // CLI prints in no line only it can print (see `Upload::Events`).
            Ok(exit) if exit.end != ExitKind::Cancelled && self.report_events(target) => {
                Upload::Events
            }
            Ok(exit) if exit.end != ExitKind::Cancelled => {
                let stalled_after =
                    (exit.end == ExitKind::Stalled).then_some(self.cloud.upload_grace.as_secs());
                upload.finish(exit, stalled_after)
            }
            _ => Upload::NotExpected,
        };
        Some(RunOutput {
            yaml: files.yaml_dir.as_deref().map(open_yaml_report),
            dir: files.dir,
            exit: exit.map_err(|e| e.to_string()),
            upload,
            console,
            report: std::fs::File::open(&files.report_json).ok(),
            observed,
        })
    }

    /// Whether a v3 run is sent to Postman with `--report-events`: a key,
    /// and the CLI's reporting allowed (`postmanAnalytics`; the CLI ties
    /// the two together in one option).
    fn report_events(&self, target: &RunTarget) -> bool {
        target.v3.is_some() && self.cloud.api_key.is_some() && self.plan.cloud.analytics
    }

    /// Whether the CLI will try to report this run: it needs a key, and a
    /// collection it knows by UID (given so, or carried in the file).
    fn upload_expected(&self, target: &RunTarget) -> bool {
        self.cloud.api_key.is_some()
            && target.v3.is_none()
            && match &target.source {
                CollectionSource::Uid(_) | CollectionSource::Url(_) => true,
                CollectionSource::File(_) => {
                    target.collection.as_ref().is_some_and(|c| c.uid.is_some())
                }
            }
    }

    /// Creates the run folder and the variables files.
    fn prepare(&self, target: &RunTarget, files: &mut RunFiles) -> std::io::Result<()> {
        create_private_dir(&files.dir)?;
        create_private_dir(&files.home)?;
        // The CLI's home profile: `run.*` options merge into the command's
        // options (keeping the passphrase off the command line), and the
        // default profile's region picks Postman's EU hosts. No key is ever
        // stored here; it comes from the environment.
        let mut rc = serde_json::Map::new();
        if let Some(passphrase) = &self.plan.ssl_client_passphrase {
            rc.insert(
                "run".into(),
                serde_json::json!({"sslClientPassphrase": passphrase.expose()}),
            );
        }
        if self.cloud.region == Region::Eu {
            rc.insert(
                "login".into(),
                serde_json::json!({"_profiles": [{"alias": "default", "region": "eu"}]}),
            );
        }
        if !rc.is_empty() {
            let dir = files.home.join(".postman");
            create_private_dir(&dir)?;
            write_private(
                &dir.join("postmanrc"),
                serde_json::Value::Object(rc).to_string().as_bytes(),
            )?;
        }
        let environment = target
            .environment
            .map(|i| &self.resolved.environments[i].resource);
        if !self.plan.env_vars.is_empty() && !matches!(environment, Some(Resource::Uid(_))) {
            let base = match environment {
                Some(Resource::File(p)) => Some(p.as_path()),
                _ => None,
            };
            let path = files.dir.join("environment.json");
            write_variables(
                base,
                &self.resolved.bounds,
                &self.plan.env_vars,
                "postman-cli-task envVars",
                Scope::Environment,
                &path,
            )?;
            files.environment = Some(path);
        }
        if !self.plan.global_vars.is_empty() {
            let path = files.dir.join("globals.json");
            write_variables(
                self.resolved.globals.as_deref(),
                &self.resolved.bounds,
                &self.plan.global_vars,
                "postman-cli-task globalVars",
                Scope::Globals,
                &path,
            )?;
            files.globals = Some(path);
        }
        Ok(())
    }

    fn env_for(&self, files: &RunFiles) -> BTreeMap<OsString, OsString> {
        crate::install::cli_env(self.child_env, &files.home, self.cloud.api_key.as_ref())
    }
}

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

/// The two files `--output` wrote in `dir`, opened: the one
/// `*.collection-run-summary.yaml` and its `*.collection-run-executions.yaml`.
fn open_yaml_report(dir: &Path) -> Result<(std::fs::File, std::fs::File), String> {
    const SUMMARY: &str = ".collection-run-summary.yaml";
    const EXECUTIONS: &str = ".collection-run-executions.yaml";
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let summaries: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(SUMMARY))
        .collect();
    let [summary] = summaries.as_slice() else {
        return Err(format!(
            "the Postman CLI wrote {} run summaries in {}",
            summaries.len(),
            dir.display()
        ));
    };
    let name = summary.to_string_lossy();
    let executions = PathBuf::from(format!(
        "{}{EXECUTIONS}",
        &name[..name.len() - SUMMARY.len()]
    ));
    let open =
        |p: &Path| std::fs::File::open(p).map_err(|e| format!("cannot open {}: {e}", p.display()));
    Ok((open(summary)?, open(&executions)?))
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

/// Writes an environment or globals file: the given one (if any) with
/// `vars` set on top, as `--env-var`/`--global-var` would set them. The
/// given file is read as `resolve` read it (`bounds`: the working
/// directory's).
fn write_variables(
    base: Option<&Path>,
    bounds: &Bounds,
    vars: &[KeyValue],
    name: &str,
    scope: Scope,
    dest: &Path,
) -> std::io::Result<()> {
    let mut doc = match base {
        Some(p) => {
            let bytes = bounds
                .read(p, Limit::SMALL)
                .map_err(|e| std::io::Error::other(format!("`{}` {e}", p.display())))?;
            variables_json(&bytes, p, scope)?
        }
        None => serde_json::json!({"name": name, "values": []}),
    };
    let values = doc
        .get_mut("values")
        .and_then(|v| v.as_array_mut())
        .ok_or_else(|| std::io::Error::other("the file has no `values` list"))?;
    for kv in vars {
        // A file may hold a key twice, and the CLI uses the last; every
        // entry gets the value, so whichever it reads is the one given.
        let mut found = false;
        for entry in values
            .iter_mut()
            .filter(|v| v.get("key").and_then(|k| k.as_str()) == Some(kv.key.as_str()))
        {
            entry["value"] = kv.value.clone().into();
            entry["enabled"] = true.into();
            found = true;
        }
        if !found {
            values.push(serde_json::json!({
                "key": kv.key, "value": kv.value, "type": "default", "enabled": true
            }));
        }
    }
    write_private(
        dest,
        serde_json::to_string(&doc)
            .map_err(std::io::Error::other)?
            .as_bytes(),
    )
}

/// A variables file as Postman's JSON export: a JSON object file as it is
/// (every field kept), any other shape the CLI runs (YAML, a bare array,
/// UTF-16) converted. The CLI takes a JSON file for v2.1 and v3 runs alike.
fn variables_json(bytes: &[u8], path: &Path, scope: Scope) -> std::io::Result<serde_json::Value> {
    let (text, _) = decode(bytes, path).map_err(std::io::Error::other)?;
    if let Ok(doc @ serde_json::Value::Object(_)) = serde_json::from_str(&text)
        && doc.get("values").is_some_and(|v| v.is_array())
    {
        return Ok(doc);
    }
    let vars = read_variables(bytes, path).map_err(std::io::Error::other)?;
    serde_json::from_str(&vars.to_json(scope)).map_err(std::io::Error::other)
}

fn create_private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    std::io::Write::write_all(&mut options.open(path)?, bytes)
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

    #[test]
    fn variables_merge_over_the_given_file() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("env.json");
        std::fs::write(&base, r#"{"name":"staging","values":[{"key":"a","value":"1","enabled":false},{"key":"b","value":"2"},{"key":"a","value":"last"}]}"#).unwrap();
        let out = dir.path().join("merged.json");
        let vars = [
            KeyValue {
                key: "a".into(),
                value: "x".into(),
            },
            KeyValue {
                key: "c".into(),
                value: "y=z".into(),
            },
        ];
        write_variables(
            Some(&base),
            &Bounds::new(dir.path()),
            &vars,
            "n",
            Scope::Environment,
            &out,
        )
        .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({"name":"staging","values":[
                {"key":"a","value":"x","enabled":true},{"key":"b","value":"2"},
                {"key":"a","value":"x","enabled":true},
                {"key":"c","value":"y=z","type":"default","enabled":true}]})
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn variables_merge_over_every_shape_the_cli_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(
            r#"{"name":"ps","values":[{"key":"a","value":"1"}]}"#
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        let inputs: [(&str, Vec<u8>); 4] = [
            (
                "e.environment.yaml",
                b"name: y\nvalues:\n  - key: a\n    value: '1'\n".to_vec(),
            ),
            ("g.json", br#"[{"key":"a","value":"1"}]"#.to_vec()),
            ("ps.json", utf16),
            // Saved in Latin-1 by a Windows editor: read as the CLI reads it.
            (
                "latin.json",
                b"{\"name\":\"Montr\xE9al\",\"values\":[{\"key\":\"a\",\"value\":\"1\"}]}".to_vec(),
            ),
        ];
        for (name, bytes) in inputs {
            let base = dir.path().join(name);
            std::fs::write(&base, bytes).unwrap();
            let out = dir.path().join("merged.json");
            let vars = [KeyValue {
                key: "a".into(),
                value: "x".into(),
            }];
            write_variables(
                Some(&base),
                &Bounds::new(dir.path()),
                &vars,
                "n",
                Scope::Environment,
                &out,
            )
            .unwrap();
            let doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
            assert_eq!(doc["values"][0]["value"], "x", "{name}: {doc}");
            if name == "latin.json" {
                assert_eq!(doc["name"], "Montréal");
            }
            assert_eq!(doc["values"].as_array().unwrap().len(), 1, "{name}");
        }
    }
}
