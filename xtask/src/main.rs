//! `cargo xtask`: the project's build chores, in Rust. `package` builds the
//! marketplace package (a `.vsix` with a native binary per agent platform,
//! the Postman tab, and the manifest's files); `build-task` puts this
//! machine's release binary where task/launcher.js looks for it.
//!
//! Each step is a module (`tools`, `build`, `web`, `stage`, `tfx`, `vsix`),
//! `package` calls them in order, and every check a build must pass is a
//! unit-tested function: the binaries' in `binary/`, the package's in
//! `vsix`, the version's in `version`.

mod binary;
mod build;
mod cmd;
mod error;
mod fsx;
mod package;
mod platform;
mod stage;
mod tfx;
mod tools;
mod version;
mod vsix;
mod web;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::Error;
use crate::platform::Platform;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "The build chores of postman-cli-task.")]
struct Cli {
    #[command(subcommand)]
    command: Chore,
}

#[derive(Subcommand)]
enum Chore {
    Package(PackageArgs),
    /// Builds this machine's release binary into task/bin/<platform>/,
    /// where task/launcher.js looks for it.
    BuildTask,
}

/// Builds the marketplace package: release binaries of postman-cli-task for
/// every agent platform, laid out where task/launcher.js looks for them
/// (task/bin/<platform>/ in a staging copy of the manifest's files; the
/// repository's task/bin/ is neither used nor touched), and
/// dist/<publisher>.<extension-id>-<version>.vsix made by a pinned tfx-cli.
#[derive(clap::Args)]
#[command(after_long_help = AFTER_HELP)]
struct PackageArgs {
    /// A platform to build (repeatable); all five when none is given.
    #[arg(long = "target", value_name = "FOLDER")]
    targets: Vec<Platform>,
    /// Only this machine's platform, for quick checks.
    #[arg(long)]
    host_only: bool,
    /// Build the binaries into target/package/bin/<platform>/ and print
    /// their paths; no package.
    #[arg(long)]
    build_only: bool,
    /// Override the manifest's publisher [env: VSIX_PUBLISHER].
    #[arg(long, value_name = "ID")]
    publisher: Option<String>,
    /// Override the manifest's extension id [env: VSIX_EXTENSION_ID].
    #[arg(long, value_name = "ID")]
    extension_id: Option<String>,
    /// Where the .vsix goes [default: dist/ in the repository].
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

const AFTER_HELP: &str = "\
A build with another publisher or extension id is a private test build: it
is marked \"public\": false so a publish can only share it with organizations.

What it installs when missing (each pinned, all under target/tools/ except
the Rust targets, which rustup keeps with the toolchain): the Rust targets,
with `rustup target add`; cargo-zigbuild and ziglang (the cross linker) from
PyPI into a venv; tfx-cli from npm; the Postman tab's build tools
(web/package-lock.json), with `npm ci` in a copy of web/, so a build never
races the tests that use web/. Needs: rustup, Python 3 with venv, Node.js 20+
with npm.

Examples:
  cargo xtask package                      all five platforms (slow: minutes per target)
  cargo xtask package --host-only          just this machine's platform
  cargo xtask package --target linux-arm64 --build-only
                                           one platform's binary, no package";

/// The repository: the folder above this crate's.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is in the repository")
}

/// A flag's value, else the environment's; empty means not given.
fn given(flag: Option<String>, env: &str) -> Option<String> {
    flag.or_else(|| std::env::var(env).ok())
        .filter(|v| !v.is_empty())
}

fn options(args: PackageArgs) -> Result<package::Options, Error> {
    let mut wanted = args.targets;
    if args.host_only {
        wanted.push(Platform::host().ok_or(Error::UnknownHost {
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
        })?);
    }
    Ok(package::Options {
        platforms: platform::select(&wanted),
        build_only: args.build_only,
        publisher: given(args.publisher, "VSIX_PUBLISHER"),
        extension_id: given(args.extension_id, "VSIX_EXTENSION_ID"),
        out_dir: args.out_dir.unwrap_or_else(|| root().join("dist")),
    })
}

fn main() -> ExitCode {
    let (name, result) = match Cli::parse().command {
        Chore::Package(args) => (
            "package",
            options(args).and_then(|o| package::package(root(), &o)),
        ),
        Chore::BuildTask => ("build-task", build::build_task(root())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cargo xtask {name}: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> package::Options {
        let cli = Cli::try_parse_from(["xtask", "package"].iter().chain(args)).expect("parses");
        let Chore::Package(args) = cli.command else {
            panic!("not package")
        };
        options(args).expect("options")
    }

    #[test]
    fn targets_repeat_in_either_form_and_come_out_in_build_order() {
        let o = parse(&[
            "--target=darwin-arm64",
            "--target",
            "linux-x64",
            "--build-only",
        ]);
        assert_eq!(o.platforms, [Platform::LinuxX64, Platform::DarwinArm64]);
        assert!(o.build_only);
        assert_eq!(parse(&[]).platforms, Platform::ALL);
    }

    #[test]
    fn host_only_is_this_machine() {
        assert_eq!(
            parse(&["--host-only"]).platforms,
            [Platform::host().expect("a supported host")]
        );
    }

    #[test]
    fn an_unknown_platform_is_refused_with_the_known_ones() {
        let err = Cli::try_parse_from(["xtask", "package", "--target", "linux-x86"])
            .err()
            .expect("refused");
        let text = err.to_string();
        assert!(text.contains("linux-x86"), "{text}");
        assert!(
            text.contains("linux-x64, linux-arm64, win32-x64, darwin-x64, darwin-arm64"),
            "{text}"
        );
    }

    #[test]
    fn the_out_dir_defaults_to_dist_in_the_repository() {
        assert_eq!(parse(&[]).out_dir, root().join("dist"));
        assert_eq!(parse(&["--out-dir", "x"]).out_dir, PathBuf::from("x"));
    }

    #[test]
    fn a_flag_beats_the_environment_and_empty_is_not_given() {
        assert_eq!(
            given(Some("me".into()), "XTASK_TEST_UNSET_VAR"),
            Some("me".into())
        );
        assert_eq!(given(Some(String::new()), "XTASK_TEST_UNSET_VAR"), None);
        assert_eq!(given(None, "XTASK_TEST_UNSET_VAR"), None);
    }
}
