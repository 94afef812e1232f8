//! Collection patterns (`postman/collections/*`, `tests/**/*.json`),
//! expanded by a walk that enters each real folder once per part of the
//! pattern and follows links only inside the bounds.
//!
//! The `glob` crate's own walk follows every link to a folder, so `**` in a
//! folder holding `a -> .` and `b -> .` meets about 2^40 paths; this walk
//! meets each folder a fixed number of times. Parts are matched as `glob`
//! matches them with its default options: `*`, `?` and `[...]` within one
//! name (a leading dot matched like any character), and `**` for any
//! number of folders.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use super::walk::{EntryKind, FolderId, Walk};
use super::{Bounds, FileError};
use crate::process::Cancel;

/// What a pattern matched: a file, a folder, or something the task does
/// not read (named with why).
#[derive(Debug)]
pub(crate) struct Match {
    pub(crate) path: PathBuf,
    pub(crate) kind: EntryKind,
}

enum Part {
    /// `**`: any number of folders, none included.
    Any,
    Name(OsString),
    Pattern(glob::Pattern),
}

/// Whether `text` has a wildcard in it.
pub(crate) fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// The folder a pattern starts at (its parts without wildcards), and its
/// parts after that; `None` for a pattern that is not valid.
fn parse(pattern: &str) -> Option<(PathBuf, Vec<Part>)> {
    let mut start = PathBuf::new();
    let mut parts = Vec::new();
    for component in Path::new(pattern).components() {
        let text = component.as_os_str();
        let wild = is_pattern(&text.to_string_lossy());
        if parts.is_empty() && !wild {
            start.push(text);
            continue;
        }
        parts.push(match component {
            Component::Normal(name) if name == "**" => Part::Any,
            Component::Normal(name) if wild => {
                Part::Pattern(glob::Pattern::new(&name.to_string_lossy()).ok()?)
            }
            other => Part::Name(other.as_os_str().to_owned()),
        });
    }
    Some((start, parts))
}

/// The paths `pattern` matches, sorted. A relative pattern starts at
/// `base`. A pattern that is not valid matches nothing. Only cancellation
/// is an error; a folder that cannot be listed matches nothing.
pub(crate) fn expand(
    pattern: &str,
    base: &Path,
    bounds: &Bounds,
    cancel: Option<&Cancel>,
) -> Result<Vec<Match>, FileError> {
    let Some((start, parts)) = parse(pattern) else {
        return Ok(Vec::new());
    };
    let start = base.join(start);
    let walk = Walk::new(&start, bounds, cancel);
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let first = match walk.folder_id(&start) {
        Ok(id) => id,
        Err(FileError::Cancelled) => return Err(FileError::Cancelled),
        Err(FileError::NotFound | FileError::NotAFolder) => return Ok(Vec::new()),
        Err(e) => {
            return Ok(vec![Match {
                path: start,
                kind: EntryKind::Refused(e),
            }]);
        }
    };
    let mut matches = Vec::new();
    let mut todo = vec![(start, first, 0)];
    // Each real folder once per part of the pattern.
    let mut done: HashSet<(FolderId, usize)> = HashSet::new();
    while let Some((dir, id, at)) = todo.pop() {
        if !done.insert((id.clone(), at)) {
            continue;
        }
        let last = at + 1 == parts.len();
        let entries = match walk.list(&dir) {
            Ok(entries) => entries,
            Err(FileError::Cancelled) => return Err(FileError::Cancelled),
            Err(_) => continue,
        };
        if let Part::Any = parts[at] {
            // `**` matching no folder: the next part, here.
            if !last {
                todo.push((dir.clone(), id, at + 1));
            }
        }
        for entry in entries {
            let folder = entry.folder_id();
            let hit = match &parts[at] {
                // As in `glob`, a `**` at the end matches the folders below
                // where it starts, not that folder itself.
                Part::Any => {
                    if let Some(id) = folder {
                        if last {
                            matches.push(Match {
                                path: entry.path.clone(),
                                kind: EntryKind::Folder,
                            });
                        }
                        todo.push((entry.path, id, at));
                    }
                    continue;
                }
                Part::Name(name) => entry.path.file_name() == Some(name.as_os_str()),
                Part::Pattern(p) => p.matches(&entry.name),
            };
            if !hit {
                continue;
            }
            if last {
                matches.push(Match {
                    path: entry.path,
                    kind: entry.kind,
                });
            } else if let Some(id) = folder {
                todo.push((entry.path, id, at + 1));
            }
        }
    }
    matches.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(matches)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn names(base: &Path, pattern: &str) -> Vec<String> {
        expand(pattern, base, &Bounds::new(base), None)
            .unwrap()
            .iter()
            .map(|m| {
                let rel = m.path.strip_prefix(base).unwrap().display().to_string();
                match &m.kind {
                    EntryKind::Refused(e) => format!("{rel} ({e})"),
                    _ => rel,
                }
            })
            .collect()
    }

    fn touch(base: &Path, rel: &str) {
        let p = base.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, "{}").unwrap();
    }

    #[test]
    fn matches_as_the_glob_crate_does() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "api/b.postman_collection.json",
            "api/a.postman_collection.json",
            "api/.hidden.json",
            "api/deep/x/c.postman_collection.json",
            "postman/collections/Shop/.resources/definition.yaml",
            "readme.md",
        ] {
            touch(d, f);
        }
        let ours = |pattern: &str| names(d, pattern);
        let theirs = |pattern: &str| -> Vec<String> {
            let full = format!("{}/{pattern}", glob::Pattern::escape(&d.to_string_lossy()));
            let mut found: Vec<String> = glob::glob(&full)
                .unwrap()
                .filter_map(Result::ok)
                .map(|p| p.strip_prefix(d).unwrap().display().to_string())
                .collect();
            found.sort();
            found
        };
        for pattern in [
            "api/*.postman_collection.json",
            "api/*.json",
            "**/*.postman_collection.json",
            "api/**/c.*",
            "postman/collections/*",
            "postman/*/Shop",
            "api/[ab].postman_collection.json",
            "api/?.postman_collection.json",
            "**",
            "nothing/*",
            "api/**",
        ] {
            assert_eq!(ours(pattern), theirs(pattern), "{pattern}");
        }
    }

    #[test]
    fn two_links_to_the_same_folder_are_walked_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        touch(d, "v3/x.request.yaml");
        symlink(".", d.join("v3/a")).unwrap();
        symlink(".", d.join("v3/b")).unwrap();
        // The glob crate would meet about 2^40 paths here.
        assert_eq!(names(d, "**/*.request.yaml"), ["v3/x.request.yaml"]);
        assert_eq!(names(d, "v3/*"), ["v3/a", "v3/b", "v3/x.request.yaml"]);
    }

    #[test]
    fn links_out_are_named_and_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        touch(outside.path(), "secret/c.json");
        let d = dir.path();
        fs::create_dir(d.join("tests")).unwrap();
        symlink(outside.path().join("secret/c.json"), d.join("tests/c.json")).unwrap();
        symlink(outside.path(), d.join("tests/out")).unwrap();
        let found = names(d, "tests/*.json");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("tests/c.json (leads out of the working directory"),
            "{found:?}"
        );
        assert!(
            names(d, "tests/**/c.json")
                .iter()
                .all(|n| n.contains("leads out"))
        );
        // A pattern whose fixed part leaves is named too.
        let found = names(d, "tests/out/*/c.json");
        assert!(found[0].starts_with("tests/out (leads out"), "{found:?}");
    }
}
