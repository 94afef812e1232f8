//! Downloads, verified as they stream: an npm tarball goes through the
//! hasher straight into the unpacker; a download-site archive (possibly a
//! zip, which cannot be unpacked from a stream) goes into a temporary file,
//! hashed on the way.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::extract::{self, ExtractError};
use super::integrity::Expected;
use super::{InstallError, network, send};
use crate::events::{Event, Events};

/// Streams a `.tgz` through the hasher into the unpacker (on a blocking
/// thread), then compares digests. The staging folder is the caller's to
/// discard on error.
pub(crate) async fn stream_tgz(
    client: &reqwest::Client,
    url: &str,
    auth: Option<&str>,
    expected: &Expected,
    staging: &Path,
    events: &dyn Events,
) -> Result<u64, InstallError> {
    let resp = get(client, url, auth).await?;
    let (tx, rx) = mpsc::channel::<bytes::Bytes>(32);
    let dest = staging.to_path_buf();
    let unpacker =
        tokio::task::spawn_blocking(move || extract::unpack_tgz(ChannelReader::new(rx), &dest));
    let mut hasher = expected.hasher();
    let body = receive(
        resp,
        url,
        &mut |chunk| hasher.update(chunk),
        Sink::Unpacker(tx),
        events,
    )
    .await;
    // The unpacker is waited for whatever happened: the staging folder is
    // removed on error, and it must not be writing there then.
    let unpacked = unpacker.await.expect("unpack task panicked");
    let received = body?;

    // With the whole body in hand, a digest mismatch explains any unpack
    // error, so it is reported first.
    let actual = hasher.finish();
    if &actual != expected {
        return Err(InstallError::IntegrityMismatch {
            what: format!("the download of {url}"),
            expectation: "its published integrity",
            expected: expected.display(),
            actual: actual.display(),
        });
    }
    let extracted = unpacked.map_err(|source| InstallError::Extract {
        what: url.to_owned(),
        source,
    })?;
    if extracted.files == 0 {
        return Err(InstallError::Extract {
            what: url.to_owned(),
            source: ExtractError::Corrupt(std::io::Error::other("the archive holds no files")),
        });
    }
    Ok(received)
}

/// A downloaded file and its SHA-256 (lower-case hex).
pub(crate) struct Downloaded {
    pub(crate) file: tempfile::NamedTempFile,
    pub(crate) sha256: String,
}

/// Downloads into a temporary file in `dir`, hashing on the way.
pub(crate) async fn to_file(
    client: &reqwest::Client,
    url: &str,
    dir: &Path,
    events: &dyn Events,
) -> Result<Downloaded, InstallError> {
    let cache_error = |source| InstallError::Cache {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(cache_error)?;
    let mut file = tempfile::Builder::new()
        .prefix(".download-")
        .tempfile_in(dir)
        .map_err(cache_error)?;
    let resp = get(client, url, None).await?;
    let mut hasher = Sha256::new();
    receive(
        resp,
        url,
        &mut |chunk| hasher.update(chunk),
        Sink::File {
            file: file.as_file_mut(),
            dir,
        },
        events,
    )
    .await?;
    Ok(Downloaded {
        file,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Where a download's bytes go.
enum Sink<'a> {
    /// The unpacker, on its blocking thread. When it stops early the
    /// channel closes; its own error says why.
    Unpacker(mpsc::Sender<bytes::Bytes>),
    File {
        file: &'a mut std::fs::File,
        /// For the error when writing fails.
        dir: &'a Path,
    },
}

/// Reads a response body to its end, handing each chunk to `hash` and then
/// to `sink`, with progress shown; fails when the body broke off.
async fn receive(
    mut resp: reqwest::Response,
    url: &str,
    hash: &mut dyn FnMut(&[u8]),
    mut sink: Sink<'_>,
    events: &dyn Events,
) -> Result<u64, InstallError> {
    let total = resp.content_length();
    let mut received: u64 = 0;
    let mut progress = Progress::new(events, total);
    let mut stream_error = None;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                received += chunk.len() as u64;
                hash(&chunk);
                progress.update(received);
                match &mut sink {
                    Sink::Unpacker(tx) => {
                        if tx.send(chunk).await.is_err() {
                            break;
                        }
                    }
                    Sink::File { file, dir } => {
                        std::io::Write::write_all(file, &chunk).map_err(|source| {
                            InstallError::Cache {
                                path: dir.to_path_buf(),
                                source,
                            }
                        })?
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                stream_error = Some(network(url, &e));
                break;
            }
        }
    }
    // Closes the unpacker's channel: the end of its input.
    drop(sink);
    progress.finish();
    check_complete(url, received, total, stream_error)?;
    Ok(received)
}

pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

async fn get(
    client: &reqwest::Client,
    url: &str,
    auth: Option<&str>,
) -> Result<reqwest::Response, InstallError> {
    let mut request = client.get(url);
    if let Some(value) = auth {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    send(request, url).await
}

fn check_complete(
    url: &str,
    received: u64,
    total: Option<u64>,
    stream_error: Option<InstallError>,
) -> Result<(), InstallError> {
    let truncated = |detail: String| InstallError::Truncated {
        url: url.to_owned(),
        received,
        total: total.map(|t| t.to_string()).unwrap_or_else(|| "?".into()),
        detail,
    };
    match stream_error {
        Some(InstallError::Network { detail, .. }) => Err(truncated(detail)),
        Some(other) => Err(other),
        None => match total {
            Some(t) if received < t => Err(truncated("the connection closed early".into())),
            _ => Ok(()),
        },
    }
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

impl Read for ChannelReader {
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

/// Download progress, for the conductor to show.
struct Progress<'a> {
    events: &'a dyn Events,
    total: Option<u64>,
}

impl<'a> Progress<'a> {
    fn new(events: &'a dyn Events, total: Option<u64>) -> Progress<'a> {
        Progress { events, total }
    }

    fn update(&mut self, received: u64) {
        self.events.emit(Event::Download {
            received,
            total: self.total,
        });
    }

    fn finish(&mut self) {
        self.events.emit(Event::DownloadDone);
    }
}
