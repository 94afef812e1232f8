//! The Postman build results tab (web/) in headless Chromium: the page
//! loaded as Azure DevOps loads it, in a cross-origin iframe under a host
//! page that answers the SDK's handshake and the build REST API
//! (web/test/host.mjs), checked for what a person sees
//! (web/test/tab.test.mjs). Screenshots land in target/web-screenshots/.
//!
//! Needs Node.js and Debian's Chromium at /usr/bin/chromium (scripts/test.sh
//! installs it). The tests set up web/ themselves ([`built_tab`]): its
//! locked dependencies installed and the tab built, each once, whichever
//! test or process comes first.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// web/, ready for the browser: while a test holds this, the tab's
/// dependencies and build are complete and nobody changes them.
///
/// Every npm command in web/ runs under an exclusive lock on
/// `web/.setup.lock`, and a test uses the tab under a shared one, so no two
/// npm commands overlap, no build starts before the install has finished,
/// and no build replaces `dist/` under a test that is reading it. Each step
/// leaves a marker holding the digest of what it was made from
/// (`node_modules/` the lock file's, `dist/` the sources'), written only
/// when it succeeded; a step whose marker matches is not run again. So
/// `npm ci` runs once per lock file and the build once per source change,
/// whichever test or process (another `cargo test`) comes first, and a step
/// that was killed halfway runs again. scripts/bench.sh takes the same lock.
pub(crate) struct BuiltTab {
    _shared: File,
}

const LOCK: &str = ".setup.lock";
const INSTALLED: &str = "node_modules/.postman-cli-task-installed";
const BUILT: &str = "dist/.postman-cli-task-built";

/// Sets web/ up if it needs it and returns it held for use. `env` is set
/// for every npm call (a test's slowed npm first on `PATH`).
pub(crate) fn built_tab(web: &Path, env: &[(&str, &OsStr)]) -> BuiltTab {
    let lock = || {
        fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(web.join(LOCK))
            .unwrap_or_else(|e| panic!("open {}: {e}", web.join(LOCK).display()))
    };
    loop {
        let shared = lock();
        shared
            .lock_shared()
            .expect("take web/'s setup lock (shared)");
        if marker_holds(web, INSTALLED, &install_digest(web))
            && marker_holds(web, BUILT, &build_digest(web))
        {
            return BuiltTab { _shared: shared };
        }
        drop(shared);
        // Set up under the exclusive lock, then take the shared one again:
        // someone may have set it up meanwhile, or changed it since.
        let exclusive = lock();
        exclusive.lock().expect("take web/'s setup lock");
        set_up(web, env);
        drop(exclusive);
    }
}

/// Installs and builds what is out of date. Called with the exclusive lock.
fn set_up(web: &Path, env: &[(&str, &OsStr)]) {
    let installed = install_digest(web);
    if !marker_holds(web, INSTALLED, &installed) {
        // The tests install web/'s dependencies themselves, exactly as locked.
        npm(
            web,
            env,
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
        );
        fs::write(web.join(INSTALLED), &installed).expect("mark web/'s install complete");
    }
    let built = build_digest(web);
    if !marker_holds(web, BUILT, &built) {
        npm(web, env, &["run", "--silent", "build"]);
        fs::write(web.join(BUILT), &built).expect("mark web/'s build complete");
    }
}

fn marker_holds(web: &Path, marker: &str, digest: &str) -> bool {
    fs::read_to_string(web.join(marker)).is_ok_and(|text| text == digest)
}

/// What `npm ci` installs from.
fn install_digest(web: &Path) -> String {
    digest(
        web,
        &[
            PathBuf::from("package.json"),
            PathBuf::from("package-lock.json"),
        ],
    )
}

/// What the build reads: the installed tools and the tab's sources.
fn build_digest(web: &Path) -> String {
    let mut files = vec![
        PathBuf::from("package.json"),
        PathBuf::from("package-lock.json"),
        PathBuf::from("build.mjs"),
        PathBuf::from("tsconfig.json"),
    ];
    files.extend(files_under(web, Path::new("src")));
    digest(web, &files)
}

fn files_under(web: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(web.join(dir))
        .unwrap_or_else(|e| panic!("read web/{}: {e}", dir.display()))
        .map(|e| e.expect("read a web/ entry").file_name())
        .collect();
    entries.sort();
    for name in entries {
        let rel = dir.join(name);
        if web.join(&rel).is_dir() {
            found.extend(files_under(web, &rel));
        } else {
            found.push(rel);
        }
    }
    found
}

