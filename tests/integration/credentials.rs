//! Credential headers and auth blocks, as an API under test would make a
//! task run leak them (issue 19): the collection sends them, v2.1 and v3
//! alike, and the API echoes what it received, which the collection's
//! tests put into their names, their failure messages and `console.log`,
//! as written, upper-cased, in hex and as JavaScript `\x` escapes. No
//! form of any of them may reach the log as the agent shows it, nor any
//! file the task wrote or attached. None of these values is a pipeline
//! variable: the task learns them from the collection and the environment.

use std::fs;

use serde_json::{Value, json};

use crate::e2e::{Scenario, published_junit};
use crate::support::TaskResult;
use crate::support::leaks::Leaks;

/// A bearer token shorter than the 8 characters once needed to mask it.
const SHORT_BEARER: &str = "tk7a9Q";
/// An API key too short to mask anywhere but as a whole value.
const TINY_KEY: &str = "Q7z";
const LOWER_AUTH: &str = "tok-lower-8c1f";
const X_AUTH_TOKEN: &str = "xauth-4f7b1d2c9e";
const OCP_KEY: &str = "ocp-6a1e93b7d2c4f058";
const AMZ_TOKEN: &str = "amz-sess-0c9d8e7f";
const COOKIE: &str = "ck-2b8e7d1f";
const SET_COOKIE: &str = "sc-9e0f1a2b3c";
const SESSION_ID: &str = "sess-id-71d3e5";
const SIGNATURE: &str = "sig-5d4c3b2a1f";
const CLIENT_SECRET: &str = "csec-8a7b6c5d";
const DB_PASSWORD: &str = "dbpw-3e2d1c0b";
/// The auth helper's bearer token, from the environment file (a plain
/// variable, not one marked secret).
const HELPER_BEARER: &str = "helper-bearer-5f6e7d";
const BASIC_PASSWORD: &str = "basic-pw-2c3d4e";
const APIKEY_VALUE: &str = "apikey-blk-9a8b7c";

fn all_credentials() -> Vec<&'static str> {
    vec![
        SHORT_BEARER,
        TINY_KEY,
        LOWER_AUTH,
        X_AUTH_TOKEN,
        OCP_KEY,
        AMZ_TOKEN,
        COOKIE,
        SET_COOKIE,
        SESSION_ID,
        SIGNATURE,
        CLIENT_SECRET,
        DB_PASSWORD,
        HELPER_BEARER,
        BASIC_PASSWORD,
        APIKEY_VALUE,
    ]
}

/// The headers the `Headers` request sends, by the rule's every word.
fn credential_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Bearer {SHORT_BEARER}")),
        ("X-Auth-Token", X_AUTH_TOKEN.to_owned()),
        ("Ocp-Apim-Subscription-Key", "{{ocpKey}}".to_owned()),
        ("X-Amz-Security-Token", AMZ_TOKEN.to_owned()),
        ("Cookie", format!("sid={COOKIE}; lang=en")),
        ("Set-Cookie", format!("sess={SET_COOKIE}; Path=/")),
        ("X-Session-Id", SESSION_ID.to_owned()),
        ("X-Hub-Signature", format!("sha256={SIGNATURE}")),
        ("X-Client-Secret", CLIENT_SECRET.to_owned()),
        ("X-Db-Password", DB_PASSWORD.to_owned()),
    ]
}

/// The test script every request runs: each header the API received,
/// echoed in every way a script can.
const ECHO_SCRIPT: &[&str] = &[
    "const seen = pm.response.json().headers;",
    "const plain = ['host', 'accept', 'accept-encoding', 'connection', 'user-agent', 'cache-control', 'postman-token', 'content-length', 'content-type'];",
    "const hex = (v) => v.split('').map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');",
    "Object.keys(seen).filter((k) => !plain.includes(k)).forEach((k) => {",
    "  const v = seen[k];",
    "  console.log('echo', k, v);",
    "  console.log('upper', v.toUpperCase(), 'hex', hex(v), hex(v).toUpperCase());",
    "  console.log('js', v.split('').map((c) => '\\\\x' + hex(c)).join(''));",
    "  pm.test('got ' + k + ' ' + v, () => pm.expect(v).to.eql('refused'));",
    "  const parts = v.split(' ');",
    "  if (parts.length === 2) { console.log('token', parts[1]); pm.test('token ' + parts[1], () => pm.expect(parts[1]).to.eql('x')); }",
    "  v.split(';').forEach((p) => { const kv = p.split('='); if (kv.length === 2) { console.log('value', kv[1]); pm.test('value ' + kv[1], () => {}); } });",
    "});",
];

