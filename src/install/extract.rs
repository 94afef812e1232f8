//! Unpacks Postman CLI packages, refusing anything a package has no business
//! containing: absolute paths, `..`, links and device files.
//!
//! Whatever the source, an installed CLI ends up as `bin/postman[.exe]`
//! with its `lib/` beside it: npm tarballs put everything under
//! `package/bin/` (the first component is dropped while streaming), while a
//! download-site archive or a user's archive may hold `postman-cli` at its
//! root; [`normalize_layout`] moves such a tree into place.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub(crate) enum ExtractError {
    #[error("it is neither a gzipped tar nor a zip archive")]
    UnknownFormat,
    #[error("it holds no Postman CLI executable (postman, postman-cli, or their .exe)")]
    NoExecutable,
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
pub(crate) struct Extracted {
    pub(crate) files: usize,
    pub(crate) bytes: u64,
}

/// Unpacks a gzipped tar stream into `dest`, dropping the first path
/// component (npm's `package/`), then reads the stream to its end so a hash
/// computed on it covers every byte.
pub(crate) fn unpack_tgz(reader: impl Read, dest: &Path) -> Result<Extracted, ExtractError> {
    unpack_tar(reader, dest, 1)
}

/// Unpacks an archive file of either kind, keeping its paths, and moves the
/// executable into `bin/<exe_name>`.
pub(crate) fn unpack_archive(
    path: &Path,
    dest: &Path,
    exe_name: &str,
) -> Result<Extracted, ExtractError> {
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(ExtractError::Corrupt)?;
    let n = file.read(&mut magic).map_err(ExtractError::Corrupt)?;
    std::io::Seek::rewind(&mut file).map_err(ExtractError::Corrupt)?;
    let done = match &magic[..n] {
        [0x1f, 0x8b, ..] => unpack_tar(std::io::BufReader::new(file), dest, 0)?,
        [b'P', b'K', 3, 4] => unpack_zip(file, dest)?,
        _ => return Err(ExtractError::UnknownFormat),
    };
    hoist_npm_package(dest)?;
    normalize_layout(dest, exe_name)?;
    Ok(done)
}

fn unpack_tar(reader: impl Read, dest: &Path, strip: usize) -> Result<Extracted, ExtractError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let mut done = Extracted::default();
    for entry in archive.entries().map_err(ExtractError::Corrupt)? {
        let mut entry = entry.map_err(ExtractError::Corrupt)?;
        let raw = entry.path().map_err(ExtractError::Corrupt)?.into_owned();
        let shown = raw.display().to_string();
        let Some(rel) = safe_relative(&raw, &shown, strip)? else {
            continue;
        };
        let target = dest.join(&rel);
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            create_dir(&target)?;
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
        let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
        write_file(&mut entry, &target, executable, &mut done)?;
    }
    // Whatever follows the last entry (tar padding, the gzip trailer) still
    // counts for the digest.
    let mut rest = archive.into_inner().into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(ExtractError::Corrupt)?;
    Ok(done)
}

/// The entry's path without its first `strip` components, if it is safe;
/// `None` for what the stripping leaves empty.
fn safe_relative(raw: &Path, shown: &str, strip: usize) -> Result<Option<PathBuf>, ExtractError> {
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
    if parts.len() <= strip {
        return Ok(None);
    }
    Ok(Some(parts[strip..].iter().collect()))
}

fn unpack_zip(file: std::fs::File, dest: &Path) -> Result<Extracted, ExtractError> {
    let corrupt = |e: zip::result::ZipError| ExtractError::Corrupt(std::io::Error::other(e));
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(corrupt)?;
    let mut done = Extracted::default();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(corrupt)?;
        let shown = entry.name().map_err(corrupt)?.into_owned();
        let Some(rel) = safe_relative(Path::new(&shown.replace('\\', "/")), &shown, 0)? else {
            continue;
        };
        let mode = entry.unix_mode();
        // S_IFLNK: zip stores symbolic links as entries with this file type.
        if mode.is_some_and(|m| m & 0o170000 == 0o120000) {
            return Err(ExtractError::Unsafe {
                entry: shown,
                reason: "links are not allowed in a Postman CLI package",
            });
        }
        let target = dest.join(&rel);
        if entry.is_dir() {
            create_dir(&target)?;
            continue;
        }
        let executable = mode.is_some_and(|m| m & 0o111 != 0) || is_exe_name(&rel);
        write_file(&mut entry, &target, executable, &mut done)?;
    }
    Ok(done)
}

