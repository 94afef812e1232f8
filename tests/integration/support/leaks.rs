//! Looking for secrets where a task run may have left them: every form a
//! secret takes (as written, upper and lower case, hex, JavaScript `\x`
//! escapes, percent-encoded, JSON-escaped, the base64 a `Basic` header
//! holds, cut short with `…`), in any charset (UTF-8, UTF-16
//! NUL-interleaved, Latin-1), in the log as the agent shows it and in every
//! file the task wrote or attached, Node buffers (arrays of byte values) in
//! JSON files decoded.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

use super::agent::{AgentJob, TaskRun};

/// Values shorter than this are masked only where they stand alone.
const FREE_TEXT: usize = 4;

pub struct Leaks {
    /// Each secret's name for messages, and its forms.
    secrets: Vec<(String, Vec<String>)>,
    /// Short credentials, looked for as whole values only.
    whole: Vec<String>,
}

impl Leaks {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Leaks {
        let mut leaks = Leaks {
            secrets: Vec::new(),
            whole: Vec::new(),
        };
        for secret in secrets {
            if secret.chars().count() < FREE_TEXT {
                leaks.whole.push(secret.to_owned());
            } else {
                leaks.secrets.push((secret.to_owned(), forms(secret)));
            }
        }
        leaks
    }

