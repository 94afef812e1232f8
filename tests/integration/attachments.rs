//! The Postman tab's data, as a real task run attaches it: one
//! `postman-cli-task.results` attachment per step (web/ATTACHMENT.md), with
//! every request, the failed ones' headers and bodies, within its bound,
//! and no secret in it: not a secret pipeline variable given through
//! `envVars`, not the API key, not an environment value of type `secret`,
//! not the values of `Authorization`, `Cookie`, `Set-Cookie` or
//! `X-Api-Key` headers, even where the API echoes them in a body.

use std::fs;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::e2e::Scenario;
use crate::support::servers::SESSION_COOKIE;
use crate::support::{TEST_API_KEY, TaskResult, TaskRun};

/// A secret pipeline variable, given to the run through `envVars`.
pub const PIPELINE_SECRET: &str = "pipe-s3cret-71c2d9e4";
/// A value the environment file marks `type: secret`.
pub const ENV_SECRET: &str = "env-s3cret-0b8a6f13";
/// Credential headers the collection sends, known to no pipeline variable.
pub const AUTH_TOKEN: &str = "bearer-tok-4d2e7a90c1";
pub const COOKIE_VALUE: &str = "cookie-val-93b1e6f2";
pub const X_API_KEY: &str = "xkey-val-5a7c0e3d18";

/// Every secret the masking run holds.
pub fn secrets() -> Vec<&'static str> {
    vec![
        PIPELINE_SECRET,
        ENV_SECRET,
        AUTH_TOKEN,
        COOKIE_VALUE,
        X_API_KEY,
        SESSION_COOKIE,
        TEST_API_KEY,
    ]
}

fn test_script(lines: &[&str]) -> Value {
    json!([{"listen": "test", "script": {"type": "text/javascript", "exec": lines}}])
}

/// A collection that sends every kind of secret to an API that echoes
/// them, and fails, so every request keeps its headers and bodies.
fn leaky_collection() -> Value {
    json!({
        "info": {"name": "Leaky API", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": [
            {
                "name": "Echo credentials",
                "event": test_script(&[
                    "pm.test('status is 201', () => pm.response.to.have.status(201));",
                    "pm.test('token is refused', () => pm.expect(pm.request.headers.get('Authorization')).to.eql('nope'));",
                ]),
                "request": {
                    "method": "POST",
                    "header": [
                        {"key": "Authorization", "value": format!("Bearer {AUTH_TOKEN}")},
                        {"key": "Cookie", "value": format!("sid={COOKIE_VALUE}")},
                        {"key": "X-Api-Key", "value": X_API_KEY},
                        {"key": "X-Env", "value": "{{envSecret}}"},
                        {"key": "X-Postman-Key", "value": TEST_API_KEY},
                        {"key": "Content-Type", "value": "application/json"},
                    ],
                    "body": {"mode": "raw", "raw": "{\"pipe\": \"{{pipe}}\", \"env\": \"{{envSecret}}\"}"},
                    "url": "{{baseUrl}}/echo?t={{pipe}}",
                },
            },
            {
                "name": "Session",
                "event": test_script(&["pm.test('status is 200', () => pm.response.to.have.status(200));"]),
                "request": {"method": "GET", "header": [], "url": "{{baseUrl}}/session"},
            },
        ],
    })
}

/// A task run of the failing fixture and the leaky collection, with every
/// kind of secret; what it attached, read.
pub fn masking_run() -> (Scenario, TaskRun, Vec<(PathBuf, Value)>) {
    let mut s = Scenario::new();
    s.fixture("failing.postman_collection.json");
    s.job.write_source(
        "tests/leaky.postman_collection.json",
        &leaky_collection().to_string(),
    );
    s.job.write_source(
        "tests/secret.postman_environment.json",
        &json!({"name": "secret env", "values": [
            {"key": "envSecret", "value": ENV_SECRET, "type": "secret", "enabled": true},
        ]})
        .to_string(),
    );
    s.job
        .secret("pipeToken", PIPELINE_SECRET)
        .input(
            "collection",
            "tests/failing.postman_collection.json\ntests/leaky.postman_collection.json",
        )
        .input("environment", "tests/secret.postman_environment.json")
        .input("apiKey", TEST_API_KEY)
        .input(
            "envVars",
            format!("baseUrl={}\npipe=$(pipeToken)", s.api.base_url()),
        );
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let attachments = read_attachments(&run);
    (s, run, attachments)
}

