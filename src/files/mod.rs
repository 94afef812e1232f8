//! Reading the user's files as hostile input: only regular files, never
//! through a symbolic link that leaves the working directory, never more
//! than a limit, never by opening something that could block.
//!
//! The repository is written by whoever opens a pull request, and an
//! earlier pipeline step can leave anything in the working directory. Git
//! stores symbolic links, so a file the task reads (a v3 collection's
//! `.resources/definition.yaml`, say) can point at an SSH key or
//! `/proc/self/environ`; a named pipe blocks `open()` until something
//! writes to it; `/dev/zero` never ends. So, for every file of the user's:
//!
//! - **Where links may lead ([`Bounds`]).** A path inside the working
//!   directory is read only when its real location, every link followed, is
//!   inside the working directory too (or the checkout that holds it: the
//!   caller chooses the bounds). A path given outside the working
//!   directory (an absolute path, or one that leaves it with `..`) is the
//!   pipeline author's own choice and is read where it leads. A walk (a v3
//!   collection folder, a pattern's folders) stays inside the working
//!   directory, or, when it starts outside, inside the folder it starts in.
//! - **What is read ([`Kind`]).** Only regular files. A folder, a named
//!   pipe, a socket or a device is named in an error, found with `stat`,
//!   never opened; the open itself does not wait (`O_NONBLOCK`) and does not
//!   follow a link swapped in meanwhile (`O_NOFOLLOW`).
//! - **How much ([`Limit`]).** Every read stops one byte past its limit and
//!   says which file and which limit.
//! - **How often ([`walk`]).** A walk enters each real folder once, however
//!   many links lead to it, and stops when the task is cancelled.
//!
//! Errors name the file and what is wrong with it, never what it holds: a
//! file that breaks these rules is not read at all.

pub(crate) mod glob;
pub(crate) mod walk;

use std::fmt;
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// How many bytes the task reads of one file, at most. Each limit is far
/// above the files it is for, and the error names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limit(pub(crate) u64);

const MIB: u64 = 1024 * 1024;

impl Limit {
    /// A collection file (v2.1 JSON) or an iteration data file: large
    /// exports with many requests, examples and bodies stay below a few
    /// tens of MiB.
    pub(crate) const LARGE: Limit = Limit(256 * MIB);
    /// An environment or globals file, or one YAML file of a v3 collection
    /// (a request, a definition, `collection.yaml`, `.postman/resources.yaml`).
    pub(crate) const SMALL: Limit = Limit(16 * MIB);
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= MIB && self.0.is_multiple_of(MIB) {
            write!(f, "{} MiB", self.0 / MIB)
        } else {
            write!(f, "{} bytes", self.0)
        }
    }
}

/// What a path is, as `stat` tells it (links followed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Folder,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Other,
}

impl Kind {
    pub(crate) fn of(meta: &Metadata) -> Kind {
        Kind::of_type(meta.file_type())
    }

    pub(crate) fn of_type(t: std::fs::FileType) -> Kind {
        if t.is_file() {
            return Kind::File;
        }
        if t.is_dir() {
            return Kind::Folder;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return Kind::Fifo;
            }
            if t.is_socket() {
                return Kind::Socket;
            }
            if t.is_char_device() {
                return Kind::CharDevice;
            }
            if t.is_block_device() {
                return Kind::BlockDevice;
            }
        }
        Kind::Other
    }

    fn described(self) -> &'static str {
        match self {
            Kind::File => "a file",
            Kind::Folder => "a folder",
            Kind::Fifo => "a named pipe (FIFO)",
            Kind::Socket => "a socket",
            Kind::CharDevice => "a character device",
            Kind::BlockDevice => "a block device",
            Kind::Other => "not a regular file",
        }
    }
}

/// Why a file was not read. Its `Display` completes "`<path>` …"; see
/// [`FileError::fix`] for what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileError {
    #[error("does not exist")]
    NotFound,
    #[error("is {}, not a regular file", .0.described())]
    NotAFile(Kind),
    #[error("is a folder, not a file")]
    Folder,
    #[error("is not a folder")]
    NotAFolder,
    #[error("leads out of the working directory through a symbolic link, to `{}`", .0.display())]
    LinkOutside(PathBuf),
    #[error("is reached through symbolic links that loop")]
    LinkLoop,
    #[error("is larger than {0}, the most the task reads of such a file")]
    TooLarge(Limit),
    /// A walk found the same real folder a second time.
    #[error("is a second way into a folder already read as `{}`", .0.display())]
    Repeated(PathBuf),
    #[error("cannot be read: {0}")]
    Io(std::io::Error),
    #[error("was not read: the task was cancelled")]
    Cancelled,
}

