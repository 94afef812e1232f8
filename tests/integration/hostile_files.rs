//! The repository's files as an attacker leaves them (issue 18, items 2 to
//! 5 and 7), each test made as the attack was made, and the step's
//! cancellation while it reads them. Every test here failed on the code
//! before its fix: the links were read, the walk never ended, the pipe
//! blocked `open()`, and files the Postman CLI runs were refused.
//!
//! Linux only: the tests make named pipes and links to `/dev/zero` and
//! `/proc/self/environ`, and look for leftover processes in `/proc`.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::e2e::{Scenario, error_messages, job_with_cloud, published_junit, summary_text};
use crate::support::{AgentJob, CloudSink, RunningTask, TaskResult, TaskRun};

/// Long enough for any of these steps on a loaded machine; a step that
/// takes it has hung.
const HANG: Duration = Duration::from_secs(60);

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A v3 collection folder under the sources: a definition and one request.
fn v3_collection(job: &AgentJob, rel: &str) -> PathBuf {
    job.write_source(
        &format!("{rel}/.resources/definition.yaml"),
        "$kind: collection\nname: Shop\n",
    );
    job.write_source(
        &format!("{rel}/Get.request.yaml"),
        "$kind: http-request\nurl: \"{{baseUrl}}/ok\"\nmethod: GET\n",
    );
    job.sources_dir().join(rel)
}

/// The pids of this job's binary (each job runs its own copy).
fn binary_processes(job: &AgentJob) -> Vec<u32> {
    let binary = job.binary_path();
    fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let state = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = state
                .rfind(')')
                .is_some_and(|at| state[at + 1..].trim_start().starts_with('Z'));
            !zombie && fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary)
        })
        .collect()
}

/// Whatever of this job still runs: its binary, or a process started in
/// its folders (the Postman CLI).
fn leftovers(job: &AgentJob) -> Vec<String> {
    let root = job.root().display().to_string();
    let mut left: Vec<String> = binary_processes(job)
        .iter()
        .map(|pid| format!("{pid} (the task's binary)"))
        .collect();
    for entry in fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(&root) {
            left.push(format!("{pid} {}", String::from_utf8_lossy(&cmdline)));
        }
    }
    left
}

/// Kills what a hung step left, so it does not outlive the test.
fn kill_leftovers(job: &AgentJob) {
    for pid in binary_processes(job) {
        let _ = std::process::Command::new("kill")
            .args(["-s", "KILL", &pid.to_string()])
            .status();
    }
}

/// The step's run, or a failure naming the hang (what was left is killed).
fn ended(job: &AgentJob, task: RunningTask) -> TaskRun {
    match task.wait_within(HANG) {
        Ok(run) => run,
        Err(run) => {
            kill_leftovers(job);
            panic!("the step was still running after {HANG:?}\n{run}");
        }
    }
}

/// The step ran to its end, refused the input with `expected` in an error,
/// and left nothing running.
fn refused(job: &AgentJob, expected: &str) -> TaskRun {
    let run = ended(job, job.spawn());
    let left = leftovers(job);
    kill_leftovers(job);
    assert!(left.is_empty(), "still running: {left:?}\n{run}");
    assert_eq!(run.exit_code, Some(0), "{run}");
    run.assert_one_complete();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let errors = error_messages(&run);
    assert!(
        errors.iter().any(|e| e.contains(expected)),
        "no error says {expected:?}: {errors:#?}\n{run}"
    );
    run
}

