//! A package's document in an npm registry (its packument): which versions
//! exist, when each was published, where each one's tarball is, and what
//! its digest must be; and the version a request takes from it, through the
//! supply-chain guard.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::events::Events;
use crate::http::fetch::{FetchError, Get, get_json};
use crate::inputs::Secret;
use crate::install::guard::{self, Policy, Skipped};
use crate::plan::VersionSpec;

/// The most a package document may weigh. Postman's platform packages have
/// documents of a few hundred kilobytes with every version listed; npm's
/// largest packages reach tens of megabytes.
const DOCUMENT_LIMIT: u64 = 32 * 1024 * 1024;

/// The parts of a packument we use. The abbreviated form
/// (`application/vnd.npm.install-v1+json`) has no `time`; the full one
/// (`application/json`) does, and is asked for when the cooldown needs it.
#[derive(Debug, Deserialize)]
pub(crate) struct Packument {
    #[serde(rename = "dist-tags", default)]
    pub(crate) dist_tags: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) versions: BTreeMap<String, VersionInfo>,
    /// Publish times by version (plus `created` and `modified`).
    #[serde(default)]
    pub(crate) time: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct VersionInfo {
    pub(crate) dist: Dist,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Dist {
    pub(crate) tarball: String,
    pub(crate) integrity: Option<String>,
}

/// A registry token, sent only to the registry's own origin (scheme, host
/// and port), as npm scopes a token to its registry: a tarball served from
/// another host (a CDN), another port of the same host, or plain HTTP does
/// not get it.
pub(crate) struct Auth {
    origin: Option<reqwest::Url>,
    header: Option<String>,
}

impl Auth {
    pub(crate) fn new(registry: &str, token: Option<&Secret>) -> Auth {
        Auth {
            origin: reqwest::Url::parse(registry).ok(),
            header: token.map(|t| format!("Bearer {}", t.expose())),
        }
    }

    pub(crate) fn for_url(&self, url: &str) -> Option<&str> {
        let url = reqwest::Url::parse(url).ok()?;
        let origin = self.origin.as_ref()?;
        // `origin()` compares scheme, host and port, with default ports
        // filled in, so `https://r/` and `https://r:443/` are one origin.
        (url.origin() == origin.origin())
            .then_some(self.header.as_deref())
            .flatten()
    }
}

/// The URL of a package's document in a registry. A scoped name keeps its
/// `@` and encodes its `/`, as npm does.
pub(crate) fn url(registry: &str, package: &str) -> String {
    format!(
        "{}/{}",
        registry.trim_end_matches('/'),
        package.replace('/', "%2f")
    )
}

/// Fetches a package document: the full one when `full` (it carries the
/// publish times), else the abbreviated one npm itself installs from.
pub(crate) async fn fetch(
    client: &reqwest::Client,
    url: &str,
    auth: &Auth,
    full: bool,
    events: &dyn Events,
) -> Result<Packument, FetchError> {
    let accept = if full {
        "application/json"
    } else {
        "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"
    };
    let mut get = Get::new(url, "an npm package document", DOCUMENT_LIMIT)
        .header(reqwest::header::ACCEPT, accept);
    if let Some(value) = auth.for_url(url) {
        get = get.secret_header(reqwest::header::AUTHORIZATION, value);
    }
    get_json(client, &get, events).await
}

/// A version chosen for a request, and what the guard passed over.
#[derive(Debug)]
pub(crate) struct Selected {
    pub(crate) version: semver::Version,
    pub(crate) dist: Dist,
    pub(crate) skipped: Vec<Skipped>,
}

/// Why no version was chosen.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotSelected {
    /// Nothing published fits; the versions that exist.
    Missing(Vec<String>),
    /// An exact pin of a known-bad version.
    KnownBad { version: String, advisory: String },
    /// Versions fit, and the guard refused every one.
    Refused(Vec<Skipped>),
}

/// What to download for a version request. An exact version is taken as it
/// is (unless it is known-bad); `latest` is the newest version up to the
/// registry's `latest` tag, and a range the newest published version in
/// it, that the guard allows.
pub(crate) fn select(
    packument: &Packument,
    spec: &VersionSpec,
    policy: &Policy<'_>,
) -> Result<Selected, NotSelected> {
    let (version, skipped) = match spec {
        VersionSpec::Exact(v) => {
            if let Some(advisory) = guard::advisory(policy.package, v) {
                return Err(NotSelected::KnownBad {
                    version: v.to_string(),
                    advisory: advisory.to_owned(),
                });
            }
            (Some(v.clone()), Vec::new())
        }
        VersionSpec::Latest => {
            let tag = packument
                .dist_tags
                .get("latest")
                .and_then(|v| semver::Version::parse(v).ok());
            let candidates: Vec<semver::Version> = match &tag {
                // Versions above the tag are not `latest` yet; a tagged
                // pre-release is taken only as the tag itself.
                Some(tag) => published(packument)
                    .into_iter()
                    .filter(|v| v == tag || (v.pre.is_empty() && v < tag))
                    .collect(),
                None => Vec::new(),
            };
            guard::pick(candidates, |v| published_at(packument, v), policy)
        }
        VersionSpec::Range(_) => {
            let candidates = published(packument)
                .into_iter()
                .filter(|v| spec.matches(v))
                .collect();
            guard::pick(candidates, |v| published_at(packument, v), policy)
        }
    };
    match version {
        Some(version) => match listed(packument, &version) {
            Some((version, info)) => Ok(Selected {
                version,
                dist: info.dist.clone(),
                skipped,
            }),
            None => Err(NotSelected::Missing(available(packument))),
        },
        None if skipped.is_empty() => Err(NotSelected::Missing(available(packument))),
        None => Err(NotSelected::Refused(skipped)),
    }
}

