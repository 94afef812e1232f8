//! Secrets in every form they take: a collection that puts secret pipeline
//! variables in a URL query, a header, a Basic authorization header and its
//! failing assertions, against an API that echoes them all back. Nothing the
//! task writes may hold any form of them: raw, percent-encoded (`%20` or
//! `+`), XML-escaped, JSON-escaped, base64, or one line of a multi-line one.
//! Nor may a secret reach the CLI's command line through any input, nor the
//! log through the task's own messages.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::json;

use crate::e2e::{Scenario, published_junit, summary_text};
use crate::support::{IssueKind, TaskResult};

/// Every character an encoding changes: a space for `%20` and `+`, `&<>"'`
/// for XML, `"` for JSON, non-ASCII for `\u` escapes.
const TOKEN: &str = "pass word1&<>\"'é";

/// A key whose lines a report may show one at a time.
const KEY: &str = "-----BEGIN TEST KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\nAQEFAASCBKcwggSjAgEAAoIB\n-----END TEST KEY-----";

#[test]
fn no_form_of_a_secret_reaches_the_reports() {
    let mut s = Scenario::new();
    s.job.write_source(
        "tests/leaky.postman_collection.json",
        &leaky_collection().to_string(),
    );
    s.job
        .secret("apiToken", TOKEN)
        .secret("signingKey", KEY)
        .secret("pin", "12")
        .input("collection", "tests/leaky.postman_collection.json")
        .input(
            "envVars",
            format!("baseUrl={}\ntoken=$(apiToken)", s.api.base_url()),
        );
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");

    // The attack reached the API: the secret went out in every form.
    let requests = s.api.requests();
    let echo = requests
        .iter()
        .find(|r| r.path() == "/echo")
        .expect("the collection called /echo");
    assert_eq!(echo.header("x-token"), Some(TOKEN));
    assert!(
        echo.header("authorization")
            .is_some_and(|a| a.starts_with("Basic ")),
        "{echo:?}"
    );
    assert!(echo.body_text().contains(KEY), "{echo:?}");

    let (junit_path, xml) = published_junit(&run);
    let summary = summary_text(&run);
    // The failures are still there, with the secret masked.
    assert!(xml.contains("***"), "{xml}");
    assert!(summary.contains(r"\*\*\*"), "{summary}");
    assert_no_form_of_secrets(&junit_path.display().to_string(), &xml);
    assert_no_form_of_secrets("the summary", &summary);

    let report_dir = junit_path
        .parent()
        .expect("the report folder")
        .to_path_buf();
    let copied: Vec<PathBuf> = files_under(&report_dir)
        .into_iter()
        .filter(|p| p.ends_with("postman-report.json"))
        .collect();
    assert_eq!(copied.len(), 1, "the CLI's JSON report is copied once");
    let report = fs::read_to_string(&copied[0]).expect("read the copied report");
    serde_json::from_str::<serde_json::Value>(&report).expect("the copy is still JSON");
    assert!(report.contains("***"), "nothing was masked in the copy");

    // Everything the task wrote or left behind in the agent's temp folder.
    for path in files_under(&s.job.temp_dir()) {
        let bytes = fs::read(&path).expect("read a file");
        assert_no_form_of_secrets(
            &path.display().to_string(),
            &String::from_utf8_lossy(&bytes),
        );
    }

    // The log: the CLI's output passes through the same redaction (the
    // agent's masker knows the raw values, registered with setsecret, but
    // not every encoding of them).
    for line in run.stdout.lines().chain(run.stderr.lines()) {
        if !line.starts_with("##vso[task.setsecret]") {
            assert_no_form_of_secrets("the log", line);
        }
    }

    // The secret too short to mask is named, not shown.
    let warnings: Vec<String> = run
        .issues(IssueKind::Warning)
        .into_iter()
        .map(|i| i.message)
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`pin`") && w.contains("too short to mask")),
        "{warnings:?}"
    );
}

/// One request that sends the token in its query, a header and a Basic
/// authorization header, and the key in its body, to an API that echoes
/// them; tests that fail with all of it in their names and messages.
fn leaky_collection() -> serde_json::Value {
    json!({
        "info": {
            "_postman_id": "0c1d2e3f-0000-4000-8000-0000000000a1",
            "name": "Leaky API",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        },
        "item": [{
            "name": "Echo",
            "event": [{
                "listen": "test",
                "script": {
                    "type": "text/javascript",
                    "exec": [
                        "const echoed = pm.response.json();",
                        "const token = pm.environment.get('token');",
                        "pm.test('token ' + token + ' is refused', () => pm.expect(echoed.headers['x-token']).to.eql('refused'));",
                        "pm.test('path ' + echoed.path, () => pm.expect(echoed.path).to.eql('/nothing'));",
                        "pm.test('auth', () => pm.expect(echoed.headers.authorization).to.eql('none'));",
                        "pm.test('key line ' + echoed.body.split('\\n')[1], () => pm.expect(echoed.body).to.eql('no key'));",
                        "pm.test('the echo as JSON', () => pm.expect(JSON.stringify(echoed)).to.eql('{}'));"
                    ]
                }
            }],
            "request": {
                "method": "POST",
                "header": [{ "key": "X-Token", "value": "{{token}}" }],
                "auth": {
                    "type": "basic",
                    "basic": [
                        { "key": "username", "value": "user", "type": "string" },
                        { "key": "password", "value": "{{token}}", "type": "string" }
                    ]
                },
                "body": { "mode": "raw", "raw": KEY },
                "url": {
                    "raw": "{{baseUrl}}/echo?token={{token}}",
                    "host": ["{{baseUrl}}"],
                    "path": ["echo"],
                    "query": [{ "key": "token", "value": "{{token}}" }]
                }
            }
        }]
    })
}

