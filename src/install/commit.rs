//! An install's way into the tool cache and back out: the version's lock
//! (waited for without blocking the runtime), a staging folder beside the
//! final place, the commit (the record written, the folder renamed into
//! place, the marker last), and an [`InstalledCli`] made from a finished
//! folder, whether this job put it there or an earlier one did.

use std::path::Path;
use std::time::Duration;

use super::InstallRequest;
use super::InstalledCli;
use super::cache::{InstallLock, LockError, ToolCache};
use super::error::InstallError;
use super::guard;
use super::record::Record;
use crate::events::{Event, Events};

/// Takes the install lock of `version`, telling `events` when another job
/// holds it.
pub(crate) async fn lock(
    cache: &ToolCache,
    version: &semver::Version,
    arch: &'static str,
    timeout: Duration,
    events: &dyn Events,
) -> Result<InstallLock, InstallError> {
    let (waiting, mut waits) = tokio::sync::oneshot::channel::<()>();
    let (cache, version) = (cache.clone(), version.clone());
    let shown = version.clone();
    let locking = tokio::task::spawn_blocking(move || {
        let lock = cache.lock(&version, arch, timeout, || {
            let _ = waiting.send(());
        })?;
        // Whoever held the lock before us is gone: any staging folder left
        // is from an install that was killed.
        cache.remove_stale_staging(&version);
        Ok::<_, LockError>(lock)
    });
    tokio::pin!(locking);
    let mut told = false;
    let lock = loop {
        // The wait is told before the lock is taken: a job that waited, even
        // briefly, says so.
        tokio::select! {
            biased;
            Ok(()) = &mut waits, if !told => {
                told = true;
                events.emit(Event::Note(&format!(
                    "Waiting for another job that is installing Postman CLI {shown} into the same tool cache…"
                )));
            }
            locked = &mut locking => break locked.expect("lock task panicked")?,
        }
    };
    Ok(lock)
}

/// A fresh staging folder for `version`, beside its final place; removed
/// with everything in it when dropped before [`commit`].
pub(crate) fn staging_dir(
    cache: &ToolCache,
    version: &semver::Version,
) -> Result<tempfile::TempDir, InstallError> {
    cache
        .staging_dir(version)
        .map_err(|source| InstallError::Cache {
            path: cache.version_dir(version),
            source,
        })
}

/// Writes the record into `staging`, moves it into place and marks it
/// complete. Called with the version's lock held.
pub(crate) fn commit(
    req: &InstallRequest,
    cache: &ToolCache,
    staging: tempfile::TempDir,
    version: semver::Version,
    record: &Record,
) -> Result<InstalledCli, InstallError> {
    let arch = req.platform.cache_arch();
    record
        .write(staging.path())
        .map_err(|source| InstallError::Cache {
            path: staging.path().to_path_buf(),
            source,
        })?;
    let dir = cache
        .commit(staging, &version, arch)
        .map_err(|source| InstallError::Cache {
            path: cache.arch_dir(&version, arch),
            source,
        })?;
    found(req, version, &dir, false)
}

/// The CLI in a finished install folder.
pub(crate) fn found(
    req: &InstallRequest,
    version: semver::Version,
    dir: &Path,
    from_cache: bool,
) -> Result<InstalledCli, InstallError> {
    let executable = dir.join("bin").join(req.platform.exe_name());
    if !executable.is_file() {
        let other = if req.platform.exe_name() == "postman" {
            "postman.exe"
        } else {
            "postman"
        };
        if dir.join("bin").join(other).is_file() {
            // A tool cache shared between this machine and `--platform`.
            return Err(InstallError::NotInstalled {
                what: format!(
                    "{} holds a Postman CLI for another operating system than {}; prepare CLIs for other platforms in a tool cache of their own (AGENT_TOOLSDIRECTORY)",
                    dir.display(),
                    req.platform
                ),
            });
        }
        return Err(InstallError::MissingExecutable {
            path: executable,
            dir: dir.to_path_buf(),
        });
    }
    let (origin, integrity) = match Record::read(dir) {
        Some(r) => (Some(r.origin), r.integrity),
        None => (None, None),
    };
    Ok(InstalledCli {
        version,
        executable,
        from_cache,
        origin,
        integrity,
    })
}

/// The newest cached version that fits the request, for when the source
/// cannot be reached; the warning names why it is used.
pub(crate) fn cached_fallback(
    req: &InstallRequest,
    cache: &ToolCache,
    events: &dyn Events,
    error: &InstallError,
) -> Option<InstalledCli> {
    let arch = req.platform.cache_arch();
    let npm_package = req.platform.build().npm.map(|n| n.package);
    let version = cache
        .versions(arch)
        .into_iter()
        .filter(|v| req.plan.version.matches(v))
        .filter(|v| npm_package.is_none_or(|p| guard::advisory(p, v).is_none()))
        .max()?;
    let dir = cache.find(&version, arch)?;
    events.emit(Event::Warning(&format!(
        "{error}. Using Postman CLI {version} from the tool cache instead of resolving `{}`.",
        req.plan.version
    )));
    found(req, version, &dir, true).ok()
}