fn create_dir(path: &Path) -> Result<(), ExtractError> {
    std::fs::create_dir_all(path).map_err(|source| ExtractError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes one file of an archive to `target` (creating its folder) and
/// counts it.
fn write_file(
    mut from: impl Read,
    target: &Path,
    executable: bool,
    done: &mut Extracted,
) -> Result<(), ExtractError> {
    let write_error = |source| ExtractError::Write {
        path: target.to_path_buf(),
        source,
    };
    if let Some(parent) = target.parent() {
        create_dir(parent)?;
    }
    let mut file = std::fs::File::create(target).map_err(write_error)?;
    done.bytes += std::io::copy(&mut from, &mut file).map_err(ExtractError::Corrupt)?;
    done.files += 1;
    set_mode(target, executable).map_err(write_error)
}

/// An npm tarball (`package/package.json`, `package/bin/…`) loses its
/// `package/` folder, as it does when streamed from the registry.
fn hoist_npm_package(dest: &Path) -> Result<(), ExtractError> {
    let package = dest.join("package");
    if !package.join("package.json").is_file() {
        return Ok(());
    }
    for entry in std::fs::read_dir(&package)
        .map_err(ExtractError::Corrupt)?
        .flatten()
    {
        let to = dest.join(entry.file_name());
        std::fs::rename(entry.path(), &to)
            .map_err(|source| ExtractError::Write { path: to, source })?;
    }
    std::fs::remove_dir(&package).map_err(|source| ExtractError::Write {
        path: package,
        source,
    })
}

const EXE_NAMES: &[&str] = &["postman", "postman-cli", "postman.exe", "postman-cli.exe"];

fn is_exe_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| EXE_NAMES.contains(&n))
}

/// Moves an unpacked tree so the executable is `bin/<exe_name>`, keeping
/// the files beside it (its `lib/`) beside it.
pub(crate) fn normalize_layout(dest: &Path, exe_name: &str) -> Result<(), ExtractError> {
    let write = |path: &Path, source| ExtractError::Write {
        path: path.to_path_buf(),
        source,
    };
    let wanted = dest.join("bin").join(exe_name);
    if wanted.is_file() {
        return Ok(());
    }
    // Breadth first, so the shallowest executable wins.
    let mut queue = std::collections::VecDeque::from([(dest.to_path_buf(), 0)]);
    let mut exe = None;
    while let Some((dir, depth)) = queue.pop_front() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| write(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        if let Some(found) = entries.iter().find(|p| p.is_file() && is_exe_name(p)) {
            exe = Some(found.clone());
            break;
        }
        if depth < 3 {
            queue.extend(
                entries
                    .into_iter()
                    .filter(|p| p.is_dir())
                    .map(|p| (p, depth + 1)),
            );
        }
    }
    let exe = exe.ok_or(ExtractError::NoExecutable)?;
    let home = exe.parent().unwrap_or(dest).to_path_buf();
    let bin = dest.join("bin");
    if home == dest {
        // Everything sits at the root: move it all under bin/.
        let moving = dest.join(".bin-moving");
        std::fs::create_dir(&moving).map_err(|e| write(&moving, e))?;
        for entry in std::fs::read_dir(dest)
            .map_err(|e| write(dest, e))?
            .flatten()
        {
            let path = entry.path();
            if path != moving {
                std::fs::rename(&path, moving.join(entry.file_name()))
                    .map_err(|e| write(&path, e))?;
            }
        }
        std::fs::rename(&moving, &bin).map_err(|e| write(&bin, e))?;
    } else if home != bin {
        if bin.exists() {
            std::fs::remove_dir_all(&bin).map_err(|e| write(&bin, e))?;
        }
        std::fs::rename(&home, &bin).map_err(|e| write(&bin, e))?;
    }
    let moved = bin.join(exe.file_name().unwrap_or_default());
    if moved != wanted {
        std::fs::rename(&moved, &wanted).map_err(|e| write(&wanted, e))?;
    }
    set_mode(&wanted, true).map_err(|e| write(&wanted, e))
}

/// The version an npm package states in its `package.json`, if it has one.
pub(crate) fn package_version(dest: &Path) -> Option<semver::Version> {
    semver::Version::parse(package_field(dest, "version")?.as_str()).ok()
}

