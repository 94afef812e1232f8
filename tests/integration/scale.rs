//! Many collections at scale: the collection × environment matrix, several
//! runs at once in one job, shards across jobs, and cancellation with runs
//! in flight.

use std::collections::BTreeSet;
use std::fs;

use crate::e2e::{Scenario, published_junit, summary_text};
use crate::support::{TaskResult, TaskRun, fixtures_dir};

/// Suite names in the published JUnit, in order.
fn suites(xml: &str) -> Vec<String> {
    xml.split("<testsuite name=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().replace("&amp;", "&"))
        .collect()
}

/// Writes `n` small passing collections, `Collection 01` … `Collection n`.
fn write_collections(s: &Scenario, n: usize) {
    let template =
        fs::read_to_string(fixtures_dir().join("glob/alpha.postman_collection.json")).unwrap();
    for i in 1..=n {
        let text = template.replace("\"Alpha\"", &format!("\"Collection {i:02}\""));
        s.job.write_source(
            &format!("tests/many/c{i:02}.postman_collection.json"),
            &text,
        );
    }
}

#[test]
fn every_collection_runs_against_every_environment_under_a_stable_name() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json")
        .fixture("glob/alpha.postman_collection.json")
        .fixture("staging.postman_environment.json")
        .fixture("production.postman_environment.json");
    s.job
        .input(
            "collection",
            "tests/passing.postman_collection.json\ntests/glob/alpha.postman_collection.json",
        )
        .input(
            "environment",
            "tests/staging.postman_environment.json\ntests/production.postman_environment.json",
        );
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let (_, xml) = published_junit(&run);
    assert_eq!(
        suites(&xml),
        [
            "Passing API · staging",
            "Passing API · production",
            "Alpha · staging",
            "Alpha · production"
        ]
    );
    let summary = summary_text(&run);
    for (name, env) in [
        (
            "Passing API · staging",
            "tests/staging.postman_environment.json",
        ),
        (
            "Alpha · production",
            "tests/production.postman_environment.json",
        ),
    ] {
        assert!(
            summary.contains(&format!(
                "| ✅ | {} | {} |",
                name.replace('_', "\\_"),
                env.replace('_', "\\_")
            )),
            "{summary}"
        );
    }
    // Each pair's own reports, in a folder named after it.
    let dir = std::path::PathBuf::from(&run.variables()["reportDirectory"].value).join("runs");
    let folders: BTreeSet<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        folders,
        [
            "01-passing-api-staging",
            "02-passing-api-production",
            "03-alpha-staging",
            "04-alpha-production"
        ]
        .map(String::from)
        .into()
    );
    assert!(
        dir.join("01-passing-api-staging/postman-report.json")
            .is_file()
    );
}

fn shard_run(index: usize, count: usize, auto: bool) -> (TaskRun, Vec<String>, Option<String>) {
    let mut s = Scenario::new();
    write_collections(&s, 5);
    s.job
        .input("collection", "tests/many/*.postman_collection.json");
    if auto {
        s.job
            .input("shard", "auto")
            .variable("system.jobPositionInPhase", index.to_string())
            .variable("system.totalJobsInPhase", count.to_string());
    } else {
        s.job.input("shard", format!("{index}/{count}"));
    }
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let published = run.published_results();
    let (names, title) = match published.first() {
        Some(p) => (
            suites(&fs::read_to_string(&p.files[0]).unwrap()),
            p.run_title.clone(),
        ),
        None => (vec![], None),
    };
    (run, names, title)
}

#[test]
fn shards_split_the_runs_exactly_once_between_the_jobs() {
    let mut all = Vec::new();
    for index in 1..=3 {
        let (_, names, title) = shard_run(index, 3, index == 2);
        assert_eq!(
            title.as_deref(),
            Some(format!("Postman (shard {index}/3)").as_str())
        );
        assert!(names.len() == 1 || names.len() == 2, "balanced: {names:?}");
        all.extend(names);
    }
    all.sort();
    assert_eq!(
        all,
        (1..=5)
            .map(|i| format!("Collection {i:02}"))
            .collect::<Vec<_>>()
    );
    // The same shard gets the same share every time.
    assert_eq!(shard_run(2, 3, false).1, shard_run(2, 3, true).1);
}

