//! Everything that can stop an install, each in words that say what went
//! wrong, where, and which setting changes it. Rendered once, at the edge.

use std::path::PathBuf;

use super::cache::LockError;
use super::extract::ExtractError;
use super::guard;
use crate::http::fetch::{FetchError, Retry};

#[derive(Debug, thiserror::Error)]
pub(crate) enum InstallError {
    /// The network, the server, or what it sent.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// An error, and the setting that decides what was tried.
    #[error("{source}. {hint}")]
    Context {
        source: Box<InstallError>,
        hint: String,
    },
    #[error(
        "{url} answered 404: {registry} has no {package}. A registry mirror must proxy the @postman scope from registry.npmjs.org; otherwise set npmRegistry to one that does, or installSource to postman (Postman's download site), archive or path"
    )]
    PackageMissing {
        url: String,
        registry: String,
        package: String,
    },
    #[error("{what}; nothing was downloaded. What works instead: {alternatives}.")]
    NoBuild {
        what: String,
        alternatives: &'static str,
    },
    #[error(
        "{package}@{version} is known to be malicious ({advisory}, {}); the task refuses it. Set cliVersion to another version, or to `latest` or a range, which skip it",
        guard::advisory_url(advisory)
    )]
    KnownBad {
        package: String,
        version: String,
        advisory: String,
    },
    #[error(
        "{url}, listed as {package} {listed}, holds {found} in its package.json, which is known to be malicious ({advisory}, {}); the task refuses it and installed nothing. The registry (npmRegistry) serves a known-bad package under another version: check it, or the mirror in front of it",
        guard::advisory_url(advisory)
    )]
    KnownBadInside {
        url: String,
        package: String,
        listed: String,
        found: String,
        advisory: String,
    },
    #[error(
        "{url} is listed as {package} {listed}, but its package.json says version {found}; nothing was installed. The registry (npmRegistry) serves another version than it lists: check it, or the mirror in front of it"
    )]
    NotWhatWasListed {
        url: String,
        package: String,
        listed: String,
        found: String,
    },
    #[error(
        "no version of {package} on {registry} that fits `{wanted}` may be installed: {reasons}. Wait, pin an exact cliVersion (exact versions are not held back by the cooldown), or set cliMinimumReleaseAge to 0"
    )]
    Refused {
        package: String,
        registry: String,
        wanted: String,
        reasons: String,
    },
    #[error(
        "Postman CLI version {version} is not published as {package} on {registry}. {}",
        versions_hint(available)
    )]
    VersionNotFound {
        version: String,
        package: String,
        registry: String,
        available: Vec<String>,
    },
    #[error(
        "Postman's download site offers {latest} as its latest version, which is not in the range {wanted}; give an exact version, or install from npm, where ranges are resolved against every published version"
    )]
    RangeNotOnSite { wanted: String, latest: String },
    #[error(
        "{package}@{version} on {registry} has no sha512 or sha256 integrity, so its download cannot be verified"
    )]
    NoIntegrity {
        package: String,
        version: String,
        registry: String,
    },
    #[error(
        "{what} does not match {expectation}: expected {expected}, got {actual}. Nothing was installed; if a proxy or mirror rewrites downloads, check it"
    )]
    IntegrityMismatch {
        what: String,
        expectation: &'static str,
        expected: String,
        actual: String,
    },
    #[error("cannot unpack {what}: {source}")]
    Extract {
        what: String,
        #[source]
        source: ExtractError,
    },
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cannot write to the tool cache at {path}: {source}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the archive {path} does not exist")]
    ArchiveMissing { path: PathBuf },
    #[error("cannot read the archive {path}: {source}")]
    ArchiveRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}")]
    NotInstalled { what: String },
    #[error("cannot tell the version of {path}: {detail}")]
    Probe { path: PathBuf, detail: String },
    #[error("{path} is Postman CLI {found}, but cliVersion asks for {wanted}")]
    WrongVersion {
        path: PathBuf,
        found: String,
        wanted: String,
    },
    #[error(
        "the installed Postman CLI is missing its executable {path}; remove {dir} and run again"
    )]
    MissingExecutable { path: PathBuf, dir: PathBuf },
}

fn versions_hint(available: &[String]) -> String {
    if available.is_empty() {
        "Set cliVersion to `latest`.".into()
    } else {
        let shown: Vec<&str> = available.iter().take(8).map(String::as_str).collect();
        format!(
            "Set cliVersion to `latest`, a range such as 1.x, or one of: {}.",
            shown.join(", ")
        )
    }
}

