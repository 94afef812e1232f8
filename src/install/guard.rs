//! The supply-chain guard: which published versions the installer may take.
//!
//! Two rules, both applied when `latest` or a range is resolved against a
//! registry's package document:
//!
//! - **Known-bad versions are refused** by name, from a list shipped in the
//!   task (`known-bad.txt`, compiled in). An exact pin of one is an error
//!   naming the advisory; `latest` and ranges skip to the newest allowed
//!   version, with a warning. Versions are compared as semver compares
//!   them, build metadata ignored: a registry that lists the malicious
//!   1.24.4 as `1.24.4+evil` lists 1.24.4. The installer asks again of the
//!   unpacked `package.json`, so a known-bad package listed under another
//!   version is refused too.
//! - **A cooldown** (`cliMinimumReleaseAge`, pnpm's `minimumReleaseAge`
//!   idea): `latest` and ranges take the newest version that has been public
//!   for at least the minimum age, by the document's `time` field. Malicious
//!   publishes are usually found and pulled within hours to days; a pipeline
//!   that waits never sees them. An exact pin is not held back: pinning is
//!   how a team takes a version now, on purpose.

use crate::plan::age::show_age;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};

const KNOWN_BAD: &str = include_str!("known-bad.txt");

/// One refused package version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KnownBad {
    pub(crate) package: String,
    pub(crate) version: semver::Version,
    pub(crate) advisory: String,
}

fn parse_list(text: &str) -> Result<Vec<KnownBad>, String> {
    let mut list = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let [package, version, advisory] = words.as_slice() else {
            return Err(format!(
                "line {}: expected `<package> <version> <advisory>`",
                n + 1
            ));
        };
        let version = semver::Version::parse(version)
            .map_err(|e| format!("line {}: `{version}`: {e}", n + 1))?;
        list.push(KnownBad {
            package: (*package).to_owned(),
            version,
            advisory: (*advisory).to_owned(),
        });
    }
    Ok(list)
}

fn known_bad() -> &'static [KnownBad] {
    static LIST: OnceLock<Vec<KnownBad>> = OnceLock::new();
    // A malformed list is caught by the unit test below, before a release.
    LIST.get_or_init(|| parse_list(KNOWN_BAD).unwrap_or_default())
}

/// Whether two versions are the same release as semver orders them: equal
/// but for build metadata (`1.24.4` and `1.24.4+evil`), which semver says
/// carries no precedence.
pub(crate) fn same_release(a: &semver::Version, b: &semver::Version) -> bool {
    a.cmp_precedence(b).is_eq()
}

/// The advisory that names `package@version`, if it is known to be bad,
/// whatever build metadata the version carries.
pub(crate) fn advisory(package: &str, version: &semver::Version) -> Option<&'static str> {
    known_bad()
        .iter()
        .find(|k| k.package == package && same_release(&k.version, version))
        .map(|k| k.advisory.as_str())
}

pub(crate) fn advisory_url(advisory: &str) -> String {
    format!("https://osv.dev/vulnerability/{advisory}")
}

/// What the guard holds against a version it passed over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Skipped {
    KnownBad {
        version: semver::Version,
        advisory: String,
    },
    TooYoung {
        version: semver::Version,
        age: Duration,
    },
    /// The document has publish times, but none for this version.
    NoDate { version: semver::Version },
}

impl Skipped {
    pub(crate) fn describe(&self, min_age: Duration) -> String {
        match self {
            Skipped::KnownBad { version, advisory } => format!(
                "{version} is known to be malicious ({advisory}, {})",
                advisory_url(advisory)
            ),
            Skipped::TooYoung { version, age } => format!(
                "{version} was published {} ago, less than cliMinimumReleaseAge ({})",
                show_age(*age),
                show_age(min_age)
            ),
            Skipped::NoDate { version } => format!(
                "{version} has no publish time in the package document, so its age is unknown"
            ),
        }
    }
}

/// The rules for one resolution.
#[derive(Clone, Debug)]
pub(crate) struct Policy<'a> {
    pub(crate) package: &'a str,
    /// Zero turns the cooldown off.
    pub(crate) min_age: Duration,
    pub(crate) now: DateTime<Utc>,
}

