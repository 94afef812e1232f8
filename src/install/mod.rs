//! Installs the Postman CLI into the tool cache, or finds it there.
//!
//! 1. An exact version already in the cache is used with no network at all.
//! 2. Otherwise the registry says which version `latest` is and where its
//!    tarball is, with its `dist.integrity`.
//! 3. Under the version's install lock, the tarball streams through the
//!    hasher and the unpacker into a staging folder beside its final place;
//!    only when the digest matches is the folder renamed into place and the
//!    `.complete` marker written.

pub mod cache;
pub mod extract;
pub mod integrity;
pub mod npm;
pub mod platform;

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::console::Console;
use crate::plan::VersionSpec;
use cache::{LockError, ToolCache};
use extract::ExtractError;
use integrity::Expected;
use platform::Platform;

pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org/";

/// What to install, and from where.
#[derive(Clone, Debug)]
pub struct InstallRequest {
    pub version: VersionSpec,
    pub registry: String,
    pub tools_dir: PathBuf,
    pub platform: Platform,
    pub lock_timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct InstalledCli {
    pub version: semver::Version,
    pub executable: PathBuf,
    /// False when this call downloaded it.
    pub from_cache: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("cannot reach the npm registry at {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("the npm registry answered {status} for {url}{}", registry_hint(*status))]
    Status { url: String, status: u16 },
    #[error("the npm registry's answer for {url} is not a package document: {detail}")]
    BadPackument { url: String, detail: String },
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
        "{package}@{version} on {registry} has no sha512 or sha256 integrity, so its download cannot be verified"
    )]
    NoIntegrity {
        package: String,
        version: String,
        registry: String,
    },
    #[error(
        "the download of {url} does not match its published integrity: expected {expected}, got {actual}. The file was not installed; if a proxy or mirror rewrites downloads, check its cache"
    )]
    IntegrityMismatch {
        url: String,
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
    #[error("cannot unpack {url}: {source}")]
    Extract {
        url: String,
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
    #[error(
        "the installed Postman CLI is missing its executable {path}; remove {dir} and run again"
    )]
    MissingExecutable { path: PathBuf, dir: PathBuf },
}

fn registry_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => "; the registry needs credentials or refused them",
        404 => {
            "; the package is not on this registry (a mirror must proxy the @postman scope from registry.npmjs.org)"
        }
        500..=599 => "; the registry had a problem, try again later",
        _ => "",
    }
}

fn versions_hint(available: &[String]) -> String {
    if available.is_empty() {
        "Set cliVersion to `latest`.".into()
    } else {
        let shown: Vec<&str> = available.iter().take(8).map(String::as_str).collect();
        format!(
            "Set cliVersion to `latest` or one of: {}.",
            shown.join(", ")
        )
    }
}

