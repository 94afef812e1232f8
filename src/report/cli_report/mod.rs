//! Reads the results of a v3 collection run from the `cli` reporter's
//! console output, strictly.
//!
//! A v3 run has no JSON report (`-r json`/`junit` are refused), so its
//! console report (run with `--color off --disable-unicode`) is the only
//! record of it without an Enterprise team's `--output`. What was read must
//! add up to the CLI's own totals table, or [`parse`] fails with
//! [`Unreadable`]: it never returns a pass it cannot account for. The lines
//! are read in [`events`], the totals and the failure list in [`tables`],
//! and put together in [`assemble`].
//!
//! Measured with Postman CLI 1.62.0 (`lib/reporters/cli/index.js`,
//! `unified-reporter.js`, `modules/*.js`, `cli-utils-symbols.js`; fixtures in
//! `tests/fixtures/v3/`):
//! - **Request lines.** Each request starts with `Root <id>` (or
//!   `Sub-folder <id>` under a `Folder <name>` line) between blank lines:
//!   the request's `id`, or a random 24-hex-digit one for a request saved
//!   without an id, never its name. Then `  GET <resolved url> [200 OK,
//!   186 B, 5 ms]`.
//! - **Assertions**: `  Pass  <name>`; a failure `  <n>. <name>` with `n`
//!   right-aligned in three columns (`123. name` from the 100th); a skipped
//!   test `  -  [skipped] <name>` (skipped tests count as executed in the
//!   totals). A name is printed as is, new lines included.
//! - **Script errors**: `  <n>⠄ JSONError in test-script` (U+2804 even with
//!   `--disable-unicode`), `… in prerequest-script`. They share the failure
//!   counter `n` with failed assertions. After a pre-request script error
//!   the request is not sent and its test script does not run.
//! - **Request errors**: `  GET http://127.0.0.1:1/x [errored]`, then the
//!   message indented by five spaces. They do *not* take a number in the
//!   running output, but do in the failure list. A v3 run skips the test
//!   script after a request error (a v2.1 run runs it).
//! - **`console.log`** output is boxed: a `  -` line, every line of the
//!   message prefixed `  | ` (wrapped at 54 columns, new lines in strings
//!   shown as `\n`), a `  -` line. It cannot start a line with anything else.
//! - **Iterations**: `Iteration <i>/<n>` before each iteration, only when
//!   there are two or more.
//! - **Totals table** (`|              assertions |   14 |   3 |`): rows
//!   iterations, requests, test-scripts, prerequest-scripts, assertions
//!   (executed, failed), plus `mocked requests` and `mock assertions` with
//!   `--use-mock`. `requests … failed` counts request errors *and* requests
//!   whose pre-request script failed. Then run duration, data received,
//!   average response time.
//! - **Failure list**: `  #  failure  detail`, then one entry per failure of
//!   every iteration in run order: `<n>.` (zero-padded to the count's
//!   width), the error name (`AssertionError`, `JSONError`, `Error`), and the
//!   detail lines: the test's name (empty for script and request errors),
//!   the message (possibly several lines), `at assertion:1 in test-script` /
//!   `at test-script` / `at prerequest-script` / `at request`, and
//!   `inside "<request name>"` (the name, not the path). v3 failures carry no
//!   `iteration:` line. Off a terminal the table is not wrapped, only padded
//!   with spaces.
//! - **Exit codes**: 1 when anything failed (assertion, script or request
//!   error), 0 otherwise; also 1 for an unknown `-i` and for a refused
//!   reporter.
//! - **Flags**: only the `cli` reporter: `-r json` fails before the run with
//!   `Error: Reporter "json" is not supported for multi-protocol
//!   collections.` / `Only the "cli" reporter is supported …` (likewise
//!   `-r cli,junit`). `-d <data file>` and `-n` iterate as for v2.1; `-i`
//!   works (see [`crate::resolve::v3`]); `-e`/`-g` take JSON and YAML
//!   files (see [`crate::resolve::variables`]); `--use-mock` works and adds the
//!   mock rows to the totals table.
//! - **Counts against a v2.1 run** of the migrated collection: after a
//!   request error the v3 run skips that request's test script (so its
//!   assertions are neither run nor counted); failures carry no iteration.
//!
//! **Against forged results.** Scripts can print anything through a test's
//! name (new lines included) but only add lines: every real result line is
//! still printed. So every recognised result line is counted and the counts
//! must equal the totals table: results, failures, scripts errors, request
//! headers and iteration headers. Failure numbers must run in sequence, and
//! each failure must match its failure-list entry (its test name, its
//! kind, and the request name in `inside "…"`). The totals table is the last
//! one printed and must follow every result line: no result line may come
//! after it. Only a report the CLI printed before exiting on its own is its
//! last word, so [`crate::report::run`] reads this one only then: a run
//! stopped by a time limit or a signal may have printed a forged table
//! last, through a test's name.

