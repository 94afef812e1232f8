//! Reads the results of a v3 collection run from the Postman CLI's YAML run
//! report (`--output <folder>`), strictly.
//!
//! `--output` works only for an Enterprise team (the CLI asks the runtime
//! agent's `/handshake/token` first) and cannot be combined with `-r`; when
//! the task may use it, it is a v3 run's richer record: headers and bodies
//! of every request, which the console report lacks.
//!
//! Measured with Postman CLI 1.62.0 (`lib/run/output/yaml/index.js`,
//! `transform.js`, `lib/reporters/util.js`; fixtures
//! `tests/fixtures/v3/yaml-exp.*`):
//! - **Two files**: `<prefix>.collection-run-summary.yaml`, one document
//!   (rewritten as the run goes: `state` is `pending`, `running`, then
//!   `completed`, `failed` or `aborted`), and
//!   `<prefix>.collection-run-executions.yaml`, a stream of documents: a
//!   header (`kind: postman-cli-collection-run-executions`), then one per
//!   executed request, appended as each ends.
//! - **An execution**: `iteration` (0-based), `item.id` (the request's id,
//!   or the random one the CLI gives an id-less request, as the console
//!   prints it), `item.folders` (empty for a v3 run, so the path comes from
//!   the collection, as for the console report), `request` (`method`,
//!   `url`, `headers`, `body`) or null after a pre-request script error,
//!   `response` (`code`, `status`, `responseTime`, `headers`, `body`) or
//!   null, `tests` (`name`, `status`: `passed`, `failed`, `skipped`), and
//!   `errors` with their `source` (`prerequest-script`, `request`,
//!   `test-script`) but *no message*: an `Error`'s message does not survive
//!   the CLI's YAML dump.
//! - **The summary's `failures`**: every failed assertion and error in run
//!   order, with `at`, the request (`source.id`) and the message, but no
//!   iteration. So each failure of an execution takes the next one, which
//!   must be about the same request and of the same kind.
//! - **Totals** (`stats`): `executedRequests` (executed, errors: request
//!   errors and requests whose pre-request script failed), `tests`
//!   (executed, skipped included; failed), `prerequestScripts.errors`,
//!   `postresponseScripts.errors`, `iterations.executed`, and
//!   `executionsRecorded`. What was read must add up to all of them, or
//!   [`parse`] fails with [`Unreadable`].

use std::io::Read;

mod execution;

use serde::Deserialize;