impl InstallError {
    /// Faults worth a second try: the network and the server, not the
    /// content.
    fn retryable(&self) -> bool {
        match self {
            InstallError::Network { .. } | InstallError::Truncated { .. } => true,
            InstallError::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

const ATTEMPTS: u32 = 3;

pub async fn install(
    req: &InstallRequest,
    client: &reqwest::Client,
    console: &Console,
) -> Result<InstalledCli, InstallError> {
    let cache = ToolCache::new(&req.tools_dir);
    let arch = req.platform.cache_arch();

    if let VersionSpec::Exact(v) = &req.version
        && let Some(dir) = cache.find(v, arch)
    {
        return found(req, v.clone(), &dir, true);
    }

    let package = req.platform.npm_package();
    let url = npm::packument_url(&req.registry, &package);
    let packument: npm::Packument = retry(console, || fetch_packument(client, &url)).await?;
    let (version, dist) = npm::select(&packument, &req.version).map_err(|available| {
        InstallError::VersionNotFound {
            version: req.version.to_string(),
            package: package.clone(),
            registry: req.registry.clone(),
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
            registry: req.registry.clone(),
        });
    }

    let lock_version = version.clone();
    let lock_cache = cache.clone();
    let waiting = console.clone();
    let timeout = req.lock_timeout;
    let _lock = tokio::task::spawn_blocking(move || {
        lock_cache.lock(&lock_version, arch, timeout, || {
            waiting.info(&format!(
                "Waiting for another job that is installing Postman CLI {lock_version} into the same tool cache…"
            ))
        })
    })
    .await
    .expect("lock task panicked")?;
    // The job we waited for may have installed it.
    if let Some(dir) = cache.find(&version, arch) {
        return found(req, version, &dir, true);
    }

    console.info(&format!(
        "Downloading Postman CLI {version} ({package}) from {}",
        dist.tarball
    ));
    let staging = retry(console, || async {
        let staging = cache
            .staging_dir(&version)
            .map_err(|source| InstallError::Cache {
                path: cache.version_dir(&version),
                source,
            })?;
        download_and_unpack(client, &dist.tarball, &expected, staging.path(), console).await?;
        Ok(staging)
    })
    .await?;
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

async fn retry<T, F, Fut>(console: &Console, mut attempt: F) -> Result<T, InstallError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, InstallError>>,
{
    let mut n = 1;
    loop {
        match attempt().await {
            Err(e) if e.retryable() && n < ATTEMPTS => {
                let wait = Duration::from_secs(1 << (n - 1));
                console.warning(&format!(
                    "{e}; trying again in {} s (attempt {} of {ATTEMPTS})",
                    wait.as_secs(),
                    n + 1
                ));
                tokio::time::sleep(wait).await;
                n += 1;
            }
            other => return other,
        }
    }
}

fn network(url: &str, e: &reqwest::Error) -> InstallError {
    InstallError::Network {
        url: url.to_owned(),
        detail: error_chain(e),
    }
}

/// reqwest's top-level message is generic ("error sending request"); the
/// cause underneath says what happened.
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

async fn fetch_packument(
    client: &reqwest::Client,
    url: &str,
) -> Result<npm::Packument, InstallError> {
    let resp = client
        .get(url)
        .header(
            reqwest::header::ACCEPT,
            "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8",
        )
        .send()
        .await
        .map_err(|e| network(url, &e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(InstallError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
        });
    }
    let body = resp.bytes().await.map_err(|e| network(url, &e))?;
    serde_json::from_slice(&body).map_err(|e| InstallError::BadPackument {
        url: url.to_owned(),
        detail: e.to_string(),
    })
}

/// Streams the tarball through the hasher into the unpacker (on a blocking
/// thread), then compares digests. The staging folder is the caller's to
/// discard on error.
async fn download_and_unpack(
    client: &reqwest::Client,
    url: &str,
    expected: &Expected,
    staging: &Path,
    console: &Console,
) -> Result<u64, InstallError> {
    let mut resp = client.get(url).send().await.map_err(|e| network(url, &e))?;
    if !resp.status().is_success() {
        return Err(InstallError::Status {
            url: url.to_owned(),
            status: resp.status().as_u16(),
        });
    }
    let total = resp.content_length();
    let (tx, rx) = mpsc::channel::<bytes::Bytes>(32);
    let dest = staging.to_path_buf();
    let unpacker =
        tokio::task::spawn_blocking(move || extract::unpack_tgz(ChannelReader::new(rx), &dest));

    let mut hasher = expected.hasher();
    let mut received: u64 = 0;
    let mut progress = Progress::new(console, total);
    let mut stream_error = None;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                received += chunk.len() as u64;
                hasher.update(&chunk);
                progress.update(received);
                if tx.send(chunk).await.is_err() {
                    // The unpacker stopped early; its error says why.
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                stream_error = Some(error_chain(&e));
                break;
            }
        }
    }
    drop(tx);
    progress.finish();
    let unpacked = unpacker.await.expect("unpack task panicked");

    let truncated = |detail: String| InstallError::Truncated {
        url: url.to_owned(),
        received,
        total: total.map(|t| t.to_string()).unwrap_or_else(|| "?".into()),
        detail,
    };
    if let Some(detail) = stream_error {
        return Err(truncated(detail));
    }
    if let Some(t) = total
        && received < t
    {
        return Err(truncated("the connection closed early".into()));
    }
    // With the whole body in hand, a digest mismatch explains any unpack
    // error, so it is reported first.
    if let Ok(extracted) = &unpacked
        && extracted.files == 0
    {
        return Err(InstallError::Extract {
            url: url.to_owned(),
            source: ExtractError::Corrupt(std::io::Error::other("the archive holds no files")),
        });
    }
    let actual = hasher.finish();
    if &actual != expected {
        return Err(InstallError::IntegrityMismatch {
            url: url.to_owned(),
            expected: expected.display(),
            actual: actual.display(),
        });
    }
    unpacked.map_err(|source| InstallError::Extract {
        url: url.to_owned(),
        source,
    })?;
    Ok(received)
}

/// Feeds downloaded chunks to the synchronous unpacker.
struct ChannelReader {
    rx: mpsc::Receiver<bytes::Bytes>,
    current: bytes::Bytes,
}

impl ChannelReader {
    fn new(rx: mpsc::Receiver<bytes::Bytes>) -> ChannelReader {
        ChannelReader {
            rx,
            current: bytes::Bytes::new(),
        }
    }
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Download progress: `task.setprogress` in a pipeline (every 10 % of the
/// download), a
/// progress bar on a terminal.
struct Progress<'a> {
    console: &'a Console,
    total: Option<u64>,
    last_percent: u8,
    bar: Option<indicatif::ProgressBar>,
}

impl<'a> Progress<'a> {
    fn new(console: &'a Console, total: Option<u64>) -> Progress<'a> {
        let bar = console.is_interactive().then(|| {
            let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "  {bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            console,
            total,
            last_percent: 0,
            bar,
        }
    }

    fn update(&mut self, received: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(received);
        }
        if let Some(total) = self.total.filter(|t| *t > 0) {
            let percent = ((received.saturating_mul(100)) / total).min(100) as u8;
            if percent >= self.last_percent + 10 {
                self.last_percent = percent - percent % 10;
                // The download is the first 30 % of the task's progress;
                // the collection runs share the rest.
                let overall = u32::from(self.last_percent) * 3 / 10;
                self.console
                    .progress(overall as u8, "Downloading the Postman CLI");
            }
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
