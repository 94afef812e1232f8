//! Secrets in bodies of another charset (issue 19, item 4): an API that
//! echoes what it received as UTF-16 (little and big endian) or Latin-1,
//! as its `Content-Type` declares. The task decodes each body by its
//! charset before masking, and masks what is left in every encoding, so
//! neither the Postman tab's attachment, nor the copied CLI reports (the
//! JSON report's byte arrays, the HTML report), nor the log hold a secret
//! NUL-interleaved or in Latin-1.

use serde_json::{Value, json};

use crate::e2e::Scenario;
use crate::support::TaskResult;
use crate::support::leaks::Leaks;

/// A secret pipeline variable, sent in a header.
const PIPELINE_SECRET: &str = "u16-s3cret-7f3a9c1e";
/// A credential header's value, known from the collection.
const AUTH_TOKEN: &str = "xauth16-8b2c4d6e0f";
/// A secret with characters Latin-1 spells in one byte, sent in a body.
const LATIN_SECRET: &str = "lat1n-pässwörd-42";

fn echo(charset: &str) -> Value {
    json!({
        "name": format!("Echo {charset}"),
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": [
            "console.log(pm.response.text());",
            "pm.test('body ' + pm.response.text(), () => pm.expect(pm.response.code).to.eql(201));",
        ]}}],
        "request": {
            "method": "POST",
            "header": [
                {"key": "X-Forward", "value": "{{tok}}"},
                {"key": "X-Auth-Token", "value": AUTH_TOKEN},
                {"key": "Content-Type", "value": "text/plain; charset=utf-8"},
            ],
            "body": {"mode": "raw", "raw": "{{latin}}"},
            "url": format!("{{{{baseUrl}}}}/echo/{charset}"),
        }
    })
}

#[test]
fn no_secret_survives_in_a_utf16_or_latin1_body() {
    let mut s = Scenario::new();
    s.job.write_source(
        "tests/charsets.postman_collection.json",
        &json!({
            "info": {"name": "Charsets", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
            "item": [echo("utf-16le"), echo("utf-16be"), echo("iso-8859-1")],
        })
        .to_string(),
    );
    s.job
        .secret("tok", PIPELINE_SECRET)
        .secret("latin", LATIN_SECRET)
        .input("collection", "tests/charsets.postman_collection.json")
        .input("requestDetails", "all")
        .input(
            "envVars",
            format!("baseUrl={}\ntok=$(tok)\nlatin=$(latin)", s.api.base_url()),
        );
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");

    // The API answered in each charset, with the secrets in it.
    let answered: Vec<String> = s
        .api
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(
        answered,
        ["/echo/utf-16le", "/echo/utf-16be", "/echo/iso-8859-1"],
        "{run}"
    );
    assert!(
        s.api
            .requests()
            .iter()
            .all(|r| r.body_text() == LATIN_SECRET)
    );

    let checked =
        Leaks::new([PIPELINE_SECRET, AUTH_TOKEN, LATIN_SECRET]).assert_none_in_run(&run, &s.job);
    for file in ["postman-report.json", "postman-report.html"] {
        assert!(
            checked.iter().any(|f| f.ends_with(file)),
            "{file} was checked: {checked:?}"
        );
    }

    // The tab shows each body as the text it is, masked.
    let (_, _, attachment) = run
        .attachments()
        .into_iter()
        .find(|(kind, _, _)| kind == "postman-cli-task.results")
        .expect("the results attachment");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(attachment).unwrap()).unwrap();
    let bodies: Vec<&str> = doc["runs"][0]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["response"]["body"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(bodies.len(), 3, "{doc:#}");
    for body in bodies {
        // The tab pretty-prints bodies itself; the attachment keeps them as
        // the API sent them.
        let json: Value = serde_json::from_str(body).expect("a whole JSON body");
        assert!(
            json["headers"]["x-forward"] == "***" && json["body"] == "***",
            "{body}"
        );
    }
}
