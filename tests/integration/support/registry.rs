//! A package source for installer tests, on 127.0.0.1: an npm registry
//! (packuments and tarballs for `@postman/pm-bin-<platform>`; the full
//! document, with publish times, when asked for `application/json`, the
//! abbreviated one, without them, otherwise)
//! and Postman's download site (`api/version/latest`,
//! `download/version/<v>/<platform>`), in one server, over HTTP or over TLS
//! with a test CA. Faults are switched on per test: statuses, truncated and
//! hanging bodies, slow chunks, downloads held until several jobs have
//! asked, wrong integrity. Every request is recorded.
//!
//! The packages it serves are small fakes (a shell script that prints its
//! version), built by [`fake_cli_tgz`] and friends: installing needs the
//! layout and the digest, not the real 100 MB CLI. A version is listed as
//! it is published, so a test can list a tarball under any name
//! (`1.24.4+evil`, or another version than its `package.json` says), and
//! [`bomb_tgz`] builds gigabytes of zeros into a few megabytes.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::servers::Running;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256, Sha512};

/// Switches for the faults a test wants.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Statuses for the next packument (or `latest`) requests, in order;
    /// later requests succeed.
    pub document_statuses: Vec<u16>,
    /// The same for tarball and archive downloads.
    pub download_statuses: Vec<u16>,
    /// Advertise a Content-Length but send only this many bytes.
    pub truncate_at: Option<usize>,
    /// Advertise an integrity that does not match the tarball.
    pub wrong_integrity: bool,
    /// Pause this long between chunks of a download.
    pub chunk_delay: Option<Duration>,
    /// Send a download's headers, then nothing, forever.
    pub hang_download: bool,
    /// Hold every download's body until this many package documents have
    /// been asked for (jobs started together have then all looked up the
    /// version, and are on their way to its install lock).
    pub hold_downloads_until_documents: Option<usize>,
    /// Require this `Authorization` header on packuments and tarballs.
    pub require_auth: Option<String>,
    /// List tarballs at this origin instead of the registry's own (a CDN,
    /// or another port of the same host).
    pub tarball_base: Option<String>,
    /// Platforms (`windows-x64`) whose package the registry does not have.
    pub missing_platforms: Vec<String>,
    /// Leave `time` out of full documents too, as some mirrors do.
    pub omit_time: bool,
}

#[derive(Default)]
struct Shared {
    npm: Mutex<BTreeMap<String, Vec<u8>>>,
    /// Publish times (RFC 3339) by version.
    times: Mutex<BTreeMap<String, String>>,
    site: Mutex<BTreeMap<String, Vec<u8>>>,
    latest: Mutex<Option<String>>,
    faults: Mutex<Faults>,
    requests: Mutex<Vec<String>>,
    /// Each request's path with the `Authorization` header it carried.
    authorizations: Mutex<Vec<(String, Option<String>)>>,
    base: Mutex<String>,
}

pub struct Registry {
    server: Running,
    tls: bool,
    shared: Arc<Shared>,
}

impl Registry {
    pub fn start() -> Registry {
        Registry::start_with(None)
    }

    /// Over HTTPS with a certificate for 127.0.0.1 signed by `ca`.
    pub fn start_tls(ca: &TestCa) -> Registry {
        Registry::start_with(Some(ca.server_config()))
    }

    fn start_with(tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>) -> Registry {
        let shared = Arc::new(Shared::default());
        let is_tls = tls.is_some();
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let server = Running::start(app, tls);
        let scheme = if is_tls { "https" } else { "http" };
        *shared.base.lock().unwrap() = format!("{scheme}://{}", server.addr);
        Registry {
            server,
            tls: is_tls,
            shared,
        }
    }

    /// The registry URL (also the download site's base URL).
    pub fn url(&self) -> String {
        format!(
            "{}://{}/",
            if self.tls { "https" } else { "http" },
            self.server.addr
        )
    }

    pub fn site_url(&self) -> String {
        self.url().trim_end_matches('/').to_owned()
    }

    /// Publishes an npm tarball, long ago (older than any cooldown); the
    /// last one published is `latest`.
    pub fn publish(&self, version: &str, tgz: Vec<u8>) -> &Self {
        self.publish_aged(version, tgz, Duration::from_secs(400 * 86_400))
    }

    /// Publishes an npm tarball `age` ago; the last one published is
    /// `latest`.
    pub fn publish_aged(&self, version: &str, tgz: Vec<u8>, age: Duration) -> &Self {
        self.shared
            .npm
            .lock()
            .unwrap()
            .insert(version.to_owned(), tgz);
        let at = chrono::Utc::now() - chrono::Duration::from_std(age).unwrap();
        self.shared.times.lock().unwrap().insert(
            version.to_owned(),
            at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        );
        *self.shared.latest.lock().unwrap() = Some(version.to_owned());
        self
    }