#[test]
fn a_shard_with_nothing_to_run_succeeds() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json")
        .input("shard", "2/2");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert!(run.published_results().is_empty());
    assert!(
        run.stdout.contains("This shard has no collection runs"),
        "{run}"
    );
}

#[test]
fn four_runs_at_once_overlap_and_print_one_group_each() {
    let mut s = Scenario::new();
    let gate = fs::read_to_string(fixtures_dir().join("gate.postman_collection.json")).unwrap();
    for i in 1..=4 {
        s.job.write_source(
            &format!("tests/gate{i}.postman_collection.json"),
            &gate.replace("\"Gate\"", &format!("\"Gate {i}\"")),
        );
    }
    s.job
        .input("collection", "tests/gate*.postman_collection.json")
        .input(
            "envVars",
            format!("baseUrl={}\ngateSize=4", s.api.base_url()),
        )
        .input("parallel", "4");
    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_eq!(
        s.api.max_in_flight(),
        4,
        "the target API saw all four runs at once"
    );
    // The log stays readable: a line as each run starts and ends, and each
    // run's output in one group, never interleaved.
    let groups: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("##[group]"))
        .collect();
    assert_eq!(groups.len(), 4, "{run}");
    assert_eq!(run.stdout.matches("▶ Started").count(), 4);
    assert_eq!(run.stdout.matches("■ Finished").count(), 4);
    let mut depth = 0;
    for line in run.stdout.lines() {
        if line.starts_with("##[group]") {
            depth += 1;
            assert_eq!(depth, 1, "groups never nest or interleave\n{run}");
        } else if line == "##[endgroup]" {
            depth -= 1;
        }
    }
    let (_, xml) = published_junit(&run);
    assert_eq!(
        suites(&xml),
        ["Gate 1", "Gate 2", "Gate 3", "Gate 4"],
        "results in run order"
    );
}

#[cfg(unix)]
#[test]
fn cancelling_parallel_runs_keeps_what_finished() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json")
        .fixture("slow.postman_collection.json");
    let slow = fs::read_to_string(fixtures_dir().join("slow.postman_collection.json")).unwrap();
    s.job.write_source(
        "tests/slow2.postman_collection.json",
        &slow.replace("\"Slow API\"", "\"Slow API 2\""),
    );
    s.job
        .input(
            "collection",
            "tests/passing.postman_collection.json\ntests/slow.postman_collection.json\ntests/slow2.postman_collection.json",
        )
        .input("envVars", format!("baseUrl={}\ndelayMs=120000", s.api.base_url()))
        .input("parallel", "2");
    let task = s.job.spawn();
    assert!(
        task.wait_for_output("■ Finished 1 of 3: Passing API"),
        "the fast run never finished"
    );
    // Both slow runs are now going (one started alongside the fast one, the
    // other when it finished); wait until both have reached the API.
    while s
        .api
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/slow/"))
        .count()
        < 2
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    task.signal("INT");
    let run = task.wait();
    assert_eq!(run.exit_code, Some(0), "{run}");
    run.assert_one_complete();
    assert_eq!(run.result(), TaskResult::Failed);
    let (_, xml) = published_junit(&run);
    assert!(
        xml.contains(
            r#"<testsuite name="Passing API" tests="3" skipped="0" errors="0" failures="0""#
        ),
        "{xml}"
    );
    assert_eq!(xml.matches(r#"type="Aborted""#).count(), 2, "{xml}");
    let summary = summary_text(&run);
    assert_eq!(
        summary.matches("the run was cut short").count(),
        2,
        "{summary}"
    );
}
