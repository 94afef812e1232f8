//! Installs the Postman CLI into the tool cache, or finds it there.
//!
//! Four sources (`installSource`): the npm registry or a mirror (the
//! default, `auto`, turns to Postman's download site when the registry has
//! no package for the platform), Postman's download site, a local archive,
//! or a `postman` already installed. For every source but the last:
//!
//! 1. An exact version already in the cache is used with no network at all
//!    (unless it is known-bad, see [`guard`]).
//! 2. Otherwise the source says which version `latest` or a range means,
//!    through the supply-chain guard (known-bad versions, the cooldown);
//!    if it cannot be reached, the newest cached version that fits is used,
//!    with a warning.
//! 3. Under the version's install lock, the package is downloaded and
//!    verified (npm's `dist.integrity`, or `cliSha256`) and unpacked, within
//!    caps on what it may unpack to, into a staging folder beside its final
//!    place; only then is the folder renamed into place and the `.complete`
//!    marker written. Nothing in a package runs: its `package.json` scripts
//!    (`preinstall`, `postinstall`) are files like any other, since the
//!    installer only unpacks.
//!
//! This file is the dispatcher: [`route`] chooses the source, and each
//! source is a module (`npm`, `site`, `archive`, `path`) that returns what
//! it installed or found. Every request goes out through the shared HTTP
//! door, `crate::http::fetch`.

pub(crate) mod archive;
pub(crate) mod cache;
pub(crate) mod cli_env;
pub(crate) mod commit;
pub(crate) mod download;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod guard;
pub(crate) mod integrity;
pub(crate) mod npm;
pub(crate) mod path;
pub(crate) mod platform;
pub(crate) mod record;
pub(crate) mod route;
pub(crate) mod site;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::azure::agent::AgentEnv;
use crate::events::{Event, Events};
use crate::http::HttpSettings;
use crate::plan::{InstallPlan, InstallSource, VersionSpec};
use cache::ToolCache;
use error::InstallError;
use platform::Platform;
use route::Route;

pub(crate) use cli_env::cli_env;
pub(crate) use record::{Origin, OriginKind};
pub(crate) use route::describe as source_description;

/// What to install, and where.
#[derive(Clone, Debug)]
pub(crate) struct InstallRequest {
    pub(crate) plan: InstallPlan,
    pub(crate) tools_dir: PathBuf,
    pub(crate) platform: Platform,
    pub(crate) lock_timeout: Duration,
    /// The registry when the plan names none (`npm_config_registry`, or
    /// registry.npmjs.org).
    pub(crate) default_registry: String,
    /// Postman's download site (`POSTMAN_CLI_DOWNLOAD_URL` overrides it).
    pub(crate) site_url: String,
    /// The environment for running `postman --version` on a binary whose
    /// version is not otherwise known.
    pub(crate) probe_env: BTreeMap<OsString, OsString>,
}

