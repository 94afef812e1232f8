//! The secret values a task run knows about, and their removal from
//! everything we write.
//!
//! The agent masks registered secrets in the log, but the JUnit file, the
//! summary and the copied CLI reports are uploaded as they are, and a request
//! URL, a header or an error message can carry a secret the collection used.
//! There a secret is seldom written as it was typed: a URL holds it
//! percent-encoded (`%20` or `+` for a space), XML and HTML hold it escaped,
//! JSON holds it with backslash escapes, a Basic authorization header holds
//! it in base64, a multi-line secret may show up one line at a time, a URL
//! parser splits one put unencoded in a query at `&`, and an assertion
//! message cuts a long one short with `…`.
//!
//! So [`Secrets::redact`] looks for every secret in the text as written and
//! in the text as each of those encodings decodes it, maps what it finds back
//! to the original bytes, and masks those. Decoding the text, rather than
//! listing encoded forms of each secret, also catches encoders that escape
//! only some characters, upper- or lower-case hex, and mixtures (a URL with
//! a JSON-escaped quote in it). Every text goes through it before it is
//! escaped for XML or markdown; the CLI's own JSON report, which we copy as
//! it is, goes through [`Secrets::redact_json`].

use std::borrow::Cow;
use std::ops::Range;

use aho_corasick::AhoCorasick;
use base64::Engine as _;

use crate::azure::agent::{AgentEnv, env_name};

/// Secrets shorter than this (in characters) are not redacted: masking
/// every `1` in a report would make it unreadable and protect nothing. Their
/// names are reported instead, see [`Secrets::unmasked_warning`].
pub(crate) const MIN_LEN: usize = 4;

/// What a secret is replaced with.
const MASK: &str = "***";

#[derive(Clone, Default)]
pub(crate) struct Secrets {
    /// Whole values, trimmed.
    values: Vec<String>,
    /// Names of secret variables too short to mask; never their values.
    unmasked: Vec<String>,
    /// Every secret, each line of a multi-line one, and each piece a URL
    /// parser splits off at `&` or `#`, when long enough to mask.
    units: Vec<String>,
    /// The units and their base64 cores, as byte patterns.
    patterns: Vec<Vec<u8>>,
    /// One automaton over all patterns, so a text is searched once per
    /// decoded view however many secrets there are.
    matcher: Option<AhoCorasick>,
}

/// A derived `Debug` would print the values.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("values", &self.values.len())
            .field("unmasked", &self.unmasked)
            .finish()
    }
}

impl Secrets {
    /// Secret pipeline variables (`SECRET_*`) and service connection
    /// credentials (`ENDPOINT_AUTH_PARAMETER_*`), as the agent passes them.
    pub(crate) fn from_env(env: &AgentEnv) -> Secrets {
        let mut s = Secrets::default();
        // The agent lists the secret variables' own names; the environment
        // only has them upper-cased with `.` turned into `_`.
        let names: Vec<String> = env
            .get("VSTS_SECRET_VARIABLES")
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default();
        for (key, value) in env.with_prefix("SECRET_") {
            let len = value.trim().chars().count();
            if len > 0 && len < MIN_LEN {
                let key = &key["SECRET_".len()..];
                let name = names
                    .iter()
                    .find(|n| env_name(n) == key)
                    .cloned()
                    .unwrap_or_else(|| key.to_owned());
                if !s.unmasked.contains(&name) {
                    s.unmasked.push(name);
                }
            }
        }
        s.extend(
            env.with_prefix("SECRET_")
                .chain(env.with_prefix("ENDPOINT_AUTH_PARAMETER_"))
                .map(|(_, v)| v),
        );
        s
    }

    pub(crate) fn add(&mut self, value: &str) {
        self.extend([value]);
    }