fn v21_collection() -> Value {
    let header = |pairs: Vec<(&str, String)>| -> Vec<Value> {
        pairs
            .into_iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect()
    };
    let request = |name: &str, headers: Vec<(&str, String)>, auth: Value| {
        json!({
            "name": name,
            "request": {"method": "GET", "header": header(headers), "auth": auth, "url": "{{baseUrl}}/echo"}
        })
    };
    let noauth = json!({"type": "noauth"});
    json!({
        "info": {"name": "Credential echo", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "variable": [{"key": "ocpKey", "value": OCP_KEY}],
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": ECHO_SCRIPT}}],
        "item": [
            request("Headers", credential_headers(), noauth.clone()),
            request("Lower", vec![("authorization", format!("Token {LOWER_AUTH}"))], noauth.clone()),
            request("Tiny key", vec![("x-Api-Key", TINY_KEY.to_owned())], noauth),
            request("Bearer helper", vec![], json!({"type": "bearer", "bearer": [{"key": "token", "value": "{{helperToken}}"}]})),
            request("Basic", vec![], json!({"type": "basic", "basic": [
                {"key": "username", "value": "user"}, {"key": "password", "value": BASIC_PASSWORD}]})),
            request("Api key helper", vec![], json!({"type": "apikey", "apikey": [
                {"key": "key", "value": "X-Api-Key"}, {"key": "value", "value": APIKEY_VALUE}, {"key": "in", "value": "header"}]})),
        ]
    })
}

/// The same collection as a v3 folder: request files with headers and
/// auth, a folder whose definition holds the auth helper, the collection's
/// variables in its definition.
fn write_v3_collection(s: &Scenario, root: &str) {
    let yaml = |v: &Value| serde_saphyr::to_string(v).expect("YAML");
    let request = |order: u32, headers: Vec<(&str, String)>, auth: Option<Value>| {
        let mut r = json!({
            "$kind": "http-request",
            "method": "GET",
            "url": "{{baseUrl}}/echo",
            "order": order,
            "headers": headers.into_iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
            "scripts": [{"type": "afterResponse", "code": ECHO_SCRIPT.join("\n"), "language": "text/javascript"}],
        });
        if let Some(auth) = auth {
            r["auth"] = auth;
        }
        yaml(&r)
    };
    let file = |rel: &str, text: String| {
        s.job.write_source(&format!("{root}/{rel}"), &text);
    };
    file(
        ".resources/definition.yaml",
        yaml(&json!({"$kind": "collection", "name": "Credential echo v3",
            "variables": [{"key": "ocpKey", "value": OCP_KEY}]})),
    );
    file(
        "Headers.request.yaml",
        request(1000, credential_headers(), None),
    );
    file(
        "Lower.request.yaml",
        request(
            2000,
            vec![("authorization", format!("Token {LOWER_AUTH}"))],
            None,
        ),
    );
    file(
        "Tiny key.request.yaml",
        request(3000, vec![("x-Api-Key", TINY_KEY.to_owned())], None),
    );
    file(
        "Helpers/.resources/definition.yaml",
        yaml(&json!({"$kind": "collection", "order": 4000,
            "auth": {"type": "bearer", "credentials": [{"key": "token", "value": "{{helperToken}}"}]}})),
    );
    file(
        "Helpers/Bearer helper.request.yaml",
        request(1000, vec![], None),
    );
    let basic = json!({"type": "basic", "credentials": [
        {"key": "username", "value": "user"}, {"key": "password", "value": BASIC_PASSWORD}]});
    file("Basic.request.yaml", request(5000, vec![], Some(basic)));
    let apikey = json!({"type": "apikey", "credentials": [
        {"key": "key", "value": "X-Api-Key"}, {"key": "value", "value": APIKEY_VALUE}, {"key": "in", "value": "header"}]});
    file(
        "Api key helper.request.yaml",
        request(6000, vec![], Some(apikey)),
    );
}

/// A job running `collection` with an environment file that holds the auth
/// helper's token as a plain variable.
fn run_leaky(
    collection: &str,
    write: impl FnOnce(&Scenario),
) -> (Scenario, crate::support::TaskRun) {
    let mut s = Scenario::new();
    write(&s);
    s.job.write_source(
        "tests/plain.postman_environment.json",
        &json!({"name": "plain", "values": [
            {"key": "helperToken", "value": HELPER_BEARER, "enabled": true},
        ]})
        .to_string(),
    );
    s.job
        .input("collection", collection)
        .input("environment", "tests/plain.postman_environment.json")
        .input("requestDetails", "all");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    (s, run)
}

/// The attack reached the API: it received every credential.
fn assert_sent(s: &Scenario) {
    let received: Vec<String> = s
        .api
        .requests()
        .iter()
        .filter(|r| r.path() == "/echo")
        .flat_map(|r| r.headers.iter().map(|(_, v)| v.clone()))
        .collect();
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("user:{BASIC_PASSWORD}")
        )
    );
    for credential in all_credentials()
        .into_iter()
        .filter(|c| *c != BASIC_PASSWORD)
        .chain([basic.as_str()])
    {
        assert!(
            received.iter().any(|v| v.contains(credential)),
            "the API never received {credential}: {received:?}"
        );
    }
}

