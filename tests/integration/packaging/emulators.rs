//! The cross-built binaries, run: linux-arm64 under qemu's user mode and
//! win32-x64 under wine (macOS binaries are only checked, by the xtask).
//!
//! Each test builds its platform's release binary, minutes on two cores, so
//! both are ignored in the default run, where they would double the suite's
//! time; they say so as ignored, never as passed. Run them on their own:
//!
//!     cargo test --test integration -- --ignored packaging::emulators
//!
//! They install their emulator from Debian's packages when it is missing
//! (as root, one apt-get at a time), and fail, naming the packages, where
//! they can neither find nor install it.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{ROOT, VERSION, package, root, text};

/// Builds one platform's binary (no package) and returns its path.
fn cross_binary(platform: &str) -> PathBuf {
    let out = package(&["--target", platform, "--build-only"]);
    let path = out
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(&format!("{platform}: ")))
        .unwrap_or_else(|| panic!("package.sh printed no path for {platform}\n{out}"));
    PathBuf::from(path.trim())
}

/// The first of `names` found on PATH.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Runs `binary --version` and `binary run x.json --dry-run` through
/// `runner`, in a scratch folder holding a small collection.
fn version_and_dry_run(runner: &[&Path], binary: &Path, env: &[(&str, &Path)]) {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::copy(
        root().join("tests/fixtures/passing.postman_collection.json"),
        dir.path().join("x.json"),
    )
    .expect("copy the collection");
    let run = |args: &[&str]| {
        let mut command = Command::new(runner[0]);
        command
            .args(&runner[1..])
            .arg(binary)
            .args(args)
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .env_remove("TF_BUILD")
            .env_remove("AGENT_TOOLSDIRECTORY");
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().expect("start the emulator")
    };

    let version = run(&["--version"]);
    assert!(version.status.success(), "{}", text(&version));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("postman-cli-task {VERSION}")
    );

    let dry = run(&["run", "x.json", "--dry-run"]);
    let out = text(&dry);
    assert!(dry.status.success(), "{out}");
    assert!(out.contains("Run 1: Passing API"), "{out}");
    assert!(out.contains("postman collection run"), "{out}");
    assert!(out.contains("--reporter-json-export"), "{out}");
}

/// The first of `names` on PATH, installing Debian's `packages` when none
/// is there.
fn emulator(names: &[&str], packages: &[&str]) -> PathBuf {
    if let Some(found) = on_path(names) {
        return found;
    }
    install(packages);
    on_path(names)
        .unwrap_or_else(|| panic!("{packages:?} are installed, but none of {names:?} is on PATH"))
}

/// `apt-get install`s `packages` as root, one install at a time across
/// every test process (apt refuses to run twice at once); panics with the
/// command to run where it cannot install.
fn install(packages: &[&str]) {
    let command = format!("apt-get install -y {}", packages.join(" "));
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    assert!(
        root_user && on_path(&["apt-get"]).is_some(),
        "this test needs {packages:?} and can install them only as root with apt-get: {command}"
    );
    let lock_path = Path::new(ROOT).join("target/tmp/apt-get.lock");
    fs::create_dir_all(lock_path.parent().expect("a folder")).expect("create target/tmp");
    let lock = File::create(&lock_path).expect("create the apt-get lock");
    lock.lock().expect("take the apt-get lock");
    let apt = |args: &[&str]| {
        let output = Command::new("apt-get")
            .args(["-qq", "-o", "DPkg::Lock::Timeout=600"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .expect("run apt-get");
        assert!(
            output.status.success(),
            "apt-get {args:?}: {}",
            text(&output)
        );
    };
    eprintln!("installing {packages:?} with apt-get for this test");
    apt(&["update"]);
    apt(&[&["install", "-y", "--no-install-recommends"][..], packages].concat());
}

#[test]
#[ignore = "builds the linux-arm64 binary (minutes): run with --ignored packaging::emulators"]
fn the_linux_arm64_binary_runs_under_qemu() {
    let qemu = emulator(&["qemu-aarch64", "qemu-aarch64-static"], &["qemu-user"]);
    let binary = cross_binary("linux-arm64");
    version_and_dry_run(&[&qemu], &binary, &[]);
}

/// A stand-in for Windows' `bcryptprimitives.dll`, whose `ProcessPrng`
/// Rust's standard library imports for random numbers. Windows 10 and later
/// and wine 9 have it; Debian 12's wine 8 does not, so the test puts this
/// next to the binary there. It fills the buffer from `RtlGenRandom`.
const PROCESS_PRNG_SHIM: &str = r#"
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
"#;

/// Builds [`PROCESS_PRNG_SHIM`] into `dir` with the zig that
/// scripts/package.sh installed for the cross builds.
fn build_prng_shim(dir: &Path) {
    let source = dir.join("bcryptprimitives.c");
    fs::write(&source, PROCESS_PRNG_SHIM).expect("write the shim's source");
    let output = Command::new(root().join("target/tools/zig-venv/bin/python"))
        .args([
            "-m",
            "ziglang",
            "cc",
            "-target",
            "x86_64-windows-gnu",
            "-shared",
            "-O2",
            "-s",
        ])
        .arg("-o")
        .arg(dir.join("bcryptprimitives.dll"))
        .arg(&source)
        .arg("-ladvapi32")
        .output()
        .expect("run zig cc");
    assert!(output.status.success(), "zig cc: {}", text(&output));
}

#[test]
#[ignore = "builds the win32-x64 binary (minutes): run with --ignored packaging::emulators"]
fn the_windows_binary_runs_under_wine() {
    let wine = emulator(&["wine", "wine64"], &["wine", "wine64"]);
    let binary = cross_binary("win32-x64");
    // A prefix of its own, no Mono or Gecko prompts, and its wineserver
    // stopped afterwards.
    let prefix = tempfile::tempdir().expect("temp dir");
    let app = tempfile::tempdir().expect("temp dir");
    let overrides = Path::new("mscoree,mshtml=");
    let quiet = Path::new("-all");
    let env = [
        ("WINEPREFIX", prefix.path()),
        ("WINEDLLOVERRIDES", overrides),
        ("WINEDEBUG", quiet),
    ];
    let result = std::panic::catch_unwind(|| {
        let init = Command::new(&wine)
            .args(["cmd", "/c", "exit"])
            .envs(env)
            .output()
            .expect("start wine");
        assert!(
            init.status.success(),
            "wine could not set up its prefix\n{}",
            text(&init)
        );
        let exe = app.path().join("postman-cli-task.exe");
        fs::copy(&binary, &exe).expect("copy the binary");
        let system32 = prefix.path().join("drive_c/windows/system32");
        if !system32.join("bcryptprimitives.dll").exists() {
            eprintln!(
                "note: this wine has no bcryptprimitives.dll (wine 9 and Windows 10 do); \
                 the test adds a stand-in for its ProcessPrng"
            );
            build_prng_shim(app.path());
        }
        version_and_dry_run(&[&wine], &exe, &env);
    });
    let _ = Command::new("wineserver")
        .arg("-k")
        .env("WINEPREFIX", prefix.path())
        .status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
