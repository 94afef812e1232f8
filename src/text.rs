//! Small text helpers every stage uses: how counts, durations and names are
//! written, how names are told apart and kept short, and what is stripped
//! from text a tool wrote or replaced in text XML cannot carry.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// `1 test`, `2 tests`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A duration as people read it: `840 ms`, `4.2 s`, `3 min 5 s`.
pub(crate) fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// A time limit as people set it: `30 s`, `5 min`, `1.5 min`.
pub(crate) fn limit(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{} s", secs.round())
    } else if (secs / 60.0).fract() == 0.0 {
        format!("{} min", secs / 60.0)
    } else {
        format!("{:.1} min", secs / 60.0)
    }
}

/// A size as people read it, in binary units: `512 B`, `64 KiB`, `2 GiB`,
/// `1.5 MiB`. For caps and measured sizes in messages.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let shown = format!("{value:.1}");
    format!("{} {}", shown.trim_end_matches(".0"), UNITS[unit])
}

/// A short file-system-safe form of a name, for report folders.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "collection".into()
    } else {
        trimmed.into()
    }
}

/// A body as text, by the charset its `Content-Type` declares: UTF-16
/// (little or big endian, or by its byte-order mark), Latin-1 (and
/// `windows-1252` and `us-ascii`, read as Latin-1), else UTF-8, invalid
/// bytes replaced. Decoded before it is masked, so a secret in a UTF-16
/// body is found as the text it is, not NUL-interleaved.
pub(crate) fn decode_body(bytes: &[u8], content_type: Option<&str>) -> String {
    let charset = content_type
        .and_then(|t| {
            t.split(';')
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase())
        })
        .unwrap_or_default();
    let utf16 = |bytes: &[u8], le: bool| {
        let units = bytes.chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    match (charset.as_str(), bytes) {
        (_, [0xFF, 0xFE, rest @ ..]) if charset.starts_with("utf-16") || charset.is_empty() => {
            utf16(rest, true)
        }
        (_, [0xFE, 0xFF, rest @ ..]) if charset.starts_with("utf-16") || charset.is_empty() => {
            utf16(rest, false)
        }
        ("utf-16le", _) => utf16(bytes, true),
        ("utf-16be", _) => utf16(bytes, false),
        // No byte-order mark: an ASCII first character tells the order.
        ("utf-16", [0, ..]) => utf16(bytes, false),
        ("utf-16", _) => utf16(bytes, true),
        ("iso-8859-1" | "latin1" | "latin-1" | "windows-1252" | "us-ascii", _) => {
            bytes.iter().map(|&b| char::from(b)).collect()
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Drops terminal escape sequences (colours, cursor moves).
pub(crate) fn strip_ansi(text: &str) -> String {
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

/// Makes names unique where two items share one: each such name gets what
/// tells it apart, in parentheses (`Shop API (a.json)`). An item whose
/// suffix is its name already stays as it is.
pub(crate) fn disambiguate<T>(
    items: &mut [T],
    name: impl Fn(&mut T) -> &mut String,
    apart: impl Fn(&T) -> String,
) {
    let mut counts = std::collections::HashMap::new();
    for item in items.iter_mut() {
        *counts.entry(name(item).clone()).or_insert(0) += 1;
    }
    for item in items.iter_mut() {
        let suffix = apart(item);
        let current = name(item);
        if counts[current.as_str()] > 1 && *current != suffix {
            *current = format!("{current} ({suffix})");
        }
    }
}

/// Text XML 1.0 can carry. A character outside it (C0 controls other than
/// tab, line feed and carriage return; U+FFFE; U+FFFF) makes a strict
/// reader such as Azure's drop the whole file, whether it is written raw or
/// as `&#…;`. Each becomes the six characters `\u` and its four upper-case
/// hex digits (`\uFFFF`, `\u0001`): visible, and the same on every build,
/// so a test's history still joins up. The report readers write a lone
/// surrogate from JSON the same way.
pub(crate) fn xml_safe(text: &str) -> Cow<'_, str> {
    fn refused(c: char) -> bool {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
    }
    if !text.chars().any(refused) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if refused(c) {
            out.push_str(&format!("\\u{:04X}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Tells repeated names apart by the order they come in: the second `List`
/// of a scope becomes `List (2)`, the third `List (3)`. A name that is
/// already there (a request its author named `List (2)`) is never made up
/// again: the count skips it, and that `List` becomes `List (3)`. Each item
/// is its scope (where names must differ, say a class name) and its name,
/// which gets the suffix. Linear in the items: every number tried is either
/// taken by a name that was there or given out.
pub(crate) fn number_repeats<S: Clone + Eq + Hash>(items: &mut [(S, String)]) {
    let mut taken: HashSet<(S, String)> = items.iter().cloned().collect();
    // Per name: how often it has come so far, and the next number to try.
    let mut counts: HashMap<(S, String), (u32, u32)> = HashMap::new();
    for (scope, name) in items.iter_mut() {
        let (seen, next) = counts
            .entry((scope.clone(), name.clone()))
            .or_insert((0, 2));
        *seen += 1;
        if *seen == 1 {
            continue;
        }
        loop {
            let candidate = format!("{name} ({next})");
            *next += 1;
            if taken.insert((scope.clone(), candidate.clone())) {
                *name = candidate;
                break;
            }
        }
    }
}

/// The length of text as .NET counts it (UTF-16 code units), which is how
/// Azure measures a test's name.
pub(crate) fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Text of at most `max` UTF-16 code units: when longer, its middle gives
/// way to `…[hash]…`, the hash being the first 8 hex digits of the SHA-256
/// of `identity` (the whole name the text stands for), so names that differ
/// only in the part cut stay apart, and each is the same on every build.
pub(crate) fn shorten_middle<'a>(text: &'a str, max: usize, identity: &str) -> Cow<'a, str> {
    if utf16_len(text) <= max {
        return Cow::Borrowed(text);
    }
    let hash = hex::encode(&Sha256::digest(identity.as_bytes())[..4]);
    let marker = format!("…[{hash}]…");
    let room = max.saturating_sub(utf16_len(&marker));
    let (head_room, tail_room) = (room.div_ceil(2), room / 2);
    let mut head_end = 0;
    let mut used = 0;
    for (i, c) in text.char_indices() {
        if used + c.len_utf16() > head_room {
            break;
        }
        used += c.len_utf16();
        head_end = i + c.len_utf8();
    }
    let mut tail_start = text.len();
    let mut used = 0;
    for (i, c) in text.char_indices().rev() {
        if used + c.len_utf16() > tail_room || i < head_end {
            break;
        }
        used += c.len_utf16();
        tail_start = i;
    }
    Cow::Owned(format!(
        "{}{marker}{}",
        &text[..head_end],
        &text[tail_start..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_refuses_become_visible_escapes() {
        assert_eq!(xml_safe("plain › text\ttab\r\n"), "plain › text\ttab\r\n");
        assert!(matches!(xml_safe("plain"), Cow::Borrowed(_)));
        assert_eq!(
            xml_safe("value \u{ffff} \u{fffe}\u{1}\u{0}\u{1b}[31m\u{7f}\u{85}"),
            "value \\uFFFF \\uFFFE\\u0001\\u0000\\u001B[31m\u{7f}\u{85}"
        );
    }

    #[test]
    fn repeats_are_numbered_around_the_names_already_there() {
        let mut items: Vec<((), String)> = ["List", "List", "List (2)", "List", "List (2)"]
            .iter()
            .map(|n| ((), (*n).to_owned()))
            .collect();
        number_repeats(&mut items);
        let names: Vec<_> = items.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(
            names,
            ["List", "List (3)", "List (2)", "List (4)", "List (2) (2)"]
        );
        // Scopes keep their own counts.
        let mut items = vec![
            ("a", "x".to_owned()),
            ("b", "x".to_owned()),
            ("a", "x".to_owned()),
        ];
        number_repeats(&mut items);
        assert_eq!(items[2].1, "x (2)");
        assert_eq!(items[1].1, "x");
    }

    #[test]
    fn long_text_is_cut_in_the_middle_with_a_hash_of_the_whole() {
        let a = format!("{}A{}", "h".repeat(300), "t".repeat(300));
        let b = format!("{}B{}", "h".repeat(300), "t".repeat(300));
        let short_a = shorten_middle(&a, 100, &a);
        let short_b = shorten_middle(&b, 100, &b);
        assert_eq!(utf16_len(&short_a), 100);
        assert!(
            short_a.starts_with("hhhh") && short_a.ends_with("tttt"),
            "{short_a}"
        );
        assert_ne!(short_a, short_b, "the hash keeps them apart");
        assert_eq!(
            short_a,
            shorten_middle(&a, 100, &a),
            "and the same each time"
        );
        assert_eq!(shorten_middle("short", 100, "short"), "short");
        // Counted as .NET counts: an emoji is two units, and never split.
        let emoji = "😀".repeat(100);
        let cut = shorten_middle(&emoji, 51, &emoji);
        assert!(utf16_len(&cut) <= 51, "{}", utf16_len(&cut));
    }

    #[test]
    fn sizes() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(64 * 1024), "64 KiB");
        assert_eq!(size(2 << 30), "2 GiB");
        assert_eq!(size(3 << 19), "1.5 MiB");
        assert_eq!(size(305_570_310), "291.4 MiB");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Shop API (v2) — smoke"), "shop-api-v2-smoke");
        assert_eq!(slug("***"), "collection");
    }

    #[test]
    fn durations_and_limits() {
        assert_eq!(duration(Duration::from_millis(840)), "840 ms");
        assert_eq!(duration(Duration::from_millis(4200)), "4.2 s");
        assert_eq!(duration(Duration::from_millis(185_000)), "3 min 5 s");
        assert_eq!(limit(Duration::from_secs(30)), "30 s");
        assert_eq!(limit(Duration::from_secs(300)), "5 min");
        assert_eq!(limit(Duration::from_secs(90)), "1.5 min");
    }

    #[test]
    fn only_shared_names_get_a_suffix() {
        let mut items = vec![
            ("Shop".to_owned(), "a.json"),
            ("Shop".to_owned(), "b.json"),
            ("Other".to_owned(), "c.json"),
        ];
        disambiguate(&mut items, |i| &mut i.0, |i| i.1.to_owned());
        let names: Vec<_> = items.iter().map(|i| i.0.as_str()).collect();
        assert_eq!(names, ["Shop (a.json)", "Shop (b.json)", "Other"]);
    }

    #[test]
    fn bodies_decode_by_their_charset() {
        let le: Vec<u8> = "tok-é".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = "tok-é".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let ct = |c: &str| format!("text/plain; charset={c}");
        assert_eq!(decode_body(&le, Some(&ct("utf-16le"))), "tok-é");
        assert_eq!(decode_body(&be, Some(&ct("UTF-16BE"))), "tok-é");
        assert_eq!(decode_body(&le, Some(&ct("\"utf-16\""))), "tok-é");
        assert_eq!(decode_body(&be, Some(&ct("utf-16"))), "tok-é");
        let bom: Vec<u8> = [0xFE, 0xFF].into_iter().chain(be.clone()).collect();
        assert_eq!(decode_body(&bom, None), "tok-é");
        assert_eq!(decode_body(b"tok-\xe9", Some(&ct("ISO-8859-1"))), "tok-é");
        assert_eq!(
            decode_body("tok-é".as_bytes(), Some("application/json")),
            "tok-é"
        );
        // A body cut inside a character keeps what it can.
        assert_eq!(
            decode_body(&le[..le.len() - 1], Some(&ct("utf-16le"))),
            "tok-"
        );
    }

    #[test]
    fn ansi_is_stripped() {
        assert_eq!(strip_ansi("\u{1b}[32mok\u{1b}[39m"), "ok");
    }
}
