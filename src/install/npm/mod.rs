//! Installing from an npm registry (or a mirror): the platform's package
//! document, the version the request and the supply-chain guard take from
//! it, its tarball streamed through the integrity check into a staging
//! folder, the unpacked `package.json` asked again whether this is the
//! version listed and not a known-bad one, then the commit.

pub(crate) mod packument;

use std::time::Duration;

use super::InstallRequest;
use super::InstalledCli;
use super::cache::ToolCache;
use super::commit::{cached_fallback, commit, found, lock, staging_dir};
use super::download;
use super::error::{InstallError, REGISTRY_HINT, TARBALL_HINT};
use super::extract::layout;
use super::guard::{self, Policy, Skipped};
use super::integrity::Expected;
use super::record::{Origin, OriginKind, Record};
use crate::events::{Event, Events};
use crate::http::fetch::{FetchError, retry};
use crate::inputs::Secret;
use crate::plan::VersionSpec;
use packument::{Auth, NotSelected, Packument, Selected};

/// One registry, for one platform's package.
struct Source<'a> {
    registry: &'a str,
    package: &'static str,
    auth: Auth,
}

pub(crate) async fn install(
    req: &InstallRequest,
    cache: &ToolCache,
    client: &reqwest::Client,
    events: &dyn Events,
    registry: &str,
    token: Option<&Secret>,
) -> Result<InstalledCli, InstallError> {
    let source = Source {
        registry,
        package: req
            .platform
            .build()
            .npm
            .map(|n| n.package)
            .unwrap_or_default(),
        auth: Auth::new(registry, token),
    };
    // The cooldown needs publish times, which only the full document has.
    let cooling =
        !req.plan.min_release_age.is_zero() && !matches!(req.plan.version, VersionSpec::Exact(_));
    let packument = match document(client, &source, cooling, events).await {
        Ok(p) => p,
        Err(e) if e.unreachable() => {
            return cached_fallback(req, cache, events, &e).ok_or_else(|| e.hint(REGISTRY_HINT));
        }
        Err(e) => return Err(e.hint(REGISTRY_HINT)),
    };
    let url = packument::url(registry, source.package);
    let mut policy = Policy {
        package: source.package,
        min_age: req.plan.min_release_age,
        now: chrono::Utc::now(),
    };
    if cooling && !packument::has_times(&packument) {
        events.emit(Event::Warning(&format!(
            "{url} gave no publish times, so cliMinimumReleaseAge ({}) cannot hold back new versions; resolving `{}` without it. Pin cliVersion to an exact version to choose what runs.",
            crate::plan::age::show_age(policy.min_age),
            req.plan.version
        )));
        policy.min_age = Duration::ZERO;
    }
    let Selected { version, dist, .. } = choose(req, &source, &packument, &policy, events)?;
    let arch = req.platform.cache_arch();
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    let expected = Expected::from_sri(dist.integrity.as_deref().unwrap_or(""));
    if expected == Expected::None {
        return Err(InstallError::NoIntegrity {
            package: source.package.to_owned(),
            version: version.to_string(),
            registry: registry.to_owned(),
        });
    }
    let _lock = lock(cache, &version, arch, req.lock_timeout, events).await?;
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    events.emit(Event::Note(&format!(
        "Downloading Postman CLI {version} ({}) from {}",
        source.package, dist.tarball
    )));
    let staging = retry(events, || async {
        let staging = staging_dir(cache, &version)?;
        download::stream_tgz(
            client,
            &dist.tarball,
            source.auth.for_url(&dist.tarball),
            &expected,
            staging.path(),
            events,
        )
        .await?;
        Ok::<_, InstallError>(staging)
    })
    .await
    .map_err(|e| e.hint(TARBALL_HINT))?;
    check_manifest(&source, &dist.tarball, &version, staging.path())?;
    let record = Record {
        origin: Origin {
            kind: OriginKind::Registry,
            location: dist.tarball.clone(),
        },
        integrity: Some(expected.display()),
    };
    commit(req, cache, staging, version, &record)
}

/// The package's document, retried; a 404 says the registry lacks the
/// package, which is its own error (the default source turns to the
/// download site on it).
async fn document(
    client: &reqwest::Client,
    source: &Source<'_>,
    full: bool,
    events: &dyn Events,
) -> Result<Packument, InstallError> {
    let url = packument::url(source.registry, source.package);
    packument::fetch(client, &url, &source.auth, full, events)
        .await
        .map_err(|e| match e {
            FetchError::Status { status: 404, .. } => InstallError::PackageMissing {
                url: url.clone(),
                registry: source.registry.to_owned(),
                package: source.package.to_owned(),
            },
            other => other.into(),
        })
}

