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
//!    verified (npm's `dist.integrity`, or `cliSha256`) and unpacked into a
//!    staging folder beside its final place; only then is the folder renamed
//!    into place and the `.complete` marker written. Nothing in a package
//!    runs: its `package.json` scripts (`preinstall`, `postinstall`) are
//!    files like any other, since the installer only unpacks.

pub(crate) mod cache;
pub(crate) mod download;
pub(crate) mod extract;
pub(crate) mod guard;
pub(crate) mod integrity;
pub(crate) mod npm;
pub(crate) mod platform;
pub(crate) mod site;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::azure::agent::AgentEnv;
use crate::events::{Event, Events};
use crate::http::HttpSettings;
use crate::inputs::Secret;
use crate::plan::{InstallPlan, InstallSource, VersionSpec};
use crate::process::{Cancel, ToolCommand};
use cache::{LockError, ToolCache};
use extract::ExtractError;
use integrity::Expected;
use platform::Platform;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum OriginKind {
    Registry,
    Site,
    Archive,
    Path,
}

/// Where an installed CLI came from: the kind of source and the URL or
/// path it was taken from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Origin {
    pub(crate) kind: OriginKind,
    pub(crate) location: String,
}

impl Origin {
    /// A few words for the summary: `npm registry.npmjs.org`.
    pub(crate) fn label(&self) -> String {
        let host = || {
            reqwest::Url::parse(&self.location)
                .ok()
                .and_then(|u| {
                    u.host_str()
                        .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
                })
                .unwrap_or_else(|| self.location.clone())
        };
        match self.kind {
            OriginKind::Registry => format!("npm {}", host()),
            OriginKind::Site => format!("download site {}", host()),
            OriginKind::Archive => format!(
                "archive {}",
                Path::new(&self.location)
                    .file_name()
                    .map_or(self.location.clone(), |n| n.to_string_lossy().into_owned())
            ),
            OriginKind::Path => "installed".to_owned(),
        }
    }
}

/// What is recorded beside an install in the tool cache, so a later job
/// that finds it there can still say where it came from.
#[derive(Serialize, Deserialize)]
struct Record {
    #[serde(flatten)]
    origin: Origin,
    integrity: Option<String>,
}

const RECORD: &str = ".postman-cli-task.json";

