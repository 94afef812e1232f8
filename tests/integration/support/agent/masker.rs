//! The agent's secret masker, as the log shows a step: what it knows at the
//! start of the job (secret variables, every endpoint's authorization
//! parameters, the job's own access token), what `task.setsecret` adds as
//! the lines come, and what it does with a line: every occurrence of every
//! value, and of each value JSON-escaped and URI-escaped, replaced with
//! `***`, overlapping ones as one.
//!
//! Sources: microsoft/azure-pipelines-agent `src/Agent.Worker/Worker.cs`
//! (`AddUserSuppliedSecret`: the value and, when quoted, the value without
//! its quotes; a multi-line value is not split), `HostContext.cs` (the value
//! encoders `JsonStringEscape` and `UriDataEscape`), `TaskCommandExtension.cs`
//! (`task.setsecret`), and the knob `AZP_IGNORE_SECRETS_SHORTER_THAN`,
//! whose default is 0: a value of any length is masked. What the masker
//! knows is ordered by time: a value registered on stdout masks only the
//! lines read after it, on either stream.

use super::job::{AgentJob, SYSTEM_ACCESS_TOKEN};
use crate::support::vso::{LineKind, Stream, parse_line};

/// The agent's masker at one point of the step.
#[derive(Clone, Debug, Default)]
pub struct Masker {
    /// Every value and its encoded forms, none empty.
    forms: Vec<String>,
}

impl Masker {
    /// What the masker knows when the step starts.
    pub(crate) fn for_job(job: &AgentJob) -> Masker {
        let mut masker = Masker::default();
        for var in job.variables.iter().filter(|v| v.secret) {
            if !var.value.trim().is_empty() {
                masker.add(&var.value);
                for quote in ['\'', '"'] {
                    if var.value.len() > 1
                        && var.value.starts_with(quote)
                        && var.value.ends_with(quote)
                    {
                        masker.add(var.value.trim_matches(quote));
                    }
                }
            }
        }
        for endpoint in &job.endpoints {
            for (_, value) in &endpoint.params {
                masker.add(value);
            }
        }
        masker.add(SYSTEM_ACCESS_TOKEN);
        masker
    }

    /// `SecretMasker.AddValue` with the agent's value encoders.
    pub fn add(&mut self, value: &str) {
        let json = serde_json::to_string(value).expect("a string is JSON");
        for form in [
            value.to_owned(),
            json[1..json.len() - 1].to_owned(),
            uri_data_escape(value),
        ] {
            if !form.is_empty() && !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
    }

    /// `SecretMasker.MaskSecrets`.
    pub fn mask(&self, line: &str) -> String {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for form in &self.forms {
            let mut from = 0;
            while let Some(at) = line[from..].find(form.as_str()) {
                spans.push((from + at, from + at + form.len()));
                from += at + line[from + at..].chars().next().map_or(1, char::len_utf8);
            }
        }
        spans.sort();
        let mut out = String::new();
        let mut last = 0;
        let mut i = 0;
        while i < spans.len() {
            let (start, mut end) = spans[i];
            while i + 1 < spans.len() && spans[i + 1].0 <= end {
                i += 1;
                end = end.max(spans[i].1);
            }
            if start >= last {
                out.push_str(&line[last..start]);
                out.push_str("***");
                last = end;
            }
            i += 1;
        }
        out.push_str(&line[last..]);
        out
    }
}

/// `Uri.EscapeDataString`: every byte of UTF-8 but the unreserved
/// characters as `%XX`.
fn uri_data_escape(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The step's log as the agent writes it: the lines of both streams in the
/// order they arrived, each masked with what the masker knew when it was
/// read. `task.setsecret` lines add to the masker and are not shown.
pub(crate) fn masked_log(
    chunks: &[(Stream, Vec<u8>)],
    mut masker: Masker,
) -> Vec<(Stream, String)> {
    let mut pending: [(Stream, Vec<u8>); 2] =
        [(Stream::Stdout, Vec::new()), (Stream::Stderr, Vec::new())];
    let mut started = [false, false];
    let mut log = Vec::new();
    let mut line = |stream: Stream, bytes: &[u8], started: &mut bool, masker: &mut Masker| {
        let text = String::from_utf8_lossy(bytes);
        // StreamReader drops a leading byte order mark.
        let text = match *started {
            false => text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned(),
            true => text.into_owned(),
        };
        *started = true;
        match parse_line(&text, stream) {
            LineKind::Command(c) if c.name() == "task.setsecret" => {
                if !c.data.is_empty() {
                    masker.add(&c.data);
                }
            }
            _ => log.push((stream, masker.mask(&text))),
        }
    };
    for (stream, bytes) in chunks {
        let i = usize::from(*stream == Stream::Stderr);
        pending[i].1.extend_from_slice(bytes);
        loop {
            let buf = &pending[i].1;
            // A `\r` at the end may yet be followed by its `\n`.
            let Some(end) = buf.iter().position(|b| *b == b'\n' || *b == b'\r') else {
                break;
            };
            if buf[end] == b'\r' && end + 1 == buf.len() {
                break;
            }
            let terminator = if buf[end..].starts_with(b"\r\n") {
                2
            } else {
                1
            };
            let text: Vec<u8> = buf[..end].to_vec();
            pending[i].1.drain(..end + terminator);
            line(*stream, &text, &mut started[i], &mut masker);
        }
    }
    for (i, (stream, rest)) in pending.iter().enumerate() {
        let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
        if !rest.is_empty() {
            line(*stream, rest, &mut started[i], &mut masker);
        }
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_what_it_knows_when_the_line_comes() {
        let chunks = vec![
            (
                Stream::Stdout,
                b"before tok-123\n##vso[task.setsecret]tok-123\n".to_vec(),
            ),
            (Stream::Stderr, b"err tok-123 and tok%2D123\n".to_vec()),
            (Stream::Stdout, b"after \"tok-123\" tok\\\"x\r\n".to_vec()),
        ];
        let log = masked_log(&chunks, Masker::default());
        let lines: Vec<&str> = log.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            lines,
            [
                "before tok-123",
                "err *** and tok%2D123",
                "after \"***\" tok\\\"x"
            ]
        );
    }

    #[test]
    fn encoded_forms_and_overlaps() {
        let mut m = Masker::default();
        m.add("a b\"c");
        m.add("b\"cd");
        assert_eq!(
            m.mask("x a%20b%22c y a b\\\"c z a b\"cd!"),
            "x *** y *** z ***!"
        );
    }
}
