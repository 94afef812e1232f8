//! The staging copy tfx packages: the files the manifest names, copied
//! from the repository, except that task/bin/ holds exactly the binaries
//! just built and web/dist is the tab just built. So a package never picks
//! up whatever a local build left in task/bin/ or web/dist.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{AtPath, Error};
use crate::fsx;
use crate::platform::Platform;

/// The paths tfx packages: vss-extension.json, and the manifest's `files`,
/// icons, content pages and screenshots, each once, in that order.
pub(crate) fn packaged_paths(manifest: &Value) -> Vec<String> {
    let mut paths = vec!["vss-extension.json".to_string()];
    let values = |v: &Value| -> Vec<Value> {
        match v {
            Value::Array(items) => items.clone(),
            Value::Object(map) => map.values().cloned().collect(),
            _ => Vec::new(),
        }
    };
    let found = values(&manifest["files"])
        .into_iter()
        .map(|f| f["path"].clone())
        .chain(values(&manifest["icons"]))
        .chain(
            values(&manifest["content"])
                .into_iter()
                .map(|c| c["path"].clone()),
        )
        .chain(
            values(&manifest["screenshots"])
                .into_iter()
                .map(|s| s["path"].clone()),
        );
    for path in found {
        if let Value::String(path) = path
            && !paths.contains(&path)
        {
            paths.push(path);
        }
    }
    paths
}

/// Lays out the staging copy in `stage`.
pub(crate) fn stage(
    root: &Path,
    manifest: &Value,
    stage: &Path,
    web_dist: &Path,
    binaries: &[(Platform, PathBuf)],
) -> Result<(), Error> {
    let task_bin = root.join("task/bin");
    for rel in packaged_paths(manifest) {
        let (from, to) = if rel == "web/dist" {
            (web_dist.to_path_buf(), stage.join(&rel))
        } else {
            (root.join(&rel), stage.join(&rel))
        };
        fsx::copy(&from, &to, &|p| p == task_bin)?;
    }
    for (platform, binary) in binaries {
        let folder = stage.join("task/bin").join(platform.folder());
        fs::create_dir_all(&folder).at(&folder)?;
        let to = folder.join(platform.exe());
        fs::copy(binary, &to).at(binary)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_repository_manifest_packages_the_task_the_tab_the_icon_and_the_page() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = fs::read_to_string(root.join("vss-extension.json")).expect("read");
        let manifest: Value = serde_json::from_str(&text).expect("parse");
        assert_eq!(
            packaged_paths(&manifest),
            [
                "vss-extension.json",
                "task",
                "web/dist",
                "images/icon.png",
                "overview.md"
            ]
        );
    }

    #[test]
    fn screenshots_count_and_repeats_do_not() {
        let manifest = json!({
            "files": [{"path": "task"}, {"path": "images"}],
            "icons": {"default": "images/icon.png"},
            "content": {"details": {"path": "overview.md"}, "license": {"path": "LICENSE"}},
            "screenshots": [{"path": "images/a.png"}, {"path": "task"}]
        });
        assert_eq!(
            packaged_paths(&manifest),
            [
                "vss-extension.json",
                "task",
                "images",
                "images/icon.png",
                "overview.md",
                "LICENSE",
                "images/a.png"
            ]
        );
    }

    #[test]
    fn the_stage_has_the_new_binaries_and_tab_and_nothing_stale() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("repo");
        for (rel, text) in [
            ("vss-extension.json", "{}"),
            ("task/task.json", "{}"),
            ("task/bin/linux-x64/postman-cli-task", "stale"),
            ("web/dist/postman-tab.html", "stale"),
            ("new-dist/postman-tab.html", "new"),
            ("built", "binary"),
        ] {
            let path = root.join(rel);
            fs::create_dir_all(path.parent().expect("folder")).expect("create");
            fs::write(path, text).expect("write");
        }
        let manifest = json!({"files": [{"path": "task"}, {"path": "web/dist"}]});
        let out = dir.path().join("stage");
        stage(
            &root,
            &manifest,
            &out,
            &root.join("new-dist"),
            &[(Platform::Win32X64, root.join("built"))],
        )
        .expect("stage");
        let read = |rel: &str| fs::read_to_string(out.join(rel)).expect(rel);
        assert_eq!(read("web/dist/postman-tab.html"), "new");
        assert_eq!(read("task/bin/win32-x64/postman-cli-task.exe"), "binary");
        assert!(!out.join("task/bin/linux-x64").exists());
        assert_eq!(read("task/task.json"), "{}");
    }
}
