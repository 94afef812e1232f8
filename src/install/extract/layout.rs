//! The unpacked tree: moved into the one layout every install has
//! (`bin/postman[.exe]`, its `lib/` beside it), and what the package says
//! of itself (`package.json`).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{ExtractError, set_mode};
use crate::install::platform::ArchiveFormat;

/// An npm tarball (`package/package.json`, `package/bin/…`) loses its
/// `package/` folder, as it does when streamed from the registry.
pub(super) fn hoist_npm_package(dest: &Path) -> Result<(), ExtractError> {
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

pub(super) fn is_exe_name(path: &Path) -> bool {
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

/// What an npm package says of itself in its `package.json`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub(crate) name: Option<String>,
    pub(crate) version: Option<semver::Version>,
}

/// The most a `package.json` may weigh here: Postman's are under 2 KiB.
const MANIFEST_LIMIT: u64 = 1024 * 1024;

/// The manifest at the root of an unpacked package; empty when it has
/// none, or none the task can read (too large, not JSON).
pub(crate) fn manifest(dest: &Path) -> Manifest {
    let read = || -> Option<serde_json::Value> {
        let file = std::fs::File::open(dest.join("package.json")).ok()?;
        let mut text = Vec::new();
        file.take(MANIFEST_LIMIT + 1).read_to_end(&mut text).ok()?;
        if text.len() as u64 > MANIFEST_LIMIT {
            return None;
        }
        serde_json::from_slice(&text).ok()
    };
    let Some(doc) = read() else {
        return Manifest::default();
    };
    let field = |name: &str| doc.get(name)?.as_str().map(str::to_owned);
    Manifest {
        name: field("name"),
        version: field("version").and_then(|v| semver::Version::parse(v.trim()).ok()),
    }
}

/// What an archive file is, by its first bytes.
pub(crate) fn sniff_format(path: &Path) -> Option<ArchiveFormat> {
    let mut magic = [0u8; 4];
    let n = std::fs::File::open(path).ok()?.read(&mut magic).ok()?;
    match &magic[..n] {
        [0x1f, 0x8b, ..] => Some(ArchiveFormat::TarGz),
        [b'P', b'K', 3, 4] => Some(ArchiveFormat::Zip),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_says_what_the_package_is_and_nothing_else_counts() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(manifest(dir.path()), Manifest::default());
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"name":"@postman/pm-bin-linux-x64","version":"1.24.4","scripts":{}}"#,
        )
        .unwrap();
        assert_eq!(
            manifest(dir.path()),
            Manifest {
                name: Some("@postman/pm-bin-linux-x64".into()),
                version: Some(semver::Version::new(1, 24, 4)),
            }
        );
        let mut huge = br#"{"version":"1.24.4","padding":""#.to_vec();
        huge.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
        huge.extend(br#""}"#);
        std::fs::write(dir.path().join("package.json"), huge).unwrap();
        assert_eq!(
            manifest(dir.path()),
            Manifest::default(),
            "too large to read"
        );
    }

    #[test]
    fn a_tree_with_the_executable_at_its_root_moves_under_bin() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("postman-cli"), "bin").unwrap();
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("lib/a.js"), "a").unwrap();
        normalize_layout(dir.path(), "postman").unwrap();
        assert!(dir.path().join("bin/postman").is_file());
        assert!(dir.path().join("bin/lib/a.js").is_file());
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            normalize_layout(empty.path(), "postman"),
            Err(ExtractError::NoExecutable)
        ));
    }
}
