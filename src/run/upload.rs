//! Whether the Postman CLI reported a run to Postman, read from what it
//! prints. The CLI's exit code does not say: an upload that fails leaves it
//! unchanged (only a non-JSON answer crashes it, after its reports are
//! written), so its lines are the only evidence.
//!
//! A collection can print any line too: test names and console output go
//! to the same stream, verbatim. So only lines the CLI prints after it
//! reports this run's JSON report written count. That line names the
//! report's path, which lies in a folder with a random name the collection
//! never sees; and the task turns off the console's failure list, the only
//! thing the CLI prints after that line that carries collection text (its
//! order, in the CLI's `lib/run/index.js`: write the reports, emit `done` —
//! the console reporter's totals table — then upload).

use std::path::Path;

use crate::process::{ExitKind, ToolExit};
use crate::text::strip_ansi;

/// What became of a run's upload to Postman.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Upload {
    /// No upload was expected: no key, or nothing the CLI can upload.
    NotExpected,
    /// Reported; the link to the run in Postman, when Postman gave one.
    Uploaded {
        url: Option<String>,
    },
    Failed {
        reason: String,
    },
    /// A v3 run sent with `--report-events`. The CLI prints nothing about
    /// the outcome that a collection could not print too (the v2.1
    /// marker line, a report written to a private path, does not exist
    /// for v3 runs), so no outcome or link is read.
    Events,
}

/// What a line of the CLI's output told the watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    Nothing,
    /// The CLI wrote this run's JSON report: the run itself is over.
    ReportWritten,
}

/// Watches a run's output lines for the upload's outcome.
#[derive(Debug)]
pub(crate) struct UploadWatch {
    expected: bool,
    /// The line that says this run's report was written.
    marker: String,
    /// Whether the marker has been seen: lines before it prove nothing.
    trusted: bool,
    /// The CLI's own lines after the marker, for a failure's reason.
    last_line: Option<String>,
    uploaded: bool,
    url: Option<String>,
    failure: Option<String>,
}

const SUCCESS: &str = "Uploaded successfully! View on Postman:";

impl UploadWatch {
    pub(crate) fn new(expected: bool, report: &Path) -> UploadWatch {
        UploadWatch {
            expected,
            marker: format!(
                "Report created successfully! Saved to: {}",
                report.display()
            ),
            trusted: false,
            last_line: None,
            uploaded: false,
            url: None,
            failure: None,
        }
    }

    pub(crate) fn line(&mut self, line: &str) -> Seen {
        let line = strip_ansi(line);
        let line = line.trim();
        if !self.trusted {
            if line == self.marker {
                self.trusted = true;
                return Seen::ReportWritten;
            }
            return Seen::Nothing;
        }
        if !line.is_empty() {
            self.last_line = Some(line.to_owned());
        }
        if let Some(rest) = line.strip_prefix(SUCCESS) {
            let url = rest.trim();
            self.uploaded = true;
            // Only a web link goes into the summary and the output variable.
            self.url = Some(url.to_owned())
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
            self.failure = None;
            return Seen::Nothing;
        }
        let failed = [
            "Authorization error occurred while uploading",
            "Forbidden error occurred while uploading",
            "Error occurred while uploading",
        ];
        if failed.iter().any(|f| line.starts_with(f)) {
            self.failure = Some(line.to_owned());
        }
        Seen::Nothing
    }

