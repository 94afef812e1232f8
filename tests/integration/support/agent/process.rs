//! The step's process: `node <taskdir>/launcher.js`, started as the agent
//! starts it, its output collected line by line.

use std::fs;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::job::{AgentJob, STREAM_GRACE};
use super::masker::{Masker, masked_log};
use super::run::TaskRun;
use crate::support::vso::Stream;

impl AgentJob {
    /// Runs the step to completion.
    pub fn run(&self) -> TaskRun {
        self.spawn().wait()
    }

    /// Starts the step and returns at once, for cancellation tests.
    pub fn spawn(&self) -> RunningTask {
        self.spawn_handler("execution", &[])
    }

    /// Runs the task's post-job step after `main`, the job's step, as the
    /// agent does once every step of the job has run: task.json's
    /// `postjobexecution` target under the same handler, with the same
    /// inputs, endpoints and variables, plus the variables the step set
    /// (`task.setvariable`, which the agent makes job variables for every
    /// later step: neither secret ones, which reach no environment, nor
    /// output ones, which are the step's name's).
    pub fn run_post_job(&self, main: &TaskRun) -> TaskRun {
        let set: Vec<(String, String)> = main
            .variables()
            .into_iter()
            .filter(|(_, v)| !v.is_secret && !v.is_output)
            .map(|(name, v)| (super::environment::env_name(&name), v.value))
            .collect();
        self.spawn_handler("postjobexecution", &set).wait()
    }

    /// Starts `node <target>` of the task.json section `section`.
    fn spawn_handler(&self, section: &str, variables: &[(String, String)]) -> RunningTask {
        let task_dir = self.install_task();
        let task_json: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(task_dir.join("task.json")).expect("read the installed task.json"),
        )
        .expect("task.json is JSON");
        let target = task_json[section]
            .as_object()
            .and_then(|handlers| handlers.values().next())
            .and_then(|h| h["target"].as_str())
            .unwrap_or_else(|| panic!("task.json has no {section} target"))
            .to_string();
        let mut environment = self.environment();
        environment.extend(variables.iter().cloned());
        let mut child = Command::new("node")
            .arg(task_dir.join(target))
            .current_dir(self.sources_dir())
            .env_clear()
            .envs(environment)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start node (is it on PATH?)");
        // The agent redirects stdin and closes it at once, so prompts see EOF.
        drop(child.stdin.take());
        let output = Arc::new(SharedOutput::default());
        let readers = vec![
            read_stream(
                child.stdout.take().expect("stdout is piped"),
                Stream::Stdout,
                &output,
            ),
            read_stream(
                child.stderr.take().expect("stderr is piped"),
                Stream::Stderr,
                &output,
            ),
        ];
        RunningTask {
            child: Some(child),
            output,
            readers,
            masker: Masker::for_job(self),
        }
    }
}

/// Output collected while the process runs, so a test can wait for a line.
#[derive(Default)]
pub(crate) struct SharedOutput {
    pub(crate) state: Mutex<OutputState>,
    pub(crate) changed: Condvar,
}

#[derive(Default)]
pub(crate) struct OutputState {
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    /// Both streams' output in the order it arrived, as the agent reads it.
    pub(crate) chunks: Vec<(Stream, Vec<u8>)>,
    pub(crate) closed: usize,
}

pub(crate) fn read_stream(
    mut pipe: impl Read + Send + 'static,
    stream: Stream,
    output: &Arc<SharedOutput>,
) -> JoinHandle<()> {
    let output = Arc::clone(output);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            let n = match pipe.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => 0,
            };
            let mut state = output.state.lock().expect("output lock");
            match (n, stream) {
                (0, _) => state.closed += 1,
                (_, Stream::Stdout) => state.stdout.extend_from_slice(&buf[..n]),
                (_, Stream::Stderr) => state.stderr.extend_from_slice(&buf[..n]),
            }
            if n > 0 {
                state.chunks.push((stream, buf[..n].to_vec()));
            }
            output.changed.notify_all();
            if n == 0 {
                return;
            }
        }
    })
}

/// A step still running; see [`AgentJob::spawn`].
pub struct RunningTask {
    pub(crate) child: Option<Child>,
    pub(crate) output: Arc<SharedOutput>,
    pub(crate) readers: Vec<JoinHandle<()>>,
    /// What the agent's masker knows when the step starts.
    pub(crate) masker: Masker,
}

impl RunningTask {
    /// The node process's id: the only process the agent signals.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends a signal by name (`INT`, `TERM`, `KILL`) to the node process,
    /// as the agent does on cancellation.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {signal} {} failed", self.pid());
    }

    /// Blocks until stdout or stderr contains `needle`. Returns false when
    /// both streams closed without it.
    pub fn wait_for_output(&self, needle: &str) -> bool {
        let mut state = self.output.state.lock().expect("output lock");
        loop {
            let seen = |bytes: &[u8]| String::from_utf8_lossy(bytes).contains(needle);
            if seen(&state.stdout) || seen(&state.stderr) {
                return true;
            }
            if state.closed == 2 {
                return false;
            }
            state = self.output.changed.wait(state).expect("output lock");
        }
    }

    /// Blocks until node's main thread waits in its event loop, which it
    /// reaches only after the launcher's synchronous start-up (finding the
    /// binary, spawning it, registering signal listeners). Cancellation tests
    /// call it before [`RunningTask::signal`]. Linux only: it reads
    /// `/proc/<pid>/wchan`, and returns at once where that cannot be read.
    pub fn wait_for_event_loop(&self) {
        let wchan = format!("/proc/{}/wchan", self.pid());
        while let Ok(waiting_in) = fs::read_to_string(&wchan) {
            if waiting_in.contains("epoll") {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// [`RunningTask::wait`], for at most `limit`: a step still running then
    /// is killed (`SIGKILL` to node, as the agent's last resort), and its
    /// output so far comes back as the error. Tests of steps that once hung
    /// use it, so that a hang fails the test instead of stalling the suite.
    pub fn wait_within(mut self, limit: Duration) -> Result<TaskRun, TaskRun> {
        let deadline = std::time::Instant::now() + limit;
        let child = self.child.as_mut().expect("running");
        let mut timed_out = false;
        while child.try_wait().expect("poll node").is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                timed_out = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let run = self.wait();
        if timed_out { Err(run) } else { Ok(run) }
    }

    /// Waits for the process to exit and its output streams to close. Like
    /// the agent (`ProcessInvoker.ProcessExitedHandler`), it gives streams
    /// that something else still holds open 5 seconds after the exit, then
    /// stops reading and sets [`TaskRun::streams_left_open`].
    pub fn wait(mut self) -> TaskRun {
        let status = self
            .child
            .take()
            .expect("running")
            .wait()
            .expect("wait for node");
        let state = self.output.state.lock().expect("output lock");
        let (state, _) = self
            .output
            .changed
            .wait_timeout_while(state, STREAM_GRACE, |s| s.closed < 2)
            .expect("output lock");
        let mut run = TaskRun::from_output(status.code(), &state.stdout, &state.stderr);
        run.streams_left_open = state.closed < 2;
        run.log = masked_log(&state.chunks, self.masker.clone());
        drop(state);
        if !run.streams_left_open {
            for reader in self.readers.drain(..) {
                reader.join().expect("output reader");
            }
        }
        // The agent publishes the results once the step has ended; every
        // JUnit file it would publish is read as it would read it.
        run.assert_tests_tab_tells_the_truth();
        run
    }
}

impl Drop for RunningTask {
    fn drop(&mut self) {
        // A test that panicked before wait() should not leave node behind.
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
