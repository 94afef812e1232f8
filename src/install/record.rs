//! Where an installed CLI came from, and the record of it kept beside the
//! install in the tool cache (`.postman-cli-task.json`), so a later job
//! that finds it there can still say what runs.

use std::path::Path;

use serde::{Deserialize, Serialize};

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

/// What is recorded beside an install.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    #[serde(flatten)]
    pub(crate) origin: Origin,
    /// npm's SRI string (`sha512-…`) or `sha256:<hex>`.
    pub(crate) integrity: Option<String>,
}

/// The record's file name, inside the install folder.
pub(crate) const RECORD_FILE: &str = ".postman-cli-task.json";

/// The most a record may weigh: it is a few hundred bytes; a larger file is
/// not one the task wrote.
const RECORD_LIMIT: u64 = 64 * 1024;

impl Record {
    pub(crate) fn write(&self, dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(RECORD_FILE), text)
    }

    /// The record in an install folder; `None` for an install older than
    /// the record, or a file that is not one.
    pub(crate) fn read(dir: &Path) -> Option<Record> {
        use std::io::Read as _;
        let file = std::fs::File::open(dir.join(RECORD_FILE)).ok()?;
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        let mut text = Vec::new();
        file.take(RECORD_LIMIT + 1).read_to_end(&mut text).ok()?;
        if text.len() as u64 > RECORD_LIMIT {
            return None;
        }
        serde_json::from_slice(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_source_in_a_few_words() {
        let origin = |kind, location: &str| Origin {
            kind,
            location: location.into(),
        };
        assert_eq!(
            origin(
                OriginKind::Registry,
                "https://registry.npmjs.org/@postman/pm-bin-linux-x64/-/x.tgz"
            )
            .label(),
            "npm registry.npmjs.org"
        );
        assert_eq!(
            origin(
                OriginKind::Site,
                "http://127.0.0.1:4873/download/version/1.62.0/linux64"
            )
            .label(),
            "download site 127.0.0.1:4873"
        );
        assert_eq!(
            origin(OriginKind::Archive, "/agent/_work/1/s/cli/postman.zip").label(),
            "archive postman.zip"
        );
        assert_eq!(
            origin(OriginKind::Path, "/usr/bin/postman").label(),
            "installed"
        );
    }

    #[test]
    fn a_record_reads_back_and_anything_else_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Record::read(dir.path()), None, "an install from before");
        let record = Record {
            origin: Origin {
                kind: OriginKind::Registry,
                location: "https://r/x.tgz".into(),
            },
            integrity: Some("sha512-AA==".into()),
        };
        record.write(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(RECORD_FILE)).unwrap();
        assert!(text.contains(r#""kind": "registry""#), "{text}");
        assert_eq!(Record::read(dir.path()), Some(record));
        std::fs::write(dir.path().join(RECORD_FILE), "not json").unwrap();
        assert_eq!(Record::read(dir.path()), None);
    }
}
