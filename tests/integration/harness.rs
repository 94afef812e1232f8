//! Tests of the test harness itself: the logging-command grammar, the
//! environment the emulated agent builds, the launcher driven with small
//! fake binaries, and the test servers. None of them needs the real task
//! logic, so they hold while the binary is still being written.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::vso::{parse_line, split_agent_lines, unescape};
use crate::support::{
    AgentJob, CloudSink, IssueKind, LineKind, Stream, TargetApi, TaskResult, TaskRun, VsoCommand,
};

const ENDPOINT_ID: &str = "3f4b6a2e-8c1d-4e5f-9a7b-0c2d4e6f8a1b";

fn command(line: &str) -> VsoCommand {
    match parse_line(line, Stream::Stdout) {
        LineKind::Command(command) => command,
        other => panic!("{line:?} is not a command: {other:?}"),
    }
}

/// task-lib's escaping of property values (`%` first), as our binary writes it.
fn escape_property(value: &str) -> String {
    value
        .replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(']', "%5D")
        .replace(';', "%3B")
}

/// task-lib's escaping of a message.
fn escape_data(value: &str) -> String {
    value
        .replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

// --- Grammar -----------------------------------------------------------------

#[test]
fn escaping_round_trips_every_special_character() {
    for special in [
        "%",
        "\r",
        "\n",
        "]",
        ";",
        "%0A",
        "%AZP25",
        "a%3Bb",
        "100% ; done]\r\n",
    ] {
        let line = format!(
            "##vso[task.setvariable variable=v;note={};]{}",
            escape_property(special),
            escape_data(special)
        );
        let parsed = command(&line);
        assert_eq!(parsed.prop("note"), Some(special), "property from {line:?}");
        assert_eq!(parsed.data, special, "data from {line:?}");
    }
}

#[test]
fn unescaping_follows_the_agent_order() {
    // The table first, then %AZP25, so an escaped percent never decodes twice.
    assert_eq!(unescape("%AZP253B"), "%3B");
    assert_eq!(unescape("%3B%0D%0A%5D"), ";\r\n]");
    // Ordinal and case-sensitive.
    assert_eq!(unescape("%3b%0a%azp25"), "%3b%0a%azp25");
}

#[test]
fn a_command_is_found_in_the_middle_of_a_line() {
    let parsed = command("[12:00:01] response: ##vso[task.setvariable variable=a;]b]c");
    assert_eq!(parsed.name(), "task.setvariable");
    assert_eq!(parsed.prop("variable"), Some("a"));
    // The header ends at the first `]`; the rest is the message.
    assert_eq!(parsed.data, "b]c");
    assert_eq!(parsed.stream, Stream::Stdout);
}

#[test]
fn property_parsing_matches_the_agent() {
    let parsed =
        command("##vso[TASK.LogIssue type=error;empty=;;bare; sourcepath=x;Code=1;code=2;v==w]m");
    assert_eq!(parsed.name(), "task.logissue");
    assert_eq!(
        parsed.prop("TYPE"),
        Some("error"),
        "keys match case-insensitively"
    );
    assert_eq!(parsed.prop("empty"), None, "`key=` is dropped");
    assert_eq!(parsed.prop("bare"), None, "an entry without `=` is dropped");
    assert_eq!(parsed.prop("sourcepath"), None, "keys are not trimmed");
    assert_eq!(parsed.prop(" sourcepath"), Some("x"));
    assert_eq!(
        parsed.prop("v"),
        Some("w"),
        "empty pieces after the first `=` are skipped"
    );
    // A repeated key keeps its first spelling and takes the last value.
    assert!(
        parsed
            .properties
            .contains(&("Code".to_string(), "2".to_string()))
    );
    assert_eq!(parsed.properties.len(), 4);
}

#[test]
fn lines_that_do_not_parse_are_malformed() {
    for line in [
        "##vso[task.setvariable variable=x",
        "##vso[task]x",
        "##vso[task. x]",
        "##vso[ task.complete result=Failed]",
        "##vso[a.b.c]",
        "##vso[]",
        "##vso task.complete",
    ] {
        assert_eq!(
            parse_line(line, Stream::Stderr),
            LineKind::Malformed(line.to_string()),
            "{line:?}"
        );
    }
    // `Split('.', RemoveEmptyEntries)` accepts doubled dots.
    assert_eq!(
        command("##vso[task..complete result=Failed]").name(),
        "task.complete"
    );
    // The prefix is matched case-sensitively: other spellings are plain text.
    assert_eq!(
        parse_line("##VSO[task.complete]", Stream::Stdout),
        LineKind::Plain("##VSO[task.complete]".into())
    );
    assert_eq!(
        parse_line("##[error]spoof", Stream::Stdout),
        LineKind::Plain("##[error]spoof".into())
    );
}

/// `IndexOf` under the culture, as ICU searches: characters the collation
/// ignores are skipped inside the prefix, and the header is then read the
/// prefix's length (in UTF-16 units) after the match's start, so it takes
/// the prefix's last characters with it.
#[test]
fn the_prefix_is_found_as_icu_finds_it() {
    assert_eq!(
        command("#\u{FFF9}#vso[task.setvariable variable=x]1").area,
        "[task"
    );
    assert_eq!(
        command("x\0##v\u{0591}so[task.complete result=Failed]").area,
        "[task"
    );
    assert_eq!(command("#\u{110BD}#vso[task.debug]x").area, "o[task");
    assert_eq!(
        command("\u{FFF9}##vso[task.debug]x").name(),
        "task.debug",
        "what comes before the match does not count"
    );
    // A character ICU gives weight to breaks the prefix.
    for line in ["#_#vso[task.debug]x", "#\u{00E9}#vso[task.debug]x"] {
        assert_eq!(
            parse_line(line, Stream::Stdout),
            LineKind::Plain(line.into())
        );
    }
    // `IndexOf("##vso")` finds the keyword the same way.
    assert_eq!(
        parse_line("#\u{200B}#vso task", Stream::Stdout),
        LineKind::Malformed("#\u{200B}#vso task".into())
    );
}

#[test]
fn agent_lines_end_at_lf_cr_or_crlf() {
    assert_eq!(
        split_agent_lines("a\r\nb\rc\n\nd"),
        ["a", "b", "c", "", "d"]
    );
    assert_eq!(split_agent_lines("a\n"), ["a"]);
    assert_eq!(split_agent_lines("\r\n"), [""]);
    assert_eq!(split_agent_lines("a\r\r\n"), ["a", ""]);
    assert!(split_agent_lines("").is_empty());
}

#[test]
fn a_command_hidden_after_a_carriage_return_is_its_own_line() {
    let output = "progress 50%\r##vso[task.setvariable variable=x]y\n";
    let lines = split_agent_lines(output);
    assert_eq!(
        lines,
        ["progress 50%", "##vso[task.setvariable variable=x]y"]
    );
    let run = TaskRun::from_output(Some(0), output.as_bytes(), b"");
    assert_eq!(run.variables()["x"].value, "y");
}

// --- Results -------------------------------------------------------------------

fn run_of(stdout: &str, exit_code: Option<i32>) -> TaskRun {
    TaskRun::from_output(exit_code, stdout.as_bytes(), b"")
}

#[test]
fn results_merge_worst_wins() {
    assert_eq!(run_of("", Some(0)).result(), TaskResult::Succeeded);
    let mixed = "##vso[task.complete result=SucceededWithIssues;]a\n##vso[task.complete result=Succeeded;]b\n";
    assert_eq!(
        run_of(mixed, Some(0)).result(),
        TaskResult::SucceededWithIssues
    );
    let failed = "##vso[task.complete result=Failed;]a\n##vso[task.complete result=Succeeded;]b\n";
    assert_eq!(run_of(failed, Some(0)).result(), TaskResult::Failed);
    // Commands on stderr count too.
    let stderr = TaskRun::from_output(Some(0), b"", b"##vso[task.complete result=Failed;]x\n");
    assert_eq!(stderr.result(), TaskResult::Failed);
}

#[test]
fn an_invalid_result_or_exit_code_fails_the_step() {
    let lowercase = "##vso[task.complete result=succeeded;]x\n";
    assert_eq!(run_of(lowercase, Some(0)).result(), TaskResult::Failed);
    assert_eq!(run_of(lowercase, Some(0)).command_errors().len(), 1);
    // task-lib's spelling is not the agent's.
    assert_eq!(
        run_of("##vso[task.complete result=Cancelled;]x\n", Some(0)).result(),
        TaskResult::Failed
    );
    let succeeded = "##vso[task.complete result=Succeeded;]x\n";
    assert_eq!(run_of(succeeded, Some(2)).result(), TaskResult::Failed);
    assert_eq!(run_of(succeeded, None).result(), TaskResult::Failed);
}

#[test]
fn rejected_commands_fail_the_step() {
    let bad = [
        "##vso[task.logissue type=fatal;]x",
        "##vso[task.setvariable]x",
        "##vso[task.setvariable variable=s;issecret=true;]a%0Ab",
        "##vso[task.uploadsummary]/no/such/summary.md",
        "##vso[task.nosuchevent]x",
        "##vso[results.publish type=JUnit;]",
    ];
    for line in bad {
        let run = run_of(
            &format!("{line}\n##vso[task.complete result=Succeeded;]\n"),
            Some(0),
        );
        assert_eq!(run.result(), TaskResult::Failed, "{line}");
    }
    // An unknown area is only a warning.
    let run = run_of(
        "##vso[nosuch.thing]x\n##vso[task.logissue]no type\n",
        Some(0),
    );
    assert_eq!(run.result(), TaskResult::Succeeded);
    assert_eq!(run.malformed(), ["nosuch.thing | x"]);
}

#[test]
fn run_accessors_read_what_the_agent_reads() {
    let stdout = [
        "##vso[task.setvariable variable=testsFailed;isOutput=true;]2",
        "##vso[task.setvariable variable=token;issecret=True;]s3cr3t",
        "##vso[task.setvariable variable=TESTSFAILED;isoutput=true;]3",
        "##vso[task.issue type=warning;sourcepath=a.json;linenumber=3;columnnumber=4;code=W1;]careful",
        "##vso[task.logissue type=error;]bad",
        "##vso[results.publish type=JUnit;runTitle=Postman;resultFiles=/r/a.xml,/r/b.xml;]",
        "##vso[results.publish type=JUnit;resultFiles=/ignored.xml;]/r/c.xml",
        "##vso[task.setsecret]hidden",
        "##vso[task.complete result=Succeeded;]done",
    ]
    .join("\n");
    let run = run_of(&stdout, Some(0));
    run.assert_one_complete();

    let variables = run.variables();
    assert_eq!(
        variables.keys().collect::<Vec<_>>(),
        ["TESTSFAILED", "token"]
    );
    assert_eq!(variables["TESTSFAILED"].value, "3");
    assert!(variables["TESTSFAILED"].is_output);
    assert!(variables["token"].is_secret && !variables["token"].is_output);

    let warnings = run.issues(IssueKind::Warning);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].message, "careful");
    assert_eq!(warnings[0].sourcepath.as_deref(), Some("a.json"));
    assert_eq!(warnings[0].code.as_deref(), Some("W1"));
    assert_eq!(run.issues(IssueKind::Error)[0].message, "bad");

    let published = run.published_results();
    assert_eq!(published[0].kind, "JUnit");
    assert_eq!(published[0].run_title.as_deref(), Some("Postman"));
    assert_eq!(
        published[0].files,
        [PathBuf::from("/r/a.xml"), PathBuf::from("/r/b.xml")]
    );
    assert_eq!(
        published[1].files,
        [PathBuf::from("/r/c.xml")],
        "the message wins over resultFiles"
    );
    assert_eq!(run.secrets(), ["hidden"]);
    assert_eq!(run.commands_named("TASK.SETVARIABLE").count(), 3);

    let stream = run.command_stream(&[(Path::new("/r"), "[R]")]);
    assert!(stream.contains(
        "results.publish type=JUnit;runTitle=Postman;resultFiles=[R]/a.xml,[R]/b.xml | \n"
    ));
    assert!(
        stream.ends_with("task.complete result=Succeeded | done\n"),
        "{stream}"
    );
}