/// Nothing of any credential in the log or in any file, and the runs'
/// failures still there, masked.
fn assert_masked_everywhere(s: &Scenario, run: &crate::support::TaskRun) {
    let (_, xml) = published_junit(run);
    assert!(xml.contains("got x-auth-token ***"), "{xml}");
    assert!(xml.contains("got x-api-key ***"), "{xml}");
    let checked = Leaks::new(all_credentials()).assert_none_in_run(run, &s.job);
    assert!(
        checked
            .iter()
            .any(|f| f.to_string_lossy().contains("postman-results")),
        "the attachment was checked: {checked:?}"
    );
    // The agent's masker learned them before the CLI started.
    let registered = run.secrets();
    for credential in [
        X_AUTH_TOKEN,
        OCP_KEY,
        HELPER_BEARER,
        BASIC_PASSWORD,
        SHORT_BEARER,
    ] {
        assert!(
            registered.iter().any(|r| r == credential),
            "{credential} registered\n{run}"
        );
    }
    let collection_run = run
        .stdout
        .find("collection run")
        .expect("the CLI's command line is shown");
    assert!(
        run.stdout[..collection_run].contains(&format!("##vso[task.setsecret]{X_AUTH_TOKEN}")),
        "registered before the CLI ran\n{run}"
    );
}

#[test]
fn credential_headers_of_a_v2_1_run_are_masked_in_the_log_and_every_file() {
    let (s, run) = run_leaky("tests/echo.postman_collection.json", |s| {
        s.job.write_source(
            "tests/echo.postman_collection.json",
            &v21_collection().to_string(),
        );
    });
    assert_sent(&s);
    assert_masked_everywhere(&s, &run);
    // The copied JSON report held the Basic password of the auth block.
    let report = crate::support::leaks::files_under(&s.job.temp_dir())
        .into_iter()
        .find(|p| p.ends_with("postman-report.json"))
        .expect("the CLI's JSON report is copied");
    let text = fs::read_to_string(report).unwrap();
    assert!(
        text.contains("\"password\""),
        "the auth block is kept, masked"
    );
}

#[test]
fn credential_headers_of_a_v3_run_are_masked_in_the_log_and_every_file() {
    let (s, run) = run_leaky("tests/echo-v3", |s| write_v3_collection(s, "tests/echo-v3"));
    assert_sent(&s);
    assert_masked_everywhere(&s, &run);
}
