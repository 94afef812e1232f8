//! The agent's tool cache, laid out as azure-pipelines-tool-lib lays it
//! out so other tasks recognise it: `<root>/postman-cli/<version>/<arch>/`
//! with an empty `<arch>.complete` marker beside it, written last.
//!
//! A folder without its marker is an install that did not finish (a job
//! killed mid-download); it is never used and is replaced on the next
//! install. Installs of one version are serialised across processes with a
//! lock on a sidecar `<arch>.lock` file, so parallel jobs on one machine
//! download once.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) const TOOL_NAME: &str = "postman-cli";

#[derive(Clone, Debug)]
pub(crate) struct ToolCache {
    /// `<tools dir>/postman-cli`.
    root: PathBuf,
}

impl ToolCache {
    pub(crate) fn new(tools_dir: &Path) -> ToolCache {
        ToolCache {
            root: tools_dir.join(TOOL_NAME),
        }
    }

    pub(crate) fn version_dir(&self, version: &semver::Version) -> PathBuf {
        self.root.join(version.to_string())
    }

    pub(crate) fn arch_dir(&self, version: &semver::Version, arch: &str) -> PathBuf {
        self.version_dir(version).join(arch)
    }

    pub(crate) fn marker(&self, version: &semver::Version, arch: &str) -> PathBuf {
        self.version_dir(version).join(format!("{arch}.complete"))
    }

    /// The install folder of a version, if it finished installing.
    pub(crate) fn find(&self, version: &semver::Version, arch: &str) -> Option<PathBuf> {
        let dir = self.arch_dir(version, arch);
        (dir.is_dir() && self.marker(version, arch).is_file()).then_some(dir)
    }

    /// Takes the install lock of one version, waiting at most `timeout`.
    /// `on_wait` is called once if another process holds it.
    pub(crate) fn lock(
        &self,
        version: &semver::Version,
        arch: &str,
        timeout: Duration,
        on_wait: impl FnOnce(),
    ) -> Result<InstallLock, LockError> {
        let dir = self.version_dir(version);
        std::fs::create_dir_all(&dir).map_err(|source| LockError::Io {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join(format!("{arch}.lock"));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| LockError::Io {
                path: path.clone(),
                source,
            })?;
        let start = Instant::now();
        let mut on_wait = Some(on_wait);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(InstallLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {
                    if let Some(f) = on_wait.take() {
                        f();
                    }
                    if start.elapsed() >= timeout {
                        return Err(LockError::Timeout {
                            path,
                            waited: timeout,
                        });
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(LockError::Io { path, source });
                }
            }
        }
    }

    /// Versions with a finished install for `arch`.
    pub(crate) fn versions(&self, arch: &str) -> Vec<semver::Version> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| semver::Version::parse(&e.file_name().to_string_lossy()).ok())
            .filter(|v| self.find(v, arch).is_some())
            .collect()
    }

    /// Removes staging folders an install left when it was killed. Only
    /// call with the version's lock held: staging happens under it, so any
    /// folder found then belongs to a process that is gone.
    pub(crate) fn remove_stale_staging(&self, version: &semver::Version) {
        let Ok(entries) = std::fs::read_dir(self.version_dir(version)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(".staging-") || name.starts_with(".download-") {
                let path = entry.path();
                let _ = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
            }
        }
    }

    /// A staging folder for a package whose version is not known yet (a
    /// local archive); on the same file system as every version folder.
    pub(crate) fn staging_dir_at_root(&self) -> std::io::Result<tempfile::TempDir> {
        std::fs::create_dir_all(&self.root)?;
        tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&self.root)
    }

    /// A fresh staging folder beside the install folder, so the final move
    /// is a rename on one file system.
    pub(crate) fn staging_dir(
        &self,
        version: &semver::Version,
    ) -> std::io::Result<tempfile::TempDir> {
        std::fs::create_dir_all(self.version_dir(version))?;
        tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(self.version_dir(version))
    }

    /// Moves a finished staging folder into place and writes the marker.
    /// Called with the install lock held.
    pub(crate) fn commit(
        &self,
        staging: tempfile::TempDir,
        version: &semver::Version,
        arch: &str,
    ) -> std::io::Result<PathBuf> {
        let target = self.arch_dir(version, arch);
        let marker = self.marker(version, arch);
        std::fs::create_dir_all(self.version_dir(version))?;
        // A leftover from an install that was killed before its marker.
        let _ = std::fs::remove_file(&marker);
        if target.exists() {
            std::fs::remove_dir_all(&target)?;
        }
        let staged = staging.keep();
        std::fs::rename(&staged, &target)?;
        File::create(&marker)?;
        Ok(target)
    }
}

/// Held while installing; released when dropped (the OS also releases it
/// when a killed process's file handles close).
pub(crate) struct InstallLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    #[error("cannot use the tool cache at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "another job has been installing this Postman CLI version for {} s and still holds {path}; \
         raise the wait with the environment variable POSTMAN_CLI_TASK_LOCK_TIMEOUT (seconds), or remove the lock file if no job is running",
        waited.as_secs()
    )]
    Timeout { path: PathBuf, waited: Duration },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_only_with_marker() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ToolCache::new(dir.path());
        let v = semver::Version::new(1, 62, 0);
        std::fs::create_dir_all(cache.arch_dir(&v, "x64")).unwrap();
        assert_eq!(
            cache.find(&v, "x64"),
            None,
            "a folder without marker is unfinished"
        );

        let staging = cache.staging_dir(&v).unwrap();
        std::fs::write(staging.path().join("postman"), "bin").unwrap();
        let dir_path = cache.commit(staging, &v, "x64").unwrap();
        assert_eq!(cache.find(&v, "x64"), Some(dir_path.clone()));
        assert!(dir_path.join("postman").is_file());
        assert!(dir_path.ends_with("postman-cli/1.62.0/x64"));
    }

    #[test]
    fn killed_installs_leave_nothing_that_counts() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ToolCache::new(dir.path());
        let v = semver::Version::new(1, 2, 3);
        // A process killed mid-install: staging left, no marker.
        let staging = cache.staging_dir(&v).unwrap().keep();
        std::fs::write(staging.join("half"), "x").unwrap();
        std::fs::create_dir_all(cache.arch_dir(&v, "x64")).unwrap();
        assert!(cache.versions("x64").is_empty());
        cache.remove_stale_staging(&v);
        assert!(!staging.exists());
        let fresh = cache.staging_dir(&v).unwrap();
        std::fs::write(fresh.path().join("postman"), "bin").unwrap();
        cache.commit(fresh, &v, "x64").unwrap();
        assert_eq!(cache.versions("x64"), [v]);
    }

    #[test]
    fn lock_waits_then_names_the_knob() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ToolCache::new(dir.path());
        let v = semver::Version::new(1, 0, 0);
        let held = cache.lock(&v, "x64", Duration::ZERO, || {}).unwrap();
        let mut waited = false;
        let err = cache
            .lock(&v, "x64", Duration::from_millis(300), || waited = true)
            .err()
            .unwrap();
        assert!(waited);
        assert!(
            err.to_string().contains("POSTMAN_CLI_TASK_LOCK_TIMEOUT"),
            "{err}"
        );
        drop(held);
        assert!(cache.lock(&v, "x64", Duration::ZERO, || {}).is_ok());
    }
}