    pub(crate) fn extend<'v>(&mut self, values: impl IntoIterator<Item = &'v str>) {
        let before = self.values.len();
        for value in values {
            let value = value.trim();
            if value.chars().count() >= MIN_LEN && !self.values.iter().any(|v| v == value) {
                self.values.push(value.to_owned());
            }
        }
        if self.values.len() != before {
            self.rebuild();
        }
    }

    /// Names of the secret variables too short to be masked.
    pub(crate) fn unmasked_names(&self) -> &[String] {
        &self.unmasked
    }

    /// The warning that names the secrets we cannot mask, if there are any.
    pub(crate) fn unmasked_warning(&self) -> Option<String> {
        let names: Vec<String> = self
            .unmasked_names()
            .iter()
            .map(|n| format!("`{n}`"))
            .collect();
        let (subject, verb, it, secret) = match names.as_slice() {
            [] => return None,
            [one] => (
                format!("Secret variable {one}"),
                "is",
                "It is",
                "a longer secret",
            ),
            [rest @ .., last] => (
                format!("Secret variables {} and {last}", rest.join(", ")),
                "are",
                "They are",
                "longer secrets",
            ),
        };
        Some(format!(
            "{subject} {verb} shorter than {MIN_LEN} characters, too short to mask: \
             masking so short a value would garble every report and hide nothing. \
             {it} not removed from the JUnit file, the summary or the copied reports; \
             use {secret}."
        ))
    }

    pub(crate) fn contains_secret(&self, text: &str) -> bool {
        self.values.iter().any(|v| text.contains(v.as_str()))
    }

    /// The text with every secret masked in every form we know; borrowed
    /// when there is none.
    pub(crate) fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let spans = self.spans(text.as_bytes());
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        // A span found in a decoded view covers whole escapes, so it falls
        // on character boundaries; the widening is only a safety net.
        let spans = merge(
            spans
                .into_iter()
                .map(|r| {
                    let (mut start, mut end) = (r.start, r.end);
                    while !text.is_char_boundary(start) {
                        start -= 1;
                    }
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    start..end
                })
                .collect(),
        );
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for r in spans {
            out.push_str(&text[last..r.start]);
            out.push_str(MASK);
            last = r.end;
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }

    /// Bytes with every secret masked, or `None` when there is none.
    fn redact_bytes(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let spans = self.spans(bytes);
        if spans.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut last = 0;
        for r in merge(spans) {
            out.extend_from_slice(&bytes[last..r.start]);
            out.extend_from_slice(MASK.as_bytes());
            last = r.end;
        }
        out.extend_from_slice(&bytes[last..]);
        Some(out)
    }

    /// A JSON document with every secret masked, still valid JSON with its
    /// layout and key order kept.
    ///
    /// Each string (keys too) is redacted in decoded form and escaped again,
    /// so a secret split by escapes is found and the result stays valid. The
    /// CLI's report holds response bodies as Node buffers, arrays of byte
    /// values; such an array is redacted as the bytes it holds. A number
    /// that is a secret becomes the string `"***"`. Text that does not parse
    /// as JSON is redacted as text.
    pub(crate) fn redact_json<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.patterns.is_empty() {
            return Cow::Borrowed(text);
        }
        if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
            return self.redact(text);
        }
        let b = text.as_bytes();
        let mut out = String::new();
        let mut last = 0;
        let mut i = 0;
        while i < b.len() {
            let (end, replacement) = match b[i] {
                b'"' => {
                    let end = json_string_end(b, i);
                    let literal = &text[i..end];
                    let replacement = match serde_json::from_str::<String>(literal) {
                        Ok(value) => match self.redact(&value) {
                            Cow::Owned(clean) => serde_json::to_string(&clean).ok(),
                            Cow::Borrowed(_) => None,
                        },
                        // A lone surrogate escape: redact the escaped text.
                        Err(_) => match self.redact(literal) {
                            Cow::Owned(clean) => Some(clean),
                            Cow::Borrowed(_) => None,
                        },
                    };
                    (end, replacement)
                }
                b'[' => match json_byte_array(b, i) {
                    Some((end, bytes)) if bytes.len() >= MIN_LEN => {
                        let replacement = self.redact_bytes(&bytes).map(|clean| {
                            let items: Vec<String> = clean.iter().map(u8::to_string).collect();
                            format!("[{}]", items.join(","))
                        });
                        (end, replacement)
                    }
                    _ => (i + 1, None),
                },
                b'-' | b'0'..=b'9' => {
                    let mut end = i + 1;
                    while end < b.len()
                        && matches!(b[end], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                    {
                        end += 1;
                    }
                    let replacement = matches!(self.redact(&text[i..end]), Cow::Owned(_))
                        .then(|| format!("\"{MASK}\""));
                    (end, replacement)
                }
                _ => (i + 1, None),
            };
            if let Some(replacement) = replacement {
                out.push_str(&text[last..i]);
                out.push_str(&replacement);
                last = end;
            }
            i = end;
        }
        if last == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[last..]);
        // Only the lone-surrogate path can break the document; a secret-free
        // text matters more than a valid one.
        if serde_json::from_str::<serde::de::IgnoredAny>(&out).is_err() {
            return Cow::Owned(self.redact(text).into_owned());
        }
        Cow::Owned(out)
    }

    fn rebuild(&mut self) {
        let mut units = Vec::new();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        for value in &self.values {
            // The agent and many tools show a multi-line value one line at a
            // time, and line endings change on the way (`\r\n`, `\n`). A
            // URL parser splits a value put in a query unencoded at `&` and
            // `#`, and a report then shows each piece apart.
            let lines = value.lines().map(str::trim);
            let pieces = value.lines().flat_map(|l| l.split(['&', '#']));
            for unit in std::iter::once(value.as_str()).chain(lines).chain(pieces) {
                if unit.chars().count() < MIN_LEN || units.iter().any(|u| u == unit) {
                    continue;
                }
                units.push(unit.to_owned());
                patterns.push(unit.as_bytes().to_vec());
                patterns.extend(base64_cores(unit.as_bytes()));
            }
        }
        patterns.sort();
        patterns.dedup();
        // A contiguous NFA builds quickly (the set grows with each secret
        // input) and searches fast enough. Building fails only past limits
        // no environment variable reaches; the plain search in `find`
        // covers that case anyway.
        self.matcher = AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&patterns)
            .ok();
        self.patterns = patterns;
        self.units = units;
    }

    /// Calls `found` with every occurrence of every pattern, overlapping
    /// ones included: masking their union leaves no piece of a secret that
    /// a longer or earlier match would have hidden from a one-match-at-a-time
    /// search.
    fn find(&self, haystack: &[u8], found: &mut impl FnMut(Range<usize>)) {
        self.find_cut_short(haystack, found);
        match &self.matcher {
            Some(ac) => {
                for m in ac.find_overlapping_iter(haystack) {
                    found(m.range());
                }
            }
            None => {
                for p in &self.patterns {
                    for (at, window) in haystack.windows(p.len()).enumerate() {
                        if window == p.as_slice() {
                            found(at..at + p.len());
                        }
                    }
                }
            }
        }
    }

    /// Calls `found` with every secret cut short, as an assertion message
    /// shows a long value: chai, which is Postman's `pm.expect`, keeps the
    /// first forty or so characters and adds `…`. A prefix long enough to
    /// mask before a `…` is masked with it. The cut may fall inside an
    /// escape (`%2…`, `\u00…`, `&am…`) or a character, so a few such bytes
    /// may sit between the prefix and the `…`.
    fn find_cut_short(&self, haystack: &[u8], found: &mut impl FnMut(Range<usize>)) {
        /// Longer prefixes than chai shows need no looking for.
        const LONGEST_SHOWN: usize = 64;
        /// The longest piece of an escape left before a cut: `&#12851`,
        /// or half a surrogate pair and a bit (`\ud83d\ude0`).
        const LONGEST_PIECE: usize = 12;
        let mut ellipsis = [0; 4];
        let ellipsis = ELLIPSIS.encode_utf8(&mut ellipsis).as_bytes();
        let piece_of_escape =
            |b: u8| b.is_ascii_alphanumeric() || b"%\\&#".contains(&b) || b >= 0x80;
        for (at, _) in haystack
            .windows(ellipsis.len())
            .enumerate()
            .filter(|(_, w)| *w == ellipsis)
        {
            for unit in &self.units {
                let cuts: Vec<usize> = unit
                    .char_indices()
                    .map(|(cut, _)| cut)
                    .skip(MIN_LEN)
                    .take(LONGEST_SHOWN)
                    .collect();
                'piece: for piece in 0..=LONGEST_PIECE.min(at) {
                    if piece > 0 {
                        let first = haystack[at - piece];
                        if !piece_of_escape(first) {
                            break;
                        }
                        // A piece starts an escape or a character; plain
                        // letters before the `…` are text, not a cut.
                        if !(b"%\\&".contains(&first) || first >= 0x80) {
                            continue;
                        }
                    }
                    let end = at - piece;
                    for &cut in cuts.iter().rev() {
                        if haystack[..end].ends_with(&unit.as_bytes()[..cut]) {
                            found(end - cut..at + ellipsis.len());
                            break 'piece;
                        }
                    }
                }
            }
        }
    }

    /// Byte ranges of `text` that hold a secret, in any form; unsorted and
    /// possibly overlapping.
    fn spans(&self, text: &[u8]) -> Vec<Range<usize>> {
        let mut spans = Vec::new();
        if self.patterns.is_empty() {
            return spans;
        }
        self.find(text, &mut |r| spans.push(r));
        let has = |byte: u8| text.contains(&byte);
        let kinds: Vec<Escapes> = [
            (has(b'%'), Escapes::PERCENT),
            (has(b'&'), Escapes::XML),
            (has(b'\\'), Escapes::BACKSLASH),
        ]
        .into_iter()
        .filter_map(|(present, kind)| present.then_some(kind))
        .collect();
        let mut in_view = |view: &View, outer: Option<&View>| {
            self.find(&view.bytes, &mut |r| {
                let r = view.source(r);
                spans.push(outer.map_or(r.clone(), |o| o.source(r)));
            });
        };
        // Each encoding on its own: a secret that holds what looks like
        // another encoding's escape (`%41` in a JSON-escaped text) is only
        // found when that other escape is left alone.
        if kinds.len() > 1 {
            for kind in &kinds {
                let view = decode(text, *kind);
                if !view.units.is_empty() {
                    in_view(&view, None);
                }
            }
        }
        // All of them at once, for mixtures, and twice, for a text escaped
        // twice (JSON inside XML, `%2520`).
        if !kinds.is_empty() {
            let once = decode(text, Escapes::ALL);
            if !once.units.is_empty() {
                in_view(&once, None);
                let twice = decode(&once.bytes, Escapes::ALL);
                if !twice.units.is_empty() {
                    in_view(&twice, Some(&once));
                }
            }
        }
        // `+` for a space only where a form encoder put it: a `+` in a
        // `%20`-encoded URL is itself.
        if has(b'+') {
            let view = decode(text, Escapes::FORM);
            if !view.units.is_empty() {
                in_view(&view, None);
            }
        }
        spans
    }
}

