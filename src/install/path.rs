//! A Postman CLI already on the machine (`installSource: path`): the one
//! `cliPath` names, or `postman` on `PATH`, held to `cliVersion`. Nothing
//! is downloaded.
//!
//! Its version is read from disk, not asked: starting the CLI costs
//! seconds, on every step. An npm install has its `package.json` beside the
//! binary's folder; for any other, `postman --version` is asked once and
//! its answer kept in the tool cache (`postman-cli/.path-probes/`), with
//! the binary's SHA-256, keyed by the binary's path, size and modification
//! time, so a replaced binary is asked again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::InstallRequest;
use super::InstalledCli;
use super::cache::TOOL_NAME;
use super::cli_env::probe_version;
use super::download;
use super::error::InstallError;
use super::extract::layout;
use super::record::{Origin, OriginKind};

pub(crate) async fn install(
    req: &InstallRequest,
    given: Option<&str>,
) -> Result<InstalledCli, InstallError> {
    if req.foreign() {
        return Err(InstallError::NotInstalled {
            what: format!(
                "installSource: path uses a CLI on this machine, which cannot be one for {}; use installSource npm, postman or archive",
                req.platform
            ),
        });
    }
    let exe = executable(req, given)?;
    let (version, integrity) = version_of(req, &exe).await?;
    if !req.plan.version.matches(&version) {
        return Err(InstallError::WrongVersion {
            path: exe,
            found: version.to_string(),
            wanted: req.plan.version.to_string(),
        });
    }
    Ok(InstalledCli {
        version,
        origin: Some(Origin {
            kind: OriginKind::Path,
            location: exe.display().to_string(),
        }),
        executable: exe,
        from_cache: true,
        integrity,
    })
}

/// The executable `cliPath` names, or the first `postman` on the `PATH`
/// the CLI will run with.
fn executable(req: &InstallRequest, given: Option<&str>) -> Result<PathBuf, InstallError> {
    if let Some(p) = given {
        let path = PathBuf::from(p);
        if !path.is_file() {
            return Err(InstallError::NotInstalled {
                what: format!(
                    "cliPath `{p}` is not a file; give the path of the `postman` executable"
                ),
            });
        }
        return Ok(path);
    }
    let path = req
        .probe_env
        .get(std::ffi::OsStr::new("PATH"))
        .cloned()
        .unwrap_or_default();
    which::which_in(
        req.platform.exe_name(),
        Some(path),
        std::env::current_dir().unwrap_or_default(),
    )
    .map_err(|_| InstallError::NotInstalled {
        what: "installSource is `path`, but no `postman` is on PATH; install the Postman CLI on the agent or set cliPath".into(),
    })
}

/// What is kept of a CLI on the machine, beside the tool cache's versions.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Probed {
    path: PathBuf,
    size: u64,
    modified_ns: u128,
    version: String,
    integrity: Option<String>,
}

/// The most a kept answer may weigh.
const PROBED_LIMIT: crate::files::Limit = crate::files::Limit(64 * 1024);

/// The CLI's version and the binary's SHA-256: kept from an earlier step
/// for this very binary, or read from its npm package, or asked.
async fn version_of(
    req: &InstallRequest,
    exe: &Path,
) -> Result<(semver::Version, Option<String>), InstallError> {
    let meta = std::fs::metadata(exe).ok();
    let key = meta.as_ref().map(|m| Probed {
        path: exe.to_path_buf(),
        size: m.len(),
        modified_ns: m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos()),
        version: String::new(),
        integrity: None,
    });
    let store = probes_file(&req.tools_dir, exe);
    if let Some(kept) = key.as_ref().and_then(|k| kept(&store, k)) {
        return Ok(kept);
    }
    let version = match npm_version(exe) {
        Some(v) => v,
        None => probe_version(req, exe).await?,
    };
    let integrity = download::sha256_file(exe)
        .ok()
        .map(|hex| format!("sha256:{hex}"));
    if let Some(mut record) = key {
        record.version = version.to_string();
        record.integrity.clone_from(&integrity);
        // A cache that cannot be written costs the next step a probe.
        let _ = keep(&store, &record);
    }
    Ok((version, integrity))
}

/// Where the answer for `exe` is kept: a file named by its path's hash.
fn probes_file(tools_dir: &Path, exe: &Path) -> PathBuf {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(exe.as_os_str().as_encoded_bytes());
    let name: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
    tools_dir
        .join(TOOL_NAME)
        .join(".path-probes")
        .join(format!("{name}.json"))
}

/// The kept answer, when it is for this binary as it is now.
fn kept(store: &Path, now: &Probed) -> Option<(semver::Version, Option<String>)> {
    let bytes = crate::files::Bounds::new(store.parent()?)
        .read(store, PROBED_LIMIT)
        .ok()?;
    let record: Probed = serde_json::from_slice(&bytes).ok()?;
    let same =
        record.path == now.path && record.size == now.size && record.modified_ns == now.modified_ns;
    if !same {
        return None;
    }
    Some((
        semver::Version::parse(&record.version).ok()?,
        record.integrity,
    ))
}

fn keep(store: &Path, record: &Probed) -> std::io::Result<()> {
    let dir = store.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // Written whole, then renamed: a parallel job reads the old answer or
    // the new one, never half of one.
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::fs::write(
        tmp.path(),
        serde_json::to_vec(record).map_err(std::io::Error::other)?,
    )?;
    tmp.persist(store).map_err(|e| e.error)?;
    Ok(())
}

/// The version of an npm-installed CLI: the `package.json` of the package
/// holding `bin/postman` (links followed), when it is a Postman CLI
/// package.
fn npm_version(exe: &Path) -> Option<semver::Version> {
    let real = std::fs::canonicalize(exe).ok()?;
    let package = real.parent()?.parent()?;
    let manifest = layout::manifest(package);
    let name = manifest.name?;
    let ours = name == "postman-cli" || name.starts_with("@postman/pm-bin-");
    ours.then_some(manifest.version?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(size: u64) -> Probed {
        Probed {
            path: "/opt/postman/bin/postman".into(),
            size,
            modified_ns: 7,
            version: String::new(),
            integrity: None,
        }
    }

    #[test]
    fn a_kept_answer_holds_for_the_same_binary_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = probes_file(dir.path(), Path::new("/opt/postman/bin/postman"));
        let mut kept_record = record(10);
        kept_record.version = "1.62.0".into();
        kept_record.integrity = Some("sha256:ab".into());
        keep(&store, &kept_record).unwrap();
        assert_eq!(
            kept(&store, &record(10)),
            Some((semver::Version::new(1, 62, 0), Some("sha256:ab".to_owned())))
        );
        // Replaced (another size): asked again.
        assert_eq!(kept(&store, &record(11)), None);
        assert_ne!(
            store,
            probes_file(dir.path(), Path::new("/usr/bin/postman"))
        );
    }

    #[test]
    fn reads_the_version_of_an_npm_package_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/postman"), "").unwrap();
        let exe = dir.path().join("bin/postman");
        assert_eq!(npm_version(&exe), None);
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"name":"something-else","version":"1.0.0"}"#,
        )
        .unwrap();
        assert_eq!(npm_version(&exe), None);
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"name":"@postman/pm-bin-linux-x64","version":"1.62.0"}"#,
        )
        .unwrap();
        assert_eq!(npm_version(&exe), Some(semver::Version::new(1, 62, 0)));
    }
}