/// Item 2: a v3 definition linked to an SSH key outside the repository, and
/// another to `/proc/self/environ`, next to a collection that runs. The key
/// and the task's environment stay out of the log and the summary; the
/// other collection runs.
#[test]
fn a_definition_linked_out_of_the_repository_is_named_never_read() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    let key = s.job.home_dir().join(".ssh/id_ed25519");
    fs::create_dir_all(key.parent().unwrap()).unwrap();
    // A plain scalar to YAML: the old reader quoted it in its type error.
    fs::write(
        &key,
        "-----BEGIN OPENSSH PRIVATE KEY-----\n\
         b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n\
         -----END OPENSSH PRIVATE KEY-----\n",
    )
    .unwrap();
    let shop = v3_collection(&s.job, "postman/collections/Shop");
    let definition = shop.join(".resources/definition.yaml");
    fs::remove_file(&definition).unwrap();
    symlink(&key, &definition).unwrap();
    let env = v3_collection(&s.job, "postman/collections/Env");
    let definition = env.join(".resources/definition.yaml");
    fs::remove_file(&definition).unwrap();
    symlink("/proc/self/environ", &definition).unwrap();
    // In the task's own environment, as every pipeline variable is.
    s.job.variable("canary", "environ-canary-7731");
    s.job.input(
        "collection",
        "tests/passing.postman_collection.json\npostman/collections/*",
    );
    let run = ended(&s.job, s.job.spawn());
    run.assert_one_complete();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let errors = error_messages(&run);
    for folder in ["Shop", "Env"] {
        let expected = format!(
            "`postman/collections/{folder}/.resources/definition.yaml` leads out of the working \
             directory through a symbolic link"
        );
        assert!(errors.iter().any(|e| e.contains(&expected)), "{errors:#?}");
    }
    let summary = summary_text(&run);
    for secret in ["BEGIN OPENSSH", "b3BlbnNzaC1rZXkt", "environ-canary-7731"] {
        assert!(!run.stdout.contains(secret), "{secret} in the log\n{run}");
        assert!(!run.stderr.contains(secret), "{secret} in the log\n{run}");
        assert!(
            !summary.contains(secret),
            "{secret} in the summary\n{summary}"
        );
    }
    // The collection that could run did, with the real CLI.
    let (_, xml) = published_junit(&run);
    assert!(xml.contains(r#"<testsuite name="Passing API""#), "{xml}");
}

/// Item 3: a request file linked to `/dev/zero` (1.5 GB read in 2 s).
#[test]
fn a_request_file_linked_to_dev_zero_is_refused_unread() {
    let job = job_with_cloud(CloudSink::start().cli_env());
    let dir = v3_collection(&job, "postman/collections/Shop");
    symlink("/dev/zero", dir.join("z.request.yaml")).unwrap();
    let mut job = job;
    job.input("collection", "postman/collections/Shop");
    refused(
        &job,
        "`postman/collections/Shop/z.request.yaml` leads out of the working directory through a \
         symbolic link, to `/dev/zero`",
    );
}

/// Item 4: two links `a -> .` and `b -> .` in a v3 folder (about 2^40
/// paths).
#[test]
fn links_that_loop_in_a_v3_folder_are_refused_at_once() {
    let mut job = job_with_cloud(CloudSink::start().cli_env());
    let dir = v3_collection(&job, "postman/collections/Shop");
    symlink(".", dir.join("a")).unwrap();
    symlink(".", dir.join("b")).unwrap();
    job.input("collection", "postman/collections/Shop");
    refused(
        &job,
        "`postman/collections/Shop/a` is a second way into a folder already read as \
         `postman/collections/Shop`",
    );
}

/// Item 4, through a pattern: `**` over a repository with such links finds
/// the one collection in it, and the real CLI runs it.
#[test]
fn a_pattern_walks_each_folder_once_through_looping_links() {
    let mut s = Scenario::new();
    s.fixture("passing.postman_collection.json");
    let sources = s.job.sources_dir();
    symlink(".", sources.join("a")).unwrap();
    symlink(".", sources.join("b")).unwrap();
    symlink("..", sources.join("tests/up")).unwrap();
    s.job.input("collection", "**/*.postman_collection.json");
    let run = ended(&s.job, s.job.spawn());
    run.assert_one_complete();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    let (_, xml) = published_junit(&run);
    assert_eq!(xml.matches("<testsuite ").count(), 1, "{xml}");
    assert!(xml.contains(r#"<testsuite name="Passing API""#), "{xml}");
}

/// Item 5: a named pipe called `x.request.yaml` (an earlier step can leave
/// one) blocked the task in `open()` for 11+ minutes, deaf to SIGTERM.
#[test]
fn a_named_pipe_in_a_v3_folder_is_refused_unopened() {
    let mut job = job_with_cloud(CloudSink::start().cli_env());
    let dir = v3_collection(&job, "postman/collections/Shop");
    mkfifo(&dir.join("x.request.yaml"));
    job.input("collection", "postman/collections/Shop");
    refused(
        &job,
        "`postman/collections/Shop/x.request.yaml` is a named pipe (FIFO), not a regular file",
    );
}

/// A repository large enough that reading it takes a while, with the two
/// looping links of item 4 (which once made the walk endless), and one
/// collection at the bottom; the pattern walks all of it. It is the step's
/// working directory, on a RAM disk where there is one: removing 40,000
/// folders from a busy disk takes minutes.
fn slow_to_resolve() -> (AgentJob, tempfile::TempDir) {
    let mut job = job_with_cloud(CloudSink::start().cli_env());
    let shm = Path::new("/dev/shm");
    let repo = tempfile::Builder::new()
        .prefix("postman-cli-task-repo-")
        .tempdir_in(if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        })
        .unwrap();
    let root = repo.path();
    for i in 0..200 {
        for j in 0..200 {
            fs::create_dir_all(root.join(format!("d{i}/e{j}"))).unwrap();
        }
    }
    symlink(".", root.join("a")).unwrap();
    symlink(".", root.join("b")).unwrap();
    fs::copy(
        crate::support::fixtures_dir().join("passing.postman_collection.json"),
        root.join("d199/e199/passing.postman_collection.json"),
    )
    .unwrap();
    job.input("workingDirectory", root.display().to_string())
        .input("collection", "**/*.postman_collection.json");
    (job, repo)
}

/// Waits until the binary is reading the inputs: its `resolve` thread is
/// there (or, for a binary that has none, it has had five seconds).
fn resolving(job: &AgentJob) -> u32 {
    let since = Instant::now();
    loop {
        if let Some(&pid) = binary_processes(job).first() {
            let threads = fs::read_dir(format!("/proc/{pid}/task"))
                .into_iter()
                .flatten();
            let named = threads.flatten().any(|t| {
                fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == "resolve")
            });
            if named || since.elapsed() > Duration::from_secs(5) {
                return pid;
            }
        }
        assert!(since.elapsed() < HANG, "the binary never started");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The agent cancels with SIGTERM while the task reads a large repository:
/// the task stops there, says it was cancelled, and installs and runs
/// nothing.
#[test]
fn sigterm_while_resolving_stops_the_task() {
    let (job, _repo) = slow_to_resolve();
    let task = job.spawn();
    resolving(&job);
    task.signal("TERM");
    let run = ended(&job, task);
    let left = leftovers(&job);
    kill_leftovers(&job);
    assert!(left.is_empty(), "still running: {left:?}\n{run}");
    run.assert_one_complete();
    assert_eq!(run.result(), TaskResult::Failed, "{run}");
    let complete = run
        .commands_named("task.complete")
        .next()
        .unwrap()
        .data
        .clone();
    assert_eq!(complete, "Cancelled.", "{run}");
    assert!(
        !run.stdout.contains("Postman CLI 1.62.0"),
        "it went on\n{run}"
    );
}

/// The launcher killed outright while the task reads a large repository:
/// the binary does not go on as an orphan.
#[test]
fn a_launcher_killed_while_resolving_takes_the_binary_with_it() {
    let (job, _repo) = slow_to_resolve();
    let task = job.spawn();
    let binary = resolving(&job);
    task.signal("KILL");
    let deadline = Instant::now() + HANG;
    while binary_processes(&job).contains(&binary) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = leftovers(&job);
    kill_leftovers(&job);
    let run = task.wait();
    assert!(
        left.is_empty(),
        "still running {HANG:?} after the launcher was killed: {left:?}\n{run}"
    );
}