#[derive(Debug, thiserror::Error)]
pub(crate) enum InstallError {
    #[error("cannot reach {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("{url} answered {status}{}", status_hint(*status))]
    Status { url: String, status: u16 },
    /// An error, and the setting that decides what was tried.
    #[error("{source}. {hint}")]
    Context {
        source: Box<InstallError>,
        hint: String,
    },
    #[error(
        "{url} answered 404: {registry} has no {package}. A registry mirror must proxy the @postman scope from registry.npmjs.org; otherwise set npmRegistry to one that does, or installSource to postman (Postman's download site), archive or path"
    )]
    PackageMissing {
        url: String,
        registry: String,
        package: String,
    },
    #[error("{what}; nothing was downloaded. What works instead: {alternatives}.")]
    NoBuild {
        what: String,
        alternatives: &'static str,
    },
    #[error(
        "{package}@{version} is known to be malicious ({advisory}, {}); the task refuses it. Set cliVersion to another version, or to `latest` or a range, which skip it",
        guard::advisory_url(advisory)
    )]
    KnownBad {
        package: String,
        version: String,
        advisory: String,
    },
    #[error(
        "no version of {package} on {registry} that fits `{wanted}` may be installed: {reasons}. Wait, pin an exact cliVersion (exact versions are not held back by the cooldown), or set cliMinimumReleaseAge to 0"
    )]
    Refused {
        package: String,
        registry: String,
        wanted: String,
        reasons: String,
    },
    #[error("the answer from {url} is not what a {what} should be: {detail}")]
    BadAnswer {
        url: String,
        what: &'static str,
        detail: String,
    },
    #[error(
        "Postman CLI version {version} is not published as {package} on {registry}. {}",
        versions_hint(available)
    )]
    VersionNotFound {
        version: String,
        package: String,
        registry: String,
        available: Vec<String>,
    },
    #[error(
        "Postman's download site offers {latest} as its latest version, which is not in the range {wanted}; give an exact version, or install from npm, where ranges are resolved against every published version"
    )]
    RangeNotOnSite { wanted: String, latest: String },
    #[error(
        "{package}@{version} on {registry} has no sha512 or sha256 integrity, so its download cannot be verified"
    )]
    NoIntegrity {
        package: String,
        version: String,
        registry: String,
    },
    #[error(
        "{what} does not match {expectation}: expected {expected}, got {actual}. Nothing was installed; if a proxy or mirror rewrites downloads, check it"
    )]
    IntegrityMismatch {
        what: String,
        expectation: &'static str,
        expected: String,
        actual: String,
    },
    #[error("the download of {url} broke off after {received} of {total} bytes: {detail}")]
    Truncated {
        url: String,
        received: u64,
        total: String,
        detail: String,
    },
    #[error("cannot unpack {what}: {source}")]
    Extract {
        what: String,
        #[source]
        source: ExtractError,
    },
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cannot write to the tool cache at {path}: {source}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the archive {path} does not exist")]
    ArchiveMissing { path: PathBuf },
    #[error("cannot read the archive {path}: {source}")]
    ArchiveRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}")]
    NotInstalled { what: String },
    #[error("cannot tell the version of {path}: {detail}")]
    Probe { path: PathBuf, detail: String },
    #[error("{path} is Postman CLI {found}, but cliVersion asks for {wanted}")]
    WrongVersion {
        path: PathBuf,
        found: String,
        wanted: String,
    },
    #[error(
        "the installed Postman CLI is missing its executable {path}; remove {dir} and run again"
    )]
    MissingExecutable { path: PathBuf, dir: PathBuf },
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            "; the server needs credentials, or refused them (for a registry, set npmRegistryToken)"
        }
        404 => {
            "; it does not have that file (a registry mirror must proxy the @postman scope from registry.npmjs.org)"
        }
        429 => "; too many requests, try again later",
        500..=599 => "; the server had a problem, try again later",
        _ => "",
    }
}

fn versions_hint(available: &[String]) -> String {
    if available.is_empty() {
        "Set cliVersion to `latest`.".into()
    } else {
        let shown: Vec<&str> = available.iter().take(8).map(String::as_str).collect();
        format!(
            "Set cliVersion to `latest`, a range such as 1.x, or one of: {}.",
            shown.join(", ")
        )
    }
}

