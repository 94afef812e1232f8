//! Installing from a local archive (`installSource: archive`, `cliArchive`):
//! a download-site archive or an npm tarball, hashed against `cliSha256`,
//! unpacked into a staging folder before its version is known (it is
//! inside), then held to `cliVersion` and the known-bad list, and
//! committed.

use std::path::Path;

use super::InstallRequest;
use super::InstalledCli;
use super::cache::ToolCache;
use super::cli_env::probe_version;
use super::commit::{commit, found, lock};
use super::download;
use super::error::InstallError;
use super::extract::{self, layout, limits::Limits};
use super::guard;
use super::integrity;
use super::record::{Origin, OriginKind, Record};
use crate::events::{Event, Events};
use crate::plan::VersionSpec;

pub(crate) async fn install(
    req: &InstallRequest,
    cache: &ToolCache,
    events: &dyn Events,
    path: &Path,
) -> Result<InstalledCli, InstallError> {
    let limits = Limits::PACKAGE;
    let metadata = std::fs::metadata(path).ok().filter(|m| m.is_file());
    let Some(metadata) = metadata else {
        return Err(InstallError::ArchiveMissing {
            path: path.to_path_buf(),
        });
    };
    if metadata.len() > limits.archive {
        return Err(InstallError::ArchiveRead {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!(
                "it weighs {}, more than the {} a Postman CLI archive may (1.62.0's weighs 124 MiB)",
                crate::text::size(metadata.len()),
                crate::text::size(limits.archive)
            )),
        });
    }
    let sha256 = download::sha256_file(path).map_err(|source| InstallError::ArchiveRead {
        path: path.to_path_buf(),
        source,
    })?;
    integrity::check_pinned(
        req.plan.sha256.as_deref(),
        &path.display().to_string(),
        &sha256,
        events,
    )?;
    // The version is inside the archive, so it is unpacked first, into a
    // staging folder beside the versions.
    let staging = cache
        .staging_dir_at_root()
        .map_err(|source| InstallError::Cache {
            path: req.tools_dir.clone(),
            source,
        })?;
    extract::unpack_archive(path, staging.path(), req.platform.exe_name(), limits).map_err(
        |source| InstallError::Extract {
            what: path.display().to_string(),
            source,
        },
    )?;
    let version = version_inside(req, staging.path(), path).await?;
    let arch = req.platform.cache_arch();
    let _lock = lock(cache, &version, arch, req.lock_timeout, events).await?;
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    events.emit(Event::Note(&format!(
        "Installing Postman CLI {version} from {}",
        path.display()
    )));
    let record = Record {
        origin: Origin {
            kind: OriginKind::Archive,
            location: path.display().to_string(),
        },
        integrity: Some(format!("sha256:{sha256}")),
    };
    commit(req, cache, staging, version, &record)
}

/// The version of the unpacked CLI: its `package.json`'s, or an exact
/// `cliVersion` for another platform's CLI (which cannot be asked), or what
/// the CLI says when asked; held to the known-bad list (build metadata
/// ignored) and to `cliVersion`.
async fn version_inside(
    req: &InstallRequest,
    staging: &Path,
    archive: &Path,
) -> Result<semver::Version, InstallError> {
    let manifest = layout::manifest(staging);
    let exe = staging.join("bin").join(req.platform.exe_name());
    let version = match (manifest.version, &req.plan.version) {
        (Some(v), _) => v,
        (None, VersionSpec::Exact(v)) if req.foreign() => v.clone(),
        (None, _) => probe_version(req, &exe).await?,
    };
    // The list names npm packages: an archive is one of them only if its
    // manifest says so (the download site's builds were not affected).
    if let Some(name) = manifest.name
        && let Some(advisory) = guard::advisory(&name, &version)
    {
        return Err(InstallError::KnownBad {
            package: name,
            version: version.to_string(),
            advisory: advisory.to_owned(),
        });
    }
    if !req.plan.version.matches(&version) {
        return Err(InstallError::WrongVersion {
            path: archive.to_path_buf(),
            found: version.to_string(),
            wanted: req.plan.version.to_string(),
        });
    }
    Ok(version)
}
