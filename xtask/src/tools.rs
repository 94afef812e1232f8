//! The build tools, each pinned and installed when missing: the Rust
//! targets (`rustup target add`; rustup keeps them with the toolchain),
//! `cargo-zigbuild` and `ziglang` from PyPI into a venv (zig links all five
//! targets from one machine), and `tfx-cli` from npm. All but the Rust
//! targets live under target/tools/, each with a `.pinned` file naming what
//! it holds, so a changed pin reinstalls it.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cmd;
use crate::error::{AtPath, Error};
use crate::platform::Platform;

pub(crate) const TFX_VERSION: &str = "0.23.1";
pub(crate) const ZIGLANG_VERSION: &str = "0.15.2";
pub(crate) const CARGO_ZIGBUILD_VERSION: &str = "0.24.1";

/// Where the installed tools are.
pub(crate) struct Tools {
    /// The venv's bin/, which goes first on PATH for `cargo zigbuild` (it
    /// runs zig as `python3 -m ziglang`).
    pub(crate) venv_bin: PathBuf,
    /// The tfx executable, when it was asked for.
    pub(crate) tfx: Option<PathBuf>,
}

/// Installs what building `platforms` needs, and tfx when `with_tfx`.
pub(crate) fn install(root: &Path, platforms: &[Platform], with_tfx: bool) -> Result<Tools, Error> {
    let dir = root.join("target/tools");
    fs::create_dir_all(&dir).at(&dir)?;
    // Parallel runs (tests) install into the same folder: they take turns.
    // The lock goes when `lock` is dropped.
    let lock_path = dir.join(".lock");
    let lock = File::create(&lock_path).at(&lock_path)?;
    lock.lock().at(&lock_path)?;

    add_targets(platforms)?;
    let venv_bin = zig_venv(&dir.join("zig-venv"))?;
    let tfx = if with_tfx {
        Some(tfx_cli(&dir.join("tfx-cli"))?)
    } else {
        None
    };
    drop(lock);
    Ok(Tools { venv_bin, tfx })
}

/// The Rust targets `installed` (rustup's list) lacks for `platforms`.
fn missing_targets(installed: &str, platforms: &[Platform]) -> Vec<&'static str> {
    platforms
        .iter()
        .map(|p| p.triple())
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect()
}

fn add_targets(platforms: &[Platform]) -> Result<(), Error> {
    let installed = cmd::stdout(Command::new("rustup").args(["target", "list", "--installed"]))?;
    for triple in missing_targets(&installed, platforms) {
        println!("==> rustup target add {triple}");
        cmd::run(Command::new("rustup").args(["target", "add", triple]))?;
    }
    Ok(())
}

/// Whether `dir` holds what `pin` names.
fn holds(dir: &Path, pin: &str) -> bool {
    fs::read_to_string(dir.join(".pinned")).is_ok_and(|p| p.trim() == pin)
}

/// Empties `dir` for a fresh install.
fn fresh(dir: &Path) -> Result<(), Error> {
    if dir.exists() {
        fs::remove_dir_all(dir).at(dir)?;
    }
    fs::create_dir_all(dir).at(dir)
}

fn pin(dir: &Path, pin: &str) -> Result<(), Error> {
    let path = dir.join(".pinned");
    fs::write(&path, format!("{pin}\n")).at(&path)
}

fn zig_venv(venv: &Path) -> Result<PathBuf, Error> {
    let want = format!("ziglang=={ZIGLANG_VERSION} cargo-zigbuild=={CARGO_ZIGBUILD_VERSION}");
    if !holds(venv, &want) {
        println!("==> installing {want} into target/tools/zig-venv");
        fresh(venv)?;
        cmd::run_with_hint(
            Command::new("python3").arg("-m").arg("venv").arg(venv),
            " (on Debian: apt-get install python3-venv)",
        )?;
        cmd::run(
            Command::new(venv.join("bin/python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(want.split(' ')),
        )?;
        pin(venv, &want)?;
    }
    Ok(venv.join("bin"))
}

fn tfx_cli(dir: &Path) -> Result<PathBuf, Error> {
    let want = format!("tfx-cli@{TFX_VERSION}");
    if !holds(dir, &want) {
        println!("==> installing {want} into target/tools/tfx-cli");
        fresh(dir)?;
        let package = dir.join("package.json");
        fs::write(&package, "{\"private\":true}\n").at(&package)?;
        cmd::run(
            Command::new("npm")
                .arg("install")
                .arg("--prefix")
                .arg(dir)
                .args(["--no-audit", "--no-fund", "--no-save", "--loglevel=error"])
                .arg(&want)
                .stdout(Stdio::null()),
        )?;
        pin(dir, &want)?;
    }
    Ok(dir.join("node_modules/.bin/tfx"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_targets_rustup_lacks_are_added() {
        let installed = "x86_64-unknown-linux-gnu\nx86_64-unknown-linux-musl\n";
        assert_eq!(
            missing_targets(installed, &[Platform::LinuxX64, Platform::DarwinArm64]),
            ["aarch64-apple-darwin"]
        );
        assert!(missing_targets(installed, &[Platform::LinuxX64]).is_empty());
    }

    #[test]
    fn a_folder_holds_a_tool_only_when_its_pin_matches() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(!holds(dir.path(), "tfx-cli@1"), "nothing installed yet");
        pin(dir.path(), "tfx-cli@1").expect("write the pin");
        assert!(holds(dir.path(), "tfx-cli@1"));
        assert!(!holds(dir.path(), "tfx-cli@2"), "a new pin reinstalls");
    }
}