    /// What of the secrets `text` holds, in words.
    pub fn found_in(&self, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        // UTF-16 read as UTF-8, or JSON-escaped: the NULs between the
        // characters taken out.
        let views = [
            text.to_owned(),
            text.replace('\0', ""),
            text.replace("\\u0000", ""),
        ];
        for view in &views {
            for (secret, forms) in &self.secrets {
                for form in forms {
                    if view.contains(form.as_str()) {
                        found.push(format!("{secret:?} as {form:?}"));
                    }
                    // An assertion message cuts a long value short.
                    for (cut, _) in form.char_indices().skip(8) {
                        if view.contains(&format!("{}…", &form[..cut])) {
                            found.push(format!("{secret:?} cut short as {:?}", &form[..cut]));
                        }
                    }
                }
            }
            for secret in &self.whole {
                if stands_alone(view, secret) {
                    found.push(format!("{secret:?} standing alone"));
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }

    pub fn assert_none(&self, what: &str, text: &str) {
        let found = self.found_in(text);
        assert!(found.is_empty(), "{what} holds {found:?}:\n{text}");
    }

    /// A file's bytes in every charset, and the bytes of each Node buffer
    /// in it when it is JSON.
    pub fn assert_none_in_file(&self, path: &Path) {
        let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let what = path.display().to_string();
        for text in charsets(&bytes) {
            self.assert_none(&what, &text);
        }
        if let Ok(doc) = serde_json::from_slice::<Value>(&bytes) {
            let mut buffers = Vec::new();
            byte_arrays(&doc, &mut buffers);
            for buffer in buffers {
                for text in charsets(&buffer) {
                    self.assert_none(&format!("a buffer in {what}"), &text);
                }
            }
        }
    }

    /// The log and every file (see below). Returns the files checked.
    pub fn assert_none_in_run(&self, run: &TaskRun, job: &AgentJob) -> Vec<PathBuf> {
        self.assert_none_in_log(run);
        self.assert_none_in_files(run, job)
    }

    /// The log as the agent shows it, line by line and each box of the
    /// CLI's output joined.
    pub fn assert_none_in_log(&self, run: &TaskRun) {
        for (stream, line) in &run.log {
            self.assert_none(&format!("the log ({stream:?})"), line);
        }
        // The CLI wraps what a script logs at 54 columns, in a box: a
        // secret cut in two by the wrap is there for anyone who reads on.
        let mut joined = String::new();
        for (_, line) in run
            .log
            .iter()
            .chain([&(super::Stream::Stdout, String::new())])
        {
            match line
                .strip_prefix("  | ")
                .or_else(|| line.strip_prefix("  │ "))
            {
                Some(content) => joined.push_str(content),
                None if !joined.is_empty() => {
                    self.assert_none("a wrapped box in the log", &joined);
                    joined.clear();
                }
                None => {}
            }
        }
    }

    /// Every file the task wrote (the agent's temp folder: reports,
    /// attachments, the copied CLI reports) or attached. Returns the files
    /// checked.
    pub fn assert_none_in_files(&self, run: &TaskRun, job: &AgentJob) -> Vec<PathBuf> {
        let mut files = files_under(&job.temp_dir());
        files.extend(run.attachments().into_iter().map(|(_, _, path)| path));
        files.extend(run.summaries());
        files.extend(run.published_results().into_iter().flat_map(|p| p.files));
        files.sort();
        files.dedup();
        for file in &files {
            self.assert_none_in_file(file);
        }
        files
    }
}

/// Every form of a secret the tests look for.
pub fn forms(secret: &str) -> Vec<String> {
    let percent = |keep: &dyn Fn(char) -> bool| {
        let mut out = String::new();
        for c in secret.chars() {
            if keep(c) {
                out.push(c);
            } else {
                for b in c.to_string().bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
        out
    };
    let json = serde_json::to_string(secret).unwrap();
    let mut forms = vec![
        secret.to_owned(),
        secret.to_uppercase(),
        secret.to_lowercase(),
        hex::encode(secret),
        hex::encode_upper(secret),
        secret.bytes().map(|b| format!("\\x{b:02x}")).collect(),
        percent(&|c| c.is_ascii_alphanumeric() || "-._~".contains(c)),
        percent(&|c| c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c)),
        json[1..json.len() - 1].to_owned(),
    ];
    // Base64 of the secret behind a user name of any length: the middle
    // that does not depend on its neighbours.
    for offset in 0..3 {
        let mut shifted = vec![0u8; offset];
        shifted.extend_from_slice(secret.as_bytes());
        let encoded = base64::engine::general_purpose::STANDARD.encode(&shifted);
        let core = &encoded[(offset * 8).div_ceil(6)..shifted.len() * 8 / 6];
        if core.len() >= FREE_TEXT {
            forms.push(core.to_owned());
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

/// Whether `value` stands in `text` as a whole value: not next to a letter,
/// digit or other character a token is made of.
pub fn stands_alone(text: &str, value: &str) -> bool {
    let token = |c: char| c.is_alphanumeric() || "-_~+/".contains(c);
    text.match_indices(value).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(token)
            && !text[at + value.len()..].chars().next().is_some_and(token)
    })
}

/// Bytes as UTF-8 (lossy), UTF-16 in both byte orders and alignments, and
/// Latin-1.
fn charsets(bytes: &[u8]) -> Vec<String> {
    let mut out = vec![
        String::from_utf8_lossy(bytes).into_owned(),
        bytes.iter().map(|&b| char::from(b)).collect(),
    ];
    for skip in 0..2 {
        for le in [true, false] {
            let units = bytes
                .get(skip..)
                .unwrap_or_default()
                .chunks_exact(2)
                .map(|c| {
                    if le {
                        u16::from_le_bytes([c[0], c[1]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]])
                    }
                });
            out.push(
                char::decode_utf16(units)
                    .map(|c| c.unwrap_or('\u{fffd}'))
                    .collect(),
            );
        }
    }
    out
}

/// Every array of byte values (a Node buffer's `data`) in a JSON document.
fn byte_arrays(value: &Value, out: &mut Vec<Vec<u8>>) {
    match value {
        Value::Array(items) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            match bytes {
                Some(bytes) if bytes.len() >= FREE_TEXT => out.push(bytes),
                _ => items.iter().for_each(|v| byte_arrays(v, out)),
            }
        }
        Value::Object(map) => map.values().for_each(|v| byte_arrays(v, out)),
        _ => {}
    }
}

pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_form_in_every_charset() {
        let leaks = Leaks::new(["s3cr3t-Value", "Q7z"]);
        for text in [
            "x s3cr3t-Value x",
            "x S3CR3T-VALUE x",
            "x 7333637233742d56616c7565 x",
            "x 7333637233742D56616C7565 x",
            r"x \x73\x33\x63\x72\x33\x74\x2d\x56\x61\x6c\x75\x65",
            "expected 's3cr3t-Va…' to equal",
            "key Q7z.",
        ] {
            assert!(!leaks.found_in(text).is_empty(), "{text:?}");
        }
        let interleaved: String = "s3cr3t-Value".chars().flat_map(|c| [c, '\0']).collect();
        assert!(!leaks.found_in(&interleaved).is_empty());
        assert!(leaks.found_in("x ***, Q7zx, aQ7z, s3cr3t x").is_empty());
        let utf16: Vec<u8> = "s3cr3t-Value"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(charsets(&utf16).iter().any(|t| t.contains("s3cr3t-Value")));
    }
}
