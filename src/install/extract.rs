//! Unpacks an npm package tarball while it downloads, refusing anything a
//! package has no business containing: absolute paths, `..`, links and
//! device files.
//!
//! npm tarballs put everything under `package/`; that first component is
//! dropped, so the cache folder holds `bin/postman` directly.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("the archive entry `{entry}` is refused: {reason}")]
    Unsafe { entry: String, reason: &'static str },
    #[error("the archive is damaged or incomplete: {0}")]
    Corrupt(#[source] std::io::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Default)]
pub struct Extracted {
    pub files: usize,
    pub bytes: u64,
}

/// Unpacks a gzipped tar stream into `dest`, then reads the stream to its
/// end so a hash computed on it covers every byte.
pub fn unpack_tgz(reader: impl Read, dest: &Path) -> Result<Extracted, ExtractError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let mut done = Extracted::default();
    for entry in archive.entries().map_err(ExtractError::Corrupt)? {
        let mut entry = entry.map_err(ExtractError::Corrupt)?;
        let raw = entry.path().map_err(ExtractError::Corrupt)?.into_owned();
        let shown = raw.display().to_string();
        let Some(rel) = safe_relative(&raw, &shown)? else {
            continue;
        };
        let target = dest.join(&rel);
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(|source| ExtractError::Write {
                path: target,
                source,
            })?;
            continue;
        }
        if !kind.is_file() {
            return Err(ExtractError::Unsafe {
                entry: shown,
                reason: if kind.is_symlink() || kind.is_hard_link() {
                    "links are not allowed in a Postman CLI package"
                } else {
                    "only files and folders are allowed in a Postman CLI package"
                },
            });
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ExtractError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
        let mut file = std::fs::File::create(&target).map_err(|source| ExtractError::Write {
            path: target.clone(),
            source,
        })?;
        done.bytes += std::io::copy(&mut entry, &mut file).map_err(ExtractError::Corrupt)?;
        done.files += 1;
        set_mode(&target, executable).map_err(|source| ExtractError::Write {
            path: target,
            source,
        })?;
    }
    // Whatever follows the last entry (tar padding, the gzip trailer) still
    // counts for the digest.
    let mut rest = archive.into_inner().into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(ExtractError::Corrupt)?;
    Ok(done)
}

/// The entry's path without the leading `package/`, if it is safe; `None`
/// for the top folder itself.
fn safe_relative(raw: &Path, shown: &str) -> Result<Option<PathBuf>, ExtractError> {
    let unsafe_entry = |reason| ExtractError::Unsafe {
        entry: shown.to_owned(),
        reason,
    };
    let mut parts = Vec::new();
    for c in raw.components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(unsafe_entry(
                    "it climbs out of the install folder with `..`",
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(unsafe_entry("it is an absolute path"));
            }
        }
    }
    if parts.len() <= 1 {
        return Ok(None);
    }
    Ok(Some(parts[1..].iter().collect()))
}

#[cfg(unix)]
fn set_mode(path: &Path, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: bool) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a .tgz in memory; `links` adds a symlink entry.
    pub fn tgz(files: &[(&str, &[u8], u32)], link: Option<&str>) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, data, mode) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(*mode);
            h.set_entry_type(tar::EntryType::Regular);
            // Write the name into the header directly so tests can build
            // the hostile entries (`..`, absolute) the builder refuses.
            let name = path.as_bytes();
            h.as_old_mut().name[..name.len()].copy_from_slice(name);
            h.set_cksum();
            builder.append(&h, *data).unwrap();
        }
        if let Some(target) = link {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            builder
                .append_link(&mut h, "package/bin/evil", target)
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn unpacks_without_the_package_folder() {
        let dir = tempfile::tempdir().unwrap();
        let data = tgz(
            &[
                ("package/bin/postman", b"#!/bin/sh\n", 0o755),
                ("package/package.json", b"{}", 0o644),
            ],
            None,
        );
        let done = unpack_tgz(data.as_slice(), dir.path()).unwrap();
        assert_eq!(done.files, 2);
        assert!(dir.path().join("bin/postman").is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("bin/postman"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o755);
        }
    }

    #[test]
    fn refuses_hostile_entries() {
        let dir = tempfile::tempdir().unwrap();
        let climb = tgz(&[("package/../../etc/x", b"x", 0o644)], None);
        let err = unpack_tgz(climb.as_slice(), dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`..`"), "{err}");
        let abs = tgz(&[("/etc/x", b"x", 0o644)], None);
        assert!(
            unpack_tgz(abs.as_slice(), dir.path())
                .unwrap_err()
                .to_string()
                .contains("absolute")
        );
        let link = tgz(&[("package/a", b"x", 0o644)], Some("/etc/passwd"));
        assert!(
            unpack_tgz(link.as_slice(), dir.path())
                .unwrap_err()
                .to_string()
                .contains("links")
        );
        assert!(!dir.path().join("bin/evil").exists());
    }

    #[test]
    fn truncated_archives_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let data = tgz(&[("package/bin/postman", &[7u8; 50_000], 0o755)], None);
        let cut = &data[..data.len() / 2];
        assert!(matches!(
            unpack_tgz(cut, dir.path()),
            Err(ExtractError::Corrupt(_))
        ));
    }
}
