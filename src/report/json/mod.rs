//! Reads the Postman CLI's native JSON report (`-r json`) into test cases,
//! one execution at a time.
//!
//! The report's `run.executions` array holds one entry per request per
//! iteration, with its assertions (`tests`) and its request and script
//! errors (`errors`). It can be large, so it is streamed through a serde
//! visitor: each execution becomes [`TestCase`]s, handed to the
//! [`Collector`], as soon as it is read, and the raw entry is dropped.
//!
//! The CLI writes it with `JSON.stringify`, so it can hold what JavaScript
//! allows and JSON parsers refuse (a lone surrogate `"\\ud800"`); it is
//! read through [`JsJson`], which makes every such character visible text.
//! The report is written only when a run ends without a fatal error
//! (`lib/run/index.js` emits `beforeDone`, on which the reporter writes,
//! only then), so its existence is the CLI's word that the run ended.

use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

mod execution;

use self::execution::{Execution, error_text};
use super::collect::Collector;
use super::js_json::JsJson;
use super::model::{ReadRun, Status, Unreadable};
use crate::plan::RequestDetails;
use crate::resolve::collection::RequestPaths;

/// Assertions, as the report's summary counts them (`run.summary.tests`),
/// or as the cases read from its executions count them.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
struct Totals {
    #[serde(default)]
    executed: u64,
    #[serde(default)]
    failed: u64,
    #[serde(default)]
    skipped: u64,
}

/// The assertions read must be the assertions the CLI counted: a report
/// that does not add up is not read as a pass.
fn check_totals(run: &ReadRun, expected: Option<Totals>) -> Result<(), Unreadable> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let mut read = Totals::default();
    for case in run.cases.iter().filter(|c| c.is_assertion()) {
        read.executed += 1;
        match case.status {
            Status::Failed(_) => read.failed += 1,
            Status::Skipped => read.skipped += 1,
            Status::Passed => {}
        }
    }
    if read == expected {
        return Ok(());
    }
    super::model::unreadable(format!(
        "it does not add up: it counts {} assertions ({} failed, {} skipped), but its executions hold {} ({} failed, {} skipped)",
        expected.executed,
        expected.failed,
        expected.skipped,
        read.executed,
        read.failed,
        read.skipped
    ))
}

/// Reads a report, streaming, and checks that it adds up. `request_paths`
/// names requests by their folders when the collection is at hand; `keep`
/// says which requests keep their headers and bodies.
pub(crate) fn read(
    reader: impl Read,
    request_paths: &mut RequestPaths,
    keep: RequestDetails,
) -> Result<ReadRun, Unreadable> {
    let mut state = State {
        collector: Collector::new(keep),
        paths: request_paths,
        totals: None,
    };
    let reader = JsJson::new(std::io::BufReader::with_capacity(256 * 1024, reader));
    let mut de = serde_json::Deserializer::from_reader(reader);
    TopSeed(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| Unreadable(format!("it is not in the expected format: {e}")))?;
    let totals = state.totals;
    let mut run = state.collector.finish();
    if run.iterations == 0 {
        run.iterations = run.cases.iter().map(|c| c.iteration).max().unwrap_or(0);
    }
    check_totals(&run, totals)?;
    Ok(run)
}

/// What the visitors fill in as they go.
struct State<'a> {
    collector: Collector,
    paths: &'a mut RequestPaths,
    /// The CLI's own count of assertions, when the report gives one.
    totals: Option<Totals>,
}

struct TopSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Postman CLI JSON report")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut saw_run = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "run" {
                saw_run = true;
                map.next_value_seed(RunSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !saw_run {
            return Err(de::Error::missing_field("run"));
        }
        Ok(())
    }
}

struct RunSeed<'s, 'a>(&'s mut State<'a>);

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(rename = "collectionName")]
    collection_name: Option<String>,
    started: Option<i64>,
    duration: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Summary {
    iterations: Option<Executed>,
    #[serde(rename = "executedRequests")]
    executed_requests: Option<Executed>,
    tests: Option<Totals>,
}

