//! A launcher killed outright: nothing the task started may outlive it. The
//! agent only ever signals the Node launcher, and a SIGKILL gives Node no
//! chance to pass anything on, so the binary and the Postman CLI have to
//! notice on their own. Linux only: it reads the process tree from /proc, and
//! only Linux has a parent-death signal for the CLI (see `process::die_with_us`).

use std::fs;
use std::time::{Duration, Instant};

use crate::e2e::Scenario;
use crate::support::RunningTask;

/// A process as /proc shows it: its pid and start time (clock ticks since
/// boot), which together name it even if the pid is reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Proc {
    pid: u32,
    started: u64,
}

/// The fields of `/proc/<pid>/stat` after the command name: state, parent,
/// and start time. None once the process is gone.
fn stat(pid: u32) -> Option<(char, u32, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold anything, spaces and
    // parentheses included; the fields after its last `)` are plain.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let parent = fields.get(1)?.parse().ok()?;
    // Field 22 of stat, the 20th after the name.
    let started = fields.get(19)?.parse().ok()?;
    Some((state, parent, started))
}

/// Every live process below `root`, children before their own children.
fn descendants(root: u32) -> Vec<Proc> {
    let all: Vec<(u32, u32, u64)> = fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let (state, parent, started) = stat(pid)?;
            (state != 'Z').then_some((pid, parent, started))
        })
        .collect();
    let mut found = Vec::new();
    let mut parents = vec![root];
    while let Some(parent) = parents.pop() {
        for &(pid, ppid, started) in &all {
            if ppid == parent {
                found.push(Proc { pid, started });
                parents.push(pid);
            }
        }
    }
    found
}

/// Still running: the same process (not a reused pid), and not a zombie
/// waiting for whoever adopted it to reap it.
fn alive(p: Proc) -> bool {
    stat(p.pid).is_some_and(|(state, _, started)| state != 'Z' && started == p.started)
}

fn exe(pid: u32) -> String {
    fs::read_link(format!("/proc/{pid}/exe"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// A task whose Postman CLI is running (and waiting on an API that holds its
/// answer for two minutes), with the processes below the launcher: the
/// binary first, then the CLI.
struct Running {
    // Kept for its servers, which the CLI is talking to.
    _scenario: Scenario,
    task: RunningTask,
    binary: Proc,
    cli: Proc,
    tree: Vec<Proc>,
}

fn cli_running() -> Running {
    let mut s = Scenario::new();
    s.fixture("slow.postman_collection.json");
    // The API holds its answer longer than these tests wait, so a CLI that
    // outlives the deadline is one that nothing stopped.
    s.job
        .input("collection", "tests/slow.postman_collection.json")
        .input(
            "envVars",
            format!("baseUrl={}\ndelayMs=120000", s.api.base_url()),
        );
    let task = s.job.spawn();
    // The request reaching the API means the real CLI is running. The
    // deadline allows for installing the CLI into an empty tool cache.
    let until = Instant::now() + Duration::from_secs(600);
    while !s
        .api
        .requests()
        .iter()
        .any(|r| r.path().starts_with("/slow/"))
    {
        if Instant::now() > until {
            task.signal("KILL");
            panic!("the CLI never sent its request\n{}", task.wait());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let tree = descendants(task.pid());
    let described: Vec<String> = tree.iter().map(|&p| describe(p)).collect();
    let binary_path = s.job.binary_path().display().to_string();
    let binary = tree.iter().find(|p| exe(p.pid) == binary_path);
    let cli = tree.iter().find(|p| exe(p.pid).contains("/postman-cli/"));
    let (Some(&binary), Some(&cli)) = (binary, cli) else {
        task.signal("KILL");
        panic!("no binary and CLI below the launcher: {described:?}");
    };
    Running {
        _scenario: s,
        task,
        binary,
        cli,
        tree,
    }
}

fn describe(p: Proc) -> String {
    format!("{} {}", p.pid, exe(p.pid))
}

/// Waits (a minute at most) until none of `procs` is running; kills and
/// returns the ones that are still running then.
fn survivors(procs: &[Proc]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut left = procs.to_vec();
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        left.retain(|&p| alive(p));
    }
    let described = left.iter().map(|&p| describe(p)).collect();
    // Clean up after a failure, so the orphans do not outlive the test too.
    for p in &left {
        let _ = std::process::Command::new("kill")
            .args(["-s", "KILL", &p.pid.to_string()])
            .status();
    }
    described
}

#[test]
fn a_launcher_killed_outright_takes_the_binary_and_the_cli_with_it() {
    let running = cli_running();
    running.task.signal("KILL");
    let left = survivors(&running.tree);
    let run = running.task.wait();
    assert!(
        left.is_empty(),
        "still running a minute after the launcher was killed: {left:?}\n{run}"
    );
    assert_eq!(run.exit_code, None, "node died of the signal\n{run}");
}

/// The binary's own last line of defence: the kernel kills the CLI when the
/// binary dies, even of a signal that runs none of its code.
#[test]
fn a_binary_killed_outright_takes_the_cli_with_it() {
    let running = cli_running();
    let killed = std::process::Command::new("kill")
        .args(["-s", "KILL", &running.binary.pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let left = survivors(&[running.cli]);
    let run = running.task.wait();
    assert!(
        left.is_empty(),
        "still running a minute after the binary was killed: {left:?}\n{run}"
    );
    assert_eq!(
        run.exit_code,
        Some(1),
        "the launcher reports the binary's death\n{run}"
    );
}