/// Walks `candidates` from the newest and takes the first the policy
/// allows; returns it (if any) and what was passed over on the way.
/// `published` gives a version's publish time; with the cooldown on, the
/// caller has made sure the document has times at all.
pub(crate) fn pick(
    mut candidates: Vec<semver::Version>,
    published: impl Fn(&semver::Version) -> Option<DateTime<Utc>>,
    policy: &Policy<'_>,
) -> (Option<semver::Version>, Vec<Skipped>) {
    candidates.sort();
    candidates.dedup();
    let mut skipped = Vec::new();
    for version in candidates.into_iter().rev() {
        if let Some(advisory) = advisory(policy.package, &version) {
            skipped.push(Skipped::KnownBad {
                version,
                advisory: advisory.to_owned(),
            });
            continue;
        }
        if !policy.min_age.is_zero() {
            let Some(at) = published(&version) else {
                skipped.push(Skipped::NoDate { version });
                continue;
            };
            // A publish time in the future (a skewed clock) counts as new.
            let age = (policy.now - at).to_std().unwrap_or(Duration::ZERO);
            if age < policy.min_age {
                skipped.push(Skipped::TooYoung { version, age });
                continue;
            }
        }
        return (Some(version), skipped);
    }
    (None, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    #[test]
    fn the_shipped_list_parses_and_names_the_worm_releases() {
        let list = parse_list(KNOWN_BAD).expect("known-bad.txt must parse");
        assert_eq!(list.len(), 12);
        for (platform, id) in [
            ("linux-x64", "MAL-2025-190903"),
            ("macos-arm64", "MAL-2025-190904"),
            ("macos-x64", "MAL-2025-190905"),
            ("windows-x64", "MAL-2025-190906"),
        ] {
            for patch in 3..=5 {
                let package = format!("@postman/pm-bin-{platform}");
                assert_eq!(
                    advisory(&package, &semver::Version::new(1, 24, patch)),
                    Some(id),
                    "{package}"
                );
            }
        }
        assert_eq!(advisory("@postman/pm-bin-linux-x64", &v("1.24.2")), None);
        for listed in ["1.24.4+evil", "1.24.4+0", "1.24.3+sha.5114f85"] {
            assert_eq!(
                advisory("@postman/pm-bin-linux-x64", &v(listed)),
                Some("MAL-2025-190903"),
                "{listed}: build metadata is not part of the version"
            );
        }
        assert_eq!(
            advisory("@postman/pm-bin-linux-x64", &v("1.24.4-rc.1")),
            None,
            "a pre-release is another version"
        );
        assert_eq!(advisory("@postman/pm-bin-linux-arm64", &v("1.24.3")), None);
        assert!(parse_list("@postman/x 1.0 MAL-1").is_err());
        assert!(parse_list("@postman/x 1.0.0").is_err());
    }

    #[test]
    fn picks_the_newest_allowed_version() {
        let now = Utc::now();
        let times = |ver: &semver::Version| match ver.to_string().as_str() {
            "1.25.0" => Some(now - chrono::Duration::hours(2)),
            "1.26.0" => None,
            _ => Some(now - chrono::Duration::days(60)),
        };
        let policy = Policy {
            package: "@postman/pm-bin-linux-x64",
            min_age: Duration::from_secs(3 * 86_400),
            now,
        };
        let all = || ["1.24.2", "1.24.3", "1.24.5", "1.25.0"].map(v).to_vec();
        let (chosen, skipped) = pick(all(), times, &policy);
        assert_eq!(chosen, Some(v("1.24.2")));
        let names: Vec<String> = skipped.iter().map(|s| s.describe(policy.min_age)).collect();
        assert_eq!(
            names,
            [
                "1.25.0 was published 2h ago, less than cliMinimumReleaseAge (3d)",
                "1.24.5 is known to be malicious (MAL-2025-190903, https://osv.dev/vulnerability/MAL-2025-190903)",
                "1.24.3 is known to be malicious (MAL-2025-190903, https://osv.dev/vulnerability/MAL-2025-190903)",
            ]
        );
        // With the cooldown off, only the known-bad rule remains.
        let off = Policy {
            min_age: Duration::ZERO,
            ..policy.clone()
        };
        assert_eq!(pick(all(), times, &off).0, Some(v("1.25.0")));
        // A version with no date is passed over while the cooldown is on.
        assert_eq!(
            pick(vec![v("1.26.0")], times, &policy).1,
            [Skipped::NoDate {
                version: v("1.26.0")
            }]
        );
        assert_eq!(pick(vec![v("1.24.4")], times, &off).0, None);
        assert_eq!(
            pick(vec![v("1.24.2"), v("1.24.4+evil")], times, &off),
            (
                Some(v("1.24.2")),
                vec![Skipped::KnownBad {
                    version: v("1.24.4+evil"),
                    advisory: "MAL-2025-190903".into()
                }]
            )
        );
    }
}