/// The name an npm package states in its `package.json`, if it has one.
pub(crate) fn package_name(dest: &Path) -> Option<String> {
    package_field(dest, "name")
}

fn package_field(dest: &Path, field: &str) -> Option<String> {
    let text = std::fs::read(dest.join("package.json")).ok()?;
    let doc: serde_json::Value = serde_json::from_slice(&text).ok()?;
    Some(doc.get(field)?.as_str()?.to_owned())
}

/// What an archive file is, by its first bytes.
pub(crate) fn sniff_format(path: &Path) -> Option<super::platform::ArchiveFormat> {
    let mut magic = [0u8; 4];
    let n = std::fs::File::open(path).ok()?.read(&mut magic).ok()?;
    match &magic[..n] {
        [0x1f, 0x8b, ..] => Some(super::platform::ArchiveFormat::TarGz),
        [b'P', b'K', 3, 4] => Some(super::platform::ArchiveFormat::Zip),
        _ => None,
    }
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
    pub(crate) fn tgz(files: &[(&str, &[u8], u32)], link: Option<&str>) -> Vec<u8> {
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

    fn zip_file(entries: &[(&str, &[u8], u32)], link: Option<&str>) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data, mode) in entries {
            let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
            zip.start_file(*name, options).unwrap();
            std::io::Write::write_all(&mut zip, data).unwrap();
        }
        if let Some(target) = link {
            zip.add_symlink("evil", target, zip::write::SimpleFileOptions::default())
                .unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn archives_of_either_kind_end_in_the_same_layout() {
        // A download-site zip: the executable at the root, lib/ beside it.
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("cli.zip");
        std::fs::write(
            &archive,
            zip_file(
                &[("postman-cli", b"bin", 0o755), ("lib/a.js", b"a", 0o644)],
                None,
            ),
        )
        .unwrap();
        let dest = dir.path().join("zip");
        unpack_archive(&archive, &dest, "postman").unwrap();
        assert!(dest.join("bin/postman").is_file());
        assert!(dest.join("bin/lib/a.js").is_file());

        // A tarball with a top folder.
        let archive = dir.path().join("cli.tar.gz");
        std::fs::write(
            &archive,
            tgz(
                &[
                    ("postman-cli-1.0/postman", b"bin", 0o755),
                    ("postman-cli-1.0/lib/b.js", b"b", 0o644),
                ],
                None,
            ),
        )
        .unwrap();
        let dest = dir.path().join("tgz");
        unpack_archive(&archive, &dest, "postman").unwrap();
        assert!(dest.join("bin/postman").is_file() && dest.join("bin/lib/b.js").is_file());

        // An npm package tarball, kept as it is.
        let archive = dir.path().join("pkg.tgz");
        std::fs::write(
            &archive,
            tgz(
                &[
                    ("package/package.json", br#"{"version":"1.62.0"}"#, 0o644),
                    ("package/bin/postman", b"bin", 0o755),
                ],
                None,
            ),
        )
        .unwrap();
        let dest = dir.path().join("npm");
        unpack_archive(&archive, &dest, "postman").unwrap();
        assert!(dest.join("bin/postman").is_file());
        assert_eq!(package_version(&dest), Some(semver::Version::new(1, 62, 0)));
    }

    #[test]
    fn hostile_zips_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes, expect) in [
            (
                "climb.zip",
                zip_file(&[("../x", b"x", 0o644)], None),
                "`..`",
            ),
            (
                "link.zip",
                zip_file(&[("postman", b"x", 0o755)], Some("/etc/passwd")),
                "links",
            ),
            (
                "empty.zip",
                zip_file(&[("readme.txt", b"x", 0o644)], None),
                "no Postman CLI executable",
            ),
        ] {
            let archive = dir.path().join(name);
            std::fs::write(&archive, bytes).unwrap();
            let err = unpack_archive(
                &archive,
                &dir.path().join(name).with_extension("out"),
                "postman",
            )
            .unwrap_err();
            assert!(err.to_string().contains(expect), "{name}: {err}");
        }
        let text = dir.path().join("x.txt");
        std::fs::write(&text, "hello").unwrap();
        assert!(matches!(
            unpack_archive(&text, dir.path(), "postman"),
            Err(ExtractError::UnknownFormat)
        ));
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
