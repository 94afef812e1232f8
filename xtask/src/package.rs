//! `cargo xtask package`, step by step: check the ids and the one version,
//! install the pinned tools, build and check each platform's binary, then
//! (unless `--build-only`) build the tab, stage the manifest's files, let
//! tfx make the .vsix, and check it.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{AtPath, Error};
use crate::platform::Platform;
use crate::{build, cmd, stage, tfx, tools, version, vsix, web};

/// What `cargo xtask package` was asked to do.
pub(crate) struct Options {
    /// In build order, each once.
    pub(crate) platforms: Vec<Platform>,
    pub(crate) build_only: bool,
    pub(crate) publisher: Option<String>,
    pub(crate) extension_id: Option<String>,
    pub(crate) out_dir: PathBuf,
}

/// Fails unless each tool the run needs can be started.
fn require_tools(build_only: bool) -> Result<(), Error> {
    if !cmd::exists("rustup") {
        return Err(Error::Missing {
            what: "rustup",
            why: "it adds the Rust targets",
        });
    }
    if !cmd::exists("python3") {
        return Err(Error::Missing {
            what: "Python 3",
            why: "ziglang comes from PyPI",
        });
    }
    let has_node = || cmd::exists("node") && cmd::exists("npm");
    if !build_only && !has_node() {
        return Err(Error::Missing {
            what: "Node.js 20 or newer, with npm",
            why: "tfx-cli and the Postman tab's build run on it",
        });
    }
    Ok(())
}

pub(crate) fn package(root: &Path, options: &Options) -> Result<(), Error> {
    for id in [&options.publisher, &options.extension_id]
        .into_iter()
        .flatten()
    {
        tfx::check_id(id)?;
    }
    require_tools(options.build_only)?;
    let version = version::read(root)?;
    let tools = tools::install(root, &options.platforms, !options.build_only)?;

    let target_dir = build::target_dir(root);
    let mut binaries = Vec::new();
    for &platform in &options.platforms {
        let binary = build::build(root, &target_dir, &tools.venv_bin, platform)?;
        binaries.push((platform, binary));
    }
    if options.build_only {
        println!();
        for (platform, binary) in &binaries {
            println!("{platform}: {}", binary.display());
        }
        return Ok(());
    }

    let tfx_path = tools.tfx.expect("tfx is installed unless --build-only");
    // Scratch folders, removed when dropped (on failure too).
    let scratch = root.join("target/package");
    fs::create_dir_all(&scratch).at(&scratch)?;
    let temp = |prefix: &str| {
        tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(&scratch)
            .at(&scratch)
    };
    let (web_dir, stage_dir) = (temp("web.")?, temp("stage.")?);
    let web_dist = web::build(root, web_dir.path())?;

    let manifest_path = root.join("vss-extension.json");
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(&manifest_path).at(&manifest_path)?)
            .map_err(|e| Error::Manifest(e.to_string()))?;
    stage::stage(root, &manifest, stage_dir.path(), &web_dist, &binaries)?;

    let identity = tfx::identity(
        &manifest,
        options.publisher.as_deref(),
        options.extension_id.as_deref(),
    )?;
    fs::create_dir_all(&options.out_dir).at(&options.out_dir)?;
    let out_dir = fs::canonicalize(&options.out_dir).at(&options.out_dir)?;
    let log = stage_dir.path().with_extension("tfx.log");
    let vsix = tfx::create(
        &tfx_path,
        stage_dir.path(),
        &identity,
        &version,
        &out_dir,
        &log,
    )?;
    vsix::check(&vsix, &options.platforms)
}