impl FileError {
    /// What the user can do about it.
    pub(crate) fn fix(&self) -> String {
        match self {
            FileError::NotFound => {
                "Check the path; relative paths are resolved against the working directory.".into()
            }
            FileError::NotAFile(_) => "The task reads only regular files (a pipe or a device \
                could block it, or the Postman CLI, without end); give a regular file."
                .into(),
            FileError::Folder => "Give a file.".into(),
            FileError::NotAFolder => "Give a folder.".into(),
            FileError::LinkOutside(_) => "The task follows symbolic links only while they stay \
                inside the working directory, so that a file in the repository cannot make it \
                read others. To use a file outside the working directory, give its own path."
                .into(),
            FileError::LinkLoop => "Fix or remove the looping links.".into(),
            FileError::TooLarge(_) => "Check that this is the file meant; the limit is far above \
                any real one."
                .into(),
            FileError::Repeated(_) => "Link each folder into a collection once: the Postman CLI \
                runs a folder's requests again for every way in, and without end through a loop."
                .into(),
            FileError::Io(_) => "Check that the agent's user may read it.".into(),
            FileError::Cancelled => String::new(),
        }
    }

    fn from_io(e: std::io::Error) -> FileError {
        if e.kind() == std::io::ErrorKind::NotFound {
            return FileError::NotFound;
        }
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return FileError::LinkLoop;
        }
        FileError::Io(e)
    }
}

/// Where symbolic links may lead: the working directory (or, for a walk
/// that starts outside it, the walk's own folder).
#[derive(Clone, Debug)]
pub(crate) struct Bounds {
    /// As given, `.` and `..` resolved by their text: what a path the
    /// user named is compared with to tell whether it lies inside.
    given: PathBuf,
    /// With every link followed: what a real location must lie inside.
    real: PathBuf,
}

impl Bounds {
    /// The bounds of the working directory `dir` (an absolute path).
    pub(crate) fn new(dir: &Path) -> Bounds {
        let given = lexical(dir);
        Bounds {
            real: fs::canonicalize(dir).unwrap_or_else(|_| given.clone()),
            given,
        }
    }

    /// Whether `path` names a place inside these bounds, by its text.
    fn names_inside(&self, path: &Path) -> bool {
        let path = lexical(path);
        path.starts_with(&self.given) || path.starts_with(&self.real)
    }

    /// Whether a real location (links followed) lies inside.
    pub(crate) fn holds(&self, real: &Path) -> bool {
        real.starts_with(&self.real)
    }

    /// The bounds of a walk from `dir`: these, when `dir` lies inside them,
    /// or else the folder `dir` really is.
    pub(crate) fn for_walk(&self, dir: &Path) -> Bounds {
        if self.names_inside(dir) {
            self.clone()
        } else {
            Bounds::new(dir)
        }
    }

    /// Where `path` really is, and what it is, without opening it: an error
    /// when it does not exist, or when it lies inside these bounds by name
    /// but a link takes it out of them.
    pub(crate) fn locate(&self, path: &Path) -> Result<(PathBuf, Metadata), FileError> {
        let real = fs::canonicalize(path).map_err(FileError::from_io)?;
        if self.names_inside(path) && !self.holds(&real) {
            return Err(FileError::LinkOutside(real));
        }
        let meta = fs::metadata(&real).map_err(FileError::from_io)?;
        Ok((real, meta))
    }

    /// Checks that `path` is a regular file the task may read, without
    /// reading it (for files only the Postman CLI reads).
    pub(crate) fn check_file(&self, path: &Path) -> Result<(), FileError> {
        let (_, meta) = self.locate(path)?;
        match Kind::of(&meta) {
            Kind::File => Ok(()),
            Kind::Folder => Err(FileError::Folder),
            other => Err(FileError::NotAFile(other)),
        }
    }

    /// Reads a regular file, at most `limit` bytes of it.
    pub(crate) fn read(&self, path: &Path, limit: Limit) -> Result<Vec<u8>, FileError> {
        self.read_up_to(path, limit)?
            .ok_or(FileError::TooLarge(limit))
    }

    /// [`Bounds::read`], where a file over the limit is `None` rather than
    /// an error (for files the task only checks, and leaves to the CLI when
    /// they are too large to check).
    pub(crate) fn read_up_to(
        &self,
        path: &Path,
        limit: Limit,
    ) -> Result<Option<Vec<u8>>, FileError> {
        let (real, meta) = self.locate(path)?;
        read_regular(&real, &meta, limit)
    }
}

/// Reads `path`, which `meta` (from `stat`) says what it is: a regular
/// file, at most `limit` bytes of it (`None` past that).
fn read_regular(path: &Path, meta: &Metadata, limit: Limit) -> Result<Option<Vec<u8>>, FileError> {
    match Kind::of(meta) {
        Kind::File => {}
        Kind::Folder => return Err(FileError::Folder),
        other => return Err(FileError::NotAFile(other)),
    }
    if meta.len() > limit.0 {
        return Ok(None);
    }
    let file = open_regular(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.0 + 1)
        .read_to_end(&mut bytes)
        .map_err(FileError::from_io)?;
    if bytes.len() as u64 > limit.0 {
        return Ok(None);
    }
    Ok(Some(bytes))
}

