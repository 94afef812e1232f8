//! The .vsix that `cargo xtask package --host-only` builds, unpacked as the
//! agent unpacks it and run end to end.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;

use super::{VERSION, package, read_json, root, text};
use crate::e2e::{Scenario, published_junit};
use crate::support::TaskResult;

/// Extracts a .vsix the way the agent extracts a task (.NET's
/// `ZipFile.ExtractToDirectory`: an entry's Unix mode is applied only when
/// the zip records one, otherwise the file gets the default mode), and
/// returns each entry's recorded mode.
const EXTRACT_LIKE_DOTNET: &str = r#"
import json, os, sys, zipfile
modes = {}
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        mode = (info.external_attr >> 16) & 0o777
        modes[info.filename] = mode
        path = z.extract(info, sys.argv[2])
        if mode and not info.is_dir():
            os.chmod(path, mode)
print(json.dumps(modes))
"#;

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
}

#[cfg(unix)]
#[test]
fn the_vsix_unpacked_as_the_agent_unpacks_it_runs_a_collection() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let log = package(&[
        "--host-only",
        "--out-dir",
        &out_dir.path().display().to_string(),
    ]);

    // tfx said nothing but its report (package.sh fails on warnings too).
    let tfx: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.starts_with("==> tfx extension create"))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect();
    assert!(
        tfx.iter()
            .any(|l| l.contains("Completed operation: create extension")),
        "{log}"
    );
    assert!(
        !tfx.iter().any(|l| l.to_ascii_lowercase().contains("warn")),
        "tfx warned:\n{}",
        tfx.join("\n")
    );

    let m = read_json("vss-extension.json");
    let (publisher, id) = (
        m["publisher"].as_str().expect("publisher"),
        m["id"].as_str().expect("id"),
    );
    let vsix = out_dir
        .path()
        .join(format!("{publisher}.{id}-{VERSION}.vsix"));
    assert!(vsix.is_file(), "{} missing\n{log}", vsix.display());

    let unpacked = out_dir.path().join("unpacked");
    let output = Command::new("python3")
        .args(["-c", EXTRACT_LIKE_DOTNET])
        .arg(&vsix)
        .arg(&unpacked)
        .output()
        .expect("run python3 to unzip the .vsix");
    assert!(output.status.success(), "{}", text(&output));
    let modes: BTreeMap<String, u32> =
        serde_json::from_slice(&output.stdout).expect("entry modes as JSON");

    let binary_entry = format!(
        "task/bin/{}/postman-cli-task",
        crate::support::agent::node_platform()
    );
    assert_eq!(
        modes.get(&binary_entry),
        Some(&0),
        "tfx stores no mode for {binary_entry}: {modes:?}"
    );
    let unpacked_binary = unpacked.join(&binary_entry);
    assert_eq!(
        mode(&unpacked_binary) & 0o111,
        0,
        "the binary arrives without its run bit"
    );
    let bins: Vec<&String> = modes
        .keys()
        .filter(|k| k.starts_with("task/bin/") && !k.ends_with('/'))
        .collect();
    assert_eq!(bins, vec![&binary_entry], "--host-only packages one binary");
    for same in [
        "task/task.json",
        "task/launcher.js",
        "task/post.js",
        "overview.md",
    ] {
        assert_eq!(
            fs::read(unpacked.join(same)).expect("read unpacked"),
            fs::read(root().join(same)).expect("read source"),
            "{same} is packaged as it is"
        );
    }
    for tab in ["postman-tab.html", "postman-tab.js", "postman-tab.css"] {
        assert!(
            modes.contains_key(&format!("web/dist/{tab}")),
            "the Postman tab's {tab} is packaged: {modes:?}"
        );
    }
    let vsixmanifest = fs::read_to_string(unpacked.join("extension.vsixmanifest"))
        .expect("read extension.vsixmanifest");
    assert!(
        vsixmanifest.contains(&format!(
            r#"<Identity Language="en-US" Id="{id}" Version="{VERSION}" Publisher="{publisher}""#
        )),
        "{vsixmanifest}"
    );
    assert!(
        vsixmanifest.contains("Microsoft.VisualStudio.Services.Content.Details"),
        "{vsixmanifest}"
    );

    // The unpacked task, installed and run as the agent runs it.
    let mut s = Scenario::new();
    s.job.with_task_dir(unpacked.join("task"));
    s.fixture("passing.postman_collection.json");
    s.job
        .input("collection", "tests/passing.postman_collection.json");
    s.job.install_task();
    let installed = s.job.binary_path();
    assert_eq!(
        fs::read(&installed).expect("read installed binary"),
        fs::read(&unpacked_binary).expect("read unpacked binary"),
        "the job runs the packaged binary"
    );
    assert_eq!(mode(&installed) & 0o111, 0, "installed without its run bit");

    let run = s.run();
    assert_eq!(run.result(), TaskResult::Succeeded, "{run}");
    assert_ne!(
        mode(&installed) & 0o111,
        0,
        "the launcher restored the run bit"
    );
    let (_, xml) = published_junit(&run);
    assert!(xml.contains(r#"tests="3""#), "{xml}");
    assert_eq!(s.api.requests().len(), 2, "the collection reached the API");

    // Every output variable the task sets is declared, so the agent treats
    // it as an output.
    let declared: BTreeSet<String> = read_json("task/task.json")["outputVariables"]
        .as_array()
        .expect("outputVariables")
        .iter()
        .filter_map(|o| o["name"].as_str().map(str::to_ascii_lowercase))
        .collect();
    for (name, var) in run.variables() {
        if var.is_output {
            assert!(
                declared.contains(&name.to_ascii_lowercase()),
                "{name} is set as an output but task.json does not declare it"
            );
        }
    }
}
