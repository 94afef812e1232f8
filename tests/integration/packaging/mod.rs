//! The marketplace package: one version everywhere (`version`); task.json
//! checked against the official `tasks.schema.json` and the rules the task
//! editor and agent apply (`task_json`); the manifest complete and in step
//! with the task (`manifest`); the .vsix that `scripts/package.sh` (`cargo
//! xtask package`) builds, unpacked as the agent unpacks it and run end to
//! end (`vsix`); and the cross-built binaries run under qemu and wine
//! (`emulators`, ignored by default: they build for minutes).

mod emulators;
mod manifest;
mod task_json;
mod version;
mod vsix;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(ROOT)
}

fn read_json(rel: &str) -> Value {
    let text = fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {rel}: {e}"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs scripts/package.sh with `args`, panicking with its output on failure.
fn package(args: &[&str]) -> String {
    let output = Command::new("bash")
        .arg(root().join("scripts/package.sh"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run scripts/package.sh");
    let text = text(&output);
    assert!(
        output.status.success(),
        "scripts/package.sh {args:?} failed\n{text}"
    );
    text
}
