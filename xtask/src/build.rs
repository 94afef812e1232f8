//! The task's binaries: a release build per platform with `cargo zigbuild`
//! (zig links all five from one machine), each checked (`binary`) and
//! copied to target/package/bin/<platform>/; and `build-task`, the host's
//! release binary put where task/launcher.js looks for it.
//!
//! The crate uses rustls with ring and links no system TLS or framework,
//! which is what lets zig link the darwin targets without a macOS SDK
//! (rustc warns that it found no MacOSX.sdk, which is harmless). The
//! darwin-arm64 binary is ad-hoc signed by the linker.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::binary;
use crate::cmd;
use crate::error::{AtPath, Error};
use crate::platform::{BIN_NAME, Platform};

/// Cargo's target folder: $CARGO_TARGET_DIR (relative to the repository)
/// or target/.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// The cargo that started us, so builds use the same toolchain.
fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")))
}

/// "8.5 MB".
pub(crate) fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Builds, checks and copies one platform's binary; returns the copy.
pub(crate) fn build(
    root: &Path,
    target_dir: &Path,
    venv_bin: &Path,
    platform: Platform,
) -> Result<PathBuf, Error> {
    let triple = platform.triple();
    println!("==> building {platform} ({triple})");
    let started = Instant::now();
    let mut path = vec![venv_bin.to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let mut zigbuild = cargo();
    zigbuild
        .current_dir(root)
        .args(["zigbuild", "--release", "--locked"])
        .args(["--package", BIN_NAME, "--bin", BIN_NAME, "--target", triple])
        .env(
            "PATH",
            std::env::join_paths(path).expect("PATH entries join"),
        );
    if let Some(oldest) = platform.macos_min() {
        zigbuild.env("MACOSX_DEPLOYMENT_TARGET", oldest.to_string());
    }
    cmd::run(&mut zigbuild)?;

    let built = target_dir.join(triple).join("release").join(platform.exe());
    if !built.is_file() {
        return Err(Error::NotBuilt(built));
    }
    let data = fs::read(&built).at(&built)?;
    binary::check(&data, platform).map_err(|problem| Error::Binary {
        path: built.clone(),
        platform,
        problem,
    })?;
    let folder = target_dir.join("package/bin").join(platform.folder());
    fs::create_dir_all(&folder).at(&folder)?;
    let copy = folder.join(platform.exe());
    fs::copy(&built, &copy).at(&copy)?;
    let size = data.len() as u64;
    println!(
        "    {platform}/{}: {} ({size} bytes), built in {} s",
        platform.exe(),
        megabytes(size),
        started.elapsed().as_secs()
    );
    Ok(copy)
}

/// `cargo xtask build-task`: the release binary for this machine, in
/// task/bin/<platform>/ for running the task from a checkout.
pub(crate) fn build_task(root: &Path) -> Result<(), Error> {
    let platform = Platform::host().ok_or(Error::UnknownHost {
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
    })?;
    cmd::run(
        cargo()
            .current_dir(root)
            .args(["build", "--release", "--locked"])
            .args(["--package", BIN_NAME, "--bin", BIN_NAME]),
    )?;
    let built = target_dir(root).join("release").join(platform.exe());
    let rel = Path::new("task/bin")
        .join(platform.folder())
        .join(platform.exe());
    let dest = root.join(&rel);
    let folder = dest.parent().expect("a folder");
    fs::create_dir_all(folder).at(folder)?;
    let size = fs::copy(&built, &dest).at(&built)?;
    println!("built {} ({size} bytes)", rel.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_in_megabytes_with_one_decimal() {
        assert_eq!(megabytes(8_454_464), "8.5 MB");
        assert_eq!(megabytes(25_000_000), "25.0 MB");
    }
}