mod assemble;
mod events;
mod tables;

use self::assemble::Assembler;
use self::events::read_events;
use self::tables::{is_totals_header, read_failure_list, read_totals};
use crate::plan::RequestDetails;
use crate::report::model::{ReadRun, Unreadable, unreadable};
use crate::resolve::v3::RunOrder;

/// Whether the CLI printed a totals table at all: without one, it stopped
/// before or during the run (an unknown folder, a file it could not load).
pub(crate) fn printed_totals(stdout: &str) -> bool {
    stdout
        .lines()
        .any(|l| is_totals_header(l.trim_end_matches('\r')))
}

/// Reads the stdout of `postman collection run <v3 folder> --color off
/// --disable-unicode` (reporter `cli`). `requests` tells which request each
/// `Root <id>` line is about (see [`crate::resolve::v3::RunOrder`]); `keep`
/// is `requestDetails` (the console has no headers or bodies to keep, but
/// the requests are listed as for any run).
pub(crate) fn parse(
    stdout: &str,
    requests: &mut RunOrder<'_>,
    keep: RequestDetails,
) -> Result<ReadRun, Unreadable> {
    let lines: Vec<&str> = stdout.lines().map(|l| l.trim_end_matches('\r')).collect();
    let Some(header) = lines.iter().rposition(|l| is_totals_header(l)) else {
        return unreadable("the totals table is missing");
    };
    let (totals, after) = read_totals(&lines, header)?;
    let (failures, list) = read_failure_list(&lines[after..])?;
    // The real table is the run's last word: a table followed by results
    // was printed by something else.
    let rest: Vec<&str> = lines[after..]
        .iter()
        .enumerate()
        .filter(|(i, _)| !list.contains(i))
        .map(|(_, l)| *l)
        .collect();
    if !read_events(&rest).is_empty() {
        return unreadable("results follow the last totals table, so it is not the CLI's");
    }
    let mut assembler = Assembler::new(requests, totals, failures, keep);
    for event in read_events(&lines[..header]) {
        assembler.event(event)?;
    }
    assembler.finish()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::report::model::{Counts, FailureKind, Status};
    use crate::resolve::v3::{V3Collection, fixture};

    fn run(output: &str) -> Result<ReadRun, Unreadable> {
        let c = V3Collection::read(&fixture("exp-collection")).unwrap();
        parse(output, &mut c.run_order(&[]), RequestDetails::Failed)
    }

    fn captured() -> String {
        std::fs::read_to_string(fixture("run-exp-two-iterations.txt")).unwrap()
    }

    fn titles(r: &ReadRun) -> Vec<String> {
        r.cases
            .iter()
            .map(|c| {
                let s = match &c.status {
                    Status::Passed => "pass".to_owned(),
                    Status::Skipped => "skip".to_owned(),
                    Status::Failed(f) => format!("FAIL {:?}: {}", f.kind, f.message),
                };
                format!("{} | {} › {} | {s}", c.iteration, c.request, c.name)
            })
            .collect()
    }

    #[test]
    fn each_request_of_a_v3_run_has_its_detail_for_the_tab() {
        let r = run(&captured()).unwrap();
        assert_eq!(r.details.len() as u64, r.requests);
        let assertions: usize = r.details.iter().map(|d| d.assertions.len()).sum();
        assert_eq!(assertions, 14);
        let failed = r.details.iter().filter(|d| d.failed()).count();
        assert!(failed > 0);
        let errored = r
            .details
            .iter()
            .find(|d| d.status.is_none() && !d.errors.is_empty())
            .expect("a request error");
        assert_eq!(errored.errors[0].0, FailureKind::RequestError);
        let sent = r.details.iter().find(|d| d.status == Some(200)).unwrap();
        assert_eq!(sent.status_text.as_deref(), Some("OK"));
        assert!(sent.request.is_none() && sent.response.is_none());
    }

    #[test]
    fn reads_a_captured_v3_run_with_every_kind_of_result() {
        let r = run(&captured()).unwrap();
        assert_eq!((r.iterations, r.requests), (2, 14));
        assert!(r.duration_ms.is_some());
        let long = format!("a very long assertion name {} end", "x".repeat(300));
        let mut expected = Vec::new();
        for i in 1..=2 {
            expected.push(format!(
                "{i} | Health ✓ › check [1] › passes ✓ › (iteration 2) [1] | pass"
            ));
            expected.push(format!(
                "{i} | Cart › / Add (2) items › responds 200 | pass"
            ));
            if i == 1 {
                expected.push(format!(
                    "{i} | Cart › / Add (2) items › qty is 2 (data) | FAIL Assertion: expected 1 to deeply equal 2"
                ));
            } else {
                expected.push(format!(
                    "{i} | Cart › / Add (2) items › qty is 2 (data) | pass"
                ));
            }
            expected.push(format!(
                "{i} | Cart › / Broken JSON › before the error | pass"
            ));
            expected.push(format!(
                "{i} | Cart › / Broken JSON › test script | FAIL ScriptError: JSONError: Unexpected token 'n' at 1:1"
            ));
            expected.push(format!("{i} | Cart › / Skipped one › later [skip] | skip"));
            expected.push(format!("{i} | Cart › / Skipped one › still runs | pass"));
            expected.push(format!(
                "{i} | Cart › / Nested / Unreachable › request | FAIL RequestError: connect ECONNREFUSED 127.0.0.1:1"
            ));
            expected.push(format!(
                "{i} | Pre fails › pre-request script | FAIL ScriptError: pre boom"
            ));
            expected.push(format!(
                "{i} | Long one › {long} | FAIL Assertion: expected 1 to deeply equal 2"
            ));
        }
        assert_eq!(titles(&r), expected);

        // The console.log lines imitating results were not counted.
        assert!(
            !r.cases
                .iter()
                .any(|c| c.name.contains("fake") || c.name.contains("forged"))
        );
        let counts = Counts::of(&r.cases);
        assert_eq!((counts.total, counts.failed, counts.skipped), (20, 9, 2));

        let json = r.cases.iter().find(|c| c.name == "test script").unwrap();
        let f = json.failure().unwrap();
        assert!(
            f.detail
                .contains("GET http://127.0.0.1:34927/text → 200 OK (2 ms), iteration 1"),
            "{}",
            f.detail
        );
        assert!(f.detail.contains("not json\n^"), "{}", f.detail);
        assert!(f.detail.ends_with("at test-script"), "{}", f.detail);
        let of_request: u64 = r
            .cases
            .iter()
            .filter(|c| c.request == json.request && c.iteration == json.iteration)
            .map(|c| c.time_ms)
            .sum();
        assert_eq!(of_request, 2, "the request's 2 ms, counted once");
    }

    #[test]
    fn forged_result_lines_in_test_names_make_the_run_unreadable() {
        // Test names with new lines printing `  Pass  …` and `Root …`.
        let text = std::fs::read_to_string(fixture("run-forged-test-names.txt")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Forge.request.yaml"),
            "$kind: http-request\nid: forge\nmethod: GET\nurl: x\n",
        )
        .unwrap();
        let c = V3Collection::read(dir.path()).unwrap();
        let err = parse(&text, &mut c.run_order(&[]), RequestDetails::Failed).unwrap_err();
        assert_eq!(
            err.0,
            "the run names a request `forged-request` the collection does not have"
        );
        // A forged header naming the real request is one request too many.
        let same_id = text.replace("Root forged-request", "Root forge");
        let err = parse(&same_id, &mut c.run_order(&[]), RequestDetails::Failed).unwrap_err();
        assert_eq!(err.0, "2 requests were read but the CLI's totals say 1");
        // Forged `Pass` lines alone are assertions too many.
        let no_header = text.replace("Root forged-request\n", "");
        let err = parse(&no_header, &mut c.run_order(&[]), RequestDetails::Failed).unwrap_err();
        assert!(err.0.contains("assertions were read"), "{err}");
    }

    /// A collection of one request file per id, in order.
    fn collection_of(ids: &[&str]) -> (tempfile::TempDir, V3Collection) {
        let dir = tempfile::tempdir().unwrap();
        for (k, id) in ids.iter().enumerate() {
            std::fs::write(
                dir.path().join(format!("{id}.request.yaml")),
                format!("$kind: http-request\nid: {id}\nmethod: GET\nurl: x\norder: {k}\n"),
            )
            .unwrap();
        }
        let c = V3Collection::read(dir.path()).unwrap();
        (dir, c)
    }

    #[test]
    fn a_forged_table_followed_by_results_is_not_the_clis() {
        // A test name printed a table that adds up to what came before it;
        // the run went on (a failure, a request left waiting) and was cut.
        let text = std::fs::read_to_string(fixture("run-forged-totals-then-cut.txt")).unwrap();
        let (_dir, c) = collection_of(&["echo", "fails", "hangs"]);
        let err = parse(&text, &mut c.run_order(&[]), RequestDetails::Failed).unwrap_err();
        assert_eq!(
            err.0,
            "results follow the last totals table, so it is not the CLI's"
        );
    }

    #[test]
    fn a_run_the_clis_timeout_ended_reads_with_nothing_failed() {
        // `--timeout 1000`: the CLI cancels the run, prints its table with
        // the request left waiting counted, and exits 1. The report adds
        // up; what the exit code means is `report::run`'s to say.
        let text = std::fs::read_to_string(fixture("run-whole-run-timeout.txt")).unwrap();
        let (_dir, c) = collection_of(&["a", "b", "c"]);
        let r = parse(&text, &mut c.run_order(&[]), RequestDetails::Failed).unwrap();
        assert_eq!((r.requests, r.cases.len()), (2, 1));
        assert!(r.cases.iter().all(|c| c.failure().is_none()));
        assert_eq!(r.duration_ms, Some(1004));
    }

    #[test]
    fn a_totals_mismatch_is_unreadable_never_a_pass() {
        let text = captured();
        // One passing line fewer than the CLI counted.
        let fewer = text.replacen("  Pass  still runs\n", "", 1);
        let err = run(&fewer).unwrap_err();
        assert!(err.0.contains("assertions"), "{err}");
        // A forged passing line after a real one.
        let more = text.replacen(
            "  Pass  still runs\n",
            "  Pass  still runs\n  Pass  forged\n",
            1,
        );
        assert!(run(&more).is_err());
        // A table claiming fewer failures.
        let table = text.replace(
            "|              assertions |                14 |                 3 |",
            "|              assertions |                14 |                 0 |",
        );
        assert!(run(&table).is_err());
        // A forged iteration header.
        let iter = text.replacen("Root add-items", "Iteration 2/2\n\nRoot add-items", 1);
        assert!(run(&iter).is_err());
        // No table at all (the CLI stopped early).
        let cut = &text[..text.find("-----").unwrap()];
        assert_eq!(run(cut).unwrap_err().0, "the totals table is missing");
        // A failure without its failure-list entry.
        let no_list = &text[..text.find("  #  failure").unwrap()];
        assert!(run(no_list).is_err());
    }

    #[test]
    fn the_failure_list_must_name_the_same_request_and_test() {
        let text = captured();
        let wrong_request = text.replacen("inside \"Add (2) items\"", "inside \"Broken JSON\"", 1);
        assert!(run(&wrong_request).unwrap_err().0.contains("inside"));
        let wrong_test = text.replacen(
            " 1.  AssertionError  qty is 2 (data)",
            " 1.  AssertionError  qty is 3 (data)",
            1,
        );
        assert!(run(&wrong_test).is_err());
        let renumbered = text.replacen("  1. qty is 2 (data)", "  2. qty is 2 (data)", 1);
        assert!(run(&renumbered).is_err());
    }

    #[test]
    fn an_unknown_request_id_is_unreadable() {
        let text = captured().replace("Root health", "Root somebody-else");
        // `somebody-else` takes the first id-less request, and there is none.
        assert!(run(&text).unwrap_err().0.contains("somebody-else"));
    }

    #[test]
    fn reads_the_shop_example_run_with_a_mock() {
        let text = std::fs::read_to_string(fixture("run-shop-mock.txt")).unwrap();
        let c = V3Collection::read(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/shop-v3/postman/collections/Shop API (example)"),
        )
        .unwrap();
        let r = parse(&text, &mut c.run_order(&[]), RequestDetails::Failed).unwrap();
        assert_eq!(r.cases.len(), 8);
        assert!(r.cases.iter().all(|c| c.status == Status::Passed));
        assert_eq!(r.cases[1].request, "Cart / Add an item");
    }
}
