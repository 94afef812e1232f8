//! Finding secrets in bytes: every form a secret is looked for in, and one
//! pass of a multi-pattern automaton over a text to find them all.
//!
//! A secret is looked for as *units* (the value, each of its lines, each
//! piece a URL parser splits off at `&` or `#`), and each unit in every
//! form that is not an escape a decoded view undoes: as written, upper and
//! lower case, in hex, in UTF-16 (little and big endian), in Latin-1, and
//! the base64 cores a `Basic` header holds (a unit over 1 KiB as written
//! and in base64 only). All of them go into one
//! automaton, so a text is read once however many secrets there are.
//!
//! An assertion message cuts a long value short with `…`; the prefixes of
//! each unit go into a second automaton, read only over a text that has a
//! `…` in it, and a prefix counts where the `…` follows it. Both searches
//! cost time linear in the text.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use base64::Engine as _;

use super::MIN_LEN;

/// What a found secret is replaced with, in the encoding it was found in,
/// so a UTF-16 text stays UTF-16 around the mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mask {
    Text,
    Utf16Le,
    Utf16Be,
}

impl Mask {
    pub(super) fn bytes(self) -> &'static [u8] {
        match self {
            Mask::Text => b"***",
            Mask::Utf16Le => b"*\0*\0*\0",
            Mask::Utf16Be => b"\0*\0*\0*",
        }
    }
}

/// One form of one unit.
#[derive(Clone, Debug)]
struct Pattern {
    bytes: Vec<u8>,
    mask: Mask,
    /// A credential too short to mask in free text: it counts only where
    /// it stands as a whole value (see [`stands_alone`]).
    whole: bool,
}

/// Longer prefixes than chai shows before its `…` need no looking for.
const LONGEST_SHOWN: usize = 64;
/// The longest piece of an escape left between a cut and its `…`:
/// `&#12851`, or half a surrogate pair and a bit (`\ud83d\ude0`).
const LONGEST_PIECE: usize = 12;
/// What chai, and so `pm.expect`, puts where it cuts a long value short.
const ELLIPSIS: &[u8] = "…".as_bytes();

/// Cheap to clone: the patterns and automata are shared.
#[derive(Clone, Default)]
pub(super) struct Matcher {
    patterns: Arc<[Pattern]>,
    /// One automaton over all patterns.
    automaton: Option<AhoCorasick>,
    /// The units, whose prefixes the cut-short search looks for.
    units: Arc<[String]>,
    /// That search's automaton, built the first time a text has a `…`.
    prefixes: Arc<OnceLock<Option<AhoCorasick>>>,
}

