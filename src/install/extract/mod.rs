//! Unpacks Postman CLI packages, refusing anything a package has no business
//! containing: absolute paths, `..`, links and device files; and anything
//! larger than a package can be ([`limits`]), stopped as it goes.
//!
//! Whatever the source, an installed CLI ends up as `bin/postman[.exe]`
//! with its `lib/` beside it: npm tarballs put everything under
//! `package/bin/` (the first component is dropped while streaming), while a
//! download-site archive or a user's archive may hold `postman-cli` at its
//! root; [`normalize_layout`] moves such a tree into place.

pub(crate) mod layout;
pub(crate) mod limits;

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use layout::{hoist_npm_package, is_exe_name, normalize_layout};
use limits::{Exceeded, Intake, Limits, Meter, Outflow};

#[derive(Debug, thiserror::Error)]
pub(crate) enum ExtractError {
    #[error("it is neither a gzipped tar nor a zip archive")]
    UnknownFormat,
    #[error("it holds no Postman CLI executable (postman, postman-cli, or their .exe)")]
    NoExecutable,
    #[error("the archive entry `{entry}` is refused: {reason}")]
    Unsafe { entry: String, reason: &'static str },
    #[error("{0}; nothing of it was kept")]
    TooLarge(Exceeded),
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

/// A read of the archive failed: because a cap was passed, or because the
/// archive is damaged.
fn read_error(meter: &Meter, e: std::io::Error) -> ExtractError {
    match meter.exceeded() {
        Some(cap) => ExtractError::TooLarge(cap),
        None => ExtractError::Corrupt(e),
    }
}

/// Unpacks a gzipped tar stream into `dest`, dropping the first path
/// component (npm's `package/`), then reads the stream to its end so a hash
/// computed on it covers every byte.
pub(crate) fn unpack_tgz(
    reader: impl Read,
    dest: &Path,
    limits: Limits,
) -> Result<Extracted, ExtractError> {
    unpack_tar(reader, dest, 1, limits)
}

/// Unpacks an archive file of either kind, keeping its paths, and moves the
/// executable into `bin/<exe_name>`.
pub(crate) fn unpack_archive(
    path: &Path,
    dest: &Path,
    exe_name: &str,
    limits: Limits,
) -> Result<Extracted, ExtractError> {
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(ExtractError::Corrupt)?;
    let n = file.read(&mut magic).map_err(ExtractError::Corrupt)?;
    std::io::Seek::rewind(&mut file).map_err(ExtractError::Corrupt)?;
    let done = match &magic[..n] {
        [0x1f, 0x8b, ..] => unpack_tar(std::io::BufReader::new(file), dest, 0, limits)?,
        [b'P', b'K', 3, 4] => unpack_zip(file, dest, limits)?,
        _ => return Err(ExtractError::UnknownFormat),
    };
    hoist_npm_package(dest)?;
    normalize_layout(dest, exe_name)?;
    Ok(done)
}

fn unpack_tar(
    reader: impl Read,
    dest: &Path,
    strip: usize,
    limits: Limits,
) -> Result<Extracted, ExtractError> {
    let meter = Meter::new(limits);
    let intake = Intake {
        inner: reader,
        meter: Rc::clone(&meter),
    };
    let mut archive = tar::Archive::new(Outflow {
        inner: flate2::read::GzDecoder::new(intake),
        meter: Rc::clone(&meter),
    });
    let mut done = Extracted::default();
    let mut entries = archive.entries().map_err(ExtractError::Corrupt)?;
    loop {
        // What tar reads to find the next entry (its headers, the rest of
        // one left unread) is bounded apart from the files.
        meter.reading_headers(true);
        let next = entries.next();
        meter.reading_headers(false);
        let Some(entry) = next else { break };
        let mut entry = entry.map_err(|e| read_error(&meter, e))?;
        let raw = entry.path().map_err(ExtractError::Corrupt)?.into_owned();
        let shown = raw.display().to_string();
        meter
            .entry(&shown, entry.size())
            .map_err(ExtractError::TooLarge)?;
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
        write_file(&mut entry, &target, executable, &meter, &shown, &mut done)?;
    }
    // Whatever follows the last entry (tar padding, the gzip trailer) still
    // counts for the digest: the compressed rest is read, not unpacked.
    let mut rest = archive.into_inner().inner.into_inner();
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

fn unpack_zip(file: std::fs::File, dest: &Path, limits: Limits) -> Result<Extracted, ExtractError> {
    let corrupt = |e: zip::result::ZipError| ExtractError::Corrupt(std::io::Error::other(e));
    // What the entries' compressed data may add up to: no more than the file.
    let mut unaccounted = file.metadata().map_err(ExtractError::Corrupt)?.len();
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(corrupt)?;
    let meter = Meter::new(limits);
    if archive.len() as u64 > limits.entries {
        return Err(ExtractError::TooLarge(Exceeded::Entries(limits.entries)));
    }
    let mut done = Extracted::default();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(corrupt)?;
        let shown = entry.name().map_err(corrupt)?.into_owned();
        meter
            .entry(&shown, entry.size())
            .map_err(ExtractError::TooLarge)?;
        let compressed = entry.compressed_size().min(unaccounted);
        unaccounted -= compressed;
        meter.took(compressed);
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
        // A zip's declared size is only a claim: the entry is cut off past
        // its cap whatever it says.
        let mut data = Outflow {
            inner: entry.take(limits.entry + 1),
            meter: Rc::clone(&meter),
        };
        write_file(&mut data, &target, executable, &meter, &shown, &mut done)?;
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
/// counts it; a read that fails is the archive's fault (or a cap's), a
/// write that fails the disk's.
fn write_file(
    mut from: impl Read,
    target: &Path,
    executable: bool,
    meter: &Meter,
    shown: &str,
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
    let cap = meter.limits().entry;
    let mut written: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(meter, e)),
        };
        written += n as u64;
        if written > cap {
            return Err(ExtractError::TooLarge(Exceeded::Entry {
                entry: shown.to_owned(),
                cap,
            }));
        }
        std::io::Write::write_all(&mut file, &buf[..n]).map_err(write_error)?;
    }
    done.bytes += written;
    done.files += 1;
    set_mode(target, executable).map_err(write_error)
}

#[cfg(unix)]
pub(super) fn set_mode(path: &Path, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub(super) fn set_mode(_: &Path, _: bool) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests;
