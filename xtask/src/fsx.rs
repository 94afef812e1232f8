//! Copying folders: the staging copy and the tab's build folder are copies
//! of parts of the repository.

use std::fs;
use std::path::Path;

use crate::error::{AtPath, Error};

/// Copies `from` (a file or a folder, following links as `cp -R -L` does)
/// to `to`, leaving out any path for which `skip` is true.
pub(crate) fn copy(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) -> Result<(), Error> {
    if skip(from) {
        return Ok(());
    }
    if fs::metadata(from).at(from)?.is_dir() {
        fs::create_dir_all(to).at(to)?;
        let mut names: Vec<_> = fs::read_dir(from)
            .at(from)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .at(from)?;
        names.sort();
        for name in names {
            copy(&from.join(&name), &to.join(&name), skip)?;
        }
    } else {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).at(parent)?;
        }
        fs::copy(from, to).at(from)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_copied_whole_but_for_what_is_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let from = dir.path().join("task");
        fs::create_dir_all(from.join("bin/linux-x64")).expect("create");
        fs::create_dir_all(from.join("lib")).expect("create");
        fs::write(from.join("task.json"), "{}").expect("write");
        fs::write(from.join("lib/a.js"), "a").expect("write");
        fs::write(from.join("bin/linux-x64/old"), "stale").expect("write");
        let to = dir.path().join("stage/task");
        let bin = from.join("bin");
        copy(&from, &to, &|p| p == bin).expect("copy");
        assert_eq!(
            fs::read_to_string(to.join("task.json")).expect("read"),
            "{}"
        );
        assert_eq!(fs::read_to_string(to.join("lib/a.js")).expect("read"), "a");
        assert!(!to.join("bin").exists(), "skipped");
    }

    #[test]
    fn a_missing_source_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("nope");
        let err = copy(&missing, &dir.path().join("to"), &|_| false).unwrap_err();
        assert!(
            err.to_string().starts_with(&missing.display().to_string()),
            "{err}"
        );
    }
}
