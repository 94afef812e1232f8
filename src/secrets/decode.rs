//! Decoded views of a text: the text with one kind of escape undone
//! (percent, `+` for a space, XML and HTML entities, JSON and JavaScript
//! backslash escapes), and where each undone escape came from, so a secret
//! found in a view is masked in the original text.

use std::ops::Range;

/// Which escapes a decoded view undoes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Escapes {
    percent: bool,
    plus: bool,
    xml: bool,
    backslash: bool,
}

impl Escapes {
    const NONE: Escapes = Escapes {
        percent: false,
        plus: false,
        xml: false,
        backslash: false,
    };
    pub(super) const PERCENT: Escapes = Escapes {
        percent: true,
        ..Escapes::NONE
    };
    pub(super) const FORM: Escapes = Escapes {
        percent: true,
        plus: true,
        ..Escapes::NONE
    };
    pub(super) const XML: Escapes = Escapes {
        xml: true,
        ..Escapes::NONE
    };
    pub(super) const BACKSLASH: Escapes = Escapes {
        backslash: true,
        ..Escapes::NONE
    };
    pub(super) const ALL: Escapes = Escapes {
        percent: true,
        xml: true,
        backslash: true,
        plus: false,
    };
}

/// A text with escapes undone, and where each undone escape came from.
pub(super) struct View {
    pub(super) bytes: Vec<u8>,
    /// In order; bytes between them are copied one to one.
    pub(super) units: Vec<Unit>,
}

/// One escape: `bytes[dec..dec_end]` came from `text[src..src_end]`.
pub(super) struct Unit {
    dec: usize,
    dec_end: usize,
    src: usize,
    src_end: usize,
}

impl View {
    /// The range of the original text that a range of this view came from,
    /// widened to whole escapes.
    pub(super) fn source(&self, r: Range<usize>) -> Range<usize> {
        if r.is_empty() {
            return r;
        }
        // The last unit starting at or before `at`.
        let unit_at = |at: usize| {
            let i = self.units.partition_point(|u| u.dec <= at);
            i.checked_sub(1).map(|i| &self.units[i])
        };
        let start = match unit_at(r.start) {
            None => r.start,
            Some(u) if r.start < u.dec_end => u.src,
            Some(u) => u.src_end + (r.start - u.dec_end),
        };
        let last = r.end - 1;
        let end = match unit_at(last) {
            None => r.end,
            Some(u) if last < u.dec_end => u.src_end,
            Some(u) => u.src_end + (r.end - u.dec_end),
        };
        start..end
    }
}

pub(super) fn decode(text: &[u8], escapes: Escapes) -> View {
    let mut bytes = Vec::with_capacity(text.len());
    let mut units = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let escape = match rest[0] {
            b'%' if escapes.percent => percent_escape(rest),
            b'+' if escapes.plus => Some((1, Decoded::Byte(b' '))),
            b'&' if escapes.xml => xml_escape(rest),
            b'\\' if escapes.backslash => backslash_escape(rest),
            _ => None,
        };
        match escape {
            Some((len, decoded)) => {
                let dec = bytes.len();
                match decoded {
                    Decoded::Byte(b) => bytes.push(b),
                    Decoded::Char(c) => {
                        bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes())
                    }
                }
                units.push(Unit {
                    dec,
                    dec_end: bytes.len(),
                    src: i,
                    src_end: i + len,
                });
                i += len;
            }
            None => {
                bytes.push(rest[0]);
                i += 1;
            }
        }
    }
    View { bytes, units }
}

enum Decoded {
    Byte(u8),
    Char(char),
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `%41` or `%c3`: one byte, either case.
fn percent_escape(rest: &[u8]) -> Option<(usize, Decoded)> {
    let hi = hex_value(*rest.get(1)?)?;
    let lo = hex_value(*rest.get(2)?)?;
    Some((3, Decoded::Byte(hi << 4 | lo)))
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#39;`, `&#x27;`.
fn xml_escape(rest: &[u8]) -> Option<(usize, Decoded)> {
    let semi = rest.iter().take(12).position(|&b| b == b';')?;
    let name = std::str::from_utf8(&rest[1..semi]).ok()?;
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse::<u32>().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((semi + 1, Decoded::Char(c)))
}

/// JSON's escapes (`\"`, `\\`, `\/`, `\n`, `\u00e9`, surrogate pairs),
/// JavaScript's (`\xe9`, `\u{1F600}`), and a backslash before any other
/// punctuation, as markdown escapes it.
fn backslash_escape(rest: &[u8]) -> Option<(usize, Decoded)> {
    let hex = |digits: &[u8]| {
        let hex = digits.iter().all(u8::is_ascii_hexdigit) && !digits.is_empty();
        hex.then(|| {
            digits
                .iter()
                .fold(0u32, |n, d| n << 4 | (*d as char).to_digit(16).unwrap_or(0))
        })
    };
    let c = match *rest.get(1)? {
        b'x' => return Some((4, Decoded::Char(char::from_u32(hex(rest.get(2..4)?)?)?))),
        b'u' if rest.get(2) == Some(&b'{') => {
            let close = rest.iter().take(10).position(|&b| b == b'}')?;
            return Some((
                close + 1,
                Decoded::Char(char::from_u32(hex(&rest[3..close])?)?),
            ));
        }
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let unit = |at: usize| hex(rest.get(at..at + 4)?);
            let first = unit(2)?;
            if (0xD800..0xDC00).contains(&first) {
                if rest.get(6..8)? != b"\\u" {
                    return None;
                }
                let second = unit(8)?;
                if !(0xDC00..0xE000).contains(&second) {
                    return None;
                }
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Some((12, Decoded::Char(char::from_u32(code)?)));
            }
            return Some((6, Decoded::Char(char::from_u32(first)?)));
        }
        b if b.is_ascii_punctuation() => b as char,
        _ => return None,
    };
    Some((2, Decoded::Char(c)))
}
