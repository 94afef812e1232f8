//! JSON as JavaScript writes it, made JSON that serde reads and every sink
//! can carry.
//!
//! `JSON.stringify` writes any JavaScript string, so a report can hold a
//! lone surrogate (`"\ud800"`), which serde_json refuses, losing the whole
//! report; and U+FFFE, U+FFFF or a C0 control character, which the JUnit
//! reader Azure runs refuses, losing the whole file. [`JsJson`] rewrites
//! each of them, in the text of any string, as the visible six characters
//! `\u` and four upper-case hex digits (`\uD800`, `\uFFFF`, `\u0001`), the
//! same on every build; tab, line feed and carriage return are kept. The
//! JUnit writer spells the characters it cannot write the same way.
//!
//! It works on the bytes as they stream, with a look-ahead of one escape
//! pair, so its cost is linear in the report and its memory bounded.
//!
//! The YAML run report meets the same characters: js-yaml writes a lone
//! surrogate as the escape `"\uD800"`, which serde_saphyr refuses.
//! [`JsJson::escapes_only`] rewrites such escapes wherever they are, for a
//! second reading of a YAML report the first could not read; the
//! characters a parser decodes itself are made visible by [`make_visible`]
//! (see [`super::collect`]).

use std::io::{self, Read};

/// The visible stand-in for a character no sink may carry: `\u` and four
/// upper-case hex digits.
pub(crate) fn visible(code: u32) -> String {
    format!("\\u{code:04X}")
}