/// The CLI's own HTML reports, attached beside the results.
const HTML_KIND: &str = "postman-cli-task.html";

fn read_attachments(run: &TaskRun) -> Vec<(PathBuf, Value)> {
    run.attachments()
        .into_iter()
        .filter(|(kind, _, _)| kind != HTML_KIND)
        .map(|(kind, name, path)| {
            assert_eq!(kind, "postman-cli-task.results", "{run}");
            assert_eq!(path.file_name().unwrap().to_string_lossy(), name);
            let text = fs::read_to_string(&path).expect("read the attachment");
            (
                path,
                serde_json::from_str(&text).expect("the attachment is JSON"),
            )
        })
        .collect()
}

fn requests(run: &Value) -> &Vec<Value> {
    run["requests"].as_array().expect("requests")
}

fn request<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(requests)
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("{path} in {doc:#}"))
}

#[test]
fn the_failing_collection_attaches_its_requests_failures_and_failed_bodies() {
    let mut s = Scenario::new();
    s.fixture("failing.postman_collection.json");
    s.job
        .input("collection", "tests/failing.postman_collection.json");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let attachments = read_attachments(&run);
    assert_eq!(attachments.len(), 1, "one attachment per step\n{run}");
    let (path, doc) = &attachments[0];
    // Written beside the summary, within the default bound.
    assert_eq!(path.parent(), run.summaries()[0].parent());
    assert!(fs::metadata(path).unwrap().len() <= 8 * 1024 * 1024);

    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["title"], "Postman");
    assert_eq!(doc["cliVersion"], crate::support::PINNED_CLI_VERSION);
    assert_eq!(doc["truncated"], json!({"requests": 0, "bodies": 0}));
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["name"], "Failing API");
    assert_eq!(runs[0]["status"], "failed");

    // The CLI's HTML report of the run: its own attachment, named in the
    // run, the masked copy in the run's report folder.
    let html: Vec<_> = run
        .attachments()
        .into_iter()
        .filter(|(kind, _, _)| kind == HTML_KIND)
        .collect();
    assert_eq!(html.len(), 1, "{run}");
    let (_, html_name, html_path) = &html[0];
    assert_eq!(runs[0]["htmlReport"].as_str(), Some(html_name.as_str()));
    assert!(
        html_name.starts_with("postman-report-") && html_name.ends_with("-01.html"),
        "{html_name}"
    );
    assert!(
        html_path.ends_with("runs/01-failing-api/postman-report.html"),
        "{}",
        html_path.display()
    );
    let page = fs::read_to_string(html_path).unwrap();
    assert!(
        page.contains("Orders") && page.contains("<html"),
        "the CLI's report"
    );
    let paths: Vec<&str> = requests(&runs[0])
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "Health",
            "Orders / List orders",
            "Orders / Broken script",
            "Unreachable"
        ]
    );

    // A passed request keeps no detail; a failed one keeps it all.
    let health = request(doc, "Health");
    assert_eq!(
        (health["status"].as_u64(), &health["response"]),
        (Some(200), &Value::Null)
    );
    let list = request(doc, "Orders / List orders");
    assert_eq!(list["method"], "GET");
    assert!(
        list["url"].as_str().unwrap().ends_with("/status/500"),
        "{list:#}"
    );
    assert_eq!(list["status"], 500);
    assert_eq!(
        list["assertions"][0],
        json!({"name": "status is 200", "status": "failed",
               "message": "expected response to have status code 200 but got 500"})
    );
    assert_eq!(list["assertions"][1]["status"], "passed");
    let response = &list["response"];
    // As the API sent it: the tab pretty-prints JSON itself.
    assert_eq!(response["body"], r#"{"status":500}"#);
    assert_eq!(response["bodyTruncated"], false);
    assert!(
        response["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("content-type")),
        "{response:#}"
    );
    assert!(list["request"]["headers"].as_array().unwrap().len() > 2);
    let script = request(doc, "Orders / Broken script");
    assert_eq!(script["errors"][0]["kind"], "ScriptError");
    assert!(
        script["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("boom in test script")
    );
    let unreachable = request(doc, "Unreachable");
    assert_eq!(unreachable["status"], Value::Null);
    assert_eq!(unreachable["errors"][0]["kind"], "RequestError");
    assert_eq!(unreachable["response"], Value::Null);
}

#[test]
fn the_attachment_stays_within_its_bound_and_says_what_it_left_out() {
    let mut s = Scenario::new();
    s.fixture("failing.postman_collection.json");
    s.job
        .input("collection", "tests/failing.postman_collection.json")
        .input("requestDetails", "all")
        .agent_env("POSTMAN_CLI_TASK_ATTACHMENT_LIMIT", "3000");
    let run = s.run();
    let attachments = read_attachments(&run);
    let (path, doc) = &attachments[0];
    let size = fs::metadata(path).unwrap().len();
    assert!(size <= 3000, "{size} bytes");
    let left_out = &doc["truncated"];
    assert!(left_out["bodies"].as_u64().unwrap() > 0, "{doc:#}");
    let kept = requests(&doc["runs"][0]).len() as u64;
    assert_eq!(kept + left_out["requests"].as_u64().unwrap(), 4, "{doc:#}");
    // The counts still include what was left out.
    assert_eq!(doc["runs"][0]["counts"]["total"], 4);
}

#[test]
fn no_secret_of_any_kind_reaches_an_attachment_or_a_report() {
    let (s, run, attachments) = masking_run();
    assert_eq!(attachments.len(), 1, "{run}");
    let (path, doc) = &attachments[0];

    // The secrets went out: the API saw them, and echoed them back.
    let echo = s
        .api
        .requests()
        .into_iter()
        .find(|r| r.path() == "/echo")
        .expect("the collection called /echo");
    assert_eq!(echo.header("x-api-key"), Some(X_API_KEY));
    assert_eq!(echo.header("x-env"), Some(ENV_SECRET));
    assert!(echo.body_text().contains(PIPELINE_SECRET));

    // Masked where they were.
    let echoed = request(doc, "Echo credentials");
    let header = |side: &str, name: &str| -> Vec<String> {
        echoed[side]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
            .map(|h| h[1].as_str().unwrap().to_owned())
            .collect()
    };
    for name in [
        "Authorization",
        "Cookie",
        "X-Api-Key",
        "X-Env",
        "X-Postman-Key",
    ] {
        assert_eq!(header("request", name), ["***"], "{name}: {echoed:#}");
    }
    let body = echoed["response"]["body"].as_str().unwrap();
    assert!(body.contains(r#""x-api-key":"***""#), "{body}");
    assert!(
        echoed["url"].as_str().unwrap().ends_with("/echo?t=***"),
        "{echoed:#}"
    );
    assert!(
        echoed["assertions"][1]["message"]
            .as_str()
            .unwrap()
            .contains("***"),
        "{echoed:#}"
    );
    let session = request(doc, "Session");
    let set_cookie: Vec<&Value> = session["response"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("set-cookie"))
        .collect();
    assert_eq!(set_cookie, [&json!(["set-cookie", "***"])], "{session:#}");

    // And nowhere: not in the attachment, not in anything the task wrote.
    let mut written = vec![path.clone()];
    let report_dir = path.parent().unwrap();
    for entry in walk(report_dir) {
        written.push(entry);
    }
    for file in &written {
        let text = fs::read_to_string(file).unwrap_or_default();
        for secret in secrets() {
            assert!(
                !text.contains(secret),
                "{secret} in {}:\n{text}",
                file.display()
            );
        }
    }
    assert!(
        written.iter().any(|f| f.ends_with("postman-report.json"))
            && written.iter().any(|f| f.ends_with("postman-report.html")),
        "the copied CLI reports were checked too: {written:?}"
    );
    // The log: the agent masks what the task registers (`task.setsecret`
    // names the value, which is how the agent learns it).
    let log: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("##vso[task.setsecret"))
        .collect();
    for secret in [PIPELINE_SECRET, ENV_SECRET, TEST_API_KEY] {
        assert!(
            run.secrets().iter().any(|s| s == secret) || secret == PIPELINE_SECRET,
            "{secret} registered\n{run}"
        );
        assert!(
            !log.iter().any(|l| l.contains(secret)),
            "{secret} in the log\n{run}"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
