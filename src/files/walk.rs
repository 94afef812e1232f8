//! Walking the user's folders: each real folder entered once, however many
//! links lead to it (two links `a -> .` and `b -> .` once made a walk of
//! about 2^40 paths), links followed only while they stay inside the
//! bounds, and every step a chance to stop when the task is cancelled.
//!
//! A walk lists a folder's entries as what they are, links followed; what
//! to do with each (skip it, refuse the collection) is the caller's
//! decision, since only the caller knows which files matter.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Bounds, FileError, Kind, Limit, read_regular};
use crate::process::Cancel;

/// One folder entry.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The file name, as text (invalid UTF-8 replaced).
    pub(crate) name: String,
    /// The folder's path joined with the name: links are not resolved, so
    /// it reads as the user's own layout.
    pub(crate) path: PathBuf,
    pub(crate) kind: EntryKind,
    /// Which real folder it is, for a folder.
    id: Option<FolderId>,
    /// Reached through a link (checked against the bounds when listed).
    linked: bool,
}

impl Entry {
    /// Which real folder it is, for a folder.
    pub(crate) fn folder_id(&self) -> Option<FolderId> {
        self.id.clone()
    }
}

#[derive(Debug)]
pub(crate) enum EntryKind {
    /// A regular file, perhaps through links that stay inside the bounds.
    File,
    /// A folder, perhaps through links that stay inside the bounds; see
    /// [`Walk::enter_entry`] before going in.
    Folder,
    /// Anything the walk does not read: a named pipe, a socket or a device,
    /// a link out of the bounds, a loop of links, a link to nothing.
    Refused(FileError),
}

/// Names a real folder: device and inode where there are such, else the
/// real path.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(crate) enum FolderId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

/// One walk: its bounds, the folders it has been through, and the
/// cancellation it stops at.
pub(crate) struct Walk<'a> {
    bounds: Bounds,
    seen: HashMap<FolderId, PathBuf>,
    cancel: Option<&'a Cancel>,
}

