//! The npm registry: which versions of a package exist, and where each
//! one's tarball is and what its digest must be.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::plan::VersionSpec;

/// The parts of an abbreviated packument (`application/vnd.npm.install-v1+json`)
/// we use.
#[derive(Debug, Deserialize)]
pub struct Packument {
    #[serde(rename = "dist-tags", default)]
    pub dist_tags: BTreeMap<String, String>,
    #[serde(default)]
    pub versions: BTreeMap<String, VersionInfo>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct VersionInfo {
    pub dist: Dist,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Dist {
    pub tarball: String,
    pub integrity: Option<String>,
}

/// The URL of a package's document in a registry. A scoped name keeps its
/// `@` and encodes its `/`, as npm does.
pub fn packument_url(registry: &str, package: &str) -> String {
    format!(
        "{}/{}",
        registry.trim_end_matches('/'),
        package.replace('/', "%2f")
    )
}

/// What to download for a version request, or the versions that exist.
pub fn select(
    packument: &Packument,
    spec: &VersionSpec,
) -> Result<(semver::Version, Dist), Vec<String>> {
    let wanted = match spec {
        VersionSpec::Latest => packument.dist_tags.get("latest").cloned(),
        VersionSpec::Exact(v) => Some(v.to_string()),
    };
    if let Some(info) = wanted.as_ref().and_then(|w| packument.versions.get(w))
        && let Ok(version) = semver::Version::parse(wanted.as_deref().unwrap_or_default())
    {
        return Ok((version, info.dist.clone()));
    }
    Err(available(packument))
}

/// Published versions, newest first (pre-releases left out).
pub fn available(packument: &Packument) -> Vec<String> {
    let mut versions: Vec<semver::Version> = packument
        .versions
        .keys()
        .filter_map(|v| semver::Version::parse(v).ok())
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
                  "0.0.0-alpha.0":{"dist":{"tarball":"https://r/x.tgz"}}}}"#;

    #[test]
    fn selects_versions() {
        let p: Packument = serde_json::from_str(DOC).unwrap();
        let (v, dist) = select(&p, &VersionSpec::Latest).unwrap();
        assert_eq!(
            (v.to_string(), dist.tarball.as_str()),
            ("1.62.0".into(), "https://r/a-1.62.0.tgz")
        );
        let (v, _) = select(&p, &VersionSpec::Exact(semver::Version::new(1, 34, 0))).unwrap();
        assert_eq!(v.to_string(), "1.34.0");
        assert_eq!(
            select(&p, &VersionSpec::Exact(semver::Version::new(9, 9, 9))).unwrap_err(),
            ["1.62.0", "1.34.0"]
        );
    }

    #[test]
    fn scoped_names_are_encoded() {
        assert_eq!(
            packument_url("https://registry.npmjs.org/", "@postman/pm-bin-linux-x64"),
            "https://registry.npmjs.org/@postman%2fpm-bin-linux-x64"
        );
    }
}
