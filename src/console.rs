//! Where everything the user sees goes: the agent's log (as logging
//! commands, through [`crate::azure::vso`]) in a pipeline, or a terminal on a
//! laptop.
//!
//! Code that reports something calls one method here and does not care
//! which of the two it is talking to. Lines from child processes always go
//! through [`Console::child_line`], which neutralises logging commands in
//! both modes: `postman-cli-task run` may itself be called from a pipeline
//! script step. Every text it prints passes through the run's masker first
//! (see [`Console::set_masker`]): the task's own messages, the tools' lines,
//! the terminal's report.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, RwLock};

use crate::azure::vso::{self, IssueType, TaskResult};
pub(crate) use crate::process::Stream;
use crate::secrets::{Secrets, Wrapped};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Inside an Azure Pipelines task: logging commands on stdout.
    Agent,
    /// A person at a terminal (or a CI log that is not Azure's).
    Terminal,
}

type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

/// A cheap handle; clones share the same output streams.
#[derive(Clone)]
pub(crate) struct Console {
    mode: Mode,
    out: Sink,
    err: Sink,
    /// Whether stderr is a terminal that can show a live progress bar.
    interactive: bool,
    /// The secrets masked in everything printed; shared by the clones.
    masker: Arc<RwLock<Secrets>>,
    /// The tools' stdout, held a line back where the Postman CLI wraps a
    /// script's output, so a secret cut by the wrap is masked whole.
    wrapped: Arc<Mutex<Wrapped>>,
}

impl Console {
    pub(crate) fn agent() -> Console {
        Console::with_writers(
            Mode::Agent,
            Box::new(std::io::stdout()),
            Box::new(std::io::stderr()),
        )
    }

    pub(crate) fn terminal() -> Console {
        let mut c = Console::with_writers(
            Mode::Terminal,
            Box::new(std::io::stdout()),
            Box::new(std::io::stderr()),
        );
        c.interactive = std::io::stderr().is_terminal();
        c
    }

    /// A console writing into the given writers, for tests.
    pub(crate) fn with_writers(
        mode: Mode,
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
    ) -> Console {
        Console {
            mode,
            out: Arc::new(Mutex::new(out)),
            err: Arc::new(Mutex::new(err)),
            interactive: false,
            masker: Arc::default(),
            wrapped: Arc::default(),
        }
    }

    /// Masks `secrets` in everything printed from now on, in every form
    /// [`Secrets::redact`] knows, whatever the agent's masker knows.
    pub(crate) fn set_masker(&self, secrets: &Secrets) {
        if let Ok(mut masker) = self.masker.write() {
            *masker = secrets.clone();
        }
    }

    fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.masker.read() {
            Ok(masker) => masker.redact(text),
            // A poisoned lock means a panic elsewhere; print nothing of it.
            Err(_) => Cow::Borrowed(""),
        }
    }

    pub(crate) fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// Writes a line, after the tool line held back, if there is one.
    fn write(&self, sink: &Sink, line: &str) {
        self.flush_wrapped();
        Self::write_raw(sink, line);
    }

    fn write_raw(sink: &Sink, line: &str) {
        // A closed stdout (a pipe whose reader went away) must not turn a
        // finished run into a crash; the results files are already written.
        if let Ok(mut w) = sink.lock() {
            let _ = writeln!(w, "{line}");
            let _ = w.flush();
        }
    }

    /// Shows the tool line held back, if there is one.
    fn flush_wrapped(&self) {
        let (Ok(mut wrapped), Ok(masker)) = (self.wrapped.lock(), self.masker.read()) else {
            return;
        };
        for line in wrapped.flush(&masker) {
            Self::write_raw(&self.out, &vso::neutralize(&line));
        }
    }

    fn out(&self, line: &str) {
        self.write(&self.out, line);
    }

    fn err_line(&self, line: &str) {
        self.write(&self.err, line);
    }

    /// A line of our own narration. Text that came from elsewhere (names,
    /// messages) is neutralised, line by line.
    pub(crate) fn info(&self, text: &str) {
        for line in self.mask(text).lines() {
            match self.mode {
                Mode::Agent => self.out(&vso::neutralize(line)),
                Mode::Terminal => self.err_line(&vso::neutralize(line)),
            }
        }
    }

    pub(crate) fn warning(&self, text: &str) {
        self.issue(IssueType::Warning, text, None);
    }

    pub(crate) fn error(&self, text: &str) {
        self.issue(IssueType::Error, text, None);
    }

    pub(crate) fn issue(
        &self,
        kind: IssueType,
        text: &str,
        location: Option<&vso::SourceLocation>,
    ) {
        let text = &*self.mask(text);
        match self.mode {
            Mode::Agent => self.out(&vso::log_issue(kind, text, location)),
            Mode::Terminal => {
                let label = match kind {
                    IssueType::Error => "error",
                    IssueType::Warning => "warning",
                };
                let at = location
                    .map(|l| match (l.line, l.column) {
                        (Some(n), Some(c)) => format!("{}:{n}:{c}: ", l.path),
                        (Some(n), None) => format!("{}:{n}: ", l.path),
                        _ => format!("{}: ", l.path),
                    })
                    .unwrap_or_default();
                self.err_line(&format!("{label}: {at}{}", vso::neutralize(text)));
            }
        }
    }

    pub(crate) fn group_start(&self, title: &str) {
        let title = &*self.mask(title);
        match self.mode {
            Mode::Agent => self.out(&vso::group_start(title)),
            Mode::Terminal => self.err_line(&format!("==> {}", vso::single_line(title))),
        }
    }

    pub(crate) fn group_end(&self) {
        self.flush_wrapped();
        if self.mode == Mode::Agent {
            self.out(vso::group_end());
        }
    }

    /// The command line of a tool about to run.
    pub(crate) fn command_line(&self, text: &str) {
        let text = &*self.mask(text);
        match self.mode {
            Mode::Agent => self.out(&vso::command_line(text)),
            Mode::Terminal => self.err_line(&format!("$ {}", vso::single_line(text))),
        }
    }

    /// A line a child process printed, masked and neutralised. Stdout
    /// lines inside the Postman CLI's box may be held back a line (see
    /// [`Wrapped`]); the next line or any other output shows them.
    pub(crate) fn child_line(&self, stream: Stream, line: &str) {
        if stream == Stream::Stderr {
            let masked = self.mask(line);
            self.err_line(&vso::neutralize(&masked));
            return;
        }
        let (Ok(mut wrapped), Ok(masker)) = (self.wrapped.lock(), self.masker.read()) else {
            return;
        };
        for line in wrapped.push(&masker, line) {
            Self::write_raw(&self.out, &vso::neutralize(&line));
        }
    }

    pub(crate) fn progress(&self, percent: u8, operation: &str) {
        if self.mode == Mode::Agent {
            self.out(&vso::set_progress(percent, &vso::single_line(operation)));
        }
    }

    /// Registers a value with the agent's log masker. On a terminal there
    /// is no masker; we simply never print secrets.
    pub(crate) fn set_secret(&self, value: &str) {
        if self.mode == Mode::Agent && !value.is_empty() {
            // A multi-line secret is masked line by line, as the agent
            // cannot register one containing a line break.
            for line in value.lines().filter(|l| !l.trim().is_empty()) {
                self.out(&vso::set_secret(line));
            }
        }
    }

    pub(crate) fn set_output(&self, name: &str, value: &str) {
        if self.mode == Mode::Agent {
            self.out(&vso::set_output(name, value));
        }
    }

    pub(crate) fn publish_junit(&self, path: &str, title: &str) {
        if self.mode == Mode::Agent {
            self.out(&vso::publish_junit(path, title));
        }
    }

    /// Attaches a file to the build's logs.
    pub(crate) fn upload_file(&self, path: &str) {
        if self.mode == Mode::Agent {
            self.out(&vso::upload_file(path));
        }
    }

    /// Attaches a file to this step in the build (the Postman tab reads
    /// it); nothing on a terminal.
    pub(crate) fn add_attachment(&self, kind: &str, name: &str, path: &str) {
        if self.mode == Mode::Agent {
            self.out(&vso::add_attachment(kind, name, path));
        }
    }

    pub(crate) fn upload_summary(&self, path: &str) {
        if self.mode == Mode::Agent {
            self.out(&vso::upload_summary(path));
        }
    }

    pub(crate) fn complete(&self, result: TaskResult, message: &str) {
        if self.mode == Mode::Agent {
            self.out(&vso::complete(
                result,
                &vso::single_line(&self.mask(message)),
            ));
        }
    }

    /// Plain text for the person reading, on stdout in both modes (a
    /// terminal's report, a summary).
    pub(crate) fn print(&self, text: &str) {
        for line in self.mask(text).lines() {
            self.out(&vso::neutralize(line));
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A writer whose contents a test can read back.
    #[derive(Clone, Default)]
    pub(crate) struct Captured(pub Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        pub(crate) fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }

    pub(crate) fn console(mode: Mode) -> (Console, Captured, Captured) {
        let (out, err) = (Captured::default(), Captured::default());
        (
            Console::with_writers(mode, Box::new(out.clone()), Box::new(err.clone())),
            out,
            err,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::testing::console;
    use super::*;

    #[test]
    fn agent_mode_speaks_logging_commands() {
        let (c, out, _) = console(Mode::Agent);
        c.error("input `x`: bad.\n##vso[task.complete result=Succeeded]");
        c.child_line(Stream::Stdout, "##vso[task.setvariable variable=pwned]x");
        c.complete(TaskResult::Failed, "1 input error");
        insta::assert_snapshot!(out.text(), @r"
        ##vso[task.logissue type=error;]input `x`: bad.%0A##_vso[task.complete result=Succeeded]
        ##_vso[task.setvariable variable=pwned]x
        ##vso[task.complete result=Failed;]1 input error
        ");
    }

    #[test]
    fn every_text_is_masked() {
        let (c, out, err) = console(Mode::Agent);
        let mut secrets = Secrets::default();
        secrets.add("line-one-secret\nline-two-secret");
        c.set_masker(&secrets);
        c.set_secret("line-one-secret\nline-two-secret");
        c.error("line 2 (`line-two-secret`) is not key=value");
        c.info("token line-one-secret");
        c.child_line(Stream::Stderr, "echo line%2Dtwo-secret");
        c.child_line(Stream::Stdout, "  | 'log', 'line-one-se");
        c.child_line(Stream::Stdout, "  | cret'");
        c.command_line("postman -i line-two-secret");
        c.group_start("Run line-one-secret");
        c.complete(TaskResult::Failed, "line-two-secret");
        let all = out.text() + &err.text();
        let registered =
            "##vso[task.setsecret]line-one-secret\n##vso[task.setsecret]line-two-secret\n";
        assert!(all.starts_with(registered), "{all}");
        assert!(!all[registered.len()..].contains("secret"), "{all}");
    }

    #[test]
    fn terminal_mode_speaks_plain_text() {
        let (c, out, err) = console(Mode::Terminal);
        c.warning("careful");
        c.child_line(Stream::Stderr, "##vso[task.complete result=Failed]");
        c.complete(TaskResult::Failed, "ignored on a terminal");
        c.publish_junit("/tmp/x.xml", "t");
        assert_eq!(out.text(), "");
        assert_eq!(
            err.text(),
            "warning: careful\n##_vso[task.complete result=Failed]\n"
        );
    }
}
