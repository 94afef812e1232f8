//! Small text helpers every stage uses: how counts, durations and names are
//! written, and what is stripped from text a tool wrote.

use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn ansi_is_stripped() {
        assert_eq!(strip_ansi("\u{1b}[32mok\u{1b}[39m"), "ok");
    }
}