use self::execution::{Execution, read_execution};
use crate::plan::RequestDetails;
use crate::report::collect::Collector;
use crate::report::js_json::JsJson;
use crate::report::model::{ReadRun, Unreadable, unreadable};
use crate::resolve::v3::RunOrder;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Summary {
    kind: Option<String>,
    state: Option<String>,
    meta: Meta,
    stats: Stats,
    failures: Vec<SummaryFailure>,
    #[serde(rename = "executionsRecorded")]
    executions_recorded: Option<u64>,
    error: Option<ErrorDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Meta {
    #[serde(rename = "durationMs")]
    duration_ms: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Stats {
    iterations: StatRow,
    #[serde(rename = "executedRequests")]
    executed_requests: StatRow,
    #[serde(rename = "prerequestScripts")]
    prerequest_scripts: StatRow,
    #[serde(rename = "postresponseScripts")]
    postresponse_scripts: StatRow,
    tests: StatRow,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatRow {
    executed: u64,
    errors: u64,
    failed: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SummaryFailure {
    at: Option<String>,
    source: FailureSource,
    error: ErrorDoc,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct FailureSource {
    name: Option<String>,
    id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ErrorDoc {
    name: Option<String>,
    message: Option<String>,
    test: Option<String>,
    source: Option<String>,
}

/// A YAML run report, read as it is; when that fails, read again with
/// escapes of lone surrogates made visible text, which js-yaml writes and
/// serde_saphyr refuses (see [`crate::report::js_json`]). The first reading's error
/// stands when the second fails too.
pub(crate) fn read<'a>(
    mut summary: std::fs::File,
    mut executions: std::fs::File,
    order: &impl Fn() -> RunOrder<'a>,
    keep: RequestDetails,
) -> Result<ReadRun, Unreadable> {
    use std::io::{BufReader, Seek};
    let first = match parse(
        BufReader::new(&summary),
        BufReader::new(&executions),
        &mut order(),
        keep,
    ) {
        Ok(run) => return Ok(run),
        Err(e) => e,
    };
    if summary.rewind().is_err() || executions.rewind().is_err() {
        return Err(first);
    }
    parse(
        JsJson::escapes_only(BufReader::new(&summary)),
        JsJson::escapes_only(BufReader::new(&executions)),
        &mut order(),
        keep,
    )
    .map_err(|_| first)
}

/// Reads a run's YAML report. `requests` names each request by its id, as
/// for the console report. Only a report that adds up to its own totals is
/// read; `keep` says which requests keep their headers and bodies.
pub(crate) fn parse(
    summary: impl Read,
    mut executions: impl Read,
    requests: &mut RunOrder<'_>,
    keep: RequestDetails,
) -> Result<ReadRun, Unreadable> {
    let summary: Summary = serde_saphyr::from_reader(summary)
        .map_err(|e| Unreadable(format!("the run summary is not valid YAML: {e}")))?;
    if summary.kind.as_deref() != Some("postman-cli-collection-run-summary") {
        return unreadable("the run summary is not a Postman CLI run summary");
    }
    match summary.state.as_deref() {
        Some("completed" | "failed") => {}
        other => {
            return unreadable(format!(
                "the run summary says the run is `{}`, not finished",
                other.unwrap_or("?")
            ));
        }
    }
    let mut failures = summary.failures.iter();
    let mut collector = Collector::new(keep);
    let mut counted = Counted::default();
    let mut header_seen = false;
    for doc in serde_saphyr::read::<_, Execution>(&mut executions) {
        let doc = doc.map_err(|e| Unreadable(format!("the executions are not valid YAML: {e}")))?;
        if doc.kind.is_some() {
            if header_seen || doc.kind.as_deref() != Some("postman-cli-collection-run-executions") {
                return unreadable("the executions file has an unexpected header");
            }
            header_seen = true;
            continue;
        }
        if !header_seen {
            return unreadable("the executions file has no header");
        }
        let (seen, cases) = read_execution(doc, requests, &mut failures, &mut counted)?;
        collector.request(seen, cases);
    }
    if failures.next().is_some() {
        return unreadable("the run summary lists failures that no execution has");
    }
    let stats = &summary.stats;
    let checks = [
        (
            "requests",
            counted.requests,
            stats.executed_requests.executed,
        ),
        (
            "recorded executions",
            counted.requests,
            summary.executions_recorded.unwrap_or(u64::MAX),
        ),
        (
            "failed requests",
            counted.failed_requests,
            stats.executed_requests.errors,
        ),
        ("tests", counted.tests, stats.tests.executed),
        ("failed tests", counted.failed_tests, stats.tests.failed),
        (
            "pre-request script errors",
            counted.prerequest_errors,
            stats.prerequest_scripts.errors,
        ),
        (
            "test script errors",
            counted.test_script_errors,
            stats.postresponse_scripts.errors,
        ),
    ];
    for (what, read, total) in checks {
        if read != total {
            return unreadable(format!(
                "{read} {what} were read but the run summary says {total}"
            ));
        }
    }
    let iterations = stats.iterations.executed;
    if counted.last_iteration > iterations {
        return unreadable("an execution is in an iteration the run summary does not count");
    }
    let mut run = collector.finish();
    run.iterations = u32::try_from(iterations).unwrap_or(u32::MAX);
    run.requests = counted.requests;
    run.duration_ms = summary.meta.duration_ms.map(|ms| ms.round() as u64);
    run.run_error = summary.error.as_ref().map(|e| {
        e.message
            .clone()
            .or_else(|| e.name.clone())
            .unwrap_or_default()
    });
    Ok(run)
}

/// What was read, against the summary's totals.
#[derive(Default)]
pub(super) struct Counted {
    pub(super) requests: u64,
    pub(super) failed_requests: u64,
    pub(super) tests: u64,
    pub(super) failed_tests: u64,
    pub(super) prerequest_errors: u64,
    pub(super) test_script_errors: u64,
    pub(super) last_iteration: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Counts;
    use crate::report::model::{Status, TestCase};
    use crate::resolve::v3::{V3Collection, fixture};

    fn read(name: &str) -> String {
        std::fs::read_to_string(fixture(name)).unwrap()
    }

    fn run_with(summary: &str, executions: &str) -> Result<ReadRun, Unreadable> {
        let c = V3Collection::read(&fixture("exp-collection")).unwrap();
        parse(
            summary.as_bytes(),
            executions.as_bytes(),
            &mut c.run_order(&[]),
            RequestDetails::All,
        )
    }

    fn summary() -> String {
        read("yaml-exp.collection-run-summary.yaml")
    }

    fn executions() -> String {
        read("yaml-exp.collection-run-executions.yaml")
    }

    #[test]
    fn the_captured_report_gives_the_console_readers_cases() {
        let yaml = run_with(&summary(), &executions()).unwrap();
        let c = V3Collection::read(&fixture("exp-collection")).unwrap();
        let console = crate::report::cli_report::parse(
            &read("run-exp-with-output.txt"),
            &mut c.run_order(&[]),
            RequestDetails::Failed,
        )
        .unwrap();
        let strip = |cases: &[TestCase]| {
            cases
                .iter()
                .map(|c| {
                    let status = match &c.status {
                        Status::Failed(f) => format!("{:?}: {}", f.kind, f.message),
                        other => format!("{other:?}"),
                    };
                    format!("{} | {} › {} | {status}", c.iteration, c.request, c.name)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&yaml.cases), strip(&console.cases));
        assert_eq!(yaml.requests, 14);
        assert_eq!(yaml.iterations, 2);
        let counts = Counts::of(&yaml.cases);
        assert_eq!(
            (counts.total, counts.failed, counts.skipped),
            (20, 9, 2),
            "{:#?}",
            strip(&yaml.cases)
        );
    }

    #[test]
    fn request_detail_has_headers_and_bodies() {
        let yaml = run_with(&summary(), &executions()).unwrap();
        let add = yaml
            .details
            .iter()
            .find(|d| d.path.ends_with("Add (2) items"))
            .unwrap();
        assert_eq!(add.method, "POST");
        assert_eq!(add.status, Some(200));
        assert_eq!(add.status_text.as_deref(), Some("OK"));
        let request = add.request.as_ref().unwrap();
        assert_eq!(request.body.as_deref(), Some(r#"{"qty": 1}"#));
        assert!(request.headers.iter().any(|(k, _)| k == "Content-Type"));
        let response = add.response.as_ref().unwrap();
        assert_eq!(response.body.as_deref(), Some(r#"{"ok": true}"#));
        let pre = yaml
            .details
            .iter()
            .find(|d| d.path.ends_with("Pre fails"))
            .unwrap();
        assert!(pre.request.is_none() && pre.response.is_none());
        assert_eq!(pre.errors[0].1, "pre boom");
    }

    #[test]
    fn a_lone_surrogate_escape_is_read_as_visible_text() {
        // js-yaml writes a lone surrogate as an escape; serde_saphyr refuses
        // it, so the report is read again with it made visible.
        let odd = executions().replacen(
            "  - name: responds 200\n",
            "  - name: \"responds 200 \\uD800\"\n",
            1,
        );
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::File::open(path).unwrap()
        };
        assert!(
            run_with(&summary(), &odd).is_err(),
            "read as it is, it fails"
        );
        let c = V3Collection::read(&fixture("exp-collection")).unwrap();
        let run = super::read(
            file("s.yaml", &summary()),
            file("e.yaml", &odd),
            &|| c.run_order(&[]),
            RequestDetails::None,
        )
        .unwrap();
        assert!(
            run.cases.iter().any(|c| c.name == r"responds 200 \uD800"),
            "{:#?}",
            run.cases
        );
        assert_eq!(run.cases.len(), 20);
    }

    #[test]
    fn a_report_that_does_not_add_up_is_unreadable() {
        // One passed test fewer than the totals count.
        let fewer = executions().replacen("  - name: responds 200\n    status: passed\n", "", 1);
        let e = run_with(&summary(), &fewer).unwrap_err();
        assert!(e.0.contains("tests were read"), "{e}");
        // A failure turned into a pass.
        let forged = executions().replacen("    status: failed\n", "    status: passed\n", 1);
        assert!(run_with(&summary(), &forged).is_err());
        // An execution missing at the end (the run was cut short).
        let exec = executions();
        let cut = &exec[..exec.rfind("\n---\n").unwrap() + 1];
        assert!(run_with(&summary(), cut).is_err());
        // A summary still being written.
        let running = summary().replacen("state: failed", "state: running", 1);
        assert!(
            run_with(&running, &executions())
                .unwrap_err()
                .0
                .contains("running")
        );
        // Not YAML at all.
        assert!(run_with("{{{", &executions()).is_err());
    }
}