    /// Puts an archive on the download site; the last one is `latest`.
    pub fn publish_site(&self, version: &str, archive: Vec<u8>) -> &Self {
        self.shared
            .site
            .lock()
            .unwrap()
            .insert(version.to_owned(), archive);
        *self.shared.latest.lock().unwrap() = Some(version.to_owned());
        self
    }

    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.shared.faults.lock().unwrap()
    }

    /// Every request's path, in order.
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Each request's path and the `Authorization` header it carried.
    pub fn authorizations(&self) -> Vec<(String, Option<String>)> {
        self.shared.authorizations.lock().unwrap().clone()
    }

    /// Tarball and archive downloads started.
    pub fn downloads(&self) -> usize {
        self.requests()
            .iter()
            .filter(|p| p.starts_with("/tarballs/") || p.starts_with("/download/"))
            .count()
    }
}

const PACKAGE: &str = "/@postman%2fpm-bin-";

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    shared.requests.lock().unwrap().push(path.clone());
    shared.authorizations.lock().unwrap().push((
        path.clone(),
        request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    ));
    let faults = shared.faults.lock().unwrap().clone();
    if let Some(expected) = &faults.require_auth {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if given != Some(expected.as_str())
            && (path.starts_with(PACKAGE) || path.starts_with("/tarballs/"))
        {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    let base = faults
        .tarball_base
        .clone()
        .unwrap_or_else(|| shared.base.lock().unwrap().clone());
    let is_document = path.starts_with(PACKAGE) || path == "/api/version/latest";
    let is_download = path.starts_with("/tarballs/") || path.starts_with("/download/");
    if is_document || is_download {
        let mut faults = shared.faults.lock().unwrap();
        let queue = if is_document {
            &mut faults.document_statuses
        } else {
            &mut faults.download_statuses
        };
        if !queue.is_empty() {
            let status = queue.remove(0);
            return (StatusCode::from_u16(status).unwrap(), "injected fault").into_response();
        }
    }

    if let Some(platform) = path.strip_prefix(PACKAGE) {
        let npm = shared.npm.lock().unwrap().clone();
        if npm.is_empty() || faults.missing_platforms.iter().any(|p| p == platform) {
            return (StatusCode::NOT_FOUND, r#"{"error":"Not found"}"#).into_response();
        }
        let mut versions = serde_json::Map::new();
        for (v, bytes) in &npm {
            let digest = if faults.wrong_integrity {
                Sha512::digest(b"something else")
            } else {
                Sha512::digest(bytes)
            };
            let integrity = format!(
                "sha512-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            );
            versions.insert(
                v.clone(),
                serde_json::json!({"name": format!("@postman/pm-bin-{platform}"), "version": v,
                    "dist": {"tarball": format!("{base}/tarballs/pm-bin-{platform}-{v}.tgz"), "integrity": integrity}}),
            );
        }
        let latest = shared.latest.lock().unwrap().clone().unwrap_or_default();
        let mut doc = serde_json::json!({"name": format!("@postman/pm-bin-{platform}"), "dist-tags": {"latest": latest}, "versions": versions});
        // As registry.npmjs.org does: only the full document has `time`.
        let abbreviated = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/vnd.npm.install-v1+json"));
        if !abbreviated && !faults.omit_time {
            let mut time = shared.times.lock().unwrap().clone();
            time.insert("created".into(), "2019-01-01T00:00:00.000Z".into());
            doc["time"] = serde_json::json!(time);
        }
        return (
            [(header::CONTENT_TYPE, "application/vnd.npm.install-v1+json")],
            doc.to_string(),
        )
            .into_response();
    }
    if path == "/api/version/latest" {
        let latest = shared.latest.lock().unwrap().clone().unwrap_or_default();
        return (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({"version": latest}).to_string(),
        )
            .into_response();
    }
    let bytes = if let Some(file) = path.strip_prefix("/tarballs/") {
        let v = file
            .trim_end_matches(".tgz")
            .rsplit('-')
            .next()
            .unwrap_or_default()
            .to_owned();
        shared.npm.lock().unwrap().get(&v).cloned()
    } else if let Some(rest) = path.strip_prefix("/download/version/") {
        let v = rest.split('/').next().unwrap_or_default().to_owned();
        shared.site.lock().unwrap().get(&v).cloned()
    } else {
        None
    };
    match bytes {
        Some(bytes) => download(bytes, &faults, Arc::clone(&shared)),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn download(bytes: Vec<u8>, faults: &Faults, shared: Arc<Shared>) -> Response {
    let len = bytes.len();
    let hold = faults.hold_downloads_until_documents;
    let sent = faults.truncate_at.unwrap_or(len).min(len);
    let delay = faults.chunk_delay;
    let hang = faults.hang_download;
    let chunks: Vec<Bytes> = bytes[..sent]
        .chunks(16 * 1024)
        .map(Bytes::copy_from_slice)
        .collect();
    let truncated = sent < len;
    let stream = futures_util::stream::unfold(
        (chunks.into_iter(), hang, truncated),
        move |(mut it, hang, truncated)| {
            let shared = Arc::clone(&shared);
            async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                while hold.is_some_and(|n| documents_asked(&shared) < n) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                if let Some(d) = delay {
                    tokio::time::sleep(d).await;
                }
                match it.next() {
                    Some(chunk) => Some((Ok::<_, std::io::Error>(chunk), (it, false, truncated))),
                    // Ending the body with an error makes the server drop the
                    // connection short of its Content-Length; the pause lets what
                    // was sent reach the client first.
                    None if truncated => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Some((
                            Err(std::io::Error::other("truncated on purpose")),
                            (it, false, false),
                        ))
                    }
                    None => None,
                }
            }
        },
    );
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_LENGTH,
        HeaderValue::from_str(&len.to_string()).unwrap(),
    );
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    response
}

fn documents_asked(shared: &Shared) -> usize {
    shared
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.starts_with(PACKAGE))
        .count()
}

/// A certificate authority made for one test, and a server certificate for
/// 127.0.0.1 that it signed.
pub struct TestCa {
    pub ca_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "postman-cli-task test CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress("127.0.0.1".parse().unwrap()));
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        TestCa {
            ca_pem: ca_cert.pem(),
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        }
    }

    pub fn server_config(&self) -> Arc<tokio_rustls::rustls::ServerConfig> {
        use tokio_rustls::rustls;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![rustls::pki_types::CertificateDer::from(
                    self.cert_der.clone(),
                )],
                rustls::pki_types::PrivateKeyDer::Pkcs8(self.key_der.clone().into()),
            )
            .unwrap();
        Arc::new(config)
    }
}