/// Whether a decoded character is one [`visible`] stands in for.
pub(crate) fn needs_visible(c: char) -> bool {
    matches!(c, '\u{FFFE}' | '\u{FFFF}')
        || (u32::from(c) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
}

/// A string with every character [`needs_visible`] names made visible; for
/// readers whose parser decodes such characters itself.
pub(crate) fn make_visible(text: &str) -> Option<String> {
    if !text.chars().any(needs_visible) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_visible(c) {
            out.push_str(&visible(u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// A reader of JSON text that hands on the same JSON with the characters
/// above rewritten (see the module's doc).
pub(crate) struct JsJson<R> {
    inner: R,
    /// Read but not yet decided: at most an escape pair across a read.
    input: Vec<u8>,
    out: Vec<u8>,
    out_at: usize,
    in_string: bool,
    /// Every `\u` escape is rewritten, in or out of a JSON string, and
    /// nothing else (for YAML).
    escapes_only: bool,
    done: bool,
}

/// Bytes read from the inner reader at a time.
const CHUNK: usize = 64 * 1024;

impl<R: Read> JsJson<R> {
    pub(crate) fn new(inner: R) -> JsJson<R> {
        JsJson {
            inner,
            input: Vec::with_capacity(CHUNK + 16),
            out: Vec::with_capacity(CHUNK + 64),
            out_at: 0,
            in_string: false,
            escapes_only: false,
            done: false,
        }
    }

    /// Only escapes of odd characters are rewritten, wherever they are:
    /// for YAML, whose double-quoted scalars escape as JSON does.
    pub(crate) fn escapes_only(inner: R) -> JsJson<R> {
        JsJson {
            escapes_only: true,
            ..JsJson::new(inner)
        }
    }

    /// Reads a chunk and rewrites what can be decided of it into `out`.
    fn fill(&mut self) -> io::Result<()> {
        let have = self.input.len();
        self.input.resize(have + CHUNK, 0);
        let n = loop {
            match self.inner.read(&mut self.input[have..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.input.truncate(have);
                    return Err(e);
                }
            }
        };
        self.input.truncate(have + n);
        let eof = n == 0;
        self.out.clear();
        self.out_at = 0;
        let used = self.rewrite(eof);
        self.input.drain(..used);
        self.done = eof && self.input.is_empty();
        Ok(())
    }

    /// Rewrites `input` into `out` up to where a decision needs bytes not
    /// read yet (unless `eof`); returns how much was used.
    fn rewrite(&mut self, eof: bool) -> usize {
        let input = &self.input;
        let out = &mut self.out;
        let mut i = 0;
        while i < input.len() {
            if self.escapes_only {
                let plain = input[i..]
                    .iter()
                    .position(|&b| b == b'\\')
                    .unwrap_or(input.len() - i);
                out.extend_from_slice(&input[i..i + plain]);
                i += plain;
                if i < input.len() {
                    match escape(&input[i..], eof, out) {
                        Some(n) => i += n,
                        None => break,
                    }
                }
                continue;
            }
            if !self.in_string {
                match input[i..].iter().position(|&b| b == b'"') {
                    Some(at) => {
                        out.extend_from_slice(&input[i..=i + at]);
                        i += at + 1;
                        self.in_string = true;
                    }
                    None => {
                        out.extend_from_slice(&input[i..]);
                        i = input.len();
                    }
                }
                continue;
            }
            let plain = input[i..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20 || b == 0xEF)
                .unwrap_or(input.len() - i);
            out.extend_from_slice(&input[i..i + plain]);
            i += plain;
            let Some(&b) = input.get(i) else { break };
            let step = match b {
                b'"' => {
                    self.in_string = false;
                    out.push(b);
                    Some(1)
                }
                b'\\' => escape(&input[i..], eof, out),
                0xEF => raw_noncharacter(&input[i..], eof, out),
                b'\t' => keep(out, b"\\t"),
                b'\n' => keep(out, b"\\n"),
                b'\r' => keep(out, b"\\r"),
                control => {
                    push_visible(out, u32::from(control));
                    Some(1)
                }
            };
            match step {
                Some(n) => i += n,
                None => break,
            }
        }
        i
    }
}

fn keep(out: &mut Vec<u8>, escaped: &[u8]) -> Option<usize> {
    out.extend_from_slice(escaped);
    Some(1)
}

/// The stand-in for `code`, as JSON string text (its backslash escaped).
fn push_visible(out: &mut Vec<u8>, code: u32) {
    out.extend_from_slice(b"\\");
    out.extend_from_slice(visible(code).as_bytes());
}

/// The four hex digits of a `\uXXXX` escape.
fn hex4(bytes: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(bytes.get(..4)?).ok()?;
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

/// An escape at the start of `at`: handed on, or rewritten; `None` when
/// more bytes are needed to decide.
fn escape(at: &[u8], eof: bool, out: &mut Vec<u8>) -> Option<usize> {
    let whole = |n: usize, out: &mut Vec<u8>| {
        let n = n.min(at.len());
        out.extend_from_slice(&at[..n]);
        Some(n)
    };
    match at.get(1) {
        None if eof => return whole(1, out),
        None => return None,
        Some(b'u') => {}
        Some(_) => return whole(2, out),
    }
    if at.len() < 6 {
        return if eof { whole(at.len(), out) } else { None };
    }
    // Not hex: serde says what is wrong with it.
    let Some(code) = hex4(&at[2..6]) else {
        return whole(6, out);
    };
    match code {
        0xD800..=0xDBFF => {
            if at.len() < 12 && !eof && at.get(6).is_none_or(|&b| b == b'\\') {
                return None;
            }
            let paired = at.get(6..8) == Some(b"\\u".as_slice())
                && at
                    .get(8..12)
                    .and_then(hex4)
                    .is_some_and(|low| (0xDC00..=0xDFFF).contains(&low));
            if paired {
                return whole(12, out);
            }
            push_visible(out, code);
            Some(6)
        }
        0xDC00..=0xDFFF | 0xFFFE | 0xFFFF => {
            push_visible(out, code);
            Some(6)
        }
        c if c < 0x20 && !matches!(c, 0x09 | 0x0A | 0x0D) => {
            push_visible(out, code);
            Some(6)
        }
        _ => whole(6, out),
    }
}

/// `EF BF BE` and `EF BF BF`, U+FFFE and U+FFFF written raw; any other
/// character starting with `EF` is handed on.
fn raw_noncharacter(at: &[u8], eof: bool, out: &mut Vec<u8>) -> Option<usize> {
    if at.len() < 3 && !eof {
        return None;
    }
    match at.get(1..3) {
        Some([0xBF, 0xBE]) => push_visible(out, 0xFFFE),
        Some([0xBF, 0xBF]) => push_visible(out, 0xFFFF),
        _ => {
            out.push(at[0]);
            return Some(1);
        }
    }
    Some(3)
}

impl<R: Read> Read for JsJson<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_at == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = buf.len().min(self.out.len() - self.out_at);
        buf[..n].copy_from_slice(&self.out[self.out_at..self.out_at + n]);
        self.out_at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string serde reads from `json` through [`JsJson`], read a few
    /// bytes at a time so every escape straddles a read somewhere.
    fn read(json: &str) -> String {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let whole: String = serde_json::from_reader(JsJson::new(json.as_bytes())).unwrap();
        let trickled: String =
            serde_json::from_reader(JsJson::new(Trickle(json.as_bytes()))).unwrap();
        assert_eq!(whole, trickled, "{json}");
        whole
    }

    #[test]
    fn what_javascript_writes_is_read_with_odd_characters_made_visible() {
        assert!(serde_json::from_str::<String>(r#""a\ud800b""#).is_err());
        assert_eq!(read(r#""a\ud800b""#), r"a\uD800b");
        assert_eq!(read(r#""\udfff\ud800""#), r"\uDFFF\uD800");
        assert_eq!(read(r#""\ud83d\ude00 ok""#), "😀 ok");
        assert_eq!(read(r#""\ud800\ud83d\ude00""#), r"\uD800😀");
        assert_eq!(
            read(r#""\uffff \ufffe \u0001 \u001B""#),
            r"\uFFFF \uFFFE \u0001 \u001B"
        );
        assert_eq!(read("\"raw \u{FFFF} \u{FFFE}\""), r"raw \uFFFF \uFFFE");
        assert_eq!(read("\"\\t\\n\\r\\u0009 é ✓\""), "\t\n\r\t é ✓");
        // An escaped backslash is not an escape.
        assert_eq!(read(r#""\\ud800""#), r"\ud800");
        assert_eq!(read(r#""\"\ud800\"""#), r#""\uD800""#);
    }

    #[test]
    fn only_strings_change_and_bad_json_stays_bad() {
        let doc = r#"{"k\ud800": [1, "\u0002", {"n": null}], "x": "\ud800"}"#;
        let v: serde_json::Value = serde_json::from_reader(JsJson::new(doc.as_bytes())).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"k\\uD800": [1, "\\u0002", {"n": null}], "x": "\\uD800"})
        );
        for bad in [r#"{"a": "\uZZZZ"}"#, r#"{"a": "\u12"#, r#"{"a": tru}"#] {
            assert!(
                serde_json::from_reader::<_, serde_json::Value>(JsJson::new(bad.as_bytes()))
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn yaml_escapes_are_rewritten_anywhere_and_nothing_else() {
        let yaml = "a: \"x\\uD800\\x01\"\nb: |-\n  line\n  two\n";
        let mut out = String::new();
        JsJson::escapes_only(yaml.as_bytes())
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "a: \"x\\\\uD800\\x01\"\nb: |-\n  line\n  two\n");
        #[derive(serde::Deserialize)]
        struct Doc {
            a: String,
        }
        let doc: Doc = serde_saphyr::from_str(&out).unwrap();
        assert_eq!(doc.a, "x\\uD800\u{1}");
    }

    #[test]
    fn decoded_text_is_made_visible_alike() {
        assert_eq!(make_visible("ok\t\n"), None);
        assert_eq!(
            make_visible("a\u{1}b\u{FFFF}").as_deref(),
            Some(r"a\u0001b\uFFFF")
        );
    }
}
