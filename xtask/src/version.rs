//! The one version: Cargo.toml, task/task.json and vss-extension.json must
//! agree before anything is built (scripts/bump-version.sh changes them
//! together).

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::error::{AtPath, Error};

#[derive(Debug, PartialEq, thiserror::Error)]
pub(crate) enum VersionError {
    #[error("{file} has no version: {why}")]
    Unreadable { file: &'static str, why: String },
    #[error(
        "versions disagree: Cargo.toml {cargo}, task/task.json {task}, vss-extension.json {extension}; use scripts/bump-version.sh"
    )]
    Disagree {
        cargo: String,
        task: String,
        extension: String,
    },
}

/// Reads the three files under `root` and returns their one version.
pub(crate) fn read(root: &Path) -> Result<String, Error> {
    let text = |rel: &str| {
        let path = root.join(rel);
        fs::read_to_string(&path).at(&path)
    };
    Ok(one_version(
        &text("Cargo.toml")?,
        &text("task/task.json")?,
        &text("vss-extension.json")?,
    )?)
}

/// The version the three files agree on.
pub(crate) fn one_version(
    cargo_toml: &str,
    task_json: &str,
    manifest: &str,
) -> Result<String, VersionError> {
    let cargo = cargo_version(cargo_toml).ok_or_else(|| VersionError::Unreadable {
        file: "Cargo.toml",
        why: "no version = \"...\" in [package]".to_string(),
    })?;
    let task = task_version(task_json)?;
    let extension = json(manifest, "vss-extension.json")?["version"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| VersionError::Unreadable {
            file: "vss-extension.json",
            why: "no \"version\" string".to_string(),
        })?;
    if cargo != task || cargo != extension {
        return Err(VersionError::Disagree {
            cargo,
            task,
            extension,
        });
    }
    Ok(cargo)
}

/// The `version` of Cargo.toml's `[package]` table.
fn cargo_version(text: &str) -> Option<String> {
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(rest) = line.strip_prefix("version")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_string());
        }
    }
    None
}

/// task.json's `{Major, Minor, Patch}` as `major.minor.patch`.
fn task_version(text: &str) -> Result<String, VersionError> {
    let task = json(text, "task/task.json")?;
    let part = |key: &str| {
        task["version"][key]
            .as_u64()
            .ok_or_else(|| VersionError::Unreadable {
                file: "task/task.json",
                why: format!("version.{key} is not a whole number"),
            })
    };
    Ok(format!(
        "{}.{}.{}",
        part("Major")?,
        part("Minor")?,
        part("Patch")?
    ))
}

fn json(text: &str, file: &'static str) -> Result<Value, VersionError> {
    serde_json::from_str(text).map_err(|e| VersionError::Unreadable {
        file,
        why: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARGO: &str =
        "[package]\nname = \"x\"\nversion = \"1.2.3\"\n\n[dependencies]\nversion = \"9\"\n";
    const TASK: &str = r#"{"version": {"Major": 1, "Minor": 2, "Patch": 3}}"#;
    const MANIFEST: &str = r#"{"version": "1.2.3"}"#;

    #[test]
    fn three_files_that_agree_give_their_version() {
        assert_eq!(one_version(CARGO, TASK, MANIFEST), Ok("1.2.3".to_string()));
    }

    #[test]
    fn a_disagreement_names_all_three_and_the_fix() {
        let err = one_version(CARGO, TASK, r#"{"version": "1.2.4"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "versions disagree: Cargo.toml 1.2.3, task/task.json 1.2.3, vss-extension.json 1.2.4; use scripts/bump-version.sh"
        );
    }

    #[test]
    fn only_the_package_table_counts_in_cargo_toml() {
        assert_eq!(cargo_version(CARGO).as_deref(), Some("1.2.3"));
        assert_eq!(
            cargo_version("[dependencies]\nversion = \"1\"\n[package]\nname = \"x\"\n"),
            None
        );
        let err = one_version("[workspace]\n", TASK, MANIFEST).unwrap_err();
        assert!(
            err.to_string().starts_with("Cargo.toml has no version"),
            "{err}"
        );
    }

    #[test]
    fn a_task_version_part_that_is_not_a_number_is_named() {
        let err = one_version(
            CARGO,
            r#"{"version": {"Major": 1, "Minor": "2", "Patch": 3}}"#,
            MANIFEST,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "task/task.json has no version: version.Minor is not a whole number"
        );
    }

    #[test]
    fn the_repository_agrees_with_itself() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        assert!(read(&root).is_ok());
    }
}