fn digest(web: &Path, files: &[PathBuf]) -> String {
    let mut hash = Sha256::new();
    for rel in files {
        let bytes =
            fs::read(web.join(rel)).unwrap_or_else(|e| panic!("read web/{}: {e}", rel.display()));
        hash.update(rel.to_string_lossy().as_bytes());
        hash.update([0]);
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    hex::encode(hash.finalize())
}

fn npm(web: &Path, env: &[(&str, &OsStr)], args: &[&str]) {
    // A `PATH` set here is also where the program is looked up.
    let output = Command::new("npm")
        .envs(env.iter().copied())
        .args(args)
        .current_dir(web)
        .output()
        .unwrap_or_else(|e| panic!("run npm {args:?}: {e}"));
    assert!(
        output.status.success(),
        "npm {args:?} in {} failed\n{}",
        web.display(),
        text(&output)
    );
}

#[test]
fn the_postman_tab_shows_runs_failures_filters_links_and_scale_in_chromium() {
    let root = Path::new(ROOT);
    let web = root.join("web");
    let chromium = Path::new("/usr/bin/chromium");
    assert!(
        chromium.is_file(),
        "the browser tests need Debian's Chromium: apt-get install -y chromium (scripts/test.sh installs it)"
    );
    let _tab = built_tab(&web, &[]);

    let shots = root.join("target/web-screenshots");
    let output = Command::new("node")
        .arg("test/tab.test.mjs")
        .current_dir(&web)
        .env("WEB_SCREENSHOTS", &shots)
        .env("CHROMIUM", chromium)
        .output()
        .expect("run node web/test/tab.test.mjs");
    let report = text(&output);
    assert!(
        output.status.success(),
        "the browser tests failed (screenshots in {}):\n{report}",
        shots.display()
    );
    // The script's own summary: every test ran, none failed.
    assert!(report.contains("# fail 0"), "{report}");
    for shot in ["tab-light.png", "tab-dark.png", "tab-5000-light.png"] {
        assert!(shots.join(shot).is_file(), "{shot} was taken");
    }
}

/// The tab with the attachments a real task run wrote (the failing fixture
/// collection and one that sends every kind of secret, real CLI): what a
/// person sees of a failed request, and no secret in the page
/// (web/test/real.test.mjs).
#[test]
fn the_postman_tab_shows_a_real_task_runs_attachment_without_its_secrets() {
    let root = Path::new(ROOT);
    let web = root.join("web");
    let chromium = Path::new("/usr/bin/chromium");
    assert!(
        chromium.is_file(),
        "the browser tests need Debian's Chromium"
    );
    let (_scenario, run, attachments) = crate::attachments::masking_run();
    assert!(!attachments.is_empty(), "{run}");
    let files: Vec<String> = attachments
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    // The CLI's own HTML reports the step attached beside its results.
    let html: Vec<serde_json::Value> = run
        .attachments()
        .into_iter()
        .filter(|(kind, _, _)| kind == "postman-cli-task.html")
        .map(|(_, name, path)| serde_json::json!({"name": name, "path": path}))
        .collect();
    assert!(!html.is_empty(), "{run}");
    let _tab = built_tab(&web, &[]);
    let shots = root.join("target/web-screenshots");
    let output = Command::new("node")
        .arg("test/real.test.mjs")
        .env("REAL_HTML", serde_json::to_string(&html).unwrap())
        .current_dir(&web)
        .env("WEB_SCREENSHOTS", &shots)
        .env("CHROMIUM", chromium)
        .env("REAL_ATTACHMENTS", serde_json::to_string(&files).unwrap())
        .env(
            "REAL_SECRETS",
            serde_json::to_string(&crate::attachments::secrets()).unwrap(),
        )
        .output()
        .expect("run node web/test/real.test.mjs");
    let report = text(&output);
    assert!(
        output.status.success(),
        "the browser test failed:\n{report}"
    );
    assert!(
        report.contains("# fail 0") && report.contains("# pass 1"),
        "{report}"
    );
    assert!(shots.join("tab-real-run-light.png").is_file());
}

/// An npm that logs when each call starts and ends, and is slow to install,
/// in front of the real one: how two tests setting up a fresh clone's web/
/// at once collided (issue 25: both ran `npm ci` in the same folder, or one
/// built while the other was still writing esbuild's binary).
#[cfg(unix)]
const SLOW_NPM: &str = r#"#!/bin/sh
echo "start $$ $*" >>"$SLOW_NPM_LOG"
if [ "$1" = ci ]; then sleep 2; fi
"$SLOW_NPM_NEXT" "$@"
status=$?
echo "end $$ $*" >>"$SLOW_NPM_LOG"
exit $status
"#;

/// Two browser tests setting up a fresh copy of web/ (no node_modules, no
/// dist) at the same moment, with a slow `npm ci`: npm runs once for the
/// install and once for the build, never two calls at a time, the build
/// after the install, and the tab is complete for both. A third comes
/// later and runs nothing; a changed source is built again, without an
/// install.
#[cfg(unix)]
#[test]
fn web_is_set_up_once_and_npm_never_runs_twice_at_a_time() {
    use std::os::unix::fs::PermissionsExt;

    let scratch = tempfile::tempdir().expect("temp dir");
    let web = scratch.path().join("web");
    let source = Path::new(ROOT).join("web");
    let mut files: Vec<PathBuf> = [
        "package.json",
        "package-lock.json",
        "build.mjs",
        "tsconfig.json",
    ]
    .into_iter()
    .map(PathBuf::from)
    .collect();
    files.extend(files_under(&source, Path::new("src")));
    for rel in files {
        fs::create_dir_all(web.join(&rel).parent().unwrap()).unwrap();
        fs::copy(source.join(&rel), web.join(&rel)).unwrap();
    }
    let bin = scratch.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    fs::write(bin.join("npm"), SLOW_NPM).unwrap();
    fs::set_permissions(bin.join("npm"), fs::Permissions::from_mode(0o755)).unwrap();
    let outer = std::env::var_os("PATH").unwrap_or_default();
    let real = which::which_in("npm", Some(&outer), &web).expect("npm on PATH");
    let path =
        std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(&outer)))
            .unwrap();
    let log = scratch.path().join("npm.log");
    let env: [(&str, &OsStr); 3] = [
        ("PATH", &path),
        ("SLOW_NPM_NEXT", real.as_os_str()),
        ("SLOW_NPM_LOG", log.as_os_str()),
    ];

    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        let tests: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let tab = built_tab(&web, &env);
                    assert!(web.join("dist/postman-tab.js").is_file());
                    assert!(web.join("dist/postman-tab.html").is_file());
                    // As a test does: its shared lock ends with it. Kept
                    // past its thread, it would hold off the other one,
                    // which may be waiting for the exclusive lock, while
                    // this scope joins that one first.
                    drop(tab);
                })
            })
            .collect();
        for test in tests {
            test.join().expect("a test's setup");
        }
    });
    assert_eq!(
        npm_calls(&log),
        [
            "ci --no-audit --no-fund --loglevel=error",
            "run --silent build"
        ],
        "npm ran once to install and once to build"
    );

    drop(built_tab(&web, &env));
    assert_eq!(npm_calls(&log).len(), 2, "a set-up web/ is used as it is");

    let css = web.join("src/tab.css");
    let mut changed = fs::read_to_string(&css).unwrap();
    changed.push_str("\n/* changed */\n");
    fs::write(&css, changed).unwrap();
    drop(built_tab(&web, &env));
    assert_eq!(
        npm_calls(&log)[2..],
        ["run --silent build"],
        "a changed source is built again, without an install"
    );
}

/// The npm calls [`SLOW_NPM`] logged, in order, each checked to have ended
/// before the next one started.
fn npm_calls(log: &Path) -> Vec<String> {
    let text = fs::read_to_string(log).unwrap_or_default();
    let mut calls = Vec::new();
    let mut open: Option<(&str, &str)> = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        let (event, pid, args) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        match (event, open) {
            ("start", None) => open = Some((pid, args)),
            ("end", Some(started)) if started == (pid, args) => {
                calls.push(args.to_owned());
                open = None;
            }
            _ => panic!("two npm calls overlapped in web/:\n{text}"),
        }
    }
    assert!(open.is_none(), "an npm call never ended:\n{text}");
    calls
}
