//! A Postman CLI already on the machine (`installSource: path`): the one
//! `cliPath` names, or `postman` on `PATH`, asked its version and held to
//! `cliVersion`. Nothing is downloaded or cached.

use std::path::PathBuf;

use super::InstallRequest;
use super::InstalledCli;
use super::cli_env::probe_version;
use super::download;
use super::error::InstallError;
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
    let version = probe_version(req, &exe).await?;
    if !req.plan.version.matches(&version) {
        return Err(InstallError::WrongVersion {
            path: exe,
            found: version.to_string(),
            wanted: req.plan.version.to_string(),
        });
    }
    let integrity = download::sha256_file(&exe)
        .ok()
        .map(|hex| format!("sha256:{hex}"));
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
