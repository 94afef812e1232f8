//! `tfx extension create` on the staging copy: the package is
//! `<publisher>.<extension-id>-<version>.vsix`; another publisher or
//! extension id makes a private test build (`"public": false`, so a publish
//! can only share it with organizations); and any warning from tfx fails
//! the build.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::cmd;
use crate::error::{AtPath, Error};

/// Who the package is published as.
#[derive(Debug, PartialEq)]
pub(crate) struct Identity {
    pub(crate) publisher: String,
    pub(crate) extension_id: String,
    /// Built under another publisher or id than the manifest's.
    pub(crate) private: bool,
}

/// A publisher or extension id the marketplace accepts: letters, digits,
/// `-` and `_`, starting with a letter or digit.
pub(crate) fn check_id(id: &str) -> Result<(), Error> {
    let mut chars = id.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !first || !chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(Error::BadId(id.to_string()));
    }
    Ok(())
}

/// The manifest's identity, with the overrides given.
pub(crate) fn identity(
    manifest: &Value,
    publisher: Option<&str>,
    extension_id: Option<&str>,
) -> Result<Identity, Error> {
    let field = |key: &str| {
        manifest[key]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Error::Manifest(format!("\"{key}\" must be a string")))
    };
    Ok(Identity {
        private: publisher.is_some() || extension_id.is_some(),
        publisher: publisher.map_or_else(|| field("publisher"), |p| Ok(p.to_string()))?,
        extension_id: extension_id.map_or_else(|| field("id"), |i| Ok(i.to_string()))?,
    })
}

/// Whether tfx's output holds a warning.
pub(crate) fn warned(log: &str) -> bool {
    log.to_ascii_lowercase().contains("warn")
}

/// Packages `stage` into `out_dir`, printing tfx's output indented; `log`
/// is a scratch file for that output, outside the stage.
pub(crate) fn create(
    tfx: &Path,
    stage: &Path,
    identity: &Identity,
    version: &str,
    out_dir: &Path,
    log: &Path,
) -> Result<PathBuf, Error> {
    let Identity {
        publisher,
        extension_id,
        private,
    } = identity;
    println!("==> tfx extension create ({publisher}.{extension_id} {version})");
    let vsix = out_dir.join(format!("{publisher}.{extension_id}-{version}.vsix"));
    if vsix.exists() {
        fs::remove_file(&vsix).at(&vsix)?;
    }
    // One file for both streams, so their lines stay in order.
    let out = File::create(log).at(log)?;
    let err = out.try_clone().at(log)?;
    let mut command = Command::new(tfx);
    command
        .args(["extension", "create", "--root"])
        .arg(stage)
        .args(["--manifest-globs", "vss-extension.json", "--output-path"])
        .arg(&vsix)
        .args(["--no-prompt", "--no-color", "--publisher", publisher])
        .args(["--extension-id", extension_id, "--override"])
        .arg(if *private {
            r#"{"public": false}"#
        } else {
            "{}"
        })
        .stdout(out)
        .stderr(err);
    let status = command.status().map_err(|error| Error::Spawn {
        command: cmd::describe(&command),
        error,
    })?;
    let text = fs::read_to_string(log).at(log)?;
    let _ = fs::remove_file(log);
    for line in text.lines() {
        println!("    {line}");
    }
    if !status.success() {
        return Err(Error::TfxFailed(status.to_string()));
    }
    if !vsix.is_file() {
        return Err(Error::TfxFailed(format!("it wrote no {}", vsix.display())));
    }
    if warned(&text) {
        fs::remove_file(&vsix).at(&vsix)?;
        return Err(Error::TfxWarned);
    }
    Ok(vsix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_letters_digits_dashes_and_underscores() {
        for good in ["postman-cli", "my_publisher", "a", "9lives"] {
            assert!(check_id(good).is_ok(), "{good}");
        }
        for bad in ["", "-lead", "_lead", "has space", "dot.ted", "ünï"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_id("a b").unwrap_err().to_string(),
            "'a b' is not a valid publisher or extension id (letters, digits, - and _)"
        );
    }

    #[test]
    fn an_override_makes_a_private_build_and_none_keeps_the_manifest() {
        let manifest = json!({"publisher": "postman-cli-task", "id": "postman-cli"});
        assert_eq!(
            identity(&manifest, None, None).expect("identity"),
            Identity {
                publisher: "postman-cli-task".into(),
                extension_id: "postman-cli".into(),
                private: false
            }
        );
        assert_eq!(
            identity(&manifest, None, Some("postman-cli-dev")).expect("identity"),
            Identity {
                publisher: "postman-cli-task".into(),
                extension_id: "postman-cli-dev".into(),
                private: true
            }
        );
        let mine = identity(&manifest, Some("me"), None).expect("identity");
        assert!(mine.private);
        assert_eq!(mine.publisher, "me");
    }

    #[test]
    fn a_manifest_without_an_id_is_named() {
        let err = identity(&json!({"publisher": "p"}), None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "vss-extension.json: \"id\" must be a string"
        );
    }

    #[test]
    fn any_warning_in_any_case_counts() {
        assert!(warned("Warning: the icon is missing"));
        assert!(warned("tfx: WARN something"));
        assert!(!warned(
            "TFS Cross Platform Command Line Interface v0.23.1\n=== Completed operation: create extension ==="
        ));
    }
}