// --- Environment -------------------------------------------------------------

#[test]
fn every_declared_input_gets_its_default() {
    let env = AgentJob::new().environment();
    assert_eq!(env["INPUT_TESTRUNTITLE"], "Postman");
    assert_eq!(env["INPUT_CLIVERSION"], "latest");
    assert_eq!(env["INPUT_BAIL"], "false");
    assert_eq!(env["INPUT_PUBLISHTESTRESULTS"], "true");
    assert_eq!(env["INPUT_COLLECTION"], "");
    assert_eq!(env["INPUT_ADDITIONALARGUMENTS"], "");
}

#[test]
#[should_panic(expected = "no input named \"colection\"")]
fn an_undeclared_input_is_a_test_bug() {
    AgentJob::new().input("colection", "x");
}

#[test]
fn inputs_are_trimmed_and_expanded() {
    let mut job = AgentJob::new();
    job.variable("suite", "smoke")
        .secret("apiKey", "s3cr3t")
        .agent_env("SHELL_ONLY", "from-agent")
        .input("Collection", "  \n tests/a.json \n")
        .input(
            "testRunTitle",
            "Run $(SUITE) $(apiKey) $(unknown) $(SHELL_ONLY) $()",
        )
        .input(
            "reportDirectory",
            "$(Build.ArtifactStagingDirectory)/postman",
        );
    let env = job.environment();
    assert_eq!(env["INPUT_COLLECTION"], "tests/a.json");
    assert_eq!(
        env["INPUT_TESTRUNTITLE"],
        "Run smoke s3cr3t $(unknown) from-agent $()"
    );
    assert_eq!(
        env["INPUT_REPORTDIRECTORY"],
        format!("{}/postman", job.staging_dir().display())
    );

    // The DISABLE_INPUT_TRIMMING knob keeps values as given.
    job.variable("DISABLE_INPUT_TRIMMING", "true");
    assert_eq!(
        job.environment()["INPUT_COLLECTION"],
        "  \n tests/a.json \n"
    );
}

