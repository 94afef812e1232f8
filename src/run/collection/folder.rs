//! A run's private folder (mode 0700, deleted at the end of the task): the
//! CLI's home and profile, its reports, and the variables files that carry
//! `envVars` and `globalVars` (values there may be secrets, and a command
//! line is visible to every user of the machine); and the YAML run report
//! found in it afterwards.

use std::path::{Path, PathBuf};

use super::Runner;
use crate::files::{Bounds, Limit};
use crate::plan::{KeyValue, Region};
use crate::resolve::variables::{Scope, decode, read_variables};
use crate::resolve::{Resource, RunTarget};

/// Files one run writes or reads, all inside its private folder.
#[derive(Clone, Debug)]
pub(crate) struct RunFiles {
    pub(crate) dir: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) report_json: PathBuf,
    /// The CLI's own HTML report, kept for people who know it.
    pub(crate) report_html: PathBuf,
    /// The environment with `envVars` merged in, when there are any.
    pub(crate) environment: Option<PathBuf>,
    /// The globals with `globalVars` merged in, when there are any.
    pub(crate) globals: Option<PathBuf>,
    /// A v3 run's `--output` folder, when its YAML run report is used.
    pub(crate) yaml_dir: Option<PathBuf>,
}

impl RunFiles {
    pub(crate) fn new(dir: PathBuf) -> RunFiles {
        RunFiles {
            home: dir.join("home"),
            report_json: dir.join("report.json"),
            report_html: dir.join("report.html"),
            environment: None,
            globals: None,
            yaml_dir: None,
            dir,
        }
    }
}

impl Runner<'_> {
    /// Creates the run folder and the variables files.
    pub(super) fn prepare(&self, target: &RunTarget, files: &mut RunFiles) -> std::io::Result<()> {
        create_private_dir(&files.dir)?;
        create_private_dir(&files.home)?;
        if let Some(shared) = self.dataset_engine {
            share_dataset_engine(&files.home, shared);
        }
        // The CLI's home profile: `run.*` options merge into the command's
        // options (keeping the passphrase off the command line), and the
        // default profile's region picks Postman's EU hosts. No key is ever
        // stored here; it comes from the environment.
        let mut rc = serde_json::Map::new();
        if let Some(passphrase) = &self.plan.ssl_client_passphrase {
            rc.insert(
                "run".into(),
                serde_json::json!({"sslClientPassphrase": passphrase.expose()}),
            );
        }
        if self.cloud.region == Region::Eu {
            rc.insert(
                "login".into(),
                serde_json::json!({"_profiles": [{"alias": "default", "region": "eu"}]}),
            );
        }
        if !rc.is_empty() {
            let dir = files.home.join(".postman");
            create_private_dir(&dir)?;
            write_private(
                &dir.join("postmanrc"),
                serde_json::Value::Object(rc).to_string().as_bytes(),
            )?;
        }
        let environment = target
            .environment
            .map(|i| &self.resolved.environments[i].resource);
        if !self.plan.env_vars.is_empty() && !matches!(environment, Some(Resource::Uid(_))) {
            let base = match environment {
                Some(Resource::File(p)) => Some(p.as_path()),
                _ => None,
            };
            let path = files.dir.join("environment.json");
            write_variables(
                base,
                &self.resolved.bounds,
                &self.plan.env_vars,
                "postman-cli-task envVars",
                Scope::Environment,
                &path,
            )?;
            files.environment = Some(path);
        }
        if !self.plan.global_vars.is_empty() {
            let path = files.dir.join("globals.json");
            write_variables(
                self.resolved.globals.as_deref(),
                &self.resolved.bounds,
                &self.plan.global_vars,
                "postman-cli-task globalVars",
                Scope::Globals,
                &path,
            )?;
            files.globals = Some(path);
        }
        Ok(())
    }
}

/// The two files `--output` wrote in `dir`, opened: the one
/// `*.collection-run-summary.yaml` and its `*.collection-run-executions.yaml`.
pub(super) fn open_yaml_report(dir: &Path) -> Result<(std::fs::File, std::fs::File), String> {
    const SUMMARY: &str = ".collection-run-summary.yaml";
    const EXECUTIONS: &str = ".collection-run-executions.yaml";
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let summaries: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(SUMMARY))
        .collect();
    let [summary] = summaries.as_slice() else {
        return Err(format!(
            "the Postman CLI wrote {} run summaries in {}",
            summaries.len(),
            dir.display()
        ));
    };
    let name = summary.to_string_lossy();
    let executions = PathBuf::from(format!(
        "{}{EXECUTIONS}",
        &name[..name.len() - SUMMARY.len()]
    ));
    let open =
        |p: &Path| std::fs::File::open(p).map_err(|e| format!("cannot open {}: {e}", p.display()));
    Ok((open(summary)?, open(&executions)?))
}

/// Points the CLI's dataset engine cache (`~/.postman/dataset-engine`,
/// where a run with `--use-mock` unpacks a 40 MB engine the first time,
/// 0.5 to 1 s) at `shared`, kept across runs and steps, so the engine is
/// unpacked once per machine rather than once per run. The CLI unpacks it
/// under a file lock into a staging folder renamed into place, so runs in
/// parallel share it safely. When the link cannot be made, the run
/// unpacks its own, as before.
fn share_dataset_engine(home: &Path, shared: &Path) {
    #[cfg(unix)]
    {
        let postman = home.join(".postman");
        if std::fs::create_dir_all(shared).is_ok() && create_private_dir(&postman).is_ok() {
            let _ = std::os::unix::fs::symlink(shared, postman.join("dataset-engine"));
        }
    }
    #[cfg(not(unix))]
    let _ = (home, shared);
}

