//! The results attachment the Postman tab reads (web/ATTACHMENT.md, schema
//! 1): every run of this step with its requests in order, their
//! assertions and errors, the headers and bodies the results kept, and the
//! lint findings. Written from the ready results (secrets already masked),
//! and bounded: past the bound, bodies go first (largest first), then
//! requests (passed ones first, from the end), and `truncated` says how
//! many. Its shape is the types in `schema`, which `model_ts` checks
//! against the tab's own (web/src/model.ts).

#[cfg(test)]
mod model_ts;
mod schema;

use std::path::Path;

use serde::Serialize;

use crate::report::lint::LintOutcome;
use crate::report::model::RunResult;
use crate::secrets::Secrets;

use schema::{Lint, Message, Request, Results, Run, SCHEMA, Truncated};

/// The attachment type the tab lists.
pub(crate) const KIND: &str = "postman-cli-task.results";

/// The type of the CLI's own HTML reports, which the tab offers as
/// downloads and never shows in its frame: their markup and scripts come
/// from what the API returned and from CDNs.
pub(crate) const HTML_KIND: &str = "postman-cli-task.html";

/// The largest HTML report attached; a larger one stays in the report
/// folder.
pub(crate) const HTML_LIMIT: u64 = 32_000_000;

/// The HTML report of run `index`, named after this step's results.
pub(crate) fn html_name(results_name: &str, index: usize) -> String {
    let stem = results_name
        .strip_suffix(".json")
        .unwrap_or(results_name)
        .replacen("postman-results", "postman-report", 1);
    format!("{stem}-{index:02}.html")
}

pub(crate) struct Attachment<'a> {
    pub(crate) title: &'a str,
    pub(crate) shard: Option<String>,
    pub(crate) cli_version: Option<&'a str>,
    pub(crate) runs: &'a [RunResult],
    /// Each run's HTML report attachment, by the runs' order.
    pub(crate) html: &'a [Option<String>],
    pub(crate) lints: &'a [LintOutcome],
    /// The most bytes the file may take.
    pub(crate) limit: usize,
    /// What the Test Plans sink did, when `testPlan` is set.
    pub(crate) test_plan: Option<&'a crate::publish::test_plan::TestPlanReport>,
}

/// The attachment's file name in `dir`, which is this task run's own
/// report folder: its name makes the attachment's name unique among the
/// steps' and jobs' of a build.
pub(crate) fn file_name(dir: &Path) -> String {
    let stamp: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if stamp.is_empty() {
        "postman-results.json".to_owned()
    } else {
        format!("postman-results-{stamp}.json")
    }
}

/// Writes the attachment to `path`. Every string in it went through the
/// results stage's masking but the lint's and the title; a last pass over
/// the whole file, with the credential headers of every run, masks what any
/// other part holds.
pub(crate) fn write(a: &Attachment<'_>, path: &Path, secrets: &Secrets) -> std::io::Result<()> {
    let mut all = secrets.clone();
    all.extend_credentials(
        a.runs
            .iter()
            .flat_map(|r| &r.header_secrets)
            .map(String::as_str),
    );
    let text = serde_json::to_string(&document(a)).map_err(std::io::Error::other)?;
    std::fs::write(path, all.redact_json(&text).as_bytes())
}

/// A run and its requests, each with whether it failed, while the bound
/// decides what stays.
type Pending<'a> = (Run<'a>, Vec<(Request<'a>, bool)>);

/// The attachment, within its bound.
pub(crate) fn document<'a>(a: &'a Attachment<'a>) -> Results<'a> {
    let mut runs: Vec<Pending<'a>> = a
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let html = a.html.get(i).and_then(|h| h.as_deref());
            (
                Run::new(r, html),
                r.details
                    .iter()
                    .map(|d| (Request::from(d), d.failed()))
                    .collect(),
            )
        })
        .collect();
    let cut_bodies = a
        .runs
        .iter()
        .flat_map(|r| &r.details)
        .flat_map(|d| [&d.request, &d.response])
        .flatten()
        .filter(|m| m.body_truncated)
        .count();
    let mut truncated = Truncated {
        bodies: cut_bodies,
        requests: 0,
    };
    let mut doc = Results {
        cli_version: a.cli_version,
        lints: a.lints.iter().map(Lint::from).collect(),
        runs: Vec::new(),
        schema: SCHEMA,
        shard: a.shard.as_deref(),
        test_plan: a.test_plan.map(Into::into),
        title: a.title,
        truncated: Truncated::default(),
    };
    // One byte for each comma between requests.
    let mut total = size(&doc)
        + runs
            .iter()
            .map(|(r, reqs)| size(r) + reqs.iter().map(|(q, _)| size(q) + 1).sum::<usize>())
            .sum::<usize>()
        + 64;
    if total > a.limit {
        total = drop_bodies(&mut runs, total, a.limit, &mut truncated);
    }
    if total > a.limit {
        drop_requests(&mut runs, total, a.limit, &mut truncated);
    }
    doc.truncated = truncated;
    doc.runs = runs
        .into_iter()
        .map(|(mut r, reqs)| {
            r.requests = reqs.into_iter().map(|(q, _)| q).collect();
            r
        })
        .collect();
    doc
}

/// The size of `value` in the file.
fn size(value: &impl Serialize) -> usize {
    serde_json::to_vec(value).map_or(0, |b| b.len())
}

