//! The Postman build results tab (web/) in headless Chromium: the page
//! loaded as Azure DevOps loads it, in a cross-origin iframe under a host
//! page that answers the SDK's handshake and the build REST API
//! (web/test/host.mjs), checked for what a person sees
//! (web/test/tab.test.mjs). Screenshots land in target/web-screenshots/.
//!
//! Needs Node.js and Debian's Chromium at /usr/bin/chromium (scripts/test.sh
//! installs it); installs web/'s locked dependencies itself.

use std::path::Path;
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn npm(web: &Path, args: &[&str]) {
    let output = Command::new("npm")
        .args(args)
        .current_dir(web)
        .output()
        .unwrap_or_else(|e| panic!("run npm {args:?}: {e}"));
    assert!(
        output.status.success(),
        "npm {args:?} in web/ failed\n{}",
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
    // The tests install web/'s dependencies themselves, exactly as locked.
    if !web.join("node_modules/playwright-core").is_dir() {
        npm(&web, &["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    npm(&web, &["run", "--silent", "build"]);

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
    if !web.join("node_modules/playwright-core").is_dir() {
        npm(&web, &["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    npm(&web, &["run", "--silent", "build"]);
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