/// Sorted ranges with overlapping and touching ones joined.
fn merge(mut spans: Vec<Range<usize>>) -> Vec<Range<usize>> {
    spans.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for r in spans {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// What chai, and so `pm.expect`, puts where it cuts a long value short.
const ELLIPSIS: char = '…';

/// Base64 of a secret inside a longer value (`user:secret` in a Basic
/// header) depends on where the secret starts, modulo 3. For each of the
/// three alignments, the characters that encode only the secret's bits are
/// the same wherever it sits and whatever surrounds it; those are what we
/// look for, in the standard and the URL-safe alphabet. The one or two
/// characters at each end that mix in neighbouring bits stay, which gives
/// away a few bits and no more, as with secret scanners.
fn base64_cores(secret: &[u8]) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    let mut cores = Vec::new();
    for offset in 0..3 {
        let mut shifted = vec![0u8; offset];
        shifted.extend_from_slice(secret);
        // Character i holds bits 6i..6i+6; keep those inside the secret.
        let first = (offset * 8).div_ceil(6);
        let end = shifted.len() * 8 / 6;
        for engine in [&STANDARD, &URL_SAFE] {
            let encoded = engine.encode(&shifted);
            let core = &encoded.as_bytes()[first..end];
            if core.len() >= MIN_LEN {
                cores.push(core.to_vec());
            }
        }
    }
    cores
}

/// Which escapes a decoded view undoes.
#[derive(Clone, Copy, Debug)]
struct Escapes {
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
    const PERCENT: Escapes = Escapes {
        percent: true,
        ..Escapes::NONE
    };
    const FORM: Escapes = Escapes {
        percent: true,
        plus: true,
        ..Escapes::NONE
    };
    const XML: Escapes = Escapes {
        xml: true,
        ..Escapes::NONE
    };
    const BACKSLASH: Escapes = Escapes {
        backslash: true,
        ..Escapes::NONE
    };
    const ALL: Escapes = Escapes {
        percent: true,
        xml: true,
        backslash: true,
        plus: false,
    };
}

/// A text with escapes undone, and where each undone escape came from.
struct View {
    bytes: Vec<u8>,
    /// In order; bytes between them are copied one to one.
    units: Vec<Unit>,
}

/// One escape: `bytes[dec..dec_end]` came from `text[src..src_end]`.
struct Unit {
    dec: usize,
    dec_end: usize,
    src: usize,
    src_end: usize,
}

impl View {
    /// The range of the original text that a range of this view came from,
    /// widened to whole escapes.
    fn source(&self, r: Range<usize>) -> Range<usize> {
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

fn decode(text: &[u8], escapes: Escapes) -> View {
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

/// JSON's escapes (`\"`, `\\`, `\/`, `\n`, `\u00e9`, surrogate pairs), and
/// a backslash before any other punctuation, as markdown escapes it.
fn backslash_escape(rest: &[u8]) -> Option<(usize, Decoded)> {
    let c = match *rest.get(1)? {
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let unit = |at: usize| -> Option<u32> {
                let hex = std::str::from_utf8(rest.get(at..at + 4)?).ok()?;
                u32::from_str_radix(hex, 16).ok()
            };
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

/// Where the JSON string starting at `start` (its opening quote) ends, just
/// after its closing quote, in a document known to be valid.
fn json_string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// An array of integers 0 to 255 starting at `start` (its `[`): where it
/// ends, just after its `]`, and the bytes.
fn json_byte_array(b: &[u8], start: usize) -> Option<(usize, Vec<u8>)> {
    let skip_ws = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut bytes = Vec::new();
    let mut i = skip_ws(start + 1);
    loop {
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 3 {
            return None;
        }
        let value: u16 = std::str::from_utf8(&b[i..i + digits]).ok()?.parse().ok()?;
        bytes.push(u8::try_from(value).ok()?);
        i = skip_ws(i + digits);
        match b.get(i)? {
            b',' => i = skip_ws(i + 1),
            b']' => return Some((i + 1, bytes)),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(values: &[&str]) -> Secrets {
        let mut s = Secrets::default();
        for v in values {
            s.add(v);
        }
        s
    }

    #[test]
    fn redacts_known_secrets() {
        let env = AgentEnv::from_pairs([
            ("SECRET_TOKEN", "s3cr3t-token"),
            ("SECRET_SHORT", "ab"),
            ("ENDPOINT_AUTH_PARAMETER_id_APITOKEN", "PMAK-123456"),
            ("PUBLIC", "visible"),
        ]);
        let s = Secrets::from_env(&env);
        assert_eq!(
            s.redact("GET /x?t=s3cr3t-token&k=PMAK-123456&ab&visible"),
            "GET /x?t=***&k=***&ab&visible"
        );
        assert!(matches!(s.redact("nothing"), Cow::Borrowed(_)));
        assert!(matches!(
            s.redact("100% &amp; \\n escapes+more"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn debug_output_holds_no_value() {
        let s = secrets(&["s3cr3t-token"]);
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }

    #[test]
    fn url_encoded_forms() {
        let s = secrets(&["pass word1&<>\"é"]);
        for text in [
            "q=pass%20word1%26%3C%3E%22%C3%A9&x=1",
            "q=pass%20word1%26%3c%3e%22%c3%a9&x=1",
            "q=pass+word1%26%3C%3E%22%C3%A9&x=1",
            // Postman escapes only some characters.
            "q=pass%20word1%26<>%22é&x=1",
        ] {
            assert_eq!(s.redact(text), "q=***&x=1", "{text}");
        }
        // A `+` that is itself, next to `%20`.
        let s = secrets(&["a+b c!"]);
        assert_eq!(s.redact("x=a+b%20c%21"), "x=***");
        assert_eq!(s.redact("x=a%2Bb+c%21"), "x=***");
    }

    #[test]
    fn xml_and_html_escaped_forms() {
        let s = secrets(&["it's <a&b> \"x\""]);
        for text in [
            "<f m=\"it&apos;s &lt;a&amp;b&gt; &quot;x&quot;\"/>",
            "<f m=\"it&#39;s &lt;a&amp;b&gt; &quot;x&quot;\"/>",
            "<f m=\"it&#x27;s &lt;a&amp;b&gt; &quot;x&quot;\"/>",
            "<f m=\"it&#X27;s &#60;a&#38;b&#62; &#34;x&#34;\"/>",
            "<f>it's &lt;a&amp;b&gt; \"x\"</f>",
        ] {
            let out = s.redact(text);
            assert!(
                out.contains("***") && !out.contains("it"),
                "{text} -> {out}"
            );
        }
    }

    #[test]
    fn json_escaped_forms() {
        let s = secrets(&["a\"b\\c/d\té€"]);
        for text in [
            r#"{"k":"a\"b\\c/d\té€"}"#,
            r#"{"k":"a\"b\\c\/d\t\u00e9\u20ac"}"#,
            r#"{"k":"a\u0022b\u005Cc\u002fd\u0009\u00E9\u20AC"}"#,
        ] {
            assert_eq!(s.redact(text), r#"{"k":"***"}"#, "{text}");
        }
        let s = secrets(&["smile😀now"]);
        assert_eq!(s.redact(r#""smile\ud83d\ude00now""#), r#""***""#);
        // A lone surrogate is left as it is.
        assert!(matches!(s.redact(r#""\ud83d x""#), Cow::Borrowed(_)));
    }

    #[test]
    fn mixed_and_double_escapes() {
        let s = secrets(&["pass word\"1"]);
        // A URL encoder that leaves `"` alone, inside JSON.
        assert_eq!(s.redact(r#""q=pass%20word\"1""#), r#""q=***""#);
        // JSON inside XML.
        assert_eq!(s.redact("<x>pass word\\&quot;1</x>"), "<x>***</x>");
        // Percent-encoded twice.
        assert_eq!(s.redact("q=pass%2520word%25221"), "q=***");
        // A secret that looks like an escape of another encoding.
        let s = secrets(&["50%41\"x"]);
        assert_eq!(s.redact(r#"{"k":"50%41\"x"}"#), r#"{"k":"***"}"#);
    }

    #[test]
    fn base64_in_a_basic_header_at_every_alignment() {
        use base64::engine::general_purpose::STANDARD;
        let secret = "pa:ss wörd";
        let s = secrets(&[secret]);
        for user in ["", "u", "us", "use", "user", "u:"] {
            let header = STANDARD.encode(format!("{user}:{secret}"));
            let text = format!("Authorization: Basic {header}\n");
            let out = s.redact(&text);
            assert!(out.contains("***"), "{user}: {out}");
            for core in base64_cores(secret.as_bytes()) {
                assert!(!out.contains(std::str::from_utf8(&core).unwrap()));
            }
        }
        // The secret as the user name, before the colon.
        let header = STANDARD.encode(format!("{secret}:x"));
        assert!(s.redact(&header).contains("***"));
    }

    #[test]
    fn each_line_of_a_multi_line_secret() {
        let s = secrets(&["-----BEGIN KEY-----\r\nMIIEvQIBADAN\nab\n-----END KEY-----\n"]);
        assert_eq!(
            s.redact("first MIIEvQIBADAN then -----END KEY----- and ab"),
            "first *** then *** and ab"
        );
        assert_eq!(
            s.redact("-----BEGIN KEY-----\nMIIEvQIBADAN\nab\n-----END KEY-----"),
            "***\n***\nab\n***"
        );
        assert_eq!(s.redact(r#""MIIEvQIBADAN\nab""#), r#""***\nab""#);
    }

    #[test]
    fn a_secret_cut_short_is_masked_up_to_the_cut() {
        let s = secrets(&["pass word1&<>\"'é and more to come"]);
        for (text, masked) in [
            (
                "expected 'pass word1&<>\"'é and…' to equal 'x'",
                "expected '***' to equal 'x'",
            ),
            (
                "expected '/echo?token=pass%20word1&%3C%3E%22%27%C3%A9…' to equal",
                "expected '/echo?token=***' to equal",
            ),
            // Cut inside an escape.
            (
                "expected 'pass%20word1%2…' to equal",
                "expected '***' to equal",
            ),
            (
                r#""expected 'pass word1&<>\"'\u00…'""#,
                r#""expected '***'""#,
            ),
            ("<f m=\"'pass word1&am…'\"/>", "<f m=\"'***'\"/>"),
            (r#""cut 'pass word1\u2026'""#, r#""cut '***'""#),
        ] {
            assert_eq!(s.redact(text), masked, "{text}");
        }
        // Too short a prefix to mask, and a prefix with no cut.
        assert_eq!(s.redact("pas… pass word"), "pas… pass word");
    }

    #[test]
    fn pieces_a_url_parser_splits_off() {
        let s = secrets(&["pass word1&<>\"'é#frag", "a&bc"]);
        let report = r#"{"query":[{"key":"token","value":"pass%20word1"},{"key":"%3C%3E%22%27%C3%A9","value":null}],"hash":"frag"}"#;
        assert_eq!(
            s.redact(report),
            r#"{"query":[{"key":"token","value":"***"},{"key":"***","value":null}],"hash":"***"}"#
        );
        // Pieces too short to mask are left.
        assert_eq!(s.redact("a and bc"), "a and bc");
    }

    #[test]
    fn overlapping_secrets_are_masked_whole() {
        let s = secrets(&["abcdef", "defghi", "cdXYZ-secret"]);
        assert_eq!(s.redact("..abcdefghi.."), "..***..");
        assert_eq!(s.redact("abcdXYZ-secret!"), "ab***!");
    }

    #[test]
    fn short_secrets_are_named_not_masked() {
        let env = AgentEnv::from_pairs([
            ("SECRET_API_PIN", "12"),
            ("SECRET_OTHER", " 9 "),
            ("SECRET_EMPTY", ""),
            ("SECRET_LONG", "long-enough"),
            (
                "VSTS_SECRET_VARIABLES",
                r#"["api.pin","Other","long","empty"]"#,
            ),
        ]);
        let s = Secrets::from_env(&env);
        assert_eq!(s.unmasked_names(), ["api.pin", "Other"]);
        let warning = s.unmasked_warning().unwrap();
        assert!(
            !warning.contains("12") && !warning.contains('9'),
            "{warning}"
        );
        insta::assert_snapshot!(warning, @"Secret variables `api.pin` and `Other` are shorter than 4 characters, too short to mask: masking so short a value would garble every report and hide nothing. They are not removed from the JUnit file, the summary or the copied reports; use longer secrets.");
        assert_eq!(s.redact("pin 12"), "pin 12");
        let one = Secrets::from_env(&AgentEnv::from_pairs([("SECRET_X", "abc")]));
        assert_eq!(
            one.unmasked_warning().unwrap().split(',').next().unwrap(),
            "Secret variable `X` is shorter than 4 characters"
        );
        assert_eq!(Secrets::default().unmasked_warning(), None);
    }

    #[test]
    fn json_report_is_redacted_in_decoded_form() {
        let s = secrets(&["pass word1&<>\"", "424242"]);
        let secret_bytes: Vec<String> = "pass word1&<>\"".bytes().map(|b| b.to_string()).collect();
        let report = format!(
            r#"{{
  "url": {{"raw": "http://h/?t=pass%20word1%26%3C%3E%22", "query": [{{"key": "t", "value": "pass word1&<>\""}}]}},
  "pass word1&<>\"": "as a key",
  "header": [{{"key": "X-Token", "value": "pass word1\u0026\u003c\u003e\""}}],
  "stream": {{"type": "Buffer", "data": [123, {}, 125]}},
  "code": 424242,
  "other": [1, 2, 3, 4, 5],
  "kept": "visible"
}}"#,
            secret_bytes.join(", ")
        );
        let out = s.redact_json(&report);
        let value: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(value["url"]["raw"], "http://h/?t=***");
        assert_eq!(value["url"]["query"][0]["value"], "***");
        assert_eq!(value["***"], "as a key");
        assert_eq!(value["header"][0]["value"], "***");
        assert_eq!(
            value["stream"]["data"],
            serde_json::json!([123, 42, 42, 42, 125])
        );
        assert_eq!(value["code"], "***");
        assert_eq!(value["other"], serde_json::json!([1, 2, 3, 4, 5]));
        assert_eq!(value["kept"], "visible");
        // Layout and key order are kept.
        assert!(out.starts_with("{\n  \"url\": {\"raw\""), "{out}");
        assert!(out.find("\"kept\"") > out.find("\"other\""));

        let clean = r#"{"a": "nothing here", "b": [1,2,3,4]}"#;
        assert!(matches!(s.redact_json(clean), Cow::Borrowed(_)));
        // Not JSON: redacted as text.
        assert_eq!(s.redact_json("{ pass word1&<>\" "), "{ *** ");
    }

    /// A small deterministic generator, so a failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // splitmix64.
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }

        fn text(&mut self, alphabet: &[char], len: usize) -> String {
            (0..len)
                .map(|_| alphabet[self.below(alphabet.len())])
                .collect()
        }
    }

    /// Letters, digits and every character some encoding changes; no `*`,
    /// which the mask itself is made of.
    const ALPHABET: &[char] = &[
        'a', 'b', 'c', 'x', 'Y', 'Z', '0', '1', '7', 'e', 'f', 'u', 'n', ' ', ' ', '&', '<', '>',
        '"', '\'', '%', '+', '/', '=', '?', '#', ':', ';', '\\', '-', '.', '_', '~', '!', '(', ')',
        '[', ']', '@', ',', 'é', '€', '😀', '\t',
    ];

    fn percent_encode(text: &str, rng: &mut Rng, plus: bool, lower: bool, every: bool) -> String {
        let mut out = String::new();
        for c in text.chars() {
            let unreserved = c.is_ascii_alphanumeric() || "-._~".contains(c);
            // Some encoders leave some reserved characters alone; none
            // leaves `%` alone, nor `+` when it means a space.
            let must = c == '%' || (plus && c == '+') || !c.is_ascii() || c.is_ascii_control();
            if unreserved || !(every || must || rng.chance(50)) {
                out.push(c);
            } else if plus && c == ' ' {
                out.push('+');
            } else {
                for b in c.to_string().bytes() {
                    if lower {
                        out.push_str(&format!("%{b:02x}"));
                    } else {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
            }
        }
        out
    }

    fn xml_escape_text(text: &str, apos: &str, numeric: bool) -> String {
        let mut out = String::new();
        for c in text.chars() {
            match c {
                _ if numeric && !c.is_ascii_alphanumeric() => {
                    out.push_str(&format!("&#{};", c as u32))
                }
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str(apos),
                c => out.push(c),
            }
        }
        out
    }

    fn json_escape(text: &str, ascii: bool) -> String {
        let quoted = serde_json::to_string(text).unwrap();
        let inner = &quoted[1..quoted.len() - 1];
        if !ascii {
            return inner.to_owned();
        }
        let mut out = String::new();
        for c in inner.chars() {
            if c == '/' {
                out.push_str("\\/");
            } else if c.is_ascii() {
                out.push(c);
            } else {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
        out
    }

    /// The encodings the property tests put text through.
    const ENCODINGS: usize = 11;

    fn encode_as(encoding: usize, text: &str, rng: &mut Rng) -> String {
        match encoding {
            0 => text.to_owned(),
            1 => percent_encode(text, rng, false, false, true),
            2 => percent_encode(text, rng, false, true, true),
            3 => percent_encode(text, rng, true, false, true),
            4 => {
                let lower = rng.chance(50);
                percent_encode(text, rng, false, lower, false)
            }
            5 => xml_escape_text(text, "&apos;", false),
            6 => xml_escape_text(text, "&#39;", false),
            7 => xml_escape_text(text, "&#x27;", false),
            8 => xml_escape_text(text, "", true),
            9 => json_escape(text, false),
            _ => json_escape(text, true),
        }
    }

    /// Random secrets full of reserved characters, in random text, through
    /// every encoding: after redaction neither the secret nor its encoded
    /// form is left.
    #[test]
    fn no_encoded_form_of_a_secret_survives() {
        use base64::engine::general_purpose::STANDARD;
        let mut rng = Rng(0x5EC2_E75E_ED00_0010);
        let mut cases = 0;
        for case in 0..300 {
            let len = 4 + rng.below(37);
            let mut secret = rng.text(ALPHABET, len);
            // Redaction trims a secret; keep the test's copy the same.
            secret = secret.trim().to_owned();
            if secret.chars().count() < MIN_LEN {
                continue;
            }
            let s = secrets(&[&secret]);
            // Every encoding, each time in new random text.
            for encoding in 0..ENCODINGS {
                let len = rng.below(30);
                let before = rng.text(ALPHABET, len);
                let len = rng.below(30);
                let after = rng.text(ALPHABET, len);
                let encode = |text: &str, rng: &mut Rng| encode_as(encoding, text, rng);
                // Each encoding works a character at a time, so the secret's
                // part of the text is its encoded form.
                let encoded_secret = encode(&secret, &mut rng);
                let text = format!(
                    "{}{encoded_secret}{}",
                    encode(&before, &mut rng),
                    encode(&after, &mut rng)
                );
                let out = s.redact(&text);
                assert!(
                    !out.contains(&secret) && !out.contains(&encoded_secret),
                    "case {case}, encoding {encoding}: {secret:?} as {encoded_secret:?} in {text:?} -> {out:?}"
                );
                cases += 1;
            }

            // Cut short with `…` after at least MIN_LEN characters, as an
            // assertion message shows a long value, the cut falling inside
            // the next character's escape half the time.
            let starts: Vec<usize> = secret.char_indices().map(|(i, _)| i).collect();
            for encoding in (starts.len() > MIN_LEN)
                .then_some(0..ENCODINGS)
                .into_iter()
                .flatten()
            {
                let cut = starts[MIN_LEN + rng.below(starts.len() - MIN_LEN)];
                let mut shown = encode_as(encoding, &secret[..cut], &mut rng);
                let next_char = secret[cut..].chars().next().unwrap().to_string();
                let next = encode_as(encoding, &next_char, &mut rng);
                if next.len() > 1 && next.is_ascii() && rng.chance(50) {
                    shown.push_str(&next[..1 + rng.below(next.len() - 1)]);
                }
                let len = rng.below(30);
                let before = rng.text(ALPHABET, len);
                let text = format!(
                    "expected '{}{shown}…' to deeply equal 'x'",
                    encode_as(encoding, &before, &mut rng)
                );
                let out = s.redact(&text);
                assert!(
                    !out.contains(&format!("{shown}…")) && !out.contains(&secret[..cut]),
                    "case {case}, encoding {encoding}, cut short: {secret:?} as {shown:?} in {text:?} -> {out:?}"
                );
                cases += 1;
            }

            // Base64 in a Basic header, user names of every alignment.
            for _ in 0..4 {
                let len = rng.below(9);
                let user = rng.text(&['u', 's', 'r', '1', '.', '-'], len);
                let header = format!("Basic {}", STANDARD.encode(format!("{user}:{secret}")));
                let out = s.redact(&header);
                assert!(!out.contains(&secret), "case {case}: {header} -> {out}");
                for core in base64_cores(secret.as_bytes()) {
                    let core = std::str::from_utf8(&core).unwrap();
                    assert!(!out.contains(core), "case {case}: {header} -> {out}");
                }
                cases += 1;
            }
        }
        assert!(cases > 5000, "{cases}");
    }

    /// Multi-line secrets: each line long enough to mask is gone, wherever
    /// it appears and however it is encoded.
    #[test]
    fn no_line_of_a_multi_line_secret_survives() {
        let mut rng = Rng(0x0D0C_0A0B_0001_0002);
        let letters: Vec<char> = ALPHABET.iter().copied().filter(|c| *c != ' ').collect();
        let mut cases = 0;
        for case in 0..400 {
            let lines: Vec<String> = (0..2 + rng.below(3))
                .map(|_| {
                    let len = 1 + rng.below(12);
                    rng.text(&letters, len)
                })
                .collect();
            let secret = lines.join(if rng.chance(50) { "\n" } else { "\r\n" });
            let s = secrets(&[&secret]);
            // One line at a time, raw and in each encoding.
            for encoding in 0..4 {
                let line = &lines[rng.below(lines.len())];
                let len = rng.below(20);
                let context = rng.text(ALPHABET, len);
                let (text, form) = match encoding {
                    0 => (format!("{context}{line}{context}"), line.clone()),
                    1 => {
                        let e = json_escape(line, false);
                        (format!("\"{}{e}\"", json_escape(&context, false)), e)
                    }
                    2 => {
                        let e = xml_escape_text(line, "&apos;", false);
                        (format!("<a>{e}</a>"), e)
                    }
                    _ => {
                        let e = percent_encode(line, &mut rng, false, false, true);
                        (format!("?q={e}&x"), e)
                    }
                };
                let out = s.redact(&text);
                if line.trim().chars().count() >= MIN_LEN {
                    assert!(
                        !out.contains(line.as_str()) && !out.contains(&form),
                        "case {case}: {secret:?} {text:?} -> {out:?}"
                    );
                    cases += 1;
                }
            }
            // The whole secret, as JSON escapes it.
            if secret.trim().chars().count() >= MIN_LEN {
                let whole = json_escape(&secret, false);
                let quoted = format!("\"{whole}\"");
                let out = s.redact(&quoted);
                assert!(!out.contains(&whole), "case {case}: {out}");
                cases += 1;
            }
        }
        assert!(cases > 1000, "{cases}");
    }
}