/// Every form of the two secrets we know to look for, and of the parts of
/// them a report shows apart.
fn forbidden_forms() -> Vec<String> {
    let mut forms = Vec::new();
    let mut add = |secret: &str| {
        forms.push(secret.to_owned());
        forms.push(percent_encode(
            secret,
            |c| c.is_ascii_alphanumeric() || "-._~".contains(c),
            false,
        ));
        forms.push(percent_encode(
            secret,
            |c| c.is_ascii_alphanumeric() || "-._~".contains(c),
            true,
        ));
        // encodeURIComponent, and Postman's query encoding, which leaves
        // more alone.
        forms.push(percent_encode(
            secret,
            |c| c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c),
            false,
        ));
        forms.push(percent_encode(
            secret,
            |c| c.is_ascii() && !" \"#&'<>=".contains(c) && !c.is_ascii_control(),
            false,
        ));
        let xml = secret
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        forms.push(xml.clone());
        forms.push(xml.replace('"', "&quot;").replace('\'', "&apos;"));
        forms.push(xml.replace('"', "&quot;").replace('\'', "&#39;"));
        forms.push(xml.replace('"', "&#34;").replace('\'', "&#x27;"));
        let json = serde_json::to_string(secret).unwrap();
        forms.push(json[1..json.len() - 1].to_owned());
        forms.push(
            json[1..json.len() - 1]
                .chars()
                .map(|c| {
                    if c.is_ascii() {
                        c.to_string()
                    } else {
                        format!("\\u{:04x}", c as u32)
                    }
                })
                .collect(),
        );
        // Base64 of the secret behind a user name of any length: the
        // middle that does not depend on its neighbours.
        for offset in 0..3 {
            let mut shifted = vec![0u8; offset];
            shifted.extend_from_slice(secret.as_bytes());
            let encoded = base64::engine::general_purpose::STANDARD.encode(&shifted);
            forms.push(encoded[(offset * 8).div_ceil(6)..shifted.len() * 8 / 6].to_owned());
        }
    };
    add(TOKEN);
    // The URL parser splits the token at `&`; the report shows each piece.
    for piece in TOKEN.split('&') {
        add(piece);
    }
    add(KEY);
    for line in KEY.lines() {
        add(line);
    }
    forms.sort();
    forms.dedup();
    forms
}

fn percent_encode(text: &str, keep: impl Fn(char) -> bool, plus: bool) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if keep(c) {
            out.push(c);
        } else if plus && c == ' ' {
            out.push('+');
        } else {
            for b in c.to_string().bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn assert_no_form_of_secrets(what: &str, text: &str) {
    for form in forbidden_forms() {
        assert!(
            !text.contains(&form),
            "{what} holds the secret as {form:?}:\n{text}"
        );
        // Assertion messages cut long values short with `…`: no more than
        // a few characters of a secret may show before it.
        for (cut, _) in form.char_indices().skip(8) {
            let truncated = format!("{}…", &form[..cut]);
            assert!(
                !text.contains(&truncated),
                "{what} holds the secret cut short as {truncated:?}:\n{text}"
            );
        }
    }
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Issue 19, item 6: `folder: $(secret)` put the secret on the CLI's
/// command line (`-i Folder-SECRET-…`) and in the log's `##[command]`
/// line, where `additionalArguments` holding it is refused. Every input
/// that reaches the command line is refused alike.
#[test]
fn a_secret_in_folder_is_refused_as_in_the_extra_arguments() {
    const FOLDER_SECRET: &str = "Folder-SECRET-5e7a1c";
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .secret("folderName", FOLDER_SECRET)
        .input("collection", "tests/passing.postman_collection.json")
        .input("folder", "$(folderName)")
        .input("iterationCount", "1");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let errors: Vec<String> = run
        .issues(IssueKind::Error)
        .into_iter()
        .map(|i| i.message)
        .collect();
    insta::assert_snapshot!(errors.join("\n"), @"input `folder`: line 1 holds the value of a secret, which would put it on the Postman CLI's command line, where the log and every process listing show it. Pass the value with input `envVars` instead (key=value, one per line), which reaches the Postman CLI through a private file.");
    assert!(!run.stdout.contains("##[command]"), "nothing ran\n{run}");
    assert!(!run.stdout.contains(FOLDER_SECRET), "{run}");
    assert!(s.api.requests().is_empty(), "nothing ran");
}

/// Issue 19, item 7: the task's own input errors printed secret text: a
/// two-line secret in `envVars` gave ``line 2 (`line-two-…`) is not
/// key=value``, and the agent masks the whole secret only, not its lines.
#[test]
fn input_errors_mask_every_line_of_a_secret() {
    const FIRST: &str = "line-one-8d2f4a";
    const SECOND: &str = "line-two-6b1c9e";
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .secret("multi", format!("{FIRST}\n{SECOND}"))
        .input("collection", "tests/passing.postman_collection.json")
        .input("envVars", "tok=$(multi)");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let errors: Vec<String> = run
        .issues(IssueKind::Error)
        .into_iter()
        .map(|i| i.message)
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("line 2 (`***`) is not key=value")),
        "{errors:?}"
    );
    let leaks = crate::support::leaks::Leaks::new([FIRST, SECOND]);
    for (stream, line) in &run.log {
        leaks.assert_none(&format!("the log ({stream:?})"), line);
    }
    leaks.assert_none("the summary", &summary_text(&run));
}