impl Matcher {
    /// A matcher for `values` (each at least [`MIN_LEN`] characters, found
    /// anywhere) and `whole` (credentials found only as whole values).
    pub(super) fn new(values: &[String], whole: &[String]) -> Matcher {
        let mut units: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut patterns = Vec::new();
        for value in values {
            // The agent and many tools show a multi-line value one line at a
            // time, and line endings change on the way (`\r\n`, `\n`). A
            // URL parser splits a value put in a query unencoded at `&` and
            // `#`, and a report then shows each piece apart.
            let lines = value.lines().map(str::trim);
            let pieces = value.lines().flat_map(|l| l.split(['&', '#']));
            for unit in std::iter::once(value.as_str()).chain(lines).chain(pieces) {
                if unit.chars().count() < MIN_LEN || !seen.insert(unit) {
                    continue;
                }
                units.push(unit.to_owned());
                patterns.extend(forms(unit));
            }
        }
        for value in whole {
            patterns.push(Pattern {
                bytes: value.as_bytes().to_vec(),
                mask: Mask::Text,
                whole: true,
            });
        }
        // A form found anywhere wins over the same bytes found only whole.
        patterns.sort_by(|a, b| (&a.bytes, a.whole).cmp(&(&b.bytes, b.whole)));
        patterns.dedup_by(|b, a| a.bytes == b.bytes);
        Matcher {
            automaton: automaton(patterns.iter().map(|p| &p.bytes)),
            patterns: patterns.into(),
            units: units.into(),
            prefixes: Arc::default(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The longest form any secret takes here, in bytes.
    pub(super) fn longest(&self) -> usize {
        self.patterns
            .iter()
            .map(|p| p.bytes.len())
            .max()
            .unwrap_or(0)
    }

    /// Calls `found` with every occurrence of every pattern, overlapping
    /// ones included: masking their union leaves no piece of a secret that
    /// a longer or earlier match would have hidden from a one-match-at-a-time
    /// search.
    /// Short credentials count only when `whole` says so.
    pub(super) fn find(
        &self,
        haystack: &[u8],
        whole: bool,
        found: &mut impl FnMut(Range<usize>, Mask),
    ) {
        let mut report = |r: Range<usize>, p: &Pattern| {
            if !p.whole || (whole && stands_alone(haystack, &r)) {
                found(r, p.mask);
            }
        };
        match &self.automaton {
            Some(ac) => {
                for m in ac.find_overlapping_iter(haystack) {
                    report(m.range(), &self.patterns[m.pattern().as_usize()]);
                }
            }
            // Building fails only past limits no environment variable
            // reaches; a plain search covers that case anyway.
            None => {
                for p in self.patterns.iter() {
                    for (at, window) in haystack.windows(p.bytes.len()).enumerate() {
                        if window == p.bytes.as_slice() {
                            report(at..at + p.bytes.len(), p);
                        }
                    }
                }
            }
        }
        self.find_cut_short(haystack, found);
    }

    /// Calls `found` with every secret cut short, as an assertion message
    /// shows a long value: chai, which is Postman's `pm.expect`, keeps the
    /// first forty or so characters and adds `…`. A prefix long enough to
    /// mask before a `…` is masked with it. The cut may fall inside an
    /// escape (`%2…`, `\u00…`, `&am…`) or a character, so a few such bytes
    /// may sit between the prefix and the `…`.
    fn find_cut_short(&self, haystack: &[u8], found: &mut impl FnMut(Range<usize>, Mask)) {
        if self.units.is_empty() || !haystack.windows(ELLIPSIS.len()).any(|w| w == ELLIPSIS) {
            return;
        }
        let prefixes = self.prefixes.get_or_init(|| {
            let mut all: Vec<&[u8]> = self
                .units
                .iter()
                .flat_map(|unit| {
                    unit.char_indices()
                        .map(|(cut, _)| cut)
                        .skip(MIN_LEN)
                        .take(LONGEST_SHOWN)
                        .map(|cut| &unit.as_bytes()[..cut])
                })
                .collect();
            all.sort();
            all.dedup();
            automaton(all)
        });
        let Some(ac) = prefixes else {
            return;
        };
        for m in ac.find_overlapping_iter(haystack) {
            if let Some(end) = ellipsis_after(haystack, m.end()) {
                found(m.start()..end, Mask::Text);
            }
        }
    }
}

/// One automaton over `patterns`, reporting overlapping matches. A
/// contiguous NFA builds quickly (the set grows with each secret input)
/// and searches fast enough; `None` when there is nothing to find or the
/// set is past the crate's limits.
fn automaton<P: AsRef<[u8]>>(patterns: impl IntoIterator<Item = P>) -> Option<AhoCorasick> {
    let patterns: Vec<P> = patterns.into_iter().collect();
    if patterns.is_empty() {
        return None;
    }
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .match_kind(MatchKind::Standard)
        .build(&patterns)
        .ok()
}

/// Where the `…` that cuts a value short at `cut` ends: right at the cut,
/// or after a piece of an escape or a character that starts there.
fn ellipsis_after(haystack: &[u8], cut: usize) -> Option<usize> {
    let piece_of_escape = |b: u8| b.is_ascii_alphanumeric() || b"%\\&#".contains(&b) || b >= 0x80;
    let starts_escape = |b: u8| b"%\\&".contains(&b) || b >= 0x80;
    for at in cut..=cut + LONGEST_PIECE {
        let rest = haystack.get(at..)?;
        if rest.starts_with(ELLIPSIS) {
            return Some(at + ELLIPSIS.len());
        }
        let b = *rest.first()?;
        // A piece starts an escape or a character; plain letters before
        // the `…` are text, not a cut.
        if !piece_of_escape(b) || (at == cut && !starts_escape(b)) {
            return None;
        }
    }
    None
}

/// Whether `r` holds a whole value: no letter, digit or other character a
/// token is made of right before or after it.
fn stands_alone(haystack: &[u8], r: &Range<usize>) -> bool {
    let token = |b: &u8| b.is_ascii_alphanumeric() || b"-_~+/".contains(b) || *b >= 0x80;
    let before = r.start.checked_sub(1).and_then(|i| haystack.get(i));
    !before.is_some_and(token) && !haystack.get(r.end).is_some_and(token)
}

/// Units longer than this are looked for as written and in base64 only:
/// each other form costs the automaton as much again, and a value this long
/// (a certificate, a large cookie) is not what a script prints in hex.
const ALL_FORMS_UP_TO: usize = 1024;

/// Every form of a unit the automaton looks for.
fn forms(unit: &str) -> Vec<Pattern> {
    let text = |bytes: Vec<u8>| Pattern {
        bytes,
        mask: Mask::Text,
        whole: false,
    };
    if unit.len() > ALL_FORMS_UP_TO {
        let mut forms = vec![text(unit.as_bytes().to_vec())];
        forms.extend(base64_cores(unit.as_bytes()).into_iter().map(text));
        return forms;
    }
    let mut forms = vec![
        text(unit.as_bytes().to_vec()),
        text(unit.to_uppercase().into_bytes()),
        text(unit.to_lowercase().into_bytes()),
        text(hex::encode(unit).into_bytes()),
        text(hex::encode_upper(unit).into_bytes()),
    ];
    forms.extend(base64_cores(unit.as_bytes()).into_iter().map(text));
    // Latin-1, where the unit has a character it spells differently.
    if unit.chars().any(|c| c > '\x7f') && unit.chars().all(|c| c <= '\u{ff}') {
        forms.push(text(unit.chars().map(|c| c as u8).collect()));
    }
    let utf16 = |to_bytes: fn(u16) -> [u8; 2], mask| Pattern {
        bytes: unit.encode_utf16().flat_map(to_bytes).collect(),
        mask,
        whole: false,
    };
    forms.push(utf16(u16::to_le_bytes, Mask::Utf16Le));
    forms.push(utf16(u16::to_be_bytes, Mask::Utf16Be));
    forms
}

/// Base64 of a secret inside a longer value (`user:secret` in a Basic
/// header) depends on where the secret starts, modulo 3. For each of the
/// three alignments, the characters that encode only the secret's bits are
/// the same wherever it sits and whatever surrounds it; those are what we
/// look for, in the standard and the URL-safe alphabet. The one or two
/// characters at each end that mix in neighbouring bits stay, which gives
/// away a few bits and no more, as with secret scanners.
pub(super) fn base64_cores(secret: &[u8]) -> Vec<Vec<u8>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(m: &Matcher, text: &str) -> Vec<(Range<usize>, Mask)> {
        let mut out = Vec::new();
        m.find(text.as_bytes(), true, &mut |r, mask| out.push((r, mask)));
        out.sort_by_key(|(r, _)| (r.start, r.end));
        out
    }

    #[test]
    fn every_form_of_a_unit_is_found() {
        let m = Matcher::new(&["Pa55-wörd".to_owned()], &[]);
        let utf16le: Vec<u8> = "Pa55-wörd"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        for (text, mask) in [
            ("x Pa55-wörd x", Mask::Text),
            ("x PA55-WÖRD x", Mask::Text),
            ("x pa55-wörd x", Mask::Text),
            ("x 506135352d77c3b67264 x", Mask::Text),
            ("x 506135352D77C3B67264 x", Mask::Text),
        ] {
            let found = spans(&m, text);
            assert_eq!(found.len(), 1, "{text}: {found:?}");
            assert_eq!(found[0].1, mask);
            assert_eq!(found[0].0, 2..text.len() - 2, "{text}");
        }
        // UTF-16 little endian: the mask keeps the text UTF-16.
        let mut found = Vec::new();
        m.find(&utf16le, true, &mut |r, mask| found.push((r, mask)));
        assert_eq!(found, [(0..18, Mask::Utf16Le)]);
        // Latin-1 has no `ö` of two bytes.
        let mut latin1 = b"x ".to_vec();
        latin1.extend("Pa55-wörd".chars().map(|c| c as u8));
        let mut found = Vec::new();
        m.find(&latin1, true, &mut |r, _| found.push(r));
        assert!(found.contains(&(2..11)), "{found:?}");
    }

    #[test]
    fn a_short_credential_counts_only_as_a_whole_value() {
        let m = Matcher::new(&[], &["ab1".to_owned()]);
        for text in ["Bearer ab1", "\"ab1\"", "token=ab1&x", "(ab1)", "ab1"] {
            assert_eq!(spans(&m, text).len(), 1, "{text}");
        }
        for text in ["tab1e", "ab1x", "xab1", "ab1-2", "é ab1é"] {
            assert!(spans(&m, text).is_empty(), "{text}");
        }
    }

    #[test]
    fn a_cut_needs_its_ellipsis_right_after_it() {
        let m = Matcher::new(&["secret-value-123".to_owned()], &[]);
        assert_eq!(spans(&m, "'secret-v…'")[0].0, 1..12);
        assert_eq!(spans(&m, "'secret-v%2…'")[0].0, 1..14);
        // Letters after the cut are text; a short prefix is no secret.
        assert!(spans(&m, "'secret-vx…'").is_empty());
        assert!(spans(&m, "'sec…'").is_empty());
        assert!(spans(&m, "secret-v and then …").is_empty());
    }
}