impl<'a> Walk<'a> {
    /// A walk from `start`, within `bounds` when `start` lies inside them
    /// (see [`Bounds::for_walk`]).
    pub(crate) fn new(start: &Path, bounds: &Bounds, cancel: Option<&'a Cancel>) -> Walk<'a> {
        Walk {
            bounds: bounds.for_walk(start),
            seen: HashMap::new(),
            cancel,
        }
    }

    pub(crate) fn bounds(&self) -> &Bounds {
        &self.bounds
    }

    fn check_cancel(&self) -> Result<(), FileError> {
        if self.cancel.is_some_and(Cancel::is_cancelled) {
            return Err(FileError::Cancelled);
        }
        Ok(())
    }

    /// Which real folder `dir` is: an error when it is not a folder inside
    /// the bounds. For where a walk starts; entries carry theirs.
    pub(crate) fn folder_id(&self, dir: &Path) -> Result<FolderId, FileError> {
        self.check_cancel()?;
        let (real, meta) = self.bounds.locate(dir)?;
        if Kind::of(&meta) != Kind::Folder {
            return Err(FileError::NotAFolder);
        }
        Ok(folder_id(&real, &meta))
    }

    /// Marks the folder `dir` (where the walk starts) as gone through; see
    /// [`Walk::enter_entry`].
    pub(crate) fn enter(&mut self, dir: &Path) -> Result<(), FileError> {
        let id = self.folder_id(dir)?;
        self.mark(id, dir)
    }

    /// Marks a listed folder as gone through. An error when the walk has
    /// been through this real folder already ([`FileError::Repeated`],
    /// naming the first path), or when the entry is not a folder.
    pub(crate) fn enter_entry(&mut self, entry: &Entry) -> Result<(), FileError> {
        self.check_cancel()?;
        let id = entry.id.clone().ok_or(FileError::NotAFolder)?;
        self.mark(id, &entry.path)
    }

    fn mark(&mut self, id: FolderId, path: &Path) -> Result<(), FileError> {
        if let Some(first) = self.seen.get(&id) {
            return Err(FileError::Repeated(first.clone()));
        }
        self.seen.insert(id, path.to_path_buf());
        Ok(())
    }

    /// The entries of `dir` (a folder inside the bounds), sorted by name,
    /// each as what it is (links followed within the bounds). Nothing is
    /// opened but the folder; only links cost more than the listing.
    pub(crate) fn list(&self, dir: &Path) -> Result<Vec<Entry>, FileError> {
        self.check_cancel()?;
        let mut entries = Vec::new();
        for entry in fs::read_dir(dir).map_err(FileError::from_io)? {
            self.check_cancel()?;
            let entry = entry.map_err(FileError::from_io)?;
            let path = entry.path();
            let (kind, linked) = match entry.file_type() {
                Ok(t) if t.is_symlink() => match self.bounds.locate(&path) {
                    Ok((_, meta)) => (kind_of(Kind::of(&meta)), true),
                    Err(e) => (EntryKind::Refused(e), true),
                },
                Ok(t) => (kind_of(Kind::of_type(t)), false),
                Err(e) => (EntryKind::Refused(FileError::from_io(e)), false),
            };
            let id = match kind {
                EntryKind::Folder => entry_id(&path),
                _ => None,
            };
            entries.push(Entry {
                name: entry.file_name().to_string_lossy().into_owned(),
                path,
                kind,
                id,
                linked,
            });
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// Reads a file within the walk's bounds; see [`Bounds::read`].
    pub(crate) fn read(&self, path: &Path, limit: Limit) -> Result<Vec<u8>, FileError> {
        self.check_cancel()?;
        self.bounds.read(path, limit)
    }

    /// Reads a listed file. One reached without a link lies in a folder
    /// already known to be inside the bounds, so only what it is and its
    /// size are checked.
    pub(crate) fn read_entry(&self, entry: &Entry, limit: Limit) -> Result<Vec<u8>, FileError> {
        if entry.linked {
            return self.read(&entry.path, limit);
        }
        self.check_cancel()?;
        let meta = fs::symlink_metadata(&entry.path).map_err(FileError::from_io)?;
        read_regular(&entry.path, &meta, limit)?.ok_or(FileError::TooLarge(limit))
    }
}

fn kind_of(kind: Kind) -> EntryKind {
    match kind {
        Kind::File => EntryKind::File,
        Kind::Folder => EntryKind::Folder,
        other => EntryKind::Refused(FileError::NotAFile(other)),
    }
}

#[cfg(unix)]
fn folder_id(_real: &Path, meta: &fs::Metadata) -> FolderId {
    use std::os::unix::fs::MetadataExt;
    FolderId::Inode(meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn folder_id(real: &Path, _meta: &fs::Metadata) -> FolderId {
    FolderId::Path(real.to_path_buf())
}

/// A listed folder's id: by `stat` (the kernel follows the path, which is
/// cheap) where inodes name folders, else by its real path.
#[cfg(unix)]
fn entry_id(path: &Path) -> Option<FolderId> {
    fs::metadata(path).ok().map(|meta| folder_id(path, &meta))
}

#[cfg(not(unix))]
fn entry_id(path: &Path) -> Option<FolderId> {
    fs::canonicalize(path).ok().map(FolderId::Path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn each_real_folder_is_entered_once() {
        let work = tempfile::tempdir().unwrap();
        let w = work.path();
        symlink(".", w.join("a")).unwrap();
        symlink(".", w.join("b")).unwrap();
        let bounds = Bounds::new(w);
        let mut walk = Walk::new(w, &bounds, None);
        walk.enter(w).unwrap();
        let entries = walk.list(w).unwrap();
        let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(matches!(entries[0].kind, EntryKind::Folder));
        let err = walk.enter_entry(&entries[0]).unwrap_err();
        assert!(
            matches!(&err, FileError::Repeated(first) if first == w),
            "{err}"
        );
    }

    #[test]
    fn links_out_and_special_files_are_listed_as_refused() {
        let work = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let w = work.path();
        symlink(outside.path(), w.join("out")).unwrap();
        symlink("/dev/zero", w.join("zero")).unwrap();
        symlink("nothing", w.join("dangling")).unwrap();
        fs::write(w.join("ok.yaml"), "").unwrap();
        let bounds = Bounds::new(w);
        let walk = Walk::new(w, &bounds, None);
        let kinds: Vec<String> = walk
            .list(w)
            .unwrap()
            .iter()
            .map(|e| match &e.kind {
                EntryKind::File => format!("{} file", e.name),
                EntryKind::Folder => format!("{} folder", e.name),
                EntryKind::Refused(why) => format!("{} {why}", e.name),
            })
            .collect();
        assert_eq!(kinds[0], "dangling does not exist");
        assert_eq!(kinds[1], "ok.yaml file");
        assert!(kinds[2].starts_with("out leads out of the working directory"));
        assert!(kinds[3].starts_with("zero leads out of the working directory"));
    }

    #[test]
    fn a_walk_that_starts_outside_stays_in_its_folder() {
        let work = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let o = other.path();
        fs::create_dir(o.join("col")).unwrap();
        symlink(o, o.join("col/up")).unwrap();
        let bounds = Bounds::new(work.path());
        let walk = Walk::new(&o.join("col"), &bounds, None);
        let entries = walk.list(&o.join("col")).unwrap();
        assert!(matches!(
            entries[0].kind,
            EntryKind::Refused(FileError::LinkOutside(_))
        ));
    }

    #[test]
    fn a_cancelled_walk_stops() {
        let work = tempfile::tempdir().unwrap();
        let (canceller, cancel) = Cancel::new();
        let bounds = Bounds::new(work.path());
        let mut walk = Walk::new(work.path(), &bounds, Some(&cancel));
        canceller.cancel();
        assert!(matches!(walk.enter(work.path()), Err(FileError::Cancelled)));
    }
}