    pub(crate) fn finish(self, exit: &ToolExit, stalled_after: Option<u64>) -> Upload {
        if self.uploaded {
            return Upload::Uploaded { url: self.url };
        }
        if let Some(reason) = self.failure {
            return Upload::Failed { reason };
        }
        if !self.expected {
            return Upload::NotExpected;
        }
        let reason = match (exit.end, stalled_after) {
            (ExitKind::Stalled, Some(secs)) => format!(
                "Postman did not answer the upload within {secs} s, so the Postman CLI was stopped"
            ),
            (ExitKind::Code(1), _)
                if self.trusted && exit.tail.iter().any(|l| l.contains("SyntaxError")) =>
            {
                "Postman's answer to the upload was not JSON, and the Postman CLI stopped on it"
                    .to_owned()
            }
            _ => match &self.last_line {
                Some(last) => {
                    format!("the Postman CLI did not confirm the upload; its last line was: {last}")
                }
                None => "the Postman CLI did not confirm the upload".to_owned(),
            },
        };
        Upload::Failed { reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "/tmp/.postman-cli-task-Zq81/run-01/report.json";
    const MARKER: &str =
        "Report created successfully! Saved to: /tmp/.postman-cli-task-Zq81/run-01/report.json";

    fn exit(end: ExitKind, tail: &[&str]) -> ToolExit {
        ToolExit {
            end,
            tail: tail.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn watch(expected: bool, lines: &[&str]) -> UploadWatch {
        let mut w = UploadWatch::new(expected, Path::new(REPORT));
        for l in lines {
            w.line(l);
        }
        w
    }

    #[test]
    fn reads_each_outcome_the_cli_prints_after_the_report() {
        let ok = exit(ExitKind::Code(0), &[]);
        assert_eq!(
            watch(true, &[MARKER, "\u{1b}[32mUploaded successfully! View on Postman: https://go.postman.co/workspace/w/run/r\u{1b}[39m"]).finish(&ok, None),
            Upload::Uploaded { url: Some("https://go.postman.co/workspace/w/run/r".into()) }
        );
        assert_eq!(
            watch(
                true,
                &[MARKER, "Uploaded successfully! View on Postman: undefined"]
            )
            .finish(&ok, None),
            Upload::Uploaded { url: None }
        );
        let denied = "Authorization error occurred while uploading collection run data to Postman. Please ensure you are logged in with a valid API key.";
        assert_eq!(
            watch(true, &[MARKER, denied]).finish(&ok, None),
            Upload::Failed {
                reason: denied.into()
            }
        );
        assert_eq!(
            watch(false, &[MARKER, "anything"]).finish(&ok, None),
            Upload::NotExpected
        );
    }

    #[test]
    fn lines_before_this_runs_report_prove_nothing() {
        let ok = exit(ExitKind::Code(0), &[]);
        let forged = [
            "  1. user is bob",
            "Uploaded successfully! View on Postman: https://evil.example/phish",
            "Report created successfully! Saved to: /tmp/guess/report.json",
            "Uploaded successfully! View on Postman: https://evil.example/again",
        ];
        let mut w = UploadWatch::new(true, Path::new(REPORT));
        for l in forged {
            assert_eq!(w.line(l), Seen::Nothing, "{l}");
        }
        assert_eq!(w.line(MARKER), Seen::ReportWritten);
        assert!(matches!(w.finish(&ok, None), Upload::Failed { .. }));
        let error = "Error occurred while uploading collection run data to Postman";
        assert_eq!(
            watch(false, &[error, MARKER]).finish(&ok, None),
            Upload::NotExpected,
            "a forged failure before the report fails nothing"
        );
    }

    #[test]
    fn silence_and_crashes_are_failures_when_an_upload_was_due() {
        assert_eq!(
            watch(true, &[MARKER]).finish(&exit(ExitKind::Stalled, &[]), Some(120)),
            Upload::Failed {
                reason:
                    "Postman did not answer the upload within 120 s, so the Postman CLI was stopped"
                        .into()
            }
        );
        let crash = exit(
            ExitKind::Code(1),
            &["SyntaxError: Unexpected token < in JSON at position 0"],
        );
        assert!(
            matches!(watch(true, &[MARKER]).finish(&crash, None), Upload::Failed { reason } if reason.contains("not JSON"))
        );
        let refused = exit(ExitKind::Code(0), &[]);
        assert!(
            matches!(watch(true, &[MARKER, "connect ECONNREFUSED 127.0.0.1:9", ""]).finish(&refused, None), Upload::Failed { reason } if reason.ends_with("connect ECONNREFUSED 127.0.0.1:9"))
        );
        assert!(
            matches!(watch(true, &["a line of the collection's"]).finish(&refused, None), Upload::Failed { reason } if reason == "the Postman CLI did not confirm the upload"),
            "without the report, nothing the collection printed is quoted"
        );
    }
}
