//! Whether the Postman CLI reported a run to Postman, read from what it
//! prints. The CLI's exit code does not say: an upload that fails leaves it
//! unchanged (only a non-JSON answer crashes it, after its reports are
//! written), so its lines are the only evidence.

use crate::process::{ExitKind, ToolExit};

/// What became of a run's upload to Postman.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upload {
    /// No upload was expected: no key, or nothing the CLI can upload.
    NotExpected,
    /// Reported; the link to the run in Postman, when Postman gave one.
    Uploaded {
        url: Option<String>,
    },
    Failed {
        reason: String,
    },
}

/// Watches a run's output lines for the upload's outcome.
#[derive(Debug, Default)]
pub struct UploadWatch {
    expected: bool,
    uploaded: bool,
    url: Option<String>,
    failure: Option<String>,
}

const SUCCESS: &str = "Uploaded successfully! View on Postman:";

impl UploadWatch {
    pub fn new(expected: bool) -> UploadWatch {
        UploadWatch {
            expected,
            ..UploadWatch::default()
        }
    }

    pub fn line(&mut self, line: &str) {
        let line = strip_ansi(line);
        let line = line.trim();
        if let Some(rest) = line.strip_prefix(SUCCESS) {
            let url = rest.trim();
            self.uploaded = true;
            self.url = Some(url.to_owned()).filter(|u| !u.is_empty() && u != "undefined");
            self.failure = None;
            return;
        }
        let failed = [
            "Authorization error occurred while uploading",
            "Forbidden error occurred while uploading",
            "Error occurred while uploading",
        ];
        if failed.iter().any(|f| line.starts_with(f)) {
            self.failure = Some(line.to_owned());
        }
    }

    pub fn finish(self, exit: &ToolExit, stalled_after: Option<u64>) -> Upload {
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
            (ExitKind::Code(1), _) if exit.tail.iter().any(|l| l.contains("SyntaxError")) => {
                "Postman's answer to the upload was not JSON, and the Postman CLI stopped on it"
                    .to_owned()
            }
            _ => match exit.tail.iter().rev().find(|l| !l.trim().is_empty()) {
                Some(last) => format!(
                    "the Postman CLI did not confirm the upload; its last line was: {}",
                    strip_ansi(last).trim()
                ),
                None => "the Postman CLI did not confirm the upload".to_owned(),
            },
        };
        Upload::Failed { reason }
    }
}

/// Drops terminal escape sequences (colours, cursor moves).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit(end: ExitKind, tail: &[&str]) -> ToolExit {
        ToolExit {
            end,
            tail: tail.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn watch(expected: bool, lines: &[&str]) -> UploadWatch {
        let mut w = UploadWatch::new(expected);
        for l in lines {
            w.line(l);
        }
        w
    }

    #[test]
    fn reads_each_outcome_the_cli_prints() {
        let ok = exit(ExitKind::Code(0), &[]);
        assert_eq!(
            watch(true, &["\u{1b}[32mUploaded successfully! View on Postman: https://go.postman.co/workspace/w/run/r\u{1b}[39m"]).finish(&ok, None),
            Upload::Uploaded { url: Some("https://go.postman.co/workspace/w/run/r".into()) }
        );
        assert_eq!(
            watch(true, &["Uploaded successfully! View on Postman: undefined"]).finish(&ok, None),
            Upload::Uploaded { url: None }
        );
        let denied = "Authorization error occurred while uploading collection run data to Postman. Please ensure you are logged in with a valid API key.";
        assert_eq!(
            watch(true, &[denied]).finish(&ok, None),
            Upload::Failed {
                reason: denied.into()
            }
        );
        assert_eq!(
            watch(false, &["anything"]).finish(&ok, None),
            Upload::NotExpected
        );
    }

    #[test]
    fn silence_and_crashes_are_failures_when_an_upload_was_due() {
        assert_eq!(
            watch(true, &[]).finish(&exit(ExitKind::Stalled, &[]), Some(120)),
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
            matches!(watch(true, &[]).finish(&crash, None), Upload::Failed { reason } if reason.contains("not JSON"))
        );
        let refused = exit(ExitKind::Code(0), &["connect ECONNREFUSED 127.0.0.1:9", ""]);
        assert!(
            matches!(watch(true, &[]).finish(&refused, None), Upload::Failed { reason } if reason.ends_with("connect ECONNREFUSED 127.0.0.1:9"))
        );
    }
}
