//! Downloads, verified as they stream: an npm tarball goes through the
//! hasher straight into the unpacker; a download-site archive (possibly a
//! zip, which cannot be unpacked from a stream) goes into a temporary file,
//! hashed on the way. Both go out through the one HTTP door, bounded by
//! what a package's archive may weigh.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::error::InstallError;
use super::extract::limits::Limits;
use super::extract::{self, ExtractError};
use super::integrity::Expected;
use crate::events::{Event, Events};
use crate::http::fetch::{self, Body, Get};

/// What a download is, for errors that say it is too large.
const PACKAGE: &str = "a Postman CLI package";

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
    let limits = Limits::PACKAGE;
    let mut get = Get::new(url, PACKAGE, limits.archive);
    if let Some(value) = auth {
        get = get.secret_header(reqwest::header::AUTHORIZATION, value);
    }
    let body = fetch::open(client, &get).await?;
    let (tx, rx) = mpsc::channel::<bytes::Bytes>(32);
    let dest = staging.to_path_buf();
    let unpacker = tokio::task::spawn_blocking(move || {
        extract::unpack_tgz(ChannelReader::new(rx), &dest, limits)
    });
    let mut hasher = expected.hasher();
    let received = receive(
        body,
        &mut |chunk| hasher.update(chunk),
        Sink::Unpacker(tx),
        events,
    )
    .await;
    // The unpacker is waited for whatever happened: the staging folder is
    // removed on error, and it must not be writing there then.
    let unpacked = unpacker.await.expect("unpack task panicked");
    let received = received?;

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
    let body = fetch::open(client, &Get::new(url, PACKAGE, Limits::PACKAGE.archive)).await?;
    let mut hasher = Sha256::new();
    receive(
        body,
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
    /// The unpacker, on its blocking thread. When it stops early (its own
    /// error says why), the rest is still read and hashed, so a digest that
    /// does not match can still be told.
    Unpacker(mpsc::Sender<bytes::Bytes>),
    /// The unpacker has stopped.
    Nowhere,
    File {
        file: &'a mut std::fs::File,
        /// For the error when writing fails.
        dir: &'a Path,
    },
}

impl Sink<'_> {
    async fn put(&mut self, chunk: bytes::Bytes) -> Result<(), InstallError> {
        match self {
            Sink::Unpacker(tx) => {
                if tx.send(chunk).await.is_err() {
                    *self = Sink::Nowhere;
                }
                Ok(())
            }
            Sink::Nowhere => Ok(()),
            Sink::File { file, dir } => {
                std::io::Write::write_all(file, &chunk).map_err(|source| InstallError::Cache {
                    path: dir.to_path_buf(),
                    source,
                })
            }
        }
    }
}

/// Reads a response body to its end, handing each chunk to `hash` and then
/// to `sink`, with progress shown; fails when the body broke off or grew
/// past its bound.
async fn receive(
    mut body: Body,
    hash: &mut dyn FnMut(&[u8]),
    mut sink: Sink<'_>,
    events: &dyn Events,
) -> Result<u64, InstallError> {
    let mut progress = Progress::new(events, body.total());
    let result = loop {
        match body.chunk().await {
            Ok(Some(chunk)) => {
                hash(&chunk);
                progress.update(body.received());
                if let Err(e) = sink.put(chunk).await {
                    break Err(e);
                }
            }
            Ok(None) => break Ok(body.received()),
            Err(e) => break Err(e.into()),
        }
    };
    // Closes the unpacker's channel: the end of its input.
    drop(sink);
    progress.finish();
    result
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
