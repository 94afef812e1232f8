//! Subresource-integrity strings (`sha512-<base64>`), as npm's
//! `dist.integrity` gives them, and the hashing that checks a download
//! against one while it streams; and `cliSha256`, the digest a user pins
//! for a download-site archive or a local one.

use base64::Engine as _;
use sha2::{Digest, Sha256, Sha512};

use super::error::InstallError;
use crate::events::{Event, Events};

/// The digest a download must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expected {
    Sha512(Vec<u8>),
    Sha256(Vec<u8>),
    /// npm's legacy `shasum` is SHA-1, which we do not accept as proof of
    /// anything; a package with nothing better is refused.
    None,
}

impl Expected {
    /// Parses an SRI string. Several space-separated hashes may be given;
    /// the strongest one we support wins.
    pub(crate) fn from_sri(sri: &str) -> Expected {
        let mut best = Expected::None;
        for token in sri.split_whitespace() {
            let token = token.split('?').next().unwrap_or(token);
            let Some((algo, b64)) = token.split_once('-') else {
                continue;
            };
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) else {
                continue;
            };
            match algo {
                "sha512" if bytes.len() == 64 => return Expected::Sha512(bytes),
                "sha256" if bytes.len() == 32 => best = Expected::Sha256(bytes),
                _ => {}
            }
        }
        best
    }

    /// `sha512-…` form, for messages.
    pub(crate) fn display(&self) -> String {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        match self {
            Expected::Sha512(b) => format!("sha512-{}", b64(b)),
            Expected::Sha256(b) => format!("sha256-{}", b64(b)),
            Expected::None => "none".into(),
        }
    }

    pub(crate) fn hasher(&self) -> Hasher {
        match self {
            Expected::Sha256(_) => Hasher::Sha256(Sha256::new()),
            _ => Hasher::Sha512(Box::new(Sha512::new())),
        }
    }
}

pub(crate) enum Hasher {
    Sha512(Box<Sha512>),
    Sha256(Sha256),
}

impl Hasher {
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha512(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    pub(crate) fn finish(self) -> Expected {
        match self {
            Hasher::Sha512(h) => Expected::Sha512(h.finalize().to_vec()),
            Hasher::Sha256(h) => Expected::Sha256(h.finalize().to_vec()),
        }
    }
}

/// Checks `actual` (the SHA-256 of `what`, lower-case hex) against
/// `cliSha256`; without a pin, tells the digest so it can be pinned.
pub(crate) fn check_pinned(
    pinned: Option<&str>,
    what: &str,
    actual: &str,
    events: &dyn Events,
) -> Result<(), InstallError> {
    match pinned {
        Some(expected) if expected != actual => Err(InstallError::IntegrityMismatch {
            what: what.to_owned(),
            expectation: "cliSha256",
            expected: expected.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_sri() {
        let mut h = Expected::Sha512(vec![0; 64]).hasher();
        h.update(b"hello");
        let actual = h.finish();
        let sri = actual.display();
        assert!(sri.starts_with("sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw=="));
        assert_eq!(Expected::from_sri(&format!("sha1-abc {sri}")), actual);
        assert_eq!(
            Expected::from_sri("sha1-qvTGHdzF6KLavt4PO0gs2a6pQ00="),
            Expected::None
        );
        assert_eq!(Expected::from_sri("sha512-notbase64!"), Expected::None);
    }
}
