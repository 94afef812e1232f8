//! How the stages' events look in the log: the conductor's side of
//! [`crate::events`]. One collection run at a time prints live, in a group
//! of its own; runs in parallel print a start line, and their output as one
//! group when each ends, so the log reads run by run. A lint, which runs
//! beside the collection runs, is held whole ([`Held`]) and printed as one
//! group after them.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::console::Console;
use crate::events::{Event, Events, Job};
use crate::process::Stream;

pub(crate) struct Narrator<'a> {
    console: &'a Console,
    /// Print tool output as it comes (true), or hold a run's output until
    /// it ends (runs in parallel).
    live: bool,
    /// Held output, by run index.
    held: Mutex<HashMap<usize, Vec<(Stream, String)>>>,
    bar: Mutex<Option<Download>>,
}

/// A download in progress: `task.setprogress` every 10 % in a pipeline
/// (scaled into the first 30 % of the task), a bar on a terminal.
struct Download {
    last_percent: u8,
    bar: Option<indicatif::ProgressBar>,
}

impl<'a> Narrator<'a> {
    pub(crate) fn new(console: &'a Console, live: bool) -> Narrator<'a> {
        Narrator {
            console,
            live,
            held: Mutex::new(HashMap::new()),
            bar: Mutex::new(None),
        }
    }

    /// A run's held output, as one group, when the run has ended.
    pub(crate) fn release(&self, index: usize, title: &str) {
        let lines = self
            .held
            .lock()
            .map(|mut held| held.remove(&index).unwrap_or_default())
            .unwrap_or_default();
        self.console.group_start(title);
        for (stream, line) in lines {
            self.console.child_line(stream, &line);
        }
        self.console.group_end();
    }

    fn hold(&self, index: usize, stream: Stream, line: String) {
        if let Ok(mut held) = self.held.lock() {
            held.entry(index).or_default().push((stream, line));
        }
    }

    fn download(&self, received: u64, total: Option<u64>) {
        let Ok(mut slot) = self.bar.lock() else {
            return;
        };
        let d = slot.get_or_insert_with(|| Download {
            last_percent: 0,
            bar: self.console.is_interactive().then(|| {
                let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "  {bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            }),
        });
        if let Some(bar) = &d.bar {
            bar.set_position(received);
        }
        if let Some(total) = total.filter(|t| *t > 0) {
            let percent = ((received.saturating_mul(100)) / total).min(100) as u8;
            if percent >= d.last_percent + 10 {
                d.last_percent = percent - percent % 10;
                let overall = u32::from(d.last_percent) * 3 / 10;
                self.console
                    .progress(overall as u8, "Downloading the Postman CLI");
            }
        }
    }
}

impl Events for Narrator<'_> {
    fn emit(&self, event: Event<'_>) {
        match event {
            Event::Note(text) => self.console.info(text),
            Event::Warning(text) => self.console.warning(text),
            Event::Download { received, total } => self.download(received, total),
            Event::DownloadDone => {
                if let Ok(mut slot) = self.bar.lock()
                    && let Some(bar) = slot.take().and_then(|d| d.bar)
                {
                    bar.finish_and_clear();
                }
            }
            Event::ToolStarted {
                job: Job::Run { index, of, name },
                command,
            } => {
                if self.live {
                    self.console
                        .group_start(&format!("Collection {index} of {of}: {name}"));
                    self.console.command_line(command);
                } else {
                    self.console
                        .info(&format!("▶ Started {index} of {of}: {name}"));
                    self.hold(index, Stream::Stdout, format!("$ {command}"));
                }
            }
            Event::ToolStarted {
                job: Job::Lint { what, target },
                command,
            } => {
                self.console.group_start(&format!("{what}: {target}"));
                self.console.command_line(command);
            }
            Event::ToolOutput {
                job: Job::Run { index, .. },
                stream,
                line,
            } if !self.live => self.hold(index, stream, line.to_owned()),
            Event::ToolOutput { stream, line, .. } => self.console.child_line(stream, line),
            Event::ToolFinished {
                job: Job::Run { .. },
            } if !self.live => {}
            Event::ToolFinished { .. } => self.console.group_end(),
        }
    }
}

/// One lint's events, held while the collection runs beside it print, and
/// printed as one group when the conductor releases it. Notes and warnings
/// pass through at once.
pub(crate) struct Held<'n, 'c> {
    narrator: &'n Narrator<'c>,
    title: Mutex<Option<String>>,
    command: Mutex<Option<String>>,
    lines: Mutex<Vec<(Stream, String)>>,
}

impl<'n, 'c> Held<'n, 'c> {
    pub(crate) fn new(narrator: &'n Narrator<'c>) -> Held<'n, 'c> {
        Held {
            narrator,
            title: Mutex::new(None),
            command: Mutex::new(None),
            lines: Mutex::new(Vec::new()),
        }
    }

    /// Prints what was held, as the narrator prints a lint live: a group
    /// with its command line and output.
    pub(crate) fn release(self) {
        let console = self.narrator.console;
        let Some(title) = self.title.into_inner().ok().flatten() else {
            return;
        };
        console.group_start(&title);
        if let Some(command) = self.command.into_inner().ok().flatten() {
            console.command_line(&command);
        }
        for (stream, line) in self.lines.into_inner().unwrap_or_default() {
            console.child_line(stream, &line);
        }
        console.group_end();
    }
}

impl Events for Held<'_, '_> {
    fn emit(&self, event: Event<'_>) {
        match event {
            Event::ToolStarted {
                job: Job::Lint { what, target },
                command,
            } => {
                if let (Ok(mut title), Ok(mut cmd)) = (self.title.lock(), self.command.lock()) {
                    *title = Some(format!("{what}: {target}"));
                    *cmd = Some(command.to_owned());
                }
            }
            Event::ToolOutput { stream, line, .. } => {
                if let Ok(mut lines) = self.lines.lock() {
                    lines.push((stream, line.to_owned()));
                }
            }
            Event::ToolFinished { .. } => {}
            other => self.narrator.emit(other),
        }
    }
}