/// Opens a file found regular by `stat`, so that whatever replaced it since
/// cannot block the open (`O_NONBLOCK`: a pipe opens at once) or redirect
/// it (`O_NOFOLLOW`), and checks the open file is still a regular file.
fn open_regular(real: &Path) -> Result<File, FileError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    let file = options.open(real).map_err(FileError::from_io)?;
    let meta = file.metadata().map_err(FileError::from_io)?;
    match Kind::of(&meta) {
        Kind::File => Ok(file),
        other => Err(FileError::NotAFile(other)),
    }
}

/// `path` with `.` and `..` resolved by their text, as `path.resolve` does
/// (links are not followed, so `a/link/..` is `a`).
pub(crate) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if out.file_name().is_some() {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn setup() -> (tempfile::TempDir, tempfile::TempDir, Bounds) {
        let work = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(
            outside.path().join("id_rsa"),
            "-----BEGIN KEY-----\nsecret\n",
        )
        .unwrap();
        fs::write(work.path().join("env.json"), "{}").unwrap();
        let bounds = Bounds::new(work.path());
        (work, outside, bounds)
    }

    #[test]
    fn reads_regular_files_inside_and_follows_links_that_stay_inside() {
        let (work, _outside, bounds) = setup();
        let w = work.path();
        assert_eq!(
            bounds.read(&w.join("env.json"), Limit::SMALL).unwrap(),
            b"{}"
        );
        fs::create_dir(w.join("sub")).unwrap();
        symlink("../env.json", w.join("sub/link.json")).unwrap();
        assert_eq!(
            bounds.read(&w.join("sub/link.json"), Limit::SMALL).unwrap(),
            b"{}"
        );
        // `..` that stays inside is inside.
        assert!(
            bounds
                .read(&w.join("sub/../env.json"), Limit::SMALL)
                .is_ok()
        );
    }

    #[test]
    fn refuses_links_out_of_the_working_directory_without_reading() {
        let (work, outside, bounds) = setup();
        let w = work.path();
        symlink(outside.path().join("id_rsa"), w.join("key.yaml")).unwrap();
        symlink(outside.path(), w.join("out")).unwrap();
        for path in [w.join("key.yaml"), w.join("out/id_rsa")] {
            let err = bounds.read(&path, Limit::SMALL).unwrap_err();
            assert!(matches!(err, FileError::LinkOutside(_)), "{err}");
            assert!(!err.to_string().contains("secret"), "{err}");
            assert!(err.to_string().contains("id_rsa"), "{err}");
        }
        // A path given outside the working directory is read where it leads.
        assert!(
            bounds
                .read(&outside.path().join("id_rsa"), Limit::SMALL)
                .is_ok()
        );
        assert!(
            bounds
                .read(
                    &w.join("../")
                        .join(outside.path().file_name().unwrap())
                        .join("id_rsa"),
                    Limit::SMALL
                )
                .is_ok()
        );
    }

    #[test]
    fn names_special_files_without_opening_them() {
        let (work, _outside, bounds) = setup();
        let w = work.path();
        let fifo = w.join("x.request.yaml");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        // Opening it would block this test for ever.
        let err = bounds.read(&fifo, Limit::SMALL).unwrap_err();
        assert!(matches!(err, FileError::NotAFile(Kind::Fifo)), "{err}");
        assert_eq!(
            err.to_string(),
            "is a named pipe (FIFO), not a regular file"
        );
        assert!(matches!(
            bounds.check_file(&fifo),
            Err(FileError::NotAFile(Kind::Fifo))
        ));
        // A device outside the working directory, named directly.
        assert!(matches!(
            bounds.read(Path::new("/dev/zero"), Limit::SMALL),
            Err(FileError::NotAFile(Kind::CharDevice))
        ));
        assert!(matches!(
            bounds.read(w, Limit::SMALL),
            Err(FileError::Folder)
        ));
    }

    #[test]
    fn reads_stop_at_the_limit() {
        let (work, _outside, bounds) = setup();
        let big = work.path().join("big.json");
        fs::write(&big, vec![b' '; 11]).unwrap();
        assert_eq!(bounds.read(&big, Limit(11)).unwrap().len(), 11);
        let err = bounds.read(&big, Limit(10)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "is larger than 10 bytes, the most the task reads of such a file"
        );
        assert_eq!(bounds.read_up_to(&big, Limit(10)).unwrap(), None);
        assert_eq!(Limit::SMALL.to_string(), "16 MiB");
    }

    #[test]
    fn loops_and_missing_files_are_named() {
        let (work, _outside, bounds) = setup();
        let w = work.path();
        symlink("b", w.join("a")).unwrap();
        symlink("a", w.join("b")).unwrap();
        assert!(matches!(
            bounds.read(&w.join("a"), Limit::SMALL),
            Err(FileError::LinkLoop)
        ));
        assert!(matches!(
            bounds.read(&w.join("nope"), Limit::SMALL),
            Err(FileError::NotFound)
        ));
    }

    #[test]
    fn lexical_resolves_dots_by_text() {
        assert_eq!(lexical(Path::new("/a/b/../c/./d")), Path::new("/a/c/d"));
        assert_eq!(lexical(Path::new("a/../../b")), Path::new("../b"));
        assert_eq!(lexical(Path::new("/../a")), Path::new("/a"));
    }
}
