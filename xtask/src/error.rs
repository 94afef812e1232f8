//! What can stop a packaging run, in words: each error says what is wrong
//! and where, and how to fix it where there is something to do. They are
//! printed once, by `main`.

use std::io;
use std::path::{Path, PathBuf};

use crate::binary;
use crate::platform::Platform;
use crate::version::VersionError;
use crate::vsix;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("'{0}' is not a valid publisher or extension id (letters, digits, - and _)")]
    BadId(String),
    #[error("this machine ({os}, {arch}) is no platform the task has a binary for")]
    UnknownHost {
        os: &'static str,
        arch: &'static str,
    },
    #[error("{what} is required ({why})")]
    Missing {
        what: &'static str,
        why: &'static str,
    },
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
    #[error("could not start `{command}`: {error}")]
    Spawn { command: String, error: io::Error },
    #[error("`{command}` failed ({status}){hint}")]
    Command {
        command: String,
        status: std::process::ExitStatus,
        hint: &'static str,
    },
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error("vss-extension.json: {0}")]
    Manifest(String),
    #[error("cargo zigbuild did not produce {}", .0.display())]
    NotBuilt(PathBuf),
    #[error("{} is not a proper {platform} executable: {problem}", path.display())]
    Binary {
        path: PathBuf,
        platform: Platform,
        problem: binary::Problem,
    },
    #[error("the Postman tab's build made no dist/postman-tab.html")]
    NoTab,
    #[error("tfx extension create failed ({0})")]
    TfxFailed(String),
    #[error("tfx reported warnings; the package must build without any")]
    TfxWarned,
    #[error("{}: {problem}", vsix.display())]
    Vsix {
        vsix: PathBuf,
        problem: vsix::Problem,
    },
}

/// Names the file an I/O error happened to.
pub(crate) trait AtPath<T> {
    fn at(self, path: &Path) -> Result<T, Error>;
}

impl<T> AtPath<T> for io::Result<T> {
    fn at(self, path: &Path) -> Result<T, Error> {
        self.map_err(|error| Error::Io {
            path: path.to_path_buf(),
            error,
        })
    }
}
