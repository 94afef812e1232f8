//! The npm registry: which versions of a package exist, where each one's
//! tarball is, and what its digest must be.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{InstallError, get_json};
use crate::inputs::Secret;
use crate::plan::VersionSpec;

/// The parts of an abbreviated packument
/// (`application/vnd.npm.install-v1+json`) we use.
#[derive(Debug, Deserialize)]
pub(crate) struct Packument {
    #[serde(rename = "dist-tags", default)]
    pub(crate) dist_tags: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) versions: BTreeMap<String, VersionInfo>,
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
pub(crate) fn packument_url(registry: &str, package: &str) -> String {
    format!(
        "{}/{}",
        registry.trim_end_matches('/'),
        package.replace('/', "%2f")
    )
}

pub(crate) async fn fetch_packument(
    client: &reqwest::Client,
    url: &str,
    auth: &Auth,
) -> Result<Packument, InstallError> {
    let mut request = client.get(url).header(
        reqwest::header::ACCEPT,
        "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8",
    );
    if let Some(value) = auth.for_url(url) {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    get_json(request, url, "npm package document").await
}

/// What to download for a version request, or the versions that exist.
/// `latest` is the registry's `latest` tag; a range picks the newest
/// published version in it.
pub(crate) fn select(
    packument: &Packument,
    spec: &VersionSpec,
) -> Result<(semver::Version, Dist), Vec<String>> {
    let wanted = match spec {
        VersionSpec::Latest => packument
            .dist_tags
            .get("latest")
            .and_then(|v| semver::Version::parse(v).ok()),
        VersionSpec::Exact(v) => Some(v.clone()),
        VersionSpec::Range(_) => published(packument)
            .into_iter()
            .filter(|v| spec.matches(v))
            .max(),
    };
    if let Some(version) = wanted
        && let Some(info) = packument.versions.get(&version.to_string())
    {
        return Ok((version, info.dist.clone()));
    }
    Err(available(packument))
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
        let pick = |s: &str| select(&p, &spec(s)).map(|(v, d)| (v.to_string(), d.tarball));
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
        assert_eq!(pick("2.x").unwrap_err(), ["1.62.0", "1.34.0"]);
    }

    #[test]
    fn scoped_names_are_encoded() {
        assert_eq!(
            packument_url("https://registry.npmjs.org/", "@postman/pm-bin-linux-x64"),
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