impl InstallRequest {
    /// Whether the CLI is for another platform than this machine's
    /// (`postman-cli-task install --platform`): it is unpacked, never run.
    fn foreign(&self) -> bool {
        Platform::current() != Some(self.platform)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct InstalledCli {
    pub(crate) version: semver::Version,
    /// `bin/postman[.exe]` inside the install folder (the package as
    /// unpacked, with its `package.json`), or, for `installSource: path`,
    /// wherever it is.
    pub(crate) executable: PathBuf,
    /// False when this call downloaded or unpacked it.
    pub(crate) from_cache: bool,
    /// Where it came from; `None` for a cached install older than the
    /// record.
    pub(crate) origin: Option<Origin>,
    /// The digest it was verified against or had: npm's SRI string
    /// (`sha512-…`), or `sha256:<hex>` of a download or archive (or, for
    /// `installSource: path`, of the executable).
    pub(crate) integrity: Option<String>,
}

/// An exact version already in the tool cache: found there, with no
/// network at all (not even the HTTP client, whose set-up reads the
/// system's CA store); or refused, when it is a known-bad npm version.
/// `None` when the install needs more than the cache.
fn cached_exact(req: &InstallRequest) -> Option<Result<InstalledCli, InstallError>> {
    let VersionSpec::Exact(v) = &req.plan.version else {
        return None;
    };
    let route = route::route(&req.plan, req.platform);
    if let Route::Npm { package, .. } = route
        && let Some(advisory) = guard::advisory(package, v)
    {
        // Refused even from the cache: it may hold it from before the
        // advisory.
        return Some(Err(InstallError::KnownBad {
            package: package.to_owned(),
            version: v.to_string(),
            advisory: advisory.to_owned(),
        }));
    }
    if matches!(route, Route::Path(_)) {
        return None;
    }
    let dir = ToolCache::new(&req.tools_dir).find(v, req.platform.cache_arch())?;
    Some(commit::found(req, v.clone(), &dir, true))
}

pub(crate) async fn install(
    req: &InstallRequest,
    client: &reqwest::Client,
    events: &dyn Events,
) -> Result<InstalledCli, InstallError> {
    if let Some(cached) = cached_exact(req) {
        return cached;
    }
    let cache = ToolCache::new(&req.tools_dir);
    let route = route::route(&req.plan, req.platform);
    match route {
        Route::Npm { or_site, .. } => {
            let (registry, token) = match &req.plan.source {
                InstallSource::Npm { registry, token } => (registry.as_deref(), token.as_ref()),
                _ => (None, None),
            };
            let registry = registry.unwrap_or(&req.default_registry);
            match npm::install(req, &cache, client, events, registry, token).await {
                Err(InstallError::PackageMissing { url, package, .. }) if or_site => {
                    events.emit(Event::Warning(&format!(
                        "{url} answered 404: the registry has no {package}. Installing from Postman's download site instead; set installSource to npm to fail instead, or npmRegistry to a registry that carries the package."
                    )));
                    site::install(req, &cache, client, events).await
                }
                other => other,
            }
        }
        Route::SiteForNpm => {
            events.emit(Event::Note(&format!(
                "Postman publishes no npm package for {}; installing from Postman's download site.",
                req.platform.describe()
            )));
            site::install(req, &cache, client, events).await
        }
        Route::NoNpmBuild => Err(InstallError::NoBuild {
            what: format!(
                "Postman publishes no npm package for {}",
                req.platform.describe()
            ),
            alternatives: req.platform.alternatives(),
        }),
        Route::Site => site::install(req, &cache, client, events).await,
        Route::Archive(path) => archive::install(req, &cache, events, Path::new(path)).await,
        Route::Path(given) => path::install(req, given).await,
    }
}

/// Installs (or finds) the Postman CLI as `plan` says, with the network
/// settings and knobs the environment gives. Shared by the task, `run` and
/// `install`; `base` is where a relative `cliArchive` or `cliPath` starts.
pub(crate) async fn install_with(
    env: &AgentEnv,
    tools_dir: &Path,
    plan: &InstallPlan,
    events: &dyn Events,
    base: &Path,
    // Another agent's platform (`install --platform`); this machine's if `None`.
    platform: Option<Platform>,
) -> Result<InstalledCli, String> {
    let platform = platform.or_else(Platform::current).ok_or_else(|| {
        format!(
            "the Postman CLI has no build for this platform ({}-{})",
            std::env::consts::OS,
            std::env::consts::ARCH
        )
    })?;
    let mut plan = plan.clone();
    match &mut plan.source {
        InstallSource::Archive { path } => *path = base.join(&*path).display().to_string(),
        InstallSource::Path { path: Some(path) } => *path = base.join(&*path).display().to_string(),
        _ => {}
    }
    let knobs = crate::knobs::Knobs::from_env(env);
    let settings = HttpSettings::from_env(env);
    let request = InstallRequest {
        plan,
        tools_dir: tools_dir.to_path_buf(),
        platform,
        lock_timeout: knobs.lock_timeout,
        default_registry: knobs.npm_registry,
        site_url: knobs.download_site,
        probe_env: settings.child_env(env.child_env()),
    };
    if let Some(cached) = cached_exact(&request) {
        return cached.map_err(|e| e.to_string());
    }
    let client = settings.client().map_err(|e| e.to_string())?;
    install(&request, &client, events)
        .await
        .map_err(|e| e.to_string())
}
