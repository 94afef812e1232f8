//! Postman's download site (`dl-cli.pstmn.io`), the CLI's own distribution:
//! `api/version/latest` names the newest version and
//! `download/version/<v>/<slug>` serves its archive (a zip or a gzipped
//! tar, depending on the platform; see [`Platform::build`] for the table
//! and its sources). The site publishes no release dates and no digests.

use serde::Deserialize;

use super::platform::SiteBuild;
use super::{InstallError, bad_answer, get_json};

pub(crate) fn latest_url(base: &str) -> String {
    format!("{}/api/version/latest", base.trim_end_matches('/'))
}

pub(crate) fn download_url(base: &str, version: &semver::Version, build: &SiteBuild) -> String {
    format!(
        "{}/download/version/{version}/{}",
        base.trim_end_matches('/'),
        build.slug
    )
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
    use crate::install::platform::{Arch, Os, Platform};

    #[test]
    fn urls() {
        let v = semver::Version::new(1, 62, 0);
        let url = |os, arch| {
            Platform::new(os, arch)
                .build()
                .site
                .map(|b| download_url("https://dl-cli.pstmn.io/", &v, &b))
        };
        assert_eq!(
            latest_url("https://dl-cli.pstmn.io/"),
            "https://dl-cli.pstmn.io/api/version/latest"
        );
        assert_eq!(
            url(Os::Linux, Arch::X64).as_deref(),
            Some("https://dl-cli.pstmn.io/download/version/1.62.0/linux64")
        );
        assert_eq!(
            url(Os::MacOs, Arch::X64).as_deref(),
            Some("https://dl-cli.pstmn.io/download/version/1.62.0/osx64")
        );
        assert_eq!(
            url(Os::Windows, Arch::X64).as_deref(),
            Some("https://dl-cli.pstmn.io/download/version/1.62.0/win64")
        );
        assert_eq!(url(Os::Linux, Arch::Arm64), None);
    }
}
