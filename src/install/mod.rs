//! Installs the Postman CLI into the tool cache, or finds it there.
//!
//! Four sources (`installSource`): the npm registry or a mirror (the
//! default), Postman's download site, a local archive, or a `postman`
//! already installed. For every source but the last:
//!
//! 1. An exact version already in the cache is used with no network at all.
//! 2. Otherwise the source says which version `latest` or a range means;
//!    if it cannot be reached, the newest cached version that fits is used,
//!    with a warning.
//! 3. Under the version's install lock, the package is downloaded and
//!    verified (npm's `dist.integrity`, or `cliSha256`) and unpacked into a
//!    staging folder beside its final place; only then is the folder renamed
//!    into place and the `.complete` marker written.

pub(crate) mod cache;
pub(crate) mod download;
pub(crate) mod extract;
pub(crate) mod integrity;
pub(crate) mod npm;
pub(crate) mod platform;
pub(crate) mod site;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

#[derive(Clone, Debug)]
pub(crate) struct InstalledCli {
    pub(crate) version: semver::Version,
    pub(crate) executable: PathBuf,
    /// False when this call downloaded or unpacked it.
    pub(crate) from_cache: bool,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum InstallError {
    #[error("cannot reach {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("{url} answered {status}{}", status_hint(*status))]
    Status { url: String, status: u16 },
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
}

const ATTEMPTS: u32 = 3;

pub(crate) async fn install(
    req: &InstallRequest,
    client: &reqwest::Client,
    events: &dyn Events,
) -> Result<InstalledCli, InstallError> {
    let cache = ToolCache::new(&req.tools_dir);
    let arch = req.platform.cache_arch();
    if !matches!(req.plan.source, InstallSource::Path { .. })
        && let VersionSpec::Exact(v) = &req.plan.version
        && let Some(dir) = cache.find(v, arch)
    {
        return found(req, v.clone(), &dir, true);
    }
    match &req.plan.source {
        InstallSource::Npm { registry: None, .. } if !req.platform.on_npm() => {
            events.emit(Event::Note(&format!(
                "The npm registry has no Postman CLI package for {}; installing from Postman's download site (installSource: postman).",
                req.platform
            )));
            install_site(req, &cache, client, events).await
        }
        InstallSource::Npm { registry, token } => {
            let registry = registry
                .clone()
                .unwrap_or_else(|| req.default_registry.clone());
            install_npm(req, &cache, client, events, &registry, token.as_ref()).await
        }
        InstallSource::PostmanSite => install_site(req, &cache, client, events).await,
        InstallSource::Archive { path } => {
            install_archive(req, &cache, events, Path::new(path)).await
        }
        InstallSource::Path { path } => use_installed(req, path.as_deref()).await,
    }
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
) -> Result<InstalledCli, String> {
    let platform = Platform::current().ok_or_else(|| {
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
    let version = cache
        .versions(arch)
        .into_iter()
        .filter(|v| req.plan.version.matches(v))
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
    let package = req.platform.npm_package();
    let url = npm::packument_url(registry, &package);
    let auth = npm::Auth::new(registry, token);
    let packument = match retry(events, || npm::fetch_packument(client, &url, &auth)).await {
        Ok(p) => p,
        Err(e) if e.unreachable() => return cached_fallback(req, cache, events, &e).ok_or(e),
        Err(e) => return Err(e),
    };
    let (version, dist) = npm::select(&packument, &req.plan.version).map_err(|available| {
        InstallError::VersionNotFound {
            version: req.plan.version.to_string(),
            package: package.clone(),
            registry: registry.to_owned(),
            available,
        }
    })?;
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }
    let expected = Expected::from_sri(dist.integrity.as_deref().unwrap_or(""));
    if expected == Expected::None {
        return Err(InstallError::NoIntegrity {
            package,
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
    .await?;
    commit(req, cache, staging, version)
}

async fn install_site(
    req: &InstallRequest,
    cache: &ToolCache,
    client: &reqwest::Client,
    events: &dyn Events,
) -> Result<InstalledCli, InstallError> {
    let arch = req.platform.cache_arch();
    let version = match &req.plan.version {
        VersionSpec::Exact(v) => v.clone(),
        wanted => {
            let url = site::latest_url(&req.site_url);
            let latest = match retry(events, || site::fetch_latest(client, &url)).await {
                Ok(v) => v,
                Err(e) if e.unreachable() => {
                    return cached_fallback(req, cache, events, &e).ok_or(e);
                }
                Err(e) => return Err(e),
            };
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
    let url = site::download_url(&req.site_url, &version, req.platform);
    events.emit(Event::Note(&format!(
        "Downloading Postman CLI {version} from {url}"
    )));
    let download_dir = cache.version_dir(&version);
    let file = retry(events, || {
        download::to_file(client, &url, &download_dir, events)
    })
    .await?;
    check_sha256(req, events, &url, &file.sha256)?;
    let staging = staging_dir(cache, &version)?;
    extract::unpack_archive(file.file.path(), staging.path(), req.platform.exe_name()).map_err(
        |source| InstallError::Extract {
            what: url.clone(),
            source,
        },
    )?;
    commit(req, cache, staging, version)
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
    let version = match extract::package_version(staging.path()) {
        Some(v) => v,
        None => probe_version(req, &exe).await?,
    };
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
    commit(req, cache, staging, version)
}

async fn use_installed(
    req: &InstallRequest,
    given: Option<&str>,
) -> Result<InstalledCli, InstallError> {
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
    Ok(InstalledCli {
        version,
        executable: exe,
        from_cache: true,
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
        tokio::select! {
            locked = &mut locking => break locked.expect("lock task panicked")?,
            Ok(()) = &mut waits, if !told => {
                told = true;
                events.emit(Event::Note(&format!(
                    "Waiting for another job that is installing Postman CLI {shown} into the same tool cache…"
                )));
            }
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
) -> Result<InstalledCli, InstallError> {
    let arch = req.platform.cache_arch();
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
        return Err(InstallError::MissingExecutable {
            path: executable,
            dir: dir.to_path_buf(),
        });
    }
    Ok(InstalledCli {
        version,
        executable,
        from_cache,
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
