//! The one door through which external programs run.
//!
//! A [`ToolCommand`] is an argument vector (never a shell string) with an
//! environment built from scratch, so nothing reaches a child that the
//! caller did not put there. Its output is read line by line and handed to
//! the caller, which passes it on through [`crate::console::Console::child_line`]
//! (neutralised); the last lines are kept for error messages.

use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, watch};

/// Which of a tool's output streams a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// How many trailing output lines an exit report keeps.
const TAIL_LINES: usize = 30;

#[derive(Clone, Debug)]
pub(crate) struct ToolCommand {
    program: PathBuf,
    args: Vec<OsString>,
    env: BTreeMap<OsString, OsString>,
    cwd: Option<PathBuf>,
    /// Runs at a lower CPU priority (see [`ToolCommand::beside`]).
    beside: bool,
}

/// Cancellation, shared by everything a task run starts: set once (the
/// agent cancelled the job), seen by every waiting tool.
#[derive(Clone, Debug)]
pub(crate) struct Cancel {
    rx: watch::Receiver<bool>,
}

/// The side that cancels.
#[derive(Debug)]
pub(crate) struct Canceller(watch::Sender<bool>);

impl Canceller {
    pub(crate) fn cancel(&self) {
        let _ = self.0.send(true);
    }
}

impl Cancel {
    pub(crate) fn new() -> (Canceller, Cancel) {
        let (tx, rx) = watch::channel(false);
        (Canceller(tx), Cancel { rx })
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves when cancelled; never, if the canceller is gone first.
    pub(crate) async fn cancelled(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[derive(Debug)]
pub(crate) struct ToolExit {
    pub(crate) end: ExitKind,
    /// The last lines the tool printed, both streams interleaved.
    pub(crate) tail: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExitKind {
    Code(i32),
    /// Killed by a signal (Unix).
    Signal(i32),
    /// Killed by us after the time limit.
    TimedOut,
    /// Killed by us because the task was cancelled.
    Cancelled,
    /// Killed by us because it kept running after saying it was done with
    /// its work (see [`LineAction::FinishWithin`]).
    Stalled,
}

/// What a line tells the runner of a tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineAction {
    Continue,
    /// The tool's real work is done; it gets this long to exit.
    FinishWithin(Duration),
}

impl ExitKind {
    pub(crate) fn success(self) -> bool {
        self == ExitKind::Code(0)
    }
}

impl std::fmt::Display for ExitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitKind::Code(c) => write!(f, "exited with code {c}"),
            ExitKind::Signal(s) => write!(f, "was killed by signal {s}"),
            ExitKind::TimedOut => write!(f, "was stopped after its time limit"),
            ExitKind::Cancelled => write!(f, "was stopped because the task was cancelled"),
            ExitKind::Stalled => write!(
                f,
                "was stopped because it did not exit after finishing its work"
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot start {program}: {source}")]
pub(crate) struct ToolError {
    pub(crate) program: String,
    #[source]
    pub(crate) source: std::io::Error,
}

impl ToolCommand {
    /// A command with an empty environment; see [`ToolCommand::envs`].
    pub(crate) fn new(program: impl Into<PathBuf>) -> ToolCommand {
        ToolCommand {
            program: program.into(),
            args: Vec::new(),
            env: BTreeMap::new(),
            cwd: None,
            beside: false,
        }
    }

    /// Runs the tool beside others at a lower CPU priority (nice 10, on
    /// Unix): a lint started with the collection runs takes only the CPU
    /// they leave, so it never slows them, and still ends before them on
    /// a machine with a core to spare. Windows runs it as it is.
    pub(crate) fn beside(&mut self) -> &mut Self {
        self.beside = true;
        self
    }

    pub(crate) fn arg(&mut self, arg: impl Into<OsString>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    pub(crate) fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The child's whole environment.
    pub(crate) fn envs(&mut self, env: BTreeMap<OsString, OsString>) -> &mut Self {
        self.env = env;
        self
    }

    #[cfg(test)]
    pub(crate) fn env(
        &mut self,
        key: impl Into<OsString>,
        value: impl Into<OsString>,
    ) -> &mut Self {
        self.env.insert(key.into(), value.into());
        self
    }

    pub(crate) fn cwd(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.cwd = Some(dir.into());
        self
    }

    /// The command line for the log, quoted so it can be pasted into a shell.
    pub(crate) fn display(&self) -> String {
        std::iter::once(self.program.as_os_str())
            .chain(self.args.iter().map(|a| a.as_os_str()))
            .map(|a| quote(&a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs to completion, calling `on_line` for every line printed, and
    /// kills the tool if it outlives `limit` or the task is cancelled.
    pub(crate) async fn run(
        &self,
        limit: Option<Duration>,
        cancel: &Cancel,
        mut on_line: impl FnMut(Stream, &str),
    ) -> Result<ToolExit, ToolError> {
        self.run_watching(limit, cancel, |stream, line| {
            on_line(stream, line);
            LineAction::Continue
        })
        .await
    }

    /// [`ToolCommand::run`], where a line can also say the tool's work is
    /// done, after which it gets a short time to exit before it is killed
    /// (a CLI that wrote its reports but hangs on an upload, say).
    pub(crate) async fn run_watching(
        &self,
        limit: Option<Duration>,
        cancel: &Cancel,
        mut on_line: impl FnMut(Stream, &str) -> LineAction,
    ) -> Result<ToolExit, ToolError> {
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(&self.args)
            .env_clear()
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        #[cfg(target_os = "linux")]
        die_with_us(&mut cmd);
        #[cfg(unix)]
        if self.beside {
            lower_priority(&mut cmd);
        }
        let mut child = cmd.spawn().map_err(|source| ToolError {
            program: self.program.display().to_string(),
            source,
        })?;

        let (tx, mut rx) = mpsc::unbounded_channel();
        if let Some(out) = child.stdout.take() {
            tokio::spawn(read_lines(out, Stream::Stdout, tx.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(read_lines(err, Stream::Stderr, tx.clone()));
        }
        drop(tx);

        let mut tail = VecDeque::with_capacity(TAIL_LINES);
        let deadline = limit.map(|l| tokio::time::Instant::now() + l);
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(sleep);

        // Why we killed the tool, if we did. A stall can still become a
        // timeout or a cancellation, the reasons that say more; those two
        // are final.
        let mut killed: Option<ExitKind> = None;
        let may_kill = |killed: &Option<ExitKind>| matches!(killed, None | Some(ExitKind::Stalled));
        let mut finish_armed = false;
        let finish = tokio::time::sleep(Duration::from_secs(3600));
        tokio::pin!(finish);
        let mut streams_open = true;
        let mut status = None;
        // A grandchild that inherited the pipes can keep them open after the
        // tool itself exits; its output gets a short grace period, not a hang.
        let grace = tokio::time::sleep(Duration::from_secs(3600));
        tokio::pin!(grace);
        while streams_open || status.is_none() {
            tokio::select! {
                line = rx.recv(), if streams_open => match line {
                    Some((stream, text)) => {
                        if let LineAction::FinishWithin(d) = on_line(stream, &text)
                            && !finish_armed
                        {
                            finish_armed = true;
                            finish.as_mut().reset(tokio::time::Instant::now() + d);
                        }
                        if tail.len() == TAIL_LINES {
                            tail.pop_front();
                        }
                        tail.push_back(text);
                    }
                    None => streams_open = false,
                },
                _ = &mut sleep, if may_kill(&killed) && status.is_none() => {
                    killed = Some(ExitKind::TimedOut);
                    let _ = child.start_kill();
                }
                _ = cancel.cancelled(), if may_kill(&killed) && status.is_none() => {
                    killed = Some(ExitKind::Cancelled);
                    let _ = child.start_kill();
                }
                _ = &mut finish, if finish_armed && killed.is_none() && status.is_none() => {
                    killed = Some(ExitKind::Stalled);
                    let _ = child.start_kill();
                }
                exit = child.wait(), if status.is_none() => {
                    status = Some(exit.map_err(|source| ToolError {
                        program: self.program.display().to_string(),
                        source,
                    })?);
                    grace.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(2));
                }
                _ = &mut grace, if status.is_some() => break,
            }
        }
        let end = match (killed, status) {
            (Some(reason), _) => reason,
            (None, Some(s)) => exit_kind(s),
            (None, None) => unreachable!("the loop ends only after the tool exits"),
        };
        Ok(ToolExit {
            end,
            tail: tail.into(),
        })
    }
}

/// Makes the kernel kill the tool when this process dies, however it dies.
/// `kill_on_drop` and cancellation cover every way we stop on our own; a
/// SIGKILL runs none of our code (nor does a crash: the panic hook exits
/// without dropping anything), and the tool would go on as an orphan, still
/// calling the API under test after the job has ended.
///
/// The signal is tied to the thread that starts the tool, not the process:
/// every tool starts on the runtime's thread (`cli::main` builds a
/// current-thread runtime), which lives as long as the process. A tool
/// started from a thread that ends early would be killed with it.
///
/// macOS has no parent-death signal: there, a binary killed outright leaves
/// a running tool to go on until it ends by itself (a collection run stops
/// at the end of its requests, or at the `timeout` input if one is set).
/// Windows needs nothing here: the agent ends the whole process tree when
/// it cancels a step.
#[cfg(target_os = "linux")]
fn die_with_us(cmd: &mut tokio::process::Command) {
    let us = std::process::id();
    // SAFETY: the closure runs in the child between fork and exec, where
    // only async-signal-safe calls are sound. It makes two system calls
    // (prctl, getppid), reads errno, and builds an `io::Error` from an OS
    // code, which does not allocate; it takes no lock and touches no state
    // shared with other threads.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            // We may have died between the fork and the prctl, and then no
            // signal will come: the child has been adopted by another process.
            if libc::getppid() as u32 != us {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Nice 10 for the child, set between fork and exec so every thread the
/// tool starts has it. Failing to lower a priority is no reason not to run.
#[cfg(unix)]
fn lower_priority(cmd: &mut tokio::process::Command) {
    // SAFETY: the closure runs in the child between fork and exec; it makes
    // one async-signal-safe system call (setpriority) and touches no state
    // shared with other threads.
    unsafe {
        cmd.pre_exec(|| {
            libc::setpriority(libc::PRIO_PROCESS as _, 0, 10);
            Ok(())
        });
    }
}

/// Asks the kernel to send this process SIGTERM when its parent dies, which
/// the task's cancellation handles like the agent's own SIGTERM. A parent
/// that is already gone sends nothing, so the caller checks after this.
///
/// As for [`die_with_us`], the signal is tied to the thread that started us:
/// Node starts the binary from its main thread, which ends only with Node.
#[cfg(target_os = "linux")]
pub(crate) fn signal_when_parent_dies() {
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number and changes
    // only this process's own attribute; it touches no memory of ours. If it
    // fails, the caller's polling watch is the guard left.
    unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGTERM as libc::c_ulong,
            0,
            0,
            0,
        );
    }
}

fn exit_kind(status: std::process::ExitStatus) -> ExitKind {
    if let Some(code) = status.code() {
        return ExitKind::Code(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return ExitKind::Signal(signal);
        }
    }
    ExitKind::Code(-1)
}

/// Reads raw lines (any bytes, any line ending) and forwards them as text.
/// A tool's output is not ours to trust to be UTF-8.
async fn read_lines(
    reader: impl AsyncRead + Unpin,
    stream: Stream,
    tx: mpsc::UnboundedSender<(Stream, String)>,
) {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::with_capacity(256);
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                if tx
                    .send((stream, String::from_utf8_lossy(&buf).into_owned()))
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

fn quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> ToolCommand {
        let mut c = ToolCommand::new("/bin/sh");
        c.args(["-c", script]);
        c.env("PATH", "/usr/bin:/bin");
        c
    }

    #[tokio::test]
    async fn lines_exit_codes_and_tail() {
        let mut seen = Vec::new();
        let exit = sh("printf 'a\\r\\nb\\n'; echo c >&2; printf 'no newline'; exit 3")
            .run(None, &never(), |s, l| seen.push((s, l.to_owned())))
            .await
            .unwrap();
        assert_eq!(exit.end, ExitKind::Code(3));
        let stdout: Vec<_> = seen
            .iter()
            .filter(|(s, _)| *s == Stream::Stdout)
            .map(|(_, l)| l.as_str())
            .collect();
        assert_eq!(stdout, ["a", "b", "no newline"]);
        assert!(seen.contains(&(Stream::Stderr, "c".into())));
        assert_eq!(exit.tail.len(), 4);
    }

    /// The niceness a tool runs at, as the kernel reports it (field 19 of
    /// /proc/self/stat, read by the shell itself).
    #[cfg(target_os = "linux")]
    async fn niceness(mut c: ToolCommand) -> i32 {
        let mut seen = Vec::new();
        c.args([
            "-c",
            "read -r s < /proc/self/stat; set -- ${s##*) }; shift 16; echo $1",
        ]);
        c.run(None, &never(), |_, l| seen.push(l.to_owned()))
            .await
            .unwrap();
        seen[0].parse().unwrap()
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_tool_beside_others_runs_at_a_lower_priority() {
        let plain = niceness(ToolCommand::new("/bin/sh")).await;
        let mut beside = ToolCommand::new("/bin/sh");
        beside.beside();
        assert_eq!(niceness(beside).await, (plain + 10).min(19));
    }

    #[tokio::test]
    async fn environment_is_only_what_was_given() {
        let mut seen = Vec::new();
        let mut c = sh("env | sort");
        c.env("ONLY_THIS", "1");
        c.run(None, &never(), |_, l| seen.push(l.to_owned()))
            .await
            .unwrap();
        assert!(seen.iter().any(|l| l == "ONLY_THIS=1"));
        assert!(!seen.iter().any(|l| l.starts_with("HOME=")), "{seen:?}");
    }

    #[tokio::test]
    async fn a_tool_past_its_limit_is_killed() {
        let exit = sh("echo started; exec sleep 30")
            .run(Some(Duration::from_millis(200)), &never(), |_, _| {})
            .await
            .unwrap();
        assert_eq!(exit.end, ExitKind::TimedOut);
        assert_eq!(exit.tail, ["started"]);
    }

    #[tokio::test]
    async fn cancelling_stops_the_tool() {
        let (canceller, cancel) = Cancel::new();
        let exit = sh("echo started; exec sleep 30")
            .run(None, &cancel, |_, _| canceller.cancel())
            .await
            .unwrap();
        assert_eq!(exit.end, ExitKind::Cancelled);
        assert!(cancel.is_cancelled());
    }

    #[tokio::test]
    async fn a_tool_that_hangs_after_its_work_is_stopped() {
        let exit = sh("echo done; exec sleep 30")
            .run_watching(None, &never(), |_, line| {
                if line == "done" {
                    LineAction::FinishWithin(Duration::from_millis(100))
                } else {
                    LineAction::Continue
                }
            })
            .await
            .unwrap();
        assert_eq!(exit.end, ExitKind::Stalled);
    }

    fn never() -> Cancel {
        Cancel::new().1
    }

    #[test]
    fn display_quotes() {
        let mut c = ToolCommand::new("/opt/postman");
        c.args(["collection", "run", "my tests.json", "--env-var", "a=b"]);
        assert_eq!(
            c.display(),
            "/opt/postman collection run 'my tests.json' --env-var a=b"
        );
    }
}