#[test]
fn variables_reach_the_task_as_the_agent_names_them() {
    let mut job = AgentJob::new();
    job.variable("my.var name", "v")
        .secret("api.key", "s3cr3t")
        .variable("system.debug", "true");
    let env = job.environment();
    assert_eq!(env["MY_VAR_NAME"], "v");
    assert_eq!(env["SYSTEM_DEBUG"], "true");
    assert_eq!(env["SECRET_API_KEY"], "s3cr3t");
    let holders: Vec<&String> = env
        .iter()
        .filter(|(_, v)| *v == "s3cr3t")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        holders,
        ["SECRET_API_KEY"],
        "a secret is only passed as SECRET_"
    );

    let names = |key: &str| serde_json::from_str::<Vec<String>>(&env[key]).expect("a JSON array");
    assert!(names("VSTS_PUBLIC_VARIABLES").contains(&"my.var name".to_string()));
    assert!(!names("VSTS_PUBLIC_VARIABLES").contains(&"api.key".to_string()));
    assert_eq!(names("VSTS_SECRET_VARIABLES"), ["api.key"]);

    // Standard variables, and agent.jobstatus under its raw name as well.
    assert_eq!(
        env["AGENT_TEMPDIRECTORY"],
        job.temp_dir().display().to_string()
    );
    assert_eq!(
        env["BUILD_SOURCESDIRECTORY"],
        job.sources_dir().display().to_string()
    );
    assert_eq!(
        env["SYSTEM_DEFAULTWORKINGDIRECTORY"],
        job.sources_dir().display().to_string()
    );
    assert_eq!(
        env["SYSTEM_COLLECTIONURI"],
        "https://dev.azure.com/contoso/"
    );
    assert_eq!(env["BUILD_BUILDID"], "4242");
    assert_eq!(env["agent.jobstatus"], "Succeeded");
    assert_eq!(env["AGENT_JOBSTATUS"], "Succeeded");
    assert_eq!(env["HOME"], job.home_dir().display().to_string());

    // Variable names are case-insensitive: a later spelling replaces the value.
    job.variable("SYSTEM.DEBUG", "false");
    assert_eq!(job.environment()["SYSTEM_DEBUG"], "false");
}

