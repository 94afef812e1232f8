//! Postman's download site (`dl-cli.pstmn.io`), the CLI's own distribution
//! and the only one with Windows builds: `api/version/latest` names the
//! newest version and `download/version/<v>/<platform>` serves its archive
//! (a zip or a gzipped tar, depending on the platform).

use serde::Deserialize;

use super::platform::{Arch, Os, Platform};
use super::{InstallError, bad_answer, get_json};

pub(crate) fn latest_url(base: &str) -> String {
    format!("{}/api/version/latest", base.trim_end_matches('/'))
}

pub(crate) fn download_url(base: &str, version: &semver::Version, platform: Platform) -> String {
    format!(
        "{}/download/version/{version}/{}",
        base.trim_end_matches('/'),
        slug(platform)
    )
}

/// The site's names for its builds.
pub(crate) fn slug(platform: Platform) -> &'static str {
    match (platform.os, platform.arch) {
        (Os::Linux, Arch::X64) => "linux64",
        (Os::Linux, Arch::Arm64) => "linux_arm64",
        (Os::MacOs, Arch::X64) => "osx_64",
        (Os::MacOs, Arch::Arm64) => "osx_arm64",
        (Os::Windows, _) => "win64",
    }
}

#[derive(Deserialize)]
struct Latest {
    version: String,
}

pub(crate) async fn fetch_latest(
    client: &reqwest::Client,
    url: &str,
) -> Result<semver::Version, InstallError> {
    const WHAT: &str = "version document";
    let latest: Latest = get_json(client.get(url), url, WHAT).await?;
    semver::Version::parse(latest.version.trim_start_matches('v'))
        .map_err(|e| bad_answer(url, WHAT, format!("`{}`: {e}", latest.version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let linux = Platform {
            os: Os::Linux,
            arch: Arch::X64,
        };
        let v = semver::Version::new(1, 62, 0);
        assert_eq!(
            latest_url("https://dl-cli.pstmn.io/"),
            "https://dl-cli.pstmn.io/api/version/latest"
        );
        assert_eq!(
            download_url("https://dl-cli.pstmn.io", &v, linux),
            "https://dl-cli.pstmn.io/download/version/1.62.0/linux64"
        );
        assert_eq!(
            slug(Platform {
                os: Os::Windows,
                arch: Arch::X64
            }),
            "win64"
        );
    }
}