/// Leaves bodies out, largest first, until the file fits; returns its size.
fn drop_bodies(
    runs: &mut [Pending<'_>],
    mut total: usize,
    limit: usize,
    truncated: &mut Truncated,
) -> usize {
    // (run, request, response side, body length, already cut)
    let mut bodies: Vec<(usize, usize, bool, usize, bool)> = Vec::new();
    for (i, (_, reqs)) in runs.iter().enumerate() {
        for (j, (q, _)) in reqs.iter().enumerate() {
            for (response, message) in [(false, &q.request), (true, &q.response)] {
                if let Some(Message {
                    body: Some(body),
                    body_truncated,
                    ..
                }) = message
                {
                    bodies.push((i, j, response, body.len(), *body_truncated));
                }
            }
        }
    }
    bodies.sort_by_key(|b| std::cmp::Reverse(b.3));
    for (i, j, response, _, already_cut) in bodies {
        if total <= limit {
            break;
        }
        let q = &mut runs[i].1[j].0;
        let Some(message) = (if response {
            &mut q.response
        } else {
            &mut q.request
        }) else {
            continue;
        };
        let before = size(message);
        message.body = None;
        message.body_truncated = true;
        total = total.saturating_sub(before.saturating_sub(size(message)));
        if !already_cut {
            truncated.bodies += 1;
        }
    }
    total
}

/// Leaves requests out until the file fits: passed ones before failed
/// ones, each from the end.
fn drop_requests(
    runs: &mut [Pending<'_>],
    mut total: usize,
    limit: usize,
    truncated: &mut Truncated,
) {
    for want_failed in [false, true] {
        for (_, reqs) in runs.iter_mut().rev() {
            while total > limit {
                let Some(at) = reqs.iter().rposition(|(_, failed)| *failed == want_failed) else {
                    break;
                };
                let (q, _) = reqs.remove(at);
                total = total.saturating_sub(size(&q) + 1);
                truncated.requests += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::report::model::{Assertion, AssertionStatus, Message, RequestDetail};

    fn run_with(details: Vec<RequestDetail>) -> RunResult {
        let mut runs = crate::publish::junit::tests::sample_runs();
        let mut run = runs.remove(0);
        run.details = details;
        run
    }

    fn detail(i: usize, failed: bool, body: usize) -> RequestDetail {
        RequestDetail {
            iteration: 1,
            path: format!("R{i}"),
            method: "GET".into(),
            url: format!("http://api/{i}"),
            status: Some(if failed { 500 } else { 200 }),
            assertions: vec![Assertion {
                name: "ok".into(),
                status: if failed {
                    AssertionStatus::Failed
                } else {
                    AssertionStatus::Passed
                },
                message: failed.then(|| "expected 500 to be 200".into()),
            }],
            response: (body > 0).then(|| Message {
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: Some("b".repeat(body)),
                body_truncated: false,
                size: body as u64,
            }),
            ..RequestDetail::default()
        }
    }

    fn doc(runs: &[RunResult], limit: usize) -> (Value, usize) {
        let attachment = Attachment {
            title: "Postman",
            shard: Some("1/2".into()),
            cli_version: Some("1.62.0"),
            runs,
            html: &[],
            lints: &[],
            limit,
            test_plan: None,
        };
        let text = serde_json::to_string(&document(&attachment)).unwrap();
        (serde_json::from_str(&text).unwrap(), text.len())
    }

    #[test]
    fn the_schema_holds_runs_requests_and_detail() {
        let runs = [run_with(vec![detail(1, false, 0), detail(2, true, 10)])];
        let (v, _) = doc(&runs, usize::MAX);
        assert_eq!(v["schema"], 1);
        assert_eq!(v["shard"], "1/2");
        assert_eq!(v["truncated"], json!({"requests": 0, "bodies": 0}));
        let run = &v["runs"][0];
        assert_eq!(run["status"], "failed");
        assert_eq!(
            run["postmanUrl"],
            "https://go.postman.co/workspace/ws/run/1-abc"
        );
        assert_eq!(run["counts"]["total"], 3);
        let req = &run["requests"][1];
        assert_eq!(req["assertions"][0]["message"], "expected 500 to be 200");
        assert_eq!(req["response"]["body"], "bbbbbbbbbb");
        assert_eq!(
            req["response"]["headers"][0],
            json!(["Content-Type", "text/plain"])
        );
        assert_eq!(run["requests"][0]["response"], Value::Null);
    }

    #[test]
    fn the_bound_drops_bodies_then_passed_requests_and_says_so() {
        let details: Vec<RequestDetail> = (0..200)
            .map(|i| detail(i, i % 10 == 0, if i % 10 == 0 { 20_000 } else { 0 }))
            .collect();
        let runs = [run_with(details)];
        let (full, full_size) = doc(&runs, usize::MAX);
        assert!(full_size > 400_000);
        assert_eq!(full["truncated"]["bodies"], 0);

        // Bodies go first: the requests all stay.
        let (v, size) = doc(&runs, 200_000);
        assert!(size <= 200_000, "{size}");
        assert!(v["truncated"]["bodies"].as_u64().unwrap() > 0);
        assert_eq!(v["truncated"]["requests"], 0);
        assert_eq!(v["runs"][0]["requests"].as_array().unwrap().len(), 200);

        // Then passed requests, and failed ones are kept longest.
        let (v, size) = doc(&runs, 10_000);
        assert!(size <= 10_000, "{size}");
        let kept = v["runs"][0]["requests"].as_array().unwrap();
        let dropped = v["truncated"]["requests"].as_u64().unwrap() as usize;
        assert_eq!(kept.len() + dropped, 200);
        assert!(dropped > 0);
        let failed = kept.iter().filter(|r| r["status"] == 500).count();
        assert_eq!(failed, 20, "passed requests leave first");
    }

    #[test]
    fn the_file_name_is_unique_per_task_run() {
        assert_eq!(
            file_name(Path::new("/r/20261130-164207-aB3")),
            "postman-results-20261130-164207-aB3.json"
        );
    }
}