#[test]
fn nothing_leaks_from_the_test_process() {
    let host: Vec<(String, String)> = [
        ("PATH", "/opt/node/bin:/usr/bin"),
        ("CI", "true"),
        ("TF_BUILD", "False"),
        ("SYSTEM_DEBUG", "true"),
        ("BUILD_BUILDID", "1"),
        ("AGENT_TEMPDIRECTORY", "/elsewhere"),
        ("HTTPS_PROXY", "http://proxy:3128"),
        ("NO_PROXY", "*"),
        ("HOME", "/home/developer"),
        ("POSTMAN_API_KEY", "PMAK-real"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let job = AgentJob::new();
    let env = job.environment_with_host(&host);
    assert_eq!(env["PATH"], "/opt/node/bin:/usr/bin");
    assert_eq!(env["TF_BUILD"], "True");
    assert_eq!(env["HOME"], job.home_dir().display().to_string());
    assert_eq!(
        env["AGENT_TEMPDIRECTORY"],
        job.temp_dir().display().to_string()
    );
    assert_eq!(env["BUILD_BUILDID"], "4242");
    for leaked in [
        "CI",
        "SYSTEM_DEBUG",
        "HTTPS_PROXY",
        "NO_PROXY",
        "POSTMAN_API_KEY",
    ] {
        assert!(
            !env.contains_key(leaked),
            "{leaked} leaked into the task environment"
        );
    }
}

#[test]
fn the_step_env_block_sits_under_the_agent_entries() {
    let mut job = AgentJob::new();
    job.variable("who", "pipeline")
        .step_env("GREETING", "  hello $(who)  ")
        .step_env("INPUT_TESTRUNTITLE", "from env block")
        .step_env("TF_BUILD", "False")
        .agent_env("GREETING", "from agent");
    let env = job.environment();
    assert_eq!(
        env["GREETING"], "hello pipeline",
        "the env block is trimmed, expanded, and beats the agent's own"
    );
    assert_eq!(
        env["INPUT_TESTRUNTITLE"], "Postman",
        "the handler's inputs are added over the env block"
    );
    assert_eq!(env["TF_BUILD"], "True", "ProcessInvoker sets TF_BUILD last");
}

/// Adds a `connectedService:` input and a `filePath` input to this job's task.json.
fn add_test_inputs(job: &mut AgentJob) {
    job.edit_task_json(|task| {
        let inputs = task["inputs"].as_array_mut().expect("inputs");
        inputs.push(json!({"name": "postmanConnection", "type": "connectedService:postmanapi", "label": "c"}));
        inputs.push(json!({"name": "settingsFile", "type": "filePath", "label": "f", "defaultValue": ""}));
    });
}

#[test]
fn only_referenced_endpoints_are_passed_with_lower_case_ids() {
    let mut job = AgentJob::new();
    add_test_inputs(&mut job);
    job.endpoint(
        ENDPOINT_ID,
        "https://api.getpostman.com",
        "Token",
        &[("apitoken", "PMAK-1")],
    )
    .endpoint(
        "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "https://other",
        "Token",
        &[("apitoken", "PMAK-2")],
    );

    let unreferenced = job.environment();
    assert!(
        !unreferenced.keys().any(|k| k.contains(ENDPOINT_ID)),
        "no input names the endpoint yet"
    );

    job.input(
        "postmanConnection",
        format!(" {} ", ENDPOINT_ID.to_uppercase()),
    );
    let env = job.environment();
    let id = ENDPOINT_ID;
    assert_eq!(
        env[&format!("ENDPOINT_URL_{id}")],
        "https://api.getpostman.com/"
    );
    assert_eq!(env[&format!("ENDPOINT_AUTH_SCHEME_{id}")], "Token");
    assert_eq!(
        env[&format!("ENDPOINT_AUTH_PARAMETER_{id}_APITOKEN")],
        "PMAK-1"
    );
    let auth: Value = serde_json::from_str(&env[&format!("ENDPOINT_AUTH_{id}")]).expect("JSON");
    assert_eq!(
        auth,
        json!({"parameters": {"apitoken": "PMAK-1"}, "scheme": "Token"})
    );
    assert!(
        !env.keys().any(|k| k.contains("aaaaaaaa")),
        "an unreferenced endpoint is not passed"
    );
    assert!(!env.keys().any(|k| k.contains(&ENDPOINT_ID.to_uppercase())));

    // The job's own connection is always there, under its name.
    assert_eq!(env["ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION"], "OAuth");
    assert!(env.contains_key("ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"));
    assert_eq!(
        env["ENDPOINT_URL_SYSTEMVSSCONNECTION"],
        "https://dev.azure.com/contoso/"
    );
}

#[test]
fn file_path_inputs_are_rooted_in_the_sources_directory() {
    let mut job = AgentJob::new();
    add_test_inputs(&mut job);
    let sources = job.sources_dir().display().to_string();
    assert_eq!(
        job.environment()["INPUT_SETTINGSFILE"],
        sources,
        "an empty filePath arrives as the repo root"
    );
    job.input("settingsFile", "config/../settings.json");
    assert_eq!(
        job.environment()["INPUT_SETTINGSFILE"],
        format!("{sources}/settings.json")
    );
    job.input("settingsFile", "/etc//postman/./x.json");
    assert_eq!(
        job.environment()["INPUT_SETTINGSFILE"],
        "/etc/postman/x.json"
    );
}

// --- Launcher ----------------------------------------------------------------

/// Writes an executable-looking shell script to stand in for the binary.
fn fake_binary(job: &AgentJob, script: &str) -> PathBuf {
    let path = job.root().join("fake-binary.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{script}")).expect("write the fake binary");
    path
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o111 != 0
}

#[cfg(unix)]
#[test]
fn the_launcher_restores_the_run_bit_and_passes_task() {
    let mut job = AgentJob::new();
    let fake = fake_binary(
        &job,
        "echo \"argv:$#:$*\"\necho \"cwd:$(pwd)\"\necho '##vso[task.complete result=Succeeded;]done'\n",
    );
    job.with_binary(fake);
    let task_dir = job.install_task();
    assert!(task_dir.join("task.json").is_file() && task_dir.join("launcher.js").is_file());
    assert!(
        !is_executable(&job.binary_path()),
        "installed as a .vsix leaves it"
    );

    let run = job.run();
    assert_eq!(run.exit_code, Some(0), "{run}");
    assert!(is_executable(&job.binary_path()));
    assert!(run.stdout.contains("argv:1:task\n"), "{run}");
    assert!(
        run.stdout
            .contains(&format!("cwd:{}\n", job.sources_dir().display())),
        "{run}"
    );
    run.assert_one_complete();
    assert_eq!(run.result(), TaskResult::Succeeded);
}

#[cfg(unix)]
#[test]
fn the_exit_code_propagates() {
    let mut job = AgentJob::new();
    let fake = fake_binary(
        &job,
        "echo '##vso[task.complete result=Succeeded;]claims success'\nexit 3\n",
    );
    job.with_binary(fake);
    let run = job.run();
    assert_eq!(run.exit_code, Some(3), "{run}");
    assert_eq!(
        run.result(),
        TaskResult::Failed,
        "a non-zero exit overrides task.complete"
    );
}

#[cfg(unix)]
#[test]
fn the_task_sees_the_agent_environment() {
    let mut job = AgentJob::new();
    let fake = fake_binary(&job, "env\n");
    job.with_binary(fake).input("collection", "tests/a.json");
    let run = job.run();
    assert_eq!(run.exit_code, Some(0), "{run}");
    let env: BTreeMap<&str, &str> = run
        .stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .collect();
    assert_eq!(env.get("TF_BUILD"), Some(&"True"));
    assert_eq!(env.get("INPUT_COLLECTION"), Some(&"tests/a.json"));
    assert_eq!(env.get("HOME").map(PathBuf::from), Some(job.home_dir()));
    assert!(!env.contains_key("CI"), "{run}");
    assert!(!env.contains_key("CARGO_MANIFEST_DIR"), "{run}");
}

#[test]
fn a_missing_binary_is_reported_by_the_launcher() {
    let mut job = AgentJob::new();
    job.without_binary();
    let run = job.run();
    assert_eq!(run.exit_code, Some(1), "{run}");
    assert_eq!(run.result(), TaskResult::Failed);
    assert_eq!(run.issues(IssueKind::Error).len(), 1, "{run}");
    run.assert_one_complete();
}

#[cfg(unix)]
#[test]
fn a_signal_reaches_the_binary_through_the_launcher() {
    let mut job = AgentJob::new();
    let fake = fake_binary(
        &job,
        "trap 'echo got-int; kill $child; exit 0' INT\nsleep 60 &\nchild=$!\necho ready\nwait $child\n",
    );
    job.with_binary(fake);
    let running = job.spawn();
    assert!(
        running.wait_for_output("ready"),
        "the fake binary never started"
    );
    // The launcher listens for signals only once its start-up has run.
    running.wait_for_event_loop();
    running.signal("INT");
    let run = running.wait();
    assert!(run.stdout.contains("got-int"), "{run}");
    assert_eq!(run.exit_code, Some(0), "{run}");
}

#[cfg(unix)]
#[test]
fn output_held_open_by_a_leftover_process_stops_being_read() {
    let mut job = AgentJob::new();
    let pid_file = job.root().join("orphan.pid");
    let fake = fake_binary(
        &job,
        &format!(
            "sleep 600 &\necho $! > '{}'\necho '##vso[task.complete result=Succeeded;]done'\n",
            pid_file.display()
        ),
    );
    job.with_binary(fake);
    let run = job.run();
    let orphan = std::fs::read_to_string(&pid_file).expect("the fake wrote its child's pid");
    let killed = std::process::Command::new("kill")
        .arg(orphan.trim())
        .status();
    assert!(run.streams_left_open, "{run}");
    assert_eq!(run.exit_code, Some(0), "{run}");
    run.assert_one_complete();
    assert!(killed.is_ok_and(|s| s.success()));
}

// --- Servers -------------------------------------------------------------------

/// A minimal HTTP/1.1 exchange over a plain socket: status and body.
fn http(base_url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let address = base_url.strip_prefix("http://").expect("an http URL");
    let mut stream = TcpStream::connect(address).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nX-Test: yes\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("a complete response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    (status, body.to_string())
}

#[test]
fn the_target_api_answers_and_records() {
    let api = TargetApi::start();
    let base = api.base_url();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with('/'));

    let (status, body) = http(&base, "GET", "/ok", "");
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        (200, json!({"ok": true}))
    );
    assert_eq!(http(&base, "DELETE", "/status/418", "").0, 418);
    assert_eq!(http(&base, "GET", "/status/204", "").0, 204);
    assert_eq!(http(&base, "GET", "/slow/1", "").0, 200);
    assert_eq!(http(&base, "GET", "/nowhere", "").0, 404);

    let (status, body) = http(&base, "GET", "/inject", "");
    assert_eq!(status, 200);
    assert!(body.contains("##vso[task.setvariable variable=pwned]x"));
    assert!(body.contains("##vso[task.complete result=Failed;]boom"));
    assert!(body.contains("##[error]spoof"));

    let (status, body) = http(&base, "PUT", "/echo?x=1", "hello");
    assert_eq!(status, 200);
    let echo: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/echo?x=1");
    assert_eq!(echo["body"], "hello");
    assert_eq!(echo["headers"]["x-test"], "yes");

    let requests = api.requests();
    assert_eq!(requests.len(), 7);
    let echo = requests.last().expect("recorded");
    assert_eq!(
        (echo.method.as_str(), echo.path_and_query.as_str()),
        ("PUT", "/echo?x=1")
    );
    assert_eq!(echo.header("X-TEST"), Some("yes"));
    assert_eq!(echo.body_text(), "hello");
}

#[test]
fn the_cloud_sink_answers_204_and_records() {
    let sink = CloudSink::start();
    let base = sink.base_url();
    assert_eq!(
        http(&base, "GET", "/update/status?channel=stable", "").0,
        204
    );
    assert_eq!(http(&base, "POST", "/collections/runs", "{\"a\":1}").0, 204);
    let requests = sink.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path(), "/update/status");
    assert_eq!(requests[1].body_text(), "{\"a\":1}");

    let env = sink.cli_env();
    assert_eq!(env.len(), 9);
    assert!(env.iter().all(|(_, url)| *url == base));
    assert!(
        env.iter()
            .any(|(name, _)| name == "POSTMAN_GATEWAY_BASE_URL")
    );
}
