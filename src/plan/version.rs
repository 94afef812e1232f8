//! Which Postman CLI version to install: `latest`, an exact version, or an
//! npm-style range (`1.x`, `^1.60`, `>=1.50 <2`, `1.2.3 - 1.4`, `a || b`).
//!
//! npm's range grammar is translated into the `semver` crate's requirements
//! (which mean something else by a bare `1.2.3`: npm takes it as exact).

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VersionSpec {
    Latest,
    Exact(semver::Version),
    Range(VersionRange),
}

/// Alternatives joined by `||`; a version matches when one of them does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VersionRange {
    text: String,
    alternatives: Vec<semver::VersionReq>,
}

impl VersionSpec {
    pub(crate) fn parse(text: &str) -> Option<VersionSpec> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("latest") {
            return Some(VersionSpec::Latest);
        }
        let bare = text.strip_prefix('v').unwrap_or(text);
        if let Ok(v) = semver::Version::parse(bare) {
            return Some(VersionSpec::Exact(v));
        }
        VersionRange::parse(text).map(VersionSpec::Range)
    }

    pub(crate) fn matches(&self, version: &semver::Version) -> bool {
        match self {
            VersionSpec::Latest => true,
            VersionSpec::Exact(v) => v == version,
            VersionSpec::Range(r) => r.matches(version),
        }
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Latest => f.write_str("latest"),
            VersionSpec::Exact(v) => write!(f, "{v}"),
            VersionSpec::Range(r) => f.write_str(&r.text),
        }
    }
}

impl VersionRange {
    pub(crate) fn parse(text: &str) -> Option<VersionRange> {
        let alternatives = text
            .split("||")
            .map(|alt| semver::VersionReq::parse(&translate(alt)?).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(VersionRange {
            text: text.trim().to_owned(),
            alternatives,
        })
    }

    /// Pre-releases only match when asked for, as npm does.
    pub(crate) fn matches(&self, version: &semver::Version) -> bool {
        self.alternatives.iter().any(|req| req.matches(version))
    }
}

/// One npm alternative as a `semver` requirement, or `None` if it is not
/// a range at all.
fn translate(alt: &str) -> Option<String> {
    let alt = alt.trim();
    if alt.is_empty() || alt == "*" || alt.eq_ignore_ascii_case("x") {
        return Some("*".into());
    }
    // `1.2.3 - 2.3` (a hyphen range).
    let words: Vec<&str> = alt.split_whitespace().collect();
    if let [low, "-", high] = words.as_slice() {
        let high = if is_partial(high) {
            format!("<{}", bump_partial(high)?)
        } else {
            format!("<={high}")
        };
        return Some(format!(">={}, {high}", fill(low)));
    }
    // Operators may be written apart from their version (`>= 1.2`).
    let mut comparators = Vec::new();
    let mut pending_op = String::new();
    for word in words {
        if word.chars().all(|c| "<>=^~".contains(c)) {
            pending_op = word.to_owned();
            continue;
        }
        let word = format!("{pending_op}{word}");
        pending_op.clear();
        let op_len = word
            .find(|c: char| !"<>=^~".contains(c))
            .unwrap_or(word.len());
        let (op, version) = word.split_at(op_len);
        let version = version.strip_prefix('v').unwrap_or(version);
        if version.is_empty()
            || !version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-+*".contains(c))
        {
            return None;
        }
        comparators.push(match op {
            // npm: a bare full version is exact, a bare partial one a wildcard.
            "" | "=" if is_partial(version) => wildcard(version),
            "" => format!("={version}"),
            _ => format!("{op}{version}"),
        });
    }
    if !pending_op.is_empty() || comparators.is_empty() {
        return None;
    }
    Some(comparators.join(", "))
}

/// `1`, `1.2`, `1.x`, `1.2.*`: fewer than three concrete numbers.
fn is_partial(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() < 3 || parts.iter().any(|p| matches!(*p, "x" | "X" | "*"))
}

fn wildcard(version: &str) -> String {
    let concrete: Vec<&str> = version
        .split('.')
        .take_while(|p| !matches!(*p, "x" | "X" | "*"))
        .collect();
    if concrete.is_empty() {
        "*".into()
    } else {
        format!("{}.*", concrete.join("."))
    }
}

fn fill(version: &str) -> String {
    let concrete: Vec<&str> = version
        .split('.')
        .take_while(|p| !matches!(*p, "x" | "X" | "*"))
        .collect();
    let mut parts: Vec<String> = concrete.iter().map(|s| s.to_string()).collect();
    while parts.len() < 3 {
        parts.push("0".into());
    }
    parts.join(".")
}

/// The version just past a partial one: `1.2` → `1.3.0`, `1` → `2.0.0`.
fn bump_partial(version: &str) -> Option<String> {
    let concrete: Vec<u64> = version
        .split('.')
        .take_while(|p| !matches!(*p, "x" | "X" | "*"))
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match concrete.as_slice() {
        [major] => Some(format!("{}.0.0", major + 1)),
        [major, minor] => Some(format!("{major}.{}.0", minor + 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    fn spec(s: &str) -> VersionSpec {
        VersionSpec::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn latest_and_exact() {
        assert_eq!(spec("latest"), VersionSpec::Latest);
        assert_eq!(spec("LATEST"), VersionSpec::Latest);
        assert_eq!(spec("v1.62.0"), VersionSpec::Exact(v("1.62.0")));
    }

    #[test]
    fn npm_ranges() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("1.x", &["1.0.0", "1.62.0"], &["2.0.0", "0.9.0"]),
            ("1.62", &["1.62.0", "1.62.9"], &["1.63.0"]),
            ("1", &["1.0.0", "1.99.0"], &["2.0.0"]),
            ("^1.60.0", &["1.60.0", "1.70.1"], &["1.59.0", "2.0.0"]),
            ("~1.60.0", &["1.60.5"], &["1.61.0"]),
            (">=1.50 <1.62", &["1.50.0", "1.61.9"], &["1.62.0"]),
            (">= 1.50", &["1.50.0", "3.0.0"], &["1.49.0"]),
            (
                "1.34.0 - 1.62",
                &["1.34.0", "1.62.5"],
                &["1.63.0", "1.33.0"],
            ),
            ("1.2 - 1.4.0", &["1.2.0", "1.4.0"], &["1.4.1"]),
            ("1.34.x || 1.62.x", &["1.34.1", "1.62.0"], &["1.40.0"]),
            ("*", &["0.0.1", "9.0.0"], &[]),
        ];
        for (text, yes, no) in cases {
            let s = spec(text);
            assert!(matches!(s, VersionSpec::Range(_)), "{text}");
            for y in *yes {
                assert!(s.matches(&v(y)), "{text} should match {y}");
            }
            for n in *no {
                assert!(!s.matches(&v(n)), "{text} should not match {n}");
            }
        }
        assert!(
            !spec("1.x").matches(&v("1.5.0-beta.1")),
            "pre-releases are opt-in"
        );
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in ["newest", ">=", "1.2.3.4.5", "^", "rm -rf /"] {
            assert_eq!(VersionSpec::parse(bad), None, "{bad}");
        }
    }
}