#[derive(Deserialize, Default)]
struct Executed {
    executed: Option<u64>,
}

impl<'de> DeserializeSeed<'de> for RunSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RunSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the report's `run` object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "meta" => {
                    let meta: Option<Meta> = map.next_value()?;
                    let meta = meta.unwrap_or_default();
                    let run = self.0.collector.run();
                    run.started_ms = meta.started;
                    run.collection_name = meta.collection_name.filter(|n| !n.trim().is_empty());
                    run.duration_ms = meta.duration;
                }
                "summary" => {
                    let s: Option<Summary> = map.next_value()?;
                    let s = s.unwrap_or_default();
                    let n = |e: Option<Executed>| e.and_then(|e| e.executed).unwrap_or(0);
                    let run = self.0.collector.run();
                    run.iterations = u32::try_from(n(s.iterations)).unwrap_or(u32::MAX);
                    run.requests = n(s.executed_requests);
                    self.0.totals = s.tests;
                }
                "executions" => map.next_value_seed(ExecutionsSeed(&mut *self.0))?,
                "runError" => {
                    let e: Option<serde_json::Value> = map.next_value()?;
                    self.0.collector.run().run_error =
                        e.filter(|v| !v.is_null()).map(|v| error_text(&v));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct ExecutionsSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for ExecutionsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ExecutionsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the report's `executions` list")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(execution) = seq.next_element::<Execution>()? {
            let (seen, cases) = execution.read(&mut *self.0.paths);
            self.0.collector.request(seen, cases);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape the real CLI 1.62 writes (trimmed: no headers or bodies).
    const REPORT: &str = r#"{"run":{
      "meta":{"collectionId":"1111","collectionName":"Demo API","started":1795610759579,"completed":1795610759829,"duration":250},
      "summary":{"iterations":{"executed":2,"errors":0},"executedRequests":{"executed":4,"errors":1}},
      "executions":[
        {"iterationCount":0,"requestExecuted":{"id":"r1","name":"Fails","url":{"protocol":"http","port":"18080","path":["bad"],"host":["127","0","0","1"],"query":[]},"method":"GET"},
         "response":{"status":"Internal Server Error","code":500,"responseTime":6,"stream":{"type":"Buffer","data":[1,2]}},
         "tests":[{"name":"status is 200","error":{"name":"AssertionError","index":0,"test":"status is 200","message":"expected response to have status code 200 but got 500","stack":"AssertionError: expected response to have status code 200 but got 500\n   at Object.eval sandbox-script.js:1:2)"},"status":"failed"},{"name":"always ok","status":"passed"},{"name":"later","status":"skipped"}],
         "errors":[]},
        {"iterationCount":0,"requestExecuted":{"id":"r2","name":"Script err","method":"GET","url":"http://x/ok"},"response":{"code":200,"status":"OK","responseTime":5},
         "tests":[],"errors":[{"type":"Error","name":"Error","message":"boom","source":"post-response"}]},
        {"iterationCount":1,"requestExecuted":{"id":"r3","name":"Req err","method":"GET","url":{"protocol":"http","host":["127","0","0","1"],"port":"9","path":["x"]}},
         "tests":[{"name":"t","status":"passed"}],
         "errors":[{"errno":-111,"code":"ECONNREFUSED","name":"Error","message":"connect ECONNREFUSED 127.0.0.1:9","stack":"Error: connect ECONNREFUSED 127.0.0.1:9\n    at TCPConnectWrap.afterConnect","source":"request"}]}
      ],
      "runError":null}}"#;

    #[test]
    fn every_assertion_and_error_becomes_a_case() {
        let mut paths = crate::resolve::collection::Collection::parse(
            br#"{"info":{"name":"Demo API"},"item":[{"name":"Folder A","item":[{"id":"r1","name":"Fails","request":{}}]}]}"#,
        )
        .unwrap()
        .request_paths();
        let s = read(REPORT.as_bytes(), &mut paths, RequestDetails::Failed).unwrap();
        assert_eq!((s.iterations, s.requests, s.duration_ms), (2, 4, Some(250)));
        assert_eq!(s.collection_name.as_deref(), Some("Demo API"));
        assert_eq!(s.run_error, None);
        let rendered: Vec<String> = s
            .cases
            .iter()
            .map(|c| match &c.status {
                Status::Failed(f) => format!(
                    "{} › {} #{} FAILED {} {}\n  {}",
                    c.request,
                    c.name,
                    c.iteration,
                    f.kind.as_str(),
                    f.message,
                    f.detail.replace('\n', "\n  ")
                ),
                other => format!("{} › {} #{} {other:?}", c.request, c.name, c.iteration),
            })
            .collect();
        insta::assert_snapshot!(rendered.join("\n"));
    }

    #[test]
    fn a_requests_time_is_shared_among_its_cases_and_counted_once() {
        let s = read(
            REPORT.as_bytes(),
            &mut RequestPaths::default(),
            crate::plan::RequestDetails::None,
        )
        .unwrap();
        let times: Vec<u64> = s.cases.iter().map(|c| c.time_ms).collect();
        // 6 ms over three assertions, 5 ms on one script error, and no
        // response (so no time) for the request that failed.
        assert_eq!(times, [2, 2, 2, 5, 0, 0]);
        assert_eq!(times.iter().sum::<u64>(), 6 + 5);
        assert_eq!(
            crate::report::model::shares(7, 3).collect::<Vec<_>>(),
            [3, 2, 2]
        );
        assert_eq!(
            crate::report::model::shares(2, 3).collect::<Vec<_>>(),
            [1, 1, 0]
        );
        assert_eq!(crate::report::model::shares(9, 0).collect::<Vec<_>>(), [9]);
    }

    #[test]
    fn without_the_tree_an_unnamed_request_is_named_by_method_and_url() {
        let report = r#"{"run":{"executions":[
            {"requestExecuted":{"id":"8606f9eb-9d49-40c9-ace7-2827cce4b5d4","method":"POST","url":"http://x/orders"},
             "tests":[{"name":"ok","status":"passed"}]}]}}"#;
        let s = read(
            report.as_bytes(),
            &mut RequestPaths::default(),
            crate::plan::RequestDetails::None,
        )
        .unwrap();
        assert_eq!(s.cases[0].request, "POST http://x/orders");
    }

    #[test]
    fn a_report_that_does_not_add_up_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let with_totals = |totals: &str| {
            REPORT.replace(
                r#""executedRequests":{"executed":4,"errors":1}}"#,
                &format!(r#""executedRequests":{{"executed":4,"errors":1}},"tests":{totals}}}"#),
            )
        };
        std::fs::write(
            &path,
            with_totals(r#"{"executed":4,"failed":1,"passed":2,"skipped":1}"#),
        )
        .unwrap();
        let read = |path: &std::path::Path| {
            read(
                std::fs::File::open(path).unwrap(),
                &mut RequestPaths::default(),
                RequestDetails::Failed,
            )
        };
        assert!(read(&path).is_ok());
        std::fs::write(
            &path,
            with_totals(r#"{"executed":5,"failed":2,"passed":2,"skipped":1}"#),
        )
        .unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.starts_with("it does not add up"), "{err}");
        assert!(
            err.contains("counts 5 assertions (2 failed, 1 skipped), but its executions hold 4 (1 failed, 1 skipped)"),
            "{err}"
        );
    }

    /// Headers and bodies, as the CLI writes them without
    /// `--reporter-json-omitAllHeadersAndBody`.
    const DETAILED: &str = r#"{"run":{"summary":{"executedRequests":{"executed":2}},"executions":[
        {"iterationCount":0,"requestExecuted":{"id":"a","name":"Passes","method":"POST","url":"http://x/ok",
          "headers":[{"key":"Authorization","value":"Bearer tok-passed-1"},{"key":"Accept","value":"*/*","system":true}],
          "body":{"mode":"raw","raw":"{\"q\":1}"}},
         "response":{"code":200,"status":"OK","responseTime":3,"headers":[{"key":"Content-Type","value":"application/json"}],
          "stream":{"type":"Buffer","data":[123,34,111,107,34,58,116,114,117,101,125]}},
         "tests":[{"name":"ok","status":"passed"}],"errors":[]},
        {"iterationCount":0,"requestExecuted":{"id":"b","name":"Fails","method":"GET","url":"http://x/bad",
          "headers":[{"key":"Cookie","value":"sid=c00kie-v4lue"}]},
         "response":{"code":500,"status":"Internal Server Error","responseTime":4,
          "headers":[{"key":"Set-Cookie","value":"next=s3t-c00kie; Path=/"}],
          "stream":{"type":"Buffer","data":[123,34,101,34,58,49,125]}},
         "tests":[{"name":"is 200","status":"failed","error":{"message":"expected 500 to be 200"}}],"errors":[]}
      ]}}"#;

    #[test]
    fn requests_keep_their_detail_as_asked() {
        let read = |keep| read(DETAILED.as_bytes(), &mut RequestPaths::default(), keep).unwrap();
        let s = read(RequestDetails::Failed);
        assert_eq!(s.details.len(), 2);
        let (passed, failed) = (&s.details[0], &s.details[1]);
        assert_eq!(
            (
                passed.method.as_str(),
                passed.url.as_str(),
                passed.status,
                passed.time_ms
            ),
            ("POST", "http://x/ok", Some(200), Some(3))
        );
        assert!(!passed.failed() && passed.request.is_none() && passed.response.is_none());
        assert!(failed.failed());
        assert_eq!(
            failed.assertions[0].message.as_deref(),
            Some("expected 500 to be 200")
        );
        let response = failed.response.as_ref().unwrap();
        // As the API sent it: the tab pretty-prints JSON itself.
        assert_eq!(response.body.as_deref(), Some(r#"{"e":1}"#));
        assert_eq!((response.size, response.body_truncated), (7, false));
        assert_eq!(
            failed.request.as_ref().unwrap().headers,
            [("Cookie".to_owned(), "sid=c00kie-v4lue".to_owned())]
        );
        // Credential headers of every request are secrets of the run.
        for v in ["tok-passed-1", "c00kie-v4lue", "s3t-c00kie"] {
            assert!(
                s.header_secrets.iter().any(|h| h == v),
                "{v}: {:?}",
                s.header_secrets
            );
        }

        let all = read(RequestDetails::All);
        let request = all.details[0].request.as_ref().unwrap();
        assert_eq!(request.body.as_deref(), Some(r#"{"q":1}"#));
        assert_eq!(request.headers.len(), 2);
        let none = read(RequestDetails::None);
        assert!(
            none.details
                .iter()
                .all(|d| d.request.is_none() && d.response.is_none())
        );
        assert_eq!(none.cases, s.cases);
    }

    #[test]
    fn run_errors_and_odd_shapes_are_tolerated() {
        let s = read(
            br#"{"run":{"executions":null,"runError":{"name":"Error","message":"callback timed out"},"extra":[1]}}"#.as_slice(),
            &mut RequestPaths::default(),
            RequestDetails::Failed,
        )
        .unwrap();
        assert_eq!(s.run_error.as_deref(), Some("callback timed out"));
        assert!(s.cases.is_empty());
        assert!(
            read(
                b"{}".as_slice(),
                &mut RequestPaths::default(),
                RequestDetails::Failed
            )
            .is_err()
        );
        assert!(
            read(
                br#"{"run":{"executions":[{"tests":7}]}}"#.as_slice(),
                &mut RequestPaths::default(),
                RequestDetails::Failed
            )
            .is_err()
        );
    }
}