impl InstallError {
    /// Faults worth another try: the network and the server, not the content.
    fn retryable(&self) -> bool {
        match self {
            InstallError::Network { .. } | InstallError::Truncated { .. } => true,
            InstallError::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// Faults that say the source cannot be reached, as opposed to a source
    /// that answered something definite.
    fn unreachable(&self) -> bool {
        self.retryable()
    }

    /// Adds the setting that decides what was tried, for errors that do
    /// not already name one.
    fn hint(self, hint: impl Into<String>) -> InstallError {
        match self {
            InstallError::Network { .. }
            | InstallError::Status { .. }
            | InstallError::BadAnswer { .. }
            | InstallError::Truncated { .. } => InstallError::Context {
                source: Box::new(self),
                hint: hint.into(),
            },
            other => other,
        }
    }
}

const REGISTRY_HINT: &str = "The registry is npmRegistry (or npm_config_registry; default https://registry.npmjs.org/); installSource: postman installs from Postman's download site instead";
const SITE_HINT: &str = "Postman's download site is POSTMAN_CLI_DOWNLOAD_URL (default https://dl-cli.pstmn.io); an exact cliVersion skips the version lookup, and installSource: npm or archive avoid the site";

const ATTEMPTS: u32 = 3;

pub(crate) async fn install(
    req: &InstallRequest,
    client: &reqwest::Client,
    events: &dyn Events,
) -> Result<InstalledCli, InstallError> {
    let cache = ToolCache::new(&req.tools_dir);
    let arch = req.platform.cache_arch();
    let npm_source = matches!(req.plan.source, InstallSource::Npm { .. });
    if npm_source
        && let VersionSpec::Exact(v) = &req.plan.version
        && let Some(npm) = req.platform.build().npm
        && let Some(advisory) = guard::advisory(npm.package, v)
    {
        // Refused even from the cache: it may hold it from before the
        // advisory.
        return Err(InstallError::KnownBad {
            package: npm.package.to_owned(),
            version: v.to_string(),
            advisory: advisory.to_owned(),
        });
    }
    if !matches!(req.plan.source, InstallSource::Path { .. })
        && let VersionSpec::Exact(v) = &req.plan.version
        && let Some(dir) = cache.find(v, arch)
    {
        return found(req, v.clone(), &dir, true);
    }
    match &req.plan.source {
        InstallSource::Npm { registry, token } => {
            let registry = registry
                .clone()
                .unwrap_or_else(|| req.default_registry.clone());
            let fallback = !req.plan.source_given;
            let result = match req.platform.build().npm {
                Some(_) => {
                    install_npm(req, &cache, client, events, &registry, token.as_ref()).await
                }
                None => Err(InstallError::NoBuild {
                    what: format!(
                        "Postman publishes no npm package for {}",
                        req.platform.describe()
                    ),
                    alternatives: req.platform.alternatives(),
                }),
            };
            match result {
                Err(InstallError::PackageMissing { url, package, .. }) if fallback => {
                    events.emit(Event::Warning(&format!(
                        "{url} answered 404: the registry has no {package}. Installing from Postman's download site instead; set installSource to npm to fail instead, or npmRegistry to a registry that carries the package."
                    )));
                    install_site(req, &cache, client, events).await
                }
                Err(InstallError::NoBuild { .. })
                    if fallback && req.platform.build().site.is_some() =>
                {
                    events.emit(Event::Note(&format!(
                        "Postman publishes no npm package for {}; installing from Postman's download site.",
                        req.platform.describe()
                    )));
                    install_site(req, &cache, client, events).await
                }
                other => other,
            }
        }
        InstallSource::PostmanSite => install_site(req, &cache, client, events).await,
        InstallSource::Archive { path } => {
            install_archive(req, &cache, events, Path::new(path)).await
        }
        InstallSource::Path { path } => use_installed(req, path.as_deref()).await,
    }
}

/// Where [`install`] would take the CLI from, in words, for a dry run: the
/// same choice, the npm package or Postman's download site, said before
/// anything is fetched.
pub(crate) fn source_description(plan: &InstallPlan, platform: Option<Platform>) -> String {
    let Some(p) = platform else {
        return "no build for this platform".to_owned();
    };
    let source = match &plan.source {
        InstallSource::Npm { .. } => match (p.build().npm, plan.source_given) {
            (Some(npm), false) => format!(
                "{}, or Postman's download site if npm has none",
                npm.package
            ),
            (Some(npm), true) => npm.package.to_owned(),
            (None, false) if p.build().site.is_some() => {
                "Postman's download site; npm has no build for this platform".to_owned()
            }
            (None, _) => "no npm build for this platform".to_owned(),
        },
        InstallSource::PostmanSite => "Postman's download site".to_owned(),
        InstallSource::Archive { path } => format!("archive {path}"),
        InstallSource::Path { path } => path.clone().unwrap_or_else(|| "postman on PATH".into()),
    };
    let held_back = match plan.version {
        VersionSpec::Exact(_) => String::new(),
        _ if plan.min_release_age.is_zero() => String::new(),
        _ => format!(
            ", published at least {} ago",
            crate::plan::age::show_age(plan.min_release_age)
        ),
    };
    format!("{}{held_back} ({source})", plan.version)
}

/// Installs (or finds) the Postman CLI as `plan` says, with the network
/// settings and knobs the environment gives. Shared by the task, `run` and
/// `install`; `base` is where a relative `cliArchive` or `cliPath` starts.
pub(crate) async fn install_with(
    env: &AgentEnv,
    tools_dir: &std::path::Path,
    plan: &InstallPlan,
    events: &dyn Events,
    base: &std::path::Path,
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
    let client = settings.client().map_err(|e| e.to_string())?;
    install(&request, &client, events)
        .await
        .map_err(|e| e.to_string())
}

/// The newest cached version that fits the request, for when the source
/// cannot be reached.
fn cached_fallback(
    req: &InstallRequest,
    cache: &ToolCache,
    events: &dyn Events,
    error: &InstallError,
) -> Option<InstalledCli> {
    let arch = req.platform.cache_arch();
    let npm_package = req.platform.build().npm.map(|n| n.package);
    let version = cache
        .versions(arch)
        .into_iter()
        .filter(|v| req.plan.version.matches(v))
        .filter(|v| npm_package.is_none_or(|p| guard::advisory(p, v).is_none()))
        .max()?;
    let dir = cache.find(&version, arch)?;
    events.emit(Event::Warning(&format!(
        "{error}. Using Postman CLI {version} from the tool cache instead of resolving `{}`.",
        req.plan.version
    )));
    found(req, version, &dir, true).ok()
}

async fn install_npm(
    req: &InstallRequest,
    cache: &ToolCache,
    client: &reqwest::Client,
    events: &dyn Events,
    registry: &str,
    token: Option<&Secret>,
) -> Result<InstalledCli, InstallError> {
    let arch = req.platform.cache_arch();
    let package = req
        .platform
        .build()
        .npm
        .map(|n| n.package)
        .unwrap_or_default();
    let url = npm::packument_url(registry, package);
    let auth = npm::Auth::new(registry, token);
    // The cooldown needs publish times, which only the full document has.
    let cooling =
        !req.plan.min_release_age.is_zero() && !matches!(req.plan.version, VersionSpec::Exact(_));
    let packument = match retry(events, || {
        npm::fetch_packument(client, &url, &auth, cooling)
    })
    .await
    {
        Ok(p) => p,
        Err(InstallError::Status { status: 404, .. }) => {
            return Err(InstallError::PackageMissing {
                url,
                registry: registry.to_owned(),
                package: package.to_owned(),
            });
        }
        Err(e) if e.unreachable() => {
            return cached_fallback(req, cache, events, &e).ok_or_else(|| e.hint(REGISTRY_HINT));
        }
        Err(e) => return Err(e.hint(REGISTRY_HINT)),
    };
    let mut policy = guard::Policy {
        package,
        min_age: req.plan.min_release_age,
        now: chrono::Utc::now(),
    };
    if cooling && !npm::has_times(&packument) {
        events.emit(Event::Warning(&format!(
            "{url} gave no publish times, so cliMinimumReleaseAge ({}) cannot hold back new versions; resolving `{}` without it. Pin cliVersion to an exact version to choose what runs.",
            crate::plan::age::show_age(policy.min_age),
            req.plan.version
        )));
        policy.min_age = Duration::ZERO;
    }
    let selected = npm::select(&packument, &req.plan.version, &policy).map_err(|e| match e {
        npm::NotSelected::Missing(available) => InstallError::VersionNotFound {
            version: req.plan.version.to_string(),
            package: package.to_owned(),
            registry: registry.to_owned(),
            available,
        },
        npm::NotSelected::KnownBad { version, advisory } => InstallError::KnownBad {
            package: package.to_owned(),
            version,
            advisory,
        },
        npm::NotSelected::Refused(skipped) => InstallError::Refused {
            package: package.to_owned(),
            registry: registry.to_owned(),
            wanted: req.plan.version.to_string(),
            reasons: skipped
                .iter()
                .map(|s| s.describe(policy.min_age))
                .collect::<Vec<_>>()
                .join("; "),
        },
    })?;
    let (version, dist) = (selected.version, selected.dist);
    for skipped in &selected.skipped {
        let text = format!(
            "Passing over {package} {}; using {version}.",
            skipped.describe(policy.min_age)
        );
        // A known-bad version is news; a version still cooling down is the
        // cooldown doing its job.
        match skipped {
            guard::Skipped::KnownBad { .. } => events.emit(Event::Warning(&text)),
            _ => events.emit(Event::Note(&text)),
        }
    }
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    let expected = Expected::from_sri(dist.integrity.as_deref().unwrap_or(""));
    if expected == Expected::None {
        return Err(InstallError::NoIntegrity {
            package: package.to_owned(),
            version: version.to_string(),
            registry: registry.to_owned(),
        });
    }
    let _lock = lock(cache, &version, arch, req.lock_timeout, events).await?;
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    events.emit(Event::Note(&format!(
        "Downloading Postman CLI {version} ({package}) from {}",
        dist.tarball
    )));
    let staging = retry(events, || async {
        let staging = staging_dir(cache, &version)?;
        download::stream_tgz(
            client,
            &dist.tarball,
            auth.for_url(&dist.tarball),
            &expected,
            staging.path(),
            events,
        )
        .await?;
        Ok(staging)
    })
    .await
    .map_err(|e| {
        e.hint("The tarball's URL comes from the registry's package document (npmRegistry)")
    })?;
    let record = Record {
        origin: Origin {
            kind: OriginKind::Registry,
            location: dist.tarball.clone(),
        },
        integrity: Some(expected.display()),
    };
    commit(req, cache, staging, version, &record)
}

async fn install_site(
    req: &InstallRequest,
    cache: &ToolCache,
    client: &reqwest::Client,
    events: &dyn Events,
) -> Result<InstalledCli, InstallError> {
    let arch = req.platform.cache_arch();
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
        wanted => {
            let url = site::latest_url(&req.site_url);
            let latest = match retry(events, || site::fetch_latest(client, &url)).await {
                Ok(v) => v,
                Err(e) if e.unreachable() => {
                    return cached_fallback(req, cache, events, &e)
                        .ok_or_else(|| e.hint(SITE_HINT));
                }
                Err(e) => return Err(e.hint(SITE_HINT)),
            };
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
            latest
        }
    };
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    let _lock = lock(cache, &version, arch, req.lock_timeout, events).await?;
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    let url = site::download_url(&req.site_url, &version, &build);
    events.emit(Event::Note(&format!(
        "Downloading Postman CLI {version} from {url}"
    )));
    let download_dir = cache.version_dir(&version);
    let file = retry(events, || {
        download::to_file(client, &url, &download_dir, events)
    })
    .await
    .map_err(|e| e.hint(SITE_HINT))?;
    check_sha256(req, events, &url, &file.sha256)?;
    if let Some(found) = extract::sniff_format(file.file.path())
        && found != build.format
    {
        events.emit(Event::Warning(&format!(
            "{url} is a {found}, where the task expects a {} for {}; unpacking it as what it is.",
            build.format, req.platform
        )));
    }
    let staging = staging_dir(cache, &version)?;
    extract::unpack_archive(file.file.path(), staging.path(), req.platform.exe_name()).map_err(
        |source| InstallError::Extract {
            what: url.clone(),
            source,
        },
    )?;
    let record = Record {
        origin: Origin {
            kind: OriginKind::Site,
            location: url,
        },
        integrity: Some(format!("sha256:{}", file.sha256)),
    };
    commit(req, cache, staging, version, &record)
}

async fn install_archive(
    req: &InstallRequest,
    cache: &ToolCache,
    events: &dyn Events,
    path: &Path,
) -> Result<InstalledCli, InstallError> {
    if !path.is_file() {
        return Err(InstallError::ArchiveMissing {
            path: path.to_path_buf(),
        });
    }
    let sha256 = download::sha256_file(path).map_err(|source| InstallError::ArchiveRead {
        path: path.to_path_buf(),
        source,
    })?;
    check_sha256(req, events, &path.display().to_string(), &sha256)?;
    // The version is inside the archive, so it is unpacked first, into a
    // staging folder beside the versions.
    let staging = cache
        .staging_dir_at_root()
        .map_err(|source| InstallError::Cache {
            path: req.tools_dir.clone(),
            source,
        })?;
    extract::unpack_archive(path, staging.path(), req.platform.exe_name()).map_err(|source| {
        InstallError::Extract {
            what: path.display().to_string(),
            source,
        }
    })?;
    let exe = staging.path().join("bin").join(req.platform.exe_name());
    let version = match (extract::package_version(staging.path()), &req.plan.version) {
        (Some(v), _) => v,
        // Another platform's CLI cannot be asked; an exact cliVersion says.
        (None, VersionSpec::Exact(v)) if req.foreign() => v.clone(),
        (None, _) => probe_version(req, &exe).await?,
    };
    if let Some(name) = extract::package_name(staging.path())
        && let Some(advisory) = guard::advisory(&name, &version)
    {
        return Err(InstallError::KnownBad {
            package: name,
            version: version.to_string(),
            advisory: advisory.to_owned(),
        });
    }
    if !req.plan.version.matches(&version) {
        return Err(InstallError::WrongVersion {
            path: path.to_path_buf(),
            found: version.to_string(),
            wanted: req.plan.version.to_string(),
        });
    }
    let arch = req.platform.cache_arch();
    let _lock = lock(cache, &version, arch, req.lock_timeout, events).await?;
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    events.emit(Event::Note(&format!(
        "Installing Postman CLI {version} from {}",
        path.display()
    )));
    let record = Record {
        origin: Origin {
            kind: OriginKind::Archive,
            location: path.display().to_string(),
        },
        integrity: Some(format!("sha256:{sha256}")),
    };
    commit(req, cache, staging, version, &record)
}

async fn use_installed(
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
    let exe = match given {
        Some(p) => {
            let path = PathBuf::from(p);
            if !path.is_file() {
                return Err(InstallError::NotInstalled {
                    what: format!(
                        "cliPath `{p}` is not a file; give the path of the `postman` executable"
                    ),
                });
            }
            path
        }
        None => {
            let path = req
                .probe_env
                .get(std::ffi::OsStr::new("PATH"))
                .cloned()
                .unwrap_or_default();
            which::which_in(req.platform.exe_name(), Some(path), std::env::current_dir().unwrap_or_default()).map_err(|_| InstallError::NotInstalled {
                what: "installSource is `path`, but no `postman` is on PATH; install the Postman CLI on the agent or set cliPath".into(),
            })?
        }
    };
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

fn check_sha256(
    req: &InstallRequest,
    events: &dyn Events,
    what: &str,
    actual: &str,
) -> Result<(), InstallError> {
    match &req.plan.sha256 {
        Some(expected) if expected != actual => Err(InstallError::IntegrityMismatch {
            what: what.to_owned(),
            expectation: "cliSha256",
            expected: expected.clone(),
            actual: actual.to_owned(),
        }),
        Some(_) => Ok(()),
        None => {
            events.emit(Event::Note(&format!(
                "SHA-256 of {what}: {actual} (set cliSha256 to this to pin it)"
            )));
            Ok(())
        }
    }
}

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
async fn probe_version(req: &InstallRequest, exe: &Path) -> Result<semver::Version, InstallError> {
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

async fn lock(
    cache: &ToolCache,
    version: &semver::Version,
    arch: &'static str,
    timeout: Duration,
    events: &dyn Events,
) -> Result<cache::InstallLock, InstallError> {
    let (waiting, mut waits) = tokio::sync::oneshot::channel::<()>();
    let (cache, version) = (cache.clone(), version.clone());
    let shown = version.clone();
    let locking = tokio::task::spawn_blocking(move || {
        let lock = cache.lock(&version, arch, timeout, || {
            let _ = waiting.send(());
        })?;
        // Whoever held the lock before us is gone: any staging folder left
        // is from an install that was killed.
        cache.remove_stale_staging(&version);
        Ok::<_, LockError>(lock)
    });
    tokio::pin!(locking);
    let mut told = false;
    let lock = loop {
        // The wait is told before the lock is taken: a job that waited, even
        // briefly, says so.
        tokio::select! {
            biased;
            Ok(()) = &mut waits, if !told => {
                told = true;
                events.emit(Event::Note(&format!(
                    "Waiting for another job that is installing Postman CLI {shown} into the same tool cache…"
                )));
            }
            locked = &mut locking => break locked.expect("lock task panicked")?,
        }
    };
    Ok(lock)
}

/// A fresh staging folder for `version`, beside its final place.
fn staging_dir(
    cache: &ToolCache,
    version: &semver::Version,
) -> Result<tempfile::TempDir, InstallError> {
    cache
        .staging_dir(version)
        .map_err(|source| InstallError::Cache {
            path: cache.version_dir(version),
            source,
        })
}

fn commit(
    req: &InstallRequest,
    cache: &ToolCache,
    staging: tempfile::TempDir,
    version: semver::Version,
    record: &Record,
) -> Result<InstalledCli, InstallError> {
    let arch = req.platform.cache_arch();
    let record_path = staging.path().join(RECORD);
    let text = serde_json::to_vec_pretty(record).unwrap_or_default();
    std::fs::write(&record_path, text).map_err(|source| InstallError::Cache {
        path: record_path,
        source,
    })?;
    let dir = cache
        .commit(staging, &version, arch)
        .map_err(|source| InstallError::Cache {
            path: cache.arch_dir(&version, arch),
            source,
        })?;
    found(req, version, &dir, false)
}

fn found(
    req: &InstallRequest,
    version: semver::Version,
    dir: &Path,
    from_cache: bool,
) -> Result<InstalledCli, InstallError> {
    let executable = dir.join("bin").join(req.platform.exe_name());
    if !executable.is_file() {
        let other = if req.platform.exe_name() == "postman" {
            "postman.exe"
        } else {
            "postman"
        };
        if dir.join("bin").join(other).is_file() {
            // A tool cache shared between this machine and `--platform`.
            return Err(InstallError::NotInstalled {
                what: format!(
                    "{} holds a Postman CLI for another operating system than {}; prepare CLIs for other platforms in a tool cache of their own (AGENT_TOOLSDIRECTORY)",
                    dir.display(),
                    req.platform
                ),
            });
        }
        return Err(InstallError::MissingExecutable {
            path: executable,
            dir: dir.to_path_buf(),
        });
    }
    let record: Option<Record> = std::fs::read(dir.join(RECORD))
        .ok()
        .and_then(|text| serde_json::from_slice(&text).ok());
    let (origin, integrity) = match record {
        Some(r) => (Some(r.origin), r.integrity),
        None => (None, None),
    };
    Ok(InstalledCli {
        version,
        executable,
        from_cache,
        origin,
        integrity,
    })
}

/// Runs `attempt` up to three times while it fails in a way worth retrying,
/// waiting 1 s, then 2 s.
async fn retry<T, F, Fut>(events: &dyn Events, mut attempt: F) -> Result<T, InstallError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, InstallError>>,
{
    let mut n = 1;
    loop {
        match attempt().await {
            Err(e) if e.retryable() && n < ATTEMPTS => {
                let wait = Duration::from_secs(1 << (n - 1));
                events.emit(Event::Warning(&format!(
                    "{e}; trying again in {} s (attempt {} of {ATTEMPTS})",
                    wait.as_secs(),
                    n + 1
                )));
                tokio::time::sleep(wait).await;
                n += 1;
            }
            other => return other,
        }
    }
}

/// Sends a request; no answer, or an answer that is not a success, becomes
/// the install error for `url`. Every request the installer makes goes
/// through here.
async fn send(
    request: reqwest::RequestBuilder,
    url: &str,
) -> Result<reqwest::Response, InstallError> {
    let resp = request.send().await.map_err(|e| network(url, &e))?;
    if !resp.status().is_success() {
        return Err(InstallError::Status {
            url: url.to_owned(),
            status: resp.status().as_u16(),
        });
    }
    Ok(resp)
}

/// GETs a JSON document: a registry's package document, the download
/// site's version document.
async fn get_json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    url: &str,
    what: &'static str,
) -> Result<T, InstallError> {
    let body = send(request, url)
        .await?
        .bytes()
        .await
        .map_err(|e| network(url, &e))?;
    serde_json::from_slice(&body).map_err(|e| bad_answer(url, what, e.to_string()))
}

fn bad_answer(url: &str, what: &'static str, detail: String) -> InstallError {
    InstallError::BadAnswer {
        url: url.to_owned(),
        what,
        detail,
    }
}

fn network(url: &str, e: &reqwest::Error) -> InstallError {
    let detail = if e.is_timeout() {
        format!(
            "no answer in time ({}); raise the limit with POSTMAN_CLI_TASK_READ_TIMEOUT or POSTMAN_CLI_TASK_CONNECT_TIMEOUT (seconds)",
            error_chain(e)
        )
    } else {
        error_chain(e)
    };
    InstallError::Network {
        url: url.to_owned(),
        detail,
    }
}

/// reqwest's top-level message is generic ("error sending request"); the
/// causes underneath say what happened.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