/// The document's entry for `version`: the one written as it is, or else
/// one that differs only in build metadata (`1.62.0+abc`), which semver
/// does not count; with the version as the document lists it.
fn listed<'p>(
    packument: &'p Packument,
    version: &semver::Version,
) -> Option<(semver::Version, &'p VersionInfo)> {
    if let Some(info) = packument.versions.get(&version.to_string()) {
        return Some((version.clone(), info));
    }
    packument.versions.iter().find_map(|(key, info)| {
        let v = semver::Version::parse(key).ok()?;
        guard::same_release(&v, version).then_some((v, info))
    })
}

/// Whether the document says when its versions were published.
pub(crate) fn has_times(packument: &Packument) -> bool {
    packument
        .time
        .keys()
        .any(|k| semver::Version::parse(k).is_ok())
}

fn published_at(
    packument: &Packument,
    version: &semver::Version,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = packument.time.get(&version.to_string())?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

fn published(packument: &Packument) -> Vec<semver::Version> {
    packument
        .versions
        .keys()
        .filter_map(|v| semver::Version::parse(v).ok())
        .collect()
}

/// Published versions, newest first (pre-releases left out).
pub(crate) fn available(packument: &Packument) -> Vec<String> {
    let mut versions: Vec<semver::Version> = published(packument)
        .into_iter()
        .filter(|v| v.pre.is_empty())
        .collect();
    versions.sort();
    versions.iter().rev().map(|v| v.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"name":"@postman/pm-bin-linux-x64","dist-tags":{"latest":"1.62.0"},
      "versions":{"1.34.0":{"dist":{"tarball":"https://r/a-1.34.0.tgz","integrity":"sha512-AA=="}},
                  "1.62.0":{"dist":{"tarball":"https://r/a-1.62.0.tgz","integrity":"sha512-BB=="}},
                  "1.70.0-beta.1":{"dist":{"tarball":"https://r/b.tgz"}},
                  "0.0.0-alpha.0":{"dist":{"tarball":"https://r/x.tgz"}}}}"#;

    fn spec(s: &str) -> VersionSpec {
        VersionSpec::parse(s).unwrap()
    }

    #[test]
    fn selects_versions() {
        let p: Packument = serde_json::from_str(DOC).unwrap();
        let policy = Policy {
            package: "@postman/pm-bin-linux-x64",
            min_age: std::time::Duration::ZERO,
            now: chrono::Utc::now(),
        };
        let pick = |s: &str| {
            select(&p, &spec(s), &policy)
                .map(|c| (c.version.to_string(), c.dist.tarball))
                .map_err(|e| match e {
                    NotSelected::Missing(available) => available,
                    other => panic!("{other:?}"),
                })
        };
        assert_eq!(
            pick("latest").unwrap(),
            ("1.62.0".into(), "https://r/a-1.62.0.tgz".into())
        );
        assert_eq!(pick("1.34.0").unwrap().0, "1.34.0");
        assert_eq!(
            pick("1.x").unwrap().0,
            "1.62.0",
            "the newest in range, pre-releases left out"
        );
        assert_eq!(pick("<1.50").unwrap().0, "1.34.0");
        assert_eq!(pick("9.9.9").unwrap_err(), ["1.62.0", "1.34.0"]);
        assert!(!has_times(&p), "an abbreviated document has no times");
        assert_eq!(pick("2.x").unwrap_err(), ["1.62.0", "1.34.0"]);
    }

    #[test]
    fn the_cooldown_reads_publish_times_and_exact_pins_bypass_it() {
        let now = chrono::Utc::now();
        let ago = |days: i64| (now - chrono::Duration::days(days)).to_rfc3339();
        let doc = serde_json::json!({
            "dist-tags": {"latest": "1.63.0"},
            "versions": {
                "1.24.2": {"dist": {"tarball": "https://r/1.24.2.tgz", "integrity": "sha512-AA=="}},
                "1.24.3": {"dist": {"tarball": "https://r/1.24.3.tgz", "integrity": "sha512-AA=="}},
                "1.62.0": {"dist": {"tarball": "https://r/1.62.0.tgz", "integrity": "sha512-AA=="}},
                "1.63.0": {"dist": {"tarball": "https://r/1.63.0.tgz", "integrity": "sha512-AA=="}},
                "1.70.0": {"dist": {"tarball": "https://r/1.70.0.tgz", "integrity": "sha512-AA=="}}
            },
            "time": {"created": ago(900), "1.24.2": ago(400), "1.24.3": ago(399),
                     "1.62.0": ago(30), "1.63.0": ago(1), "1.70.0": ago(40)}
        });
        let p: Packument = serde_json::from_value(doc).unwrap();
        assert!(has_times(&p));
        let policy = Policy {
            package: "@postman/pm-bin-linux-x64",
            min_age: std::time::Duration::from_secs(3 * 86_400),
            now,
        };
        let chosen = select(&p, &spec("latest"), &policy).unwrap();
        assert_eq!(
            chosen.version.to_string(),
            "1.62.0",
            "1.63.0 is a day old; 1.70.0 is above the tag"
        );
        assert_eq!(chosen.skipped.len(), 1);
        assert_eq!(
            select(&p, &spec("1.63.0"), &policy)
                .unwrap()
                .version
                .to_string(),
            "1.63.0"
        );
        let off = Policy {
            min_age: std::time::Duration::ZERO,
            ..policy.clone()
        };
        assert_eq!(
            select(&p, &spec("latest"), &off)
                .unwrap()
                .version
                .to_string(),
            "1.63.0"
        );
        assert_eq!(
            select(&p, &spec("~1.24.2"), &policy)
                .unwrap()
                .version
                .to_string(),
            "1.24.2"
        );
        assert_eq!(
            select(&p, &spec("1.24.3"), &off).unwrap_err(),
            NotSelected::KnownBad {
                version: "1.24.3".into(),
                advisory: "MAL-2025-190903".into()
            }
        );
        assert!(
            matches!(select(&p, &spec("1.63.x"), &policy), Err(NotSelected::Refused(s)) if s.len() == 1)
        );
    }

    #[test]
    fn build_metadata_hides_no_version_from_the_guard() {
        let doc = serde_json::json!({
            "dist-tags": {"latest": "1.24.4+evil"},
            "versions": {
                "1.24.2": {"dist": {"tarball": "https://r/1.24.2.tgz", "integrity": "sha512-AA=="}},
                "1.24.4+evil": {"dist": {"tarball": "https://r/evil.tgz", "integrity": "sha512-AA=="}},
                "1.62.0+abc": {"dist": {"tarball": "https://r/1.62.0.tgz", "integrity": "sha512-AA=="}}
            }
        });
        let p: Packument = serde_json::from_value(doc).unwrap();
        let policy = Policy {
            package: "@postman/pm-bin-linux-x64",
            min_age: std::time::Duration::ZERO,
            now: chrono::Utc::now(),
        };
        for wanted in ["latest", "1.24.x"] {
            let chosen = select(&p, &spec(wanted), &policy).unwrap();
            assert_eq!(chosen.version.to_string(), "1.24.2", "{wanted}");
            assert!(
                matches!(&chosen.skipped[..], [Skipped::KnownBad { version, .. }] if version.to_string() == "1.24.4+evil"),
                "{wanted}: {:?}",
                chosen.skipped
            );
        }
        assert!(matches!(
            select(&p, &spec("1.24.4+evil"), &policy),
            Err(NotSelected::KnownBad { .. })
        ));
        let pinned = select(&p, &spec("1.62.0"), &policy).unwrap();
        assert_eq!(
            (pinned.version.to_string(), pinned.dist.tarball),
            ("1.62.0+abc".to_owned(), "https://r/1.62.0.tgz".to_owned()),
            "a pin finds the version whatever its build metadata"
        );
    }

    #[test]
    fn scoped_names_are_encoded() {
        assert_eq!(
            url("https://registry.npmjs.org/", "@postman/pm-bin-linux-x64"),
            "https://registry.npmjs.org/@postman%2fpm-bin-linux-x64"
        );
    }

    #[test]
    fn tokens_go_only_to_the_registry_host() {
        let token = Secret::new("t0k");
        let auth = Auth::new("https://pkgs.example.com/feed/npm/registry/", Some(&token));
        assert_eq!(
            auth.for_url("https://pkgs.example.com/feed/npm/registry/x.tgz"),
            Some("Bearer t0k")
        );
        assert_eq!(auth.for_url("https://cdn.example.net/x.tgz"), None);
        assert_eq!(
            auth.for_url("https://pkgs.example.com:8443/x.tgz"),
            None,
            "another port of the registry's host"
        );
        assert_eq!(
            auth.for_url("http://pkgs.example.com/x.tgz"),
            None,
            "plain HTTP to the registry's host"
        );
        assert_eq!(
            auth.for_url("https://pkgs.example.com:443/feed/x.tgz"),
            Some("Bearer t0k"),
            "the default port spelled out is the same origin"
        );
        assert_eq!(
            Auth::new("https://pkgs.example.com/", None).for_url("https://pkgs.example.com/x"),
            None
        );
    }
}
