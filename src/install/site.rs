//! Installing from Postman's download site (`dl-cli.pstmn.io`), the CLI's
//! own distribution: `api/version/latest` names the newest version and
//! `download/version/<v>/<slug>` serves its archive (a zip or a gzipped
//! tar, depending on the platform; see [`Platform::build`] for the table
//! and its sources). The site publishes no release dates and no digests,
//! so `cliSha256` is how a team pins what it gets.
//!
//! [`Platform::build`]: super::platform::Platform::build

use serde::Deserialize;

use super::InstallRequest;
use super::InstalledCli;
use super::cache::ToolCache;
use super::commit::{cached_fallback, commit, found, lock, staging_dir};
use super::download;
use super::error::{InstallError, SITE_HINT};
use super::extract::{self, layout, limits::Limits};
use super::integrity;
use super::platform::SiteBuild;
use super::record::{Origin, OriginKind, Record};
use crate::events::{Event, Events};
use crate::http::fetch::{FetchError, Get, bad_answer, get_json, retry};
use crate::plan::VersionSpec;

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

/// The site's version document is a line of JSON.
const LATEST_LIMIT: u64 = 64 * 1024;

pub(crate) async fn fetch_latest(
    client: &reqwest::Client,
    url: &str,
    events: &dyn Events,
) -> Result<semver::Version, FetchError> {
    const WHAT: &str = "a version document";
    let latest: Latest = get_json(client, &Get::new(url, WHAT, LATEST_LIMIT), events).await?;
    semver::Version::parse(latest.version.trim_start_matches('v'))
        .map_err(|e| bad_answer(url, WHAT, format!("`{}`: {e}", latest.version)))
}

pub(crate) async fn install(
    req: &InstallRequest,
    cache: &ToolCache,
    client: &reqwest::Client,
    events: &dyn Events,
) -> Result<InstalledCli, InstallError> {
    // Said before anything is downloaded: a guessed URL would only 404.
    let Some(build) = req.platform.build().site else {
        return Err(InstallError::NoBuild {
            what: format!(
                "Postman's download site has no confirmed {} build",
                req.platform.describe()
            ),
            alternatives: req.platform.alternatives(),
        });
    };
    let version = match &req.plan.version {
        VersionSpec::Exact(v) => v.clone(),
        wanted => match latest(req, client, events, wanted).await {
            Ok(v) => v,
            Err(e) if e.unreachable() => {
                return cached_fallback(req, cache, events, &e).ok_or_else(|| e.hint(SITE_HINT));
            }
            Err(e) => return Err(e.hint(SITE_HINT)),
        },
    };
    let arch = req.platform.cache_arch();
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    let _lock = lock(cache, &version, arch, req.lock_timeout, events).await?;
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    let url = download_url(&req.site_url, &version, &build);
    events.emit(Event::Note(&format!(
        "Downloading Postman CLI {version} from {url}"
    )));
    let download_dir = cache.version_dir(&version);
    let file = retry(events, || {
        download::to_file(client, &url, &download_dir, events)
    })
    .await
    .map_err(|e| e.hint(SITE_HINT))?;
    integrity::check_pinned(req.plan.sha256.as_deref(), &url, &file.sha256, events)?;
    if let Some(found) = layout::sniff_format(file.file.path())
        && found != build.format
    {
        events.emit(Event::Warning(&format!(
            "{url} is a {found}, where the task expects a {} for {}; unpacking it as what it is.",
            build.format, req.platform
        )));
    }
    let staging = staging_dir(cache, &version)?;
    extract::unpack_archive(
        file.file.path(),
        staging.path(),
        req.platform.exe_name(),
        Limits::PACKAGE,
    )
    .map_err(|source| InstallError::Extract {
        what: url.clone(),
        source,
    })?;
    let record = Record {
        origin: Origin {
            kind: OriginKind::Site,
            location: url,
        },
        integrity: Some(format!("sha256:{}", file.sha256)),
    };
    commit(req, cache, staging, version, &record)
}

/// The site's latest version, which `wanted` (`latest` or a range) must
/// take: the site lists no other.
async fn latest(
    req: &InstallRequest,
    client: &reqwest::Client,
    events: &dyn Events,
    wanted: &VersionSpec,
) -> Result<semver::Version, InstallError> {
    let url = latest_url(&req.site_url);
    let latest = fetch_latest(client, &url, events).await?;
    if !req.plan.min_release_age.is_zero() {
        events.emit(Event::Note(&format!(
            "Postman's download site publishes no release dates, so cliMinimumReleaseAge ({}) cannot hold back its latest version ({latest}); pin cliVersion to an exact version to choose when to move.",
            crate::plan::age::show_age(req.plan.min_release_age)
        )));
    }
    if !wanted.matches(&latest) {
        return Err(InstallError::RangeNotOnSite {
            wanted: wanted.to_string(),
            latest: latest.to_string(),
        });
    }
    Ok(latest)
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
