//! How the Postman CLI is started: the environment every run of it gets,
//! and the one run the installer makes itself, `postman --version`, for a
//! CLI whose version nothing else tells.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use super::InstallRequest;
use super::error::InstallError;
use crate::inputs::Secret;
use crate::process::{Cancel, ToolCommand};

/// The environment the Postman CLI runs in: `base`, with a home of its own
/// (so a stored login or profile on the machine cannot change what it
/// does), its daily update check off (the task chooses the version; the
/// check would only add a network call and a banner), and the API key, when
/// there is one, where the CLI reads it and no process listing shows it.
pub(crate) fn cli_env(
    base: &BTreeMap<OsString, OsString>,
    home: &Path,
    api_key: Option<&Secret>,
) -> BTreeMap<OsString, OsString> {
    let mut env = base.clone();
    env.insert("HOME".into(), home.into());
    env.insert("USERPROFILE".into(), home.into());
    env.insert("POSTMAN_CLI_SKIP_UPDATE_CHECK".into(), "1".into());
    if let Some(key) = api_key {
        env.insert("POSTMAN_API_KEY".into(), key.expose().into());
    }
    env
}

/// Runs `postman --version` in a throwaway home.
pub(crate) async fn probe_version(
    req: &InstallRequest,
    exe: &Path,
) -> Result<semver::Version, InstallError> {
    let probe_error = |detail: String| InstallError::Probe {
        path: exe.to_path_buf(),
        detail,
    };
    if req.foreign() {
        return Err(probe_error(format!(
            "it is a CLI for {}, which cannot run here; give its exact version in cliVersion",
            req.platform
        )));
    }
    let home = tempfile::tempdir().map_err(|e| probe_error(e.to_string()))?;
    let mut cmd = ToolCommand::new(exe);
    cmd.arg("--version")
        .envs(cli_env(&req.probe_env, home.path(), None));
    let mut lines = Vec::new();
    let exit = cmd
        .run(Some(Duration::from_secs(120)), &Cancel::new().1, |_, l| {
            lines.push(l.trim().to_owned())
        })
        .await
        .map_err(|e| probe_error(e.to_string()))?;
    lines
        .iter()
        .find_map(|l| semver::Version::parse(l.strip_prefix('v').unwrap_or(l)).ok())
        .ok_or_else(|| probe_error(format!("`--version` {} and printed {:?}", exit.end, lines)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_gets_a_home_of_its_own_and_the_key_out_of_sight() {
        let mut base = BTreeMap::new();
        base.insert(OsString::from("HOME"), OsString::from("/home/agent"));
        base.insert(OsString::from("PATH"), OsString::from("/usr/bin"));
        let key = Secret::new("PMAK-0123");
        let env = cli_env(&base, Path::new("/tmp/private/home"), Some(&key));
        let get = |k: &str| env.get(std::ffi::OsStr::new(k)).cloned();
        assert_eq!(get("HOME"), Some("/tmp/private/home".into()));
        assert_eq!(get("USERPROFILE"), Some("/tmp/private/home".into()));
        assert_eq!(get("POSTMAN_CLI_SKIP_UPDATE_CHECK"), Some("1".into()));
        assert_eq!(get("POSTMAN_API_KEY"), Some("PMAK-0123".into()));
        assert_eq!(get("PATH"), Some("/usr/bin".into()));
        assert!(
            !cli_env(&base, Path::new("/h"), None)
                .contains_key(std::ffi::OsStr::new("POSTMAN_API_KEY"))
        );
    }
}