/// A fake Postman CLI in npm's layout: `package/bin/postman` prints the
/// version; `package/bin/lib/` sits beside it as in the real package.
pub fn fake_cli_tgz(version: &str) -> Vec<u8> {
    let script = fake_cli_script(version);
    tgz(&[
        (
            "package/package.json",
            format!(r#"{{"name":"@postman/pm-bin-linux-x64","version":"{version}"}}"#).as_bytes(),
            0o644,
        ),
        ("package/bin/postman", script.as_bytes(), 0o755),
        ("package/bin/lib/cli.js", b"// the CLI's own code\n", 0o644),
    ])
}

/// A fake platform package for another platform: `package/bin/<exe>` and a
/// `package.json`, as `@postman/pm-bin-<platform>` holds them.
pub fn fake_platform_tgz(platform: &str, version: &str) -> Vec<u8> {
    let exe = if platform.starts_with("windows") {
        "package/bin/postman.exe"
    } else {
        "package/bin/postman"
    };
    tgz(&[
        (
            "package/package.json",
            format!(r#"{{"name":"@postman/pm-bin-{platform}","version":"{version}"}}"#).as_bytes(),
            0o644,
        ),
        (exe, fake_cli_script(version).as_bytes(), 0o755),
        ("package/bin/lib/cli.js", b"// the CLI's own code\n", 0o644),
    ])
}

/// The Linux CLI as the download site ships it: a gzipped tar with
/// `postman-cli` at the root.
pub fn fake_cli_site_tgz(version: &str) -> Vec<u8> {
    tgz(&[
        ("postman-cli", fake_cli_script(version).as_bytes(), 0o755),
        ("lib/cli.js", b"// the CLI's own code\n", 0o644),
    ])
}

/// The Windows CLI as the download site ships it: a zip with
/// `postman-cli.exe` at the root.
pub fn fake_cli_win_zip(version: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("postman-cli.exe", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(fake_cli_script(version).as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

/// The same CLI as the download site ships it: `postman-cli` at the root.
pub fn fake_cli_zip(version: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let exe = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    zip.start_file("postman-cli", exe).unwrap();
    zip.write_all(fake_cli_script(version).as_bytes()).unwrap();
    zip.start_file("lib/cli.js", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"// the CLI's own code\n").unwrap();
    zip.finish().unwrap().into_inner()
}

pub fn fake_cli_script(version: &str) -> String {
    format!("#!/bin/sh\necho {version}\n")
}

/// A gzipped tar with exactly these entries; the names are written into
/// the headers raw, so tests can build hostile archives (`..`, absolute).
pub fn tgz(entries: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (name, data, mode) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_entry_type(tar::EntryType::Regular);
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        builder.append(&h, *data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// A tarball whose `package/bin/postman` is a symbolic link.
pub fn tgz_with_link(target: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    builder
        .append_link(&mut h, "package/bin/postman", target)
        .unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

/// An npm tarball of `version` (`package.json` and `bin/postman`, as
/// [`fake_cli_tgz`] has them) that also holds a file of zeros for each of
/// `zero_files`, of that many bytes: a compression bomb, about a
/// thousandfold, as gzip compresses zeros at its best. Built without
/// compressing gigabytes: one megabyte of zeros is compressed once and its
/// deflate blocks repeated (each refers back only to zeros), with the gzip
/// checksum combined to match, so the result is a valid tarball.
pub fn bomb_tgz(version: &str, zero_files: &[u64]) -> Vec<u8> {
    let mut gz = ZeroGzip::new();
    let manifest = format!(r#"{{"name":"@postman/pm-bin-linux-x64","version":"{version}"}}"#);
    let script = fake_cli_script(version);
    for (name, data, mode) in [
        ("package/package.json", manifest.as_bytes(), 0o644),
        ("package/bin/postman", script.as_bytes(), 0o755),
    ] {
        gz.bytes(&tar_header(name, data.len() as u64, mode));
        gz.bytes(data);
        gz.zeros(padding(data.len() as u64));
    }
    for (i, &size) in zero_files.iter().enumerate() {
        gz.bytes(&tar_header(
            &format!("package/bin/lib/zeros-{i}"),
            size,
            0o644,
        ));
        gz.zeros(size + padding(size));
    }
    // The end of the archive: two empty blocks.
    gz.zeros(1024);
    gz.finish()
}

fn tar_header(name: &str, size: u64, mode: u32) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(mode);
    h.set_entry_type(tar::EntryType::Regular);
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_cksum();
    h.as_bytes().to_vec()
}

fn padding(size: u64) -> u64 {
    (512 - size % 512) % 512
}

/// A gzip stream written piece by piece, where long runs of zeros cost one
/// compression of [`ZeroGzip::UNIT`] bytes however long they are.
struct ZeroGzip {
    deflate: flate2::Compress,
    out: Vec<u8>,
    crc: flate2::Crc,
    /// The deflate blocks of one unit of zeros, and its checksum.
    unit: Option<(Vec<u8>, flate2::Crc)>,
}

impl ZeroGzip {
    const UNIT: u64 = 1 << 20;
    /// Zeros compressed before the repeated units, so that every back
    /// reference a unit makes (32 KiB at most) lands on zeros.
    const LEAD: u64 = 64 * 1024;

    fn new() -> ZeroGzip {
        ZeroGzip {
            deflate: flate2::Compress::new(flate2::Compression::best(), false),
            out: Vec::new(),
            crc: flate2::Crc::new(),
            unit: None,
        }
    }

    fn bytes(&mut self, data: &[u8]) {
        self.crc.update(data);
        self.feed(data, flate2::FlushCompress::None);
    }

    fn zeros(&mut self, n: u64) {
        if n < Self::LEAD + Self::UNIT {
            self.bytes(&vec![0; n as usize]);
            return;
        }
        let lead = vec![0; Self::LEAD as usize];
        self.crc.update(&lead);
        self.feed(&lead, flate2::FlushCompress::Sync);
        let mut left = n - Self::LEAD;
        while left >= Self::UNIT {
            match &self.unit {
                Some((blocks, crc)) => {
                    self.out.extend_from_slice(blocks);
                    self.crc.combine(crc);
                }
                None => {
                    let zeros = vec![0; Self::UNIT as usize];
                    let start = self.out.len();
                    self.crc.update(&zeros);
                    self.feed(&zeros, flate2::FlushCompress::Sync);
                    let mut crc = flate2::Crc::new();
                    crc.update(&zeros);
                    self.unit = Some((self.out[start..].to_vec(), crc));
                }
            }
            left -= Self::UNIT;
        }
        self.bytes(&vec![0; left as usize]);
    }

    fn feed(&mut self, mut input: &[u8], flush: flate2::FlushCompress) {
        loop {
            self.out.reserve(64 * 1024 + input.len());
            let before = self.deflate.total_in();
            let status = self
                .deflate
                .compress_vec(input, &mut self.out, flush)
                .unwrap();
            input = &input[(self.deflate.total_in() - before) as usize..];
            let room_left = self.out.len() < self.out.capacity();
            if (input.is_empty() && room_left) || status == flate2::Status::StreamEnd {
                return;
            }
        }
    }

    fn finish(mut self) -> Vec<u8> {
        loop {
            self.out.reserve(64 * 1024);
            if self
                .deflate
                .compress_vec(&[], &mut self.out, flate2::FlushCompress::Finish)
                .unwrap()
                == flate2::Status::StreamEnd
            {
                break;
            }
        }
        let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff];
        gz.extend_from_slice(&self.out);
        gz.extend_from_slice(&self.crc.sum().to_le_bytes());
        gz.extend_from_slice(&self.crc.amount().to_le_bytes());
        gz
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
