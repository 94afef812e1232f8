//! The Postman tab, built for the package: `npm ci && npm run build` in a
//! copy of web/ (its sources and lock file), so the package gets exactly
//! the locked dependencies, and web/node_modules and web/dist, which the
//! browser tests use meanwhile, are left alone.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cmd;
use crate::error::Error;
use crate::fsx;

/// What of web/ the build needs.
const SOURCES: &[&str] = &[
    "package.json",
    "package-lock.json",
    "build.mjs",
    "tsconfig.json",
    "src",
];

/// Builds the tab in `scratch` and returns its dist/ folder.
pub(crate) fn build(root: &Path, scratch: &Path) -> Result<PathBuf, Error> {
    println!("==> building the Postman tab (web/: npm ci && npm run build)");
    for name in SOURCES {
        fsx::copy(&root.join("web").join(name), &scratch.join(name), &|_| {
            false
        })?;
    }
    cmd::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(scratch)
            .stdout(Stdio::null()),
    )?;
    cmd::run(
        Command::new("npm")
            .args(["run", "--silent", "build"])
            .current_dir(scratch),
    )?;
    let dist = scratch.join("dist");
    if !dist.join("postman-tab.html").is_file() {
        return Err(Error::NoTab);
    }
    Ok(dist)
}