/// Writes an environment or globals file: the given one (if any) with
/// `vars` set on top, as `--env-var`/`--global-var` would set them. The
/// given file is read as `resolve` read it (`bounds`: the working
/// directory's).
fn write_variables(
    base: Option<&Path>,
    bounds: &Bounds,
    vars: &[KeyValue],
    name: &str,
    scope: Scope,
    dest: &Path,
) -> std::io::Result<()> {
    let mut doc = match base {
        Some(p) => {
            let bytes = bounds
                .read(p, Limit::SMALL)
                .map_err(|e| std::io::Error::other(format!("`{}` {e}", p.display())))?;
            variables_json(&bytes, p, scope)?
        }
        None => serde_json::json!({"name": name, "values": []}),
    };
    let values = doc
        .get_mut("values")
        .and_then(|v| v.as_array_mut())
        .ok_or_else(|| std::io::Error::other("the file has no `values` list"))?;
    for kv in vars {
        // A file may hold a key twice, and the CLI uses the last; every
        // entry gets the value, so whichever it reads is the one given.
        let mut found = false;
        for entry in values
            .iter_mut()
            .filter(|v| v.get("key").and_then(|k| k.as_str()) == Some(kv.key.as_str()))
        {
            entry["value"] = kv.value.clone().into();
            entry["enabled"] = true.into();
            found = true;
        }
        if !found {
            values.push(serde_json::json!({
                "key": kv.key, "value": kv.value, "type": "default", "enabled": true
            }));
        }
    }
    write_private(
        dest,
        serde_json::to_string(&doc)
            .map_err(std::io::Error::other)?
            .as_bytes(),
    )
}

/// A variables file as Postman's JSON export: a JSON object file as it is
/// (every field kept), any other shape the CLI runs (YAML, a bare array,
/// UTF-16) converted. The CLI takes a JSON file for v2.1 and v3 runs alike.
fn variables_json(bytes: &[u8], path: &Path, scope: Scope) -> std::io::Result<serde_json::Value> {
    let (text, _) = decode(bytes, path).map_err(std::io::Error::other)?;
    if let Ok(doc @ serde_json::Value::Object(_)) = serde_json::from_str(&text)
        && doc.get("values").is_some_and(|v| v.is_array())
    {
        return Ok(doc);
    }
    let vars = read_variables(bytes, path).map_err(std::io::Error::other)?;
    serde_json::from_str(&vars.to_json(scope)).map_err(std::io::Error::other)
}

fn create_private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    std::io::Write::write_all(&mut options.open(path)?, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_merge_over_the_given_file() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("env.json");
        std::fs::write(&base, r#"{"name":"staging","values":[{"key":"a","value":"1","enabled":false},{"key":"b","value":"2"},{"key":"a","value":"last"}]}"#).unwrap();
        let out = dir.path().join("merged.json");
        let vars = [
            KeyValue {
                key: "a".into(),
                value: "x".into(),
            },
            KeyValue {
                key: "c".into(),
                value: "y=z".into(),
            },
        ];
        write_variables(
            Some(&base),
            &Bounds::new(dir.path()),
            &vars,
            "n",
            Scope::Environment,
            &out,
        )
        .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({"name":"staging","values":[
                {"key":"a","value":"x","enabled":true},{"key":"b","value":"2"},
                {"key":"a","value":"x","enabled":true},
                {"key":"c","value":"y=z","type":"default","enabled":true}]})
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn variables_merge_over_every_shape_the_cli_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(
            r#"{"name":"ps","values":[{"key":"a","value":"1"}]}"#
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        let inputs: [(&str, Vec<u8>); 4] = [
            (
                "e.environment.yaml",
                b"name: y\nvalues:\n  - key: a\n    value: '1'\n".to_vec(),
            ),
            ("g.json", br#"[{"key":"a","value":"1"}]"#.to_vec()),
            ("ps.json", utf16),
            // Saved in Latin-1 by a Windows editor: read as the CLI reads it.
            (
                "latin.json",
                b"{\"name\":\"Montr\xE9al\",\"values\":[{\"key\":\"a\",\"value\":\"1\"}]}".to_vec(),
            ),
        ];
        for (name, bytes) in inputs {
            let base = dir.path().join(name);
            std::fs::write(&base, bytes).unwrap();
            let out = dir.path().join("merged.json");
            let vars = [KeyValue {
                key: "a".into(),
                value: "x".into(),
            }];
            write_variables(
                Some(&base),
                &Bounds::new(dir.path()),
                &vars,
                "n",
                Scope::Environment,
                &out,
            )
            .unwrap();
            let doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
            assert_eq!(doc["values"][0]["value"], "x", "{name}: {doc}");
            if name == "latin.json" {
                assert_eq!(doc["name"], "Montréal");
            }
            assert_eq!(doc["values"].as_array().unwrap().len(), 1, "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_run_home_links_the_shared_dataset_engine_cache() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("run-01/home");
        std::fs::create_dir_all(&home).unwrap();
        let shared = dir.path().join("tools/postman-cli/.dataset-engine");
        share_dataset_engine(&home, &shared);
        let link = home.join(".postman/dataset-engine");
        assert_eq!(std::fs::read_link(&link).unwrap(), shared);
        std::fs::write(link.join("engine"), "x").unwrap();
        assert!(shared.join("engine").is_file());
        // Deleting the run's folder leaves the shared cache.
        std::fs::remove_dir_all(dir.path().join("run-01")).unwrap();
        assert!(shared.join("engine").is_file());
    }
}