/// The settings that decide what the registry path tries.
pub(crate) const REGISTRY_HINT: &str = "The registry is npmRegistry (or npm_config_registry; default https://registry.npmjs.org/), and its token npmRegistryToken; installSource: postman installs from Postman's download site instead";
/// The setting that decides where a tarball comes from.
pub(crate) const TARBALL_HINT: &str =
    "The tarball's URL comes from the registry's package document (npmRegistry)";
/// The settings that decide what the download-site path tries.
pub(crate) const SITE_HINT: &str = "Postman's download site is POSTMAN_CLI_DOWNLOAD_URL (default https://dl-cli.pstmn.io); an exact cliVersion skips the version lookup, and installSource: npm or archive avoid the site";

impl Retry for InstallError {
    fn retryable(&self) -> bool {
        match self {
            InstallError::Fetch(e) => e.retryable(),
            _ => false,
        }
    }
}

impl InstallError {
    /// Faults that say the source cannot be reached, as opposed to a source
    /// that answered something definite.
    pub(crate) fn unreachable(&self) -> bool {
        self.retryable()
    }

    /// Adds the setting that decides what was tried, for errors from the
    /// network, which do not name one.
    pub(crate) fn hint(self, hint: &str) -> InstallError {
        match self {
            InstallError::Fetch(_) => InstallError::Context {
                source: Box::new(self),
                hint: hint.to_owned(),
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> InstallError {
        InstallError::Fetch(FetchError::Status {
            url: "https://registry.example/@postman%2fpm-bin-linux-x64".into(),
            status,
        })
    }

    #[test]
    fn network_errors_gain_the_setting_that_decides_the_url() {
        assert_eq!(
            status(401).hint(REGISTRY_HINT).to_string(),
            "https://registry.example/@postman%2fpm-bin-linux-x64 answered 401; the server needs credentials, or refused them. The registry is npmRegistry (or npm_config_registry; default https://registry.npmjs.org/), and its token npmRegistryToken; installSource: postman installs from Postman's download site instead"
        );
        // Errors that are not the network's keep their own words.
        let known = InstallError::KnownBad {
            package: "@postman/pm-bin-linux-x64".into(),
            version: "1.24.4".into(),
            advisory: "MAL-2025-190903".into(),
        };
        let before = known.to_string();
        assert_eq!(known.hint(REGISTRY_HINT).to_string(), before);
        assert!(before.contains("https://osv.dev/vulnerability/MAL-2025-190903"));
    }

    #[test]
    fn only_network_faults_are_retried_or_count_as_unreachable() {
        assert!(status(503).retryable() && status(503).unreachable());
        assert!(!status(404).retryable());
        assert!(
            !InstallError::ArchiveMissing {
                path: "x.tgz".into()
            }
            .retryable()
        );
        assert!(!status(503).hint(SITE_HINT).retryable(), "a hint is final");
    }

    #[test]
    fn a_missing_version_lists_what_exists() {
        let missing = |available: Vec<String>| {
            InstallError::VersionNotFound {
                version: "9.9.9".into(),
                package: "@postman/pm-bin-linux-x64".into(),
                registry: "https://registry.npmjs.org/".into(),
                available,
            }
            .to_string()
        };
        assert!(missing(Vec::new()).ends_with("Set cliVersion to `latest`."));
        let many: Vec<String> = (0..12).rev().map(|n| format!("1.{n}.0")).collect();
        assert!(
            missing(many)
                .ends_with("or one of: 1.11.0, 1.10.0, 1.9.0, 1.8.0, 1.7.0, 1.6.0, 1.5.0, 1.4.0."),
            "eight at most"
        );
    }

    #[test]
    fn a_relabelled_package_names_what_it_holds_and_what_it_was_listed_as() {
        let text = InstallError::KnownBadInside {
            url: "https://mirror.example/pm-bin-linux-x64-1.24.9.tgz".into(),
            package: "@postman/pm-bin-linux-x64".into(),
            listed: "1.24.9".into(),
            found: "1.24.4".into(),
            advisory: "MAL-2025-190903".into(),
        }
        .to_string();
        assert!(
            text.starts_with("https://mirror.example/pm-bin-linux-x64-1.24.9.tgz, listed as @postman/pm-bin-linux-x64 1.24.9, holds 1.24.4 in its package.json, which is known to be malicious (MAL-2025-190903, https://osv.dev/vulnerability/MAL-2025-190903)"),
            "{text}"
        );
    }
}
