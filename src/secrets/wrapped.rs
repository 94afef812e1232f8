//! Masking across the places a tool wrapped its lines. The Postman CLI
//! prints what a script logs inside a box (`  | …`, `  │ …`) and, with no
//! terminal, wraps it at 54 columns, cutting any longer value (a JWT, a
//! token in hex) in two; neither half is a secret on its own line, so
//! neither the agent's masker nor a line-by-line one would mask it.
//!
//! [`Wrapped`] holds back the lines of a box until enough text follows
//! them that no secret starting in them can still run on (see
//! [`Secrets::reach`]), and masks the held lines joined, so a secret that
//! runs across one cut or several is masked on every line it touches.

use std::collections::VecDeque;
use std::ops::Range;

use super::Secrets;

/// The Postman CLI's box, with and without `--disable-unicode`.
const BOX_PREFIXES: [&str; 2] = ["  | ", "  │ "];

#[derive(Debug, Default)]
pub(crate) struct Wrapped {
    prefix: &'static str,
    /// The box lines held back, oldest first: each line's text after the
    /// prefix, and what was found in it so far.
    held: VecDeque<(String, Vec<Range<usize>>)>,
}

impl Wrapped {
    /// Takes the next line; returns the lines ready to show, masked.
    pub(crate) fn push(&mut self, secrets: &Secrets, line: &str) -> Vec<String> {
        let boxed = BOX_PREFIXES
            .iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (*p, rest)));
        let Some((prefix, content)) = boxed else {
            let mut out = self.flush(secrets);
            out.push(secrets.redact(line).into_owned());
            return out;
        };
        let mut out = Vec::new();
        if prefix != self.prefix {
            out = self.flush(secrets);
            self.prefix = prefix;
        }
        self.held.push_back((content.to_owned(), Vec::new()));
        self.find(secrets);
        // A line is safe to show once the text after it is longer than any
        // secret's longest form.
        let reach = secrets.reach();
        let mut after: usize = self.held.iter().map(|(c, _)| c.len()).sum();
        while let Some((first, _)) = self.held.front() {
            after -= first.len();
            if after < reach {
                break;
            }
            out.extend(self.show_first());
        }
        out
    }

    /// The lines held back, masked.
    pub(crate) fn flush(&mut self, secrets: &Secrets) -> Vec<String> {
        self.find(secrets);
        std::iter::from_fn(|| self.show_first()).collect()
    }

    /// Finds the secrets in the held lines joined, and notes on each line
    /// the part of each that falls on it.
    fn find(&mut self, secrets: &Secrets) {
        if self.held.is_empty() {
            return;
        }
        let joined: String = self.held.iter().map(|(c, _)| c.as_str()).collect();
        let found = secrets.ranges(&joined);
        let mut start = 0;
        for (content, ranges) in &mut self.held {
            let end = start + content.len();
            for r in &found {
                if r.start < end && r.end > start {
                    ranges.push(r.start.max(start) - start..r.end.min(end) - start);
                }
            }
            start = end;
        }
    }

    fn show_first(&mut self) -> Option<String> {
        let (content, ranges) = self.held.pop_front()?;
        Some(format!("{}{}", self.prefix, mask(&content, ranges)))
    }
}

/// `text` with each range (on character boundaries) masked, overlapping
/// and touching ones as one.
fn mask(text: &str, mut ranges: Vec<Range<usize>>) -> String {
    ranges.retain(|r| !r.is_empty());
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in merged {
        out.push_str(&text[last..r.start]);
        out.push_str(super::MASK);
        last = r.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::tests::secrets;

    fn show(secrets: &Secrets, lines: &[&str]) -> Vec<String> {
        let mut w = Wrapped::default();
        let mut out: Vec<String> = lines.iter().flat_map(|l| w.push(secrets, l)).collect();
        out.extend(w.flush(secrets));
        out
    }

    #[test]
    fn a_secret_cut_by_the_wrap_is_masked_on_both_lines() {
        let s = secrets(&["eyJhbGciOiJIUzI1NiJ9.payload-part.signature-part"]);
        let out = show(
            &s,
            &[
                "before",
                "  | 'token', 'eyJhbGciOiJIUzI1NiJ9.pay",
                "  | load-part.signature-part', 'and more text here that",
                "  | goes on'",
                "after eyJhbGciOiJIUzI1NiJ9.payload-part.signature-part",
            ],
        );
        assert_eq!(
            out,
            [
                "before",
                "  | 'token', '***",
                "  | ***', 'and more text here that",
                "  | goes on'",
                "after ***",
            ]
        );
    }

    #[test]
    fn across_three_lines_and_in_hex() {
        let secret = "tok-0123456789-abcdef-0123456789";
        let hex = hex::encode(secret);
        let s = secrets(&[secret]);
        let (a, rest) = hex.split_at(20);
        let (b, c) = rest.split_at(30);
        let lines = [
            format!("  | 'hex', '{a}"),
            format!("  | {b}"),
            format!("  | {c}'"),
        ];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(show(&s, &lines), ["  | 'hex', '***", "  | ***", "  | ***'"]);
    }

    #[test]
    fn lines_of_other_boxes_and_streams_stand_alone() {
        let s = secrets(&["abcdef"]);
        assert_eq!(
            show(&s, &["  | abc", "  │ def", "abc", "  | abcdef"]),
            ["  | abc", "  │ def", "abc", "  | ***"]
        );
    }
}