/// The version the request takes, through the guard; what the guard passed
/// over is told on the way (a known-bad version as a warning: it is news).
fn choose(
    req: &InstallRequest,
    source: &Source<'_>,
    packument: &Packument,
    policy: &Policy<'_>,
    events: &dyn Events,
) -> Result<Selected, InstallError> {
    let selected =
        packument::select(packument, &req.plan.version, policy).map_err(|e| match e {
            NotSelected::Missing(available) => InstallError::VersionNotFound {
                version: req.plan.version.to_string(),
                package: source.package.to_owned(),
                registry: source.registry.to_owned(),
                available,
            },
            NotSelected::KnownBad { version, advisory } => InstallError::KnownBad {
                package: source.package.to_owned(),
                version,
                advisory,
            },
            NotSelected::Refused(skipped) => InstallError::Refused {
                package: source.package.to_owned(),
                registry: source.registry.to_owned(),
                wanted: req.plan.version.to_string(),
                reasons: skipped
                    .iter()
                    .map(|s| s.describe(policy.min_age))
                    .collect::<Vec<_>>()
                    .join("; "),
            },
        })?;
    for skipped in &selected.skipped {
        let text = format!(
            "Passing over {} {}; using {}.",
            source.package,
            skipped.describe(policy.min_age),
            selected.version
        );
        // A version still cooling down is the cooldown doing its job.
        match skipped {
            Skipped::KnownBad { .. } => events.emit(Event::Warning(&text)),
            _ => events.emit(Event::Note(&text)),
        }
    }
    Ok(selected)
}

/// What the unpacked package says it is, against what the registry listed:
/// a known-bad version (by its own name or the one asked for) is refused
/// whatever it was listed as, and so is any other version than the one
/// listed. A package without a readable `package.json` says nothing.
fn check_manifest(
    source: &Source<'_>,
    url: &str,
    listed: &semver::Version,
    unpacked: &std::path::Path,
) -> Result<(), InstallError> {
    let manifest = layout::manifest(unpacked);
    let Some(found) = manifest.version else {
        return Ok(());
    };
    let names = [Some(source.package), manifest.name.as_deref()];
    if let Some(advisory) = names
        .into_iter()
        .flatten()
        .find_map(|name| guard::advisory(name, &found))
    {
        return Err(InstallError::KnownBadInside {
            url: url.to_owned(),
            package: source.package.to_owned(),
            listed: listed.to_string(),
            found: found.to_string(),
            advisory: advisory.to_owned(),
        });
    }
    if !guard::same_release(&found, listed) {
        return Err(InstallError::NotWhatWasListed {
            url: url.to_owned(),
            package: source.package.to_owned(),
            listed: listed.to_string(),
            found: found.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpacked(manifest: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), manifest).unwrap();
        dir
    }

    fn check(listed: &str, manifest: &str) -> Result<(), InstallError> {
        let source = Source {
            registry: "https://mirror.example/",
            package: "@postman/pm-bin-linux-x64",
            auth: Auth::new("https://mirror.example/", None),
        };
        let dir = unpacked(manifest);
        check_manifest(
            &source,
            "https://mirror.example/x.tgz",
            &semver::Version::parse(listed).unwrap(),
            dir.path(),
        )
    }

    #[test]
    fn the_unpacked_manifest_must_be_the_version_listed_and_not_a_known_bad_one() {
        assert!(check("1.62.0", r#"{"version":"1.62.0"}"#).is_ok());
        assert!(
            check("1.62.0+abc", r#"{"version":"1.62.0"}"#).is_ok(),
            "build metadata is not part of the version"
        );
        assert!(
            check("1.62.0", r#"{"name":"x"}"#).is_ok(),
            "no version said"
        );
        assert!(matches!(
            check("1.24.9", r#"{"name":"@postman/pm-bin-linux-x64","version":"1.24.4"}"#),
            Err(InstallError::KnownBadInside { found, .. }) if found == "1.24.4"
        ));
        assert!(
            matches!(
                check(
                    "1.24.9",
                    r#"{"name":"@postman/pm-bin-macos-arm64","version":"1.24.5"}"#
                ),
                Err(InstallError::KnownBadInside { .. })
            ),
            "another platform's known-bad package"
        );
        assert!(matches!(
            check("1.62.0", r#"{"version":"1.61.0"}"#),
            Err(InstallError::NotWhatWasListed { .. })
        ));
    }
}
