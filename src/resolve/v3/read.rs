//! Reading a v3 collection folder from the disk: which layout it has, and
//! its tree, each file decoded as the CLI decodes it.
//!
//! Measured with Postman CLI 1.62.0, on folders a pull request or an
//! earlier step could leave:
//! - The CLI follows symbolic links: one link `a -> .` makes it
//!   run the folder's requests about forty times over (until the kernel's
//!   limit on links in a path), two make it walk without end, and a link to
//!   a folder already in the collection runs that folder's requests again.
//!   It blocks on a named pipe called `*.request.yaml`.
//!
//! So this reader walks the folder as hostile input (see [`crate::files`]):
//! a request file, a definition or a folder that leads out of the working
//! directory, a real folder met a second time, or a request file that is
//! not a regular file (a pipe, a device) is not read, and the collection is
//! refused, naming it: the CLI would read it, hang on it, or run without
//! end. Other entries the CLI does not read are left alone.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{CollectionError, Definition, Folder, Item, Request, Scalar, V3Collection};
use super::{run_order_cmp, text};
use crate::files::walk::{EntryKind, Walk};
use crate::files::{Bounds, FileError, Limit};
use crate::process::Cancel;
use crate::resolve::decode::{self, Encoding};

/// The request file suffixes the CLI accepts, compared case-insensitively.
const REQUEST_SUFFIXES: [&str; 2] = [".request.yaml", ".request.yml"];
const RESOURCES_DIR: &str = ".resources";
const DEFINITION_FILES: [&str; 2] = ["definition.yaml", "definition.yml"];
const ROOT_FILES: [&str; 2] = ["collection.yaml", "collection.yml"];

fn refused(path: &Path) -> impl FnOnce(FileError) -> CollectionError + '_ {
    move |error| CollectionError::File {
        path: path.to_path_buf(),
        error,
    }
}

/// How a folder holds a v3 collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `.resources/definition.yaml` and `*.request.yaml` files (what
    /// `postman collection migrate` and Postman's file-system mode write).
    Filesystem,
    /// A `collection.yaml` whose items reference other files. The CLI runs
    /// it; this module does not read its tree.
    CollectionYaml(PathBuf),
}

/// Whether `dir` is a v3 collection as the CLI decides it, and in which
/// layout. `None` for anything else (a file, a missing path, a plain
/// folder). Links are followed within `bounds` (see [`Walk`]); something
/// the walk does not read but the CLI would look at still counts, so that
/// reading the collection names it.
pub(crate) fn detect(
    dir: &Path,
    bounds: &Bounds,
    cancel: Option<&Cancel>,
) -> Result<Option<Layout>, FileError> {
    let mut walk = Walk::new(dir, bounds, cancel);
    if walk.enter(dir).is_err() {
        return Ok(None);
    }
    for name in ROOT_FILES {
        let path = dir.join(name);
        match walk.read(&path, Limit::SMALL) {
            // The CLI takes a `collection.yaml` only with `$kind:
            // collection`; one without it also stops the folder counting
            // as the file-system layout.
            Ok(bytes) => {
                return Ok(is_collection_yaml(&bytes).then_some(Layout::CollectionYaml(path)));
            }
            Err(FileError::NotFound) => {}
            Err(FileError::Cancelled) => return Err(FileError::Cancelled),
            Err(_) => return Ok(Some(Layout::CollectionYaml(path))),
        }
    }
    let resources = match walk.bounds().locate(&dir.join(RESOURCES_DIR)) {
        Ok((_, meta)) => meta.is_dir(),
        Err(e) => !matches!(e, FileError::NotFound),
    };
    Ok((resources || has_request_files(dir, &mut walk)?).then_some(Layout::Filesystem))
}

fn is_collection_yaml(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Root {
        #[serde(rename = "$kind")]
        kind: Option<String>,
    }
    decode::yaml(bytes)
        .ok()
        .and_then(|(text, _)| serde_saphyr::from_str::<Root>(&text).ok())
        .is_some_and(|root| root.kind.as_deref() == Some("collection"))
}

/// Whether a request file (or something named like one) is in `dir` or a
/// folder below it whose name does not start with a dot.
fn has_request_files(dir: &Path, walk: &mut Walk<'_>) -> Result<bool, FileError> {
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let entries = match walk.list(&dir) {
            Ok(entries) => entries,
            Err(FileError::Cancelled) => return Err(FileError::Cancelled),
            Err(_) => continue,
        };
        for entry in entries {
            match entry.kind {
                EntryKind::Folder if !entry.name.starts_with('.') => {
                    if walk.enter_entry(&entry).is_ok() {
                        todo.push(entry.path);
                    }
                }
                EntryKind::Folder | EntryKind::Refused(FileError::NotFound) => {}
                EntryKind::File | EntryKind::Refused(_) => {
                    if request_stem(&entry.name).is_some() {
                        return Ok(true);
                    }
                }
            }
        }
    }
    Ok(false)
}

/// `Add an item` for `Add an item.request.yaml`; `None` for other files.
fn request_stem(file_name: &str) -> Option<&str> {
    let lower = file_name.to_ascii_lowercase();
    REQUEST_SUFFIXES
        .iter()
        .find(|s| lower.ends_with(*s) && lower.len() > s.len())
        .map(|s| &file_name[..file_name.len() - s.len()])
}

/// A collection read, and the YAML files in it that were not UTF-8 (read
/// as the CLI reads them; see [`super::decode`]).
pub(crate) struct Read {
    pub(crate) collection: V3Collection,
    pub(crate) not_utf8: Vec<PathBuf>,
}

impl V3Collection {
    /// Reads the collection in `dir`, its links followed only inside `dir`
    /// itself (for tests and fixtures; the task uses [`V3Collection::read_within`]).
    #[cfg(test)]
    pub(crate) fn read(dir: &Path) -> Result<V3Collection, CollectionError> {
        V3Collection::read_within(dir, &Bounds::new(dir), None).map(|r| r.collection)
    }

    /// Reads the collection in `dir`, its links followed only within
    /// `bounds` (the working directory), stopping when `cancel` is set.
    pub(crate) fn read_within(
        dir: &Path,
        bounds: &Bounds,
        cancel: Option<&Cancel>,
    ) -> Result<Read, CollectionError> {
        let mut reader = Reader {
            walk: Walk::new(dir, bounds, cancel),
            not_utf8: Vec::new(),
        };
        let collection = match detect(dir, bounds, cancel).map_err(refused(dir))? {
            Some(Layout::Filesystem) => {
                reader.walk.enter(dir).map_err(refused(dir))?;
                let def = reader.definition(dir)?;
                V3Collection {
                    root: dir.to_path_buf(),
                    name: text_or_dir_name(&def.name, dir),
                    id: text(&def.id),
                    items: reader.items(dir, &[])?,
                }
            }
            Some(Layout::CollectionYaml(path)) => {
                // Only the name is read from this layout; the CLI reads the rest.
                let def = parse_yaml(&path, &reader.text(&path)?)?;
                V3Collection {
                    root: dir.to_path_buf(),
                    name: text_or_dir_name(&def.name, dir),
                    id: text(&def.id),
                    items: Vec::new(),
                }
            }
            None => return Err(CollectionError::NotV3(dir.to_path_buf())),
        };
        Ok(Read {
            collection,
            not_utf8: reader.not_utf8,
        })
    }
}

fn parse_yaml(path: &Path, text: &str) -> Result<Definition, CollectionError> {
    if text.trim().is_empty() {
        return Ok(Definition::default());
    }
    serde_saphyr::from_str(text).map_err(|e| CollectionError::Yaml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn text_or_dir_name(name: &Option<Scalar>, dir: &Path) -> String {
    text(name).unwrap_or_else(|| {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    })
}

/// One reading of a collection folder: the walk, and what it found that
/// was not UTF-8.
struct Reader<'a> {
    walk: Walk<'a>,
    not_utf8: Vec<PathBuf>,
}

impl Reader<'_> {
    /// A YAML file's text, decoded as the CLI decodes it.
    fn text(&mut self, path: &Path) -> Result<String, CollectionError> {
        let bytes = self.walk.read(path, Limit::SMALL).map_err(refused(path))?;
        self.decode(path, &bytes)
    }

    fn decode(&mut self, path: &Path, bytes: &[u8]) -> Result<String, CollectionError> {
        let (text, encoding) = decode::yaml(bytes).map_err(|e| CollectionError::Yaml {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if encoding == Encoding::Utf8Replaced {
            self.not_utf8.push(path.to_path_buf());
        }
        Ok(text)
    }

    /// The folder's `.resources/definition.yaml`, or an empty one.
    fn definition(&mut self, dir: &Path) -> Result<Definition, CollectionError> {
        for name in DEFINITION_FILES {
            let path = dir.join(RESOURCES_DIR).join(name);
            // Present, whatever it is: reading it says what is wrong.
            if fs::symlink_metadata(&path).is_ok() {
                return parse_yaml(&path, &self.text(&path)?);
            }
        }
        Ok(Definition::default())
    }

    fn items(&mut self, dir: &Path, folders: &[String]) -> Result<Vec<Item>, CollectionError> {
        let entries = self.walk.list(dir).map_err(refused(dir))?;
        let mut items = Vec::new();
        for entry in entries {
            let stem = request_stem(&entry.name);
            match entry.kind {
                EntryKind::Folder => {
                    if entry.name.starts_with('.') {
                        continue;
                    }
                    self.walk
                        .enter_entry(&entry)
                        .map_err(refused(&entry.path))?;
                    let path = entry.path;
                    let def = self.definition(&path)?;
                    let name = text_or_dir_name(&def.name, &path);
                    let mut inner = folders.to_vec();
                    inner.push(name.clone());
                    items.push(Item::Folder(Folder {
                        id: text(&def.id),
                        order: def.order.as_ref().and_then(Scalar::number).unwrap_or(0.0),
                        items: self.items(&path, &inner)?,
                        dir: path,
                        name,
                    }));
                }
                EntryKind::File => {
                    let Some(stem) = stem else {
                        continue;
                    };
                    let bytes = self
                        .walk
                        .read_entry(&entry, Limit::SMALL)
                        .map_err(refused(&entry.path))?;
                    let path = entry.path;
                    let source = self.decode(&path, &bytes)?;
                    // The CLI leaves out a request file that is not YAML and
                    // runs the rest (collection lint names it); so does the
                    // task.
                    let Ok(def) = parse_yaml(&path, &source) else {
                        continue;
                    };
                    items.push(Item::Request(Request {
                        name: text(&def.name).unwrap_or_else(|| stem.to_owned()),
                        id: text(&def.id),
                        kind: text(&def.kind).unwrap_or_default(),
                        method: text(&def.method),
                        url: text(&def.url),
                        order: def.order.as_ref().and_then(Scalar::number).unwrap_or(0.0),
                        folders: folders.to_vec(),
                        file: path,
                    }));
                }
                EntryKind::Refused(error) => {
                    if cli_reads(&entry.name, &entry.path, &error) {
                        return Err(CollectionError::File {
                            path: entry.path,
                            error,
                        });
                    }
                }
            }
        }
        items.sort_by(run_order_cmp);
        Ok(items)
    }
}

/// Whether the CLI would read (or walk into) an entry the task refused:
/// a request file, or a folder whose name does not start with a dot. A
/// link to nothing, or one that loops, the CLI cannot read either.
fn cli_reads(name: &str, path: &Path, error: &FileError) -> bool {
    match error {
        FileError::NotFound | FileError::LinkLoop => false,
        FileError::Cancelled => true,
        // Where it leads may be looked at (not read) to tell a folder.
        FileError::LinkOutside(_) => {
            request_stem(name).is_some() || (!name.starts_with('.') && path.is_dir())
        }
        _ => request_stem(name).is_some(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::super::fixture;
    use super::*;

    fn detect(dir: &Path) -> Option<Layout> {
        super::detect(dir, &Bounds::new(dir), None).unwrap()
    }

    fn paths(c: &V3Collection) -> Vec<String> {
        c.requests().iter().map(|r| r.path()).collect()
    }

    #[test]
    fn detects_what_the_cli_takes_for_a_v3_collection() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        assert_eq!(detect(dir), None);
        let err = V3Collection::read(dir).unwrap_err().to_string();
        assert!(err.contains("not a Postman v3 collection"), "{err}");
        assert!(err.contains(".resources/definition.yaml"), "{err}");
        assert!(err.contains("*.request.yaml"), "{err}");

        // A request file in a sub-folder is enough.
        fs::create_dir_all(dir.join("Sub")).unwrap();
        fs::write(dir.join("Sub/Get.REQUEST.yml"), "$kind: http-request\n").unwrap();
        assert_eq!(detect(dir), Some(Layout::Filesystem));
        let c = V3Collection::read(dir).unwrap();
        assert_eq!(paths(&c), ["Sub / Get"]);
        // ...but not in a dot folder.
        let tmp2 = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp2.path().join(".hidden")).unwrap();
        fs::write(tmp2.path().join(".hidden/x.request.yaml"), "").unwrap();
        assert_eq!(detect(tmp2.path()), None);

        // A `collection.yaml` with `$kind: collection` is the other layout.
        let tmp3 = tempfile::tempdir().unwrap();
        fs::write(
            tmp3.path().join("collection.yaml"),
            "$kind: collection\nname: Refs\n",
        )
        .unwrap();
        assert!(matches!(
            detect(tmp3.path()),
            Some(Layout::CollectionYaml(_))
        ));
        assert_eq!(V3Collection::read(tmp3.path()).unwrap().name, "Refs");

        // A file is not a v3 collection folder.
        assert_eq!(detect(&fixture("exp.postman_collection.json")), None);
    }

    #[test]
    fn a_broken_request_file_is_left_out_as_the_cli_leaves_it_out() {
        // Measured with CLI 1.62.0: the run goes on without the file;
        // collection lint names it (FMT018, with its line and column).
        let tmp = tempfile::tempdir().unwrap();
        fs::write(
            tmp.path().join("Bad.request.yaml"),
            "url: \"{{x}}\nscripts: [\n",
        )
        .unwrap();
        fs::write(
            tmp.path().join("Good.request.yaml"),
            "$kind: http-request\nurl: http://x\n",
        )
        .unwrap();
        let read = V3Collection::read(tmp.path()).unwrap();
        let names: Vec<_> = read.requests().iter().map(|r| r.name.clone()).collect();
        assert_eq!(names, ["Good"]);
    }

    fn collection(dir: &Path) {
        fs::create_dir_all(dir.join(".resources")).unwrap();
        fs::write(
            dir.join(".resources/definition.yaml"),
            "$kind: collection\nname: Shop\n",
        )
        .unwrap();
        fs::write(
            dir.join("Get.request.yaml"),
            "$kind: http-request\nurl: x\n",
        )
        .unwrap();
    }

    fn refusal(dir: &Path, bounds: &Bounds) -> String {
        match V3Collection::read_within(dir, bounds, None) {
            Err(e @ CollectionError::File { .. }) => e.to_string(),
            Err(e) => panic!("not a refusal: {e}"),
            Ok(_) => panic!("read"),
        }
    }

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    }

    #[test]
    fn looping_and_repeated_folders_are_refused() {
        // Measured: the CLI runs `Get` about forty times with one such
        // link, and walks without end with two.
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().join("Shop");
        collection(&dir);
        std::os::unix::fs::symlink(".", dir.join("a")).unwrap();
        std::os::unix::fs::symlink(".", dir.join("b")).unwrap();
        let text = refusal(&dir, &Bounds::new(work.path()));
        assert!(
            text.ends_with(
                "Shop/a` is a second way into a folder already read as `{}`"
                    .replace("{}", &dir.display().to_string())
                    .as_str()
            ),
            "{text}"
        );
        // A folder reached by two links (the CLI runs it twice).
        let dir = work.path().join("Twice");
        collection(&dir);
        fs::create_dir(dir.join("Sub")).unwrap();
        std::os::unix::fs::symlink("Sub", dir.join("Again")).unwrap();
        assert!(refusal(&dir, &Bounds::new(work.path())).contains("a second way into"));
    }

    #[test]
    fn links_that_stay_inside_the_working_directory_are_followed() {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().join("Shop");
        collection(&dir);
        let shared = work.path().join("shared/Cart");
        fs::create_dir_all(&shared).unwrap();
        fs::write(shared.join("Add.request.yaml"), "url: y\n").unwrap();
        std::os::unix::fs::symlink("../shared/Cart", dir.join("Cart")).unwrap();
        let read = V3Collection::read_within(&dir, &Bounds::new(work.path()), None).unwrap();
        assert_eq!(paths(&read.collection), ["Cart / Add", "Get"]);
        // The same link leaves a collection read on its own bounds.
        assert!(refusal(&dir, &Bounds::new(&dir)).contains("leads out of the working directory"));
    }

    #[test]
    fn files_out_of_the_working_directory_are_never_read() {
        let work = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let key = outside.path().join("id_rsa");
        fs::write(
            &key,
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n",
        )
        .unwrap();
        let bounds = Bounds::new(work.path());
        // A definition linked to a key: YAML would quote it in its error.
        let dir = work.path().join("Def");
        collection(&dir);
        fs::remove_file(dir.join(".resources/definition.yaml")).unwrap();
        std::os::unix::fs::symlink(&key, dir.join(".resources/definition.yaml")).unwrap();
        let text = refusal(&dir, &bounds);
        assert!(
            text.contains("definition.yaml` leads out of the working directory"),
            "{text}"
        );
        assert!(
            !text.contains("BEGIN") && !text.contains("b3Blbn"),
            "{text}"
        );
        // A request file linked to `/dev/zero`, and a folder linked out.
        let dir = work.path().join("Zero");
        collection(&dir);
        std::os::unix::fs::symlink("/dev/zero", dir.join("z.request.yaml")).unwrap();
        assert!(refusal(&dir, &bounds).contains("to `/dev/zero`"));
        let dir = work.path().join("Out");
        collection(&dir);
        std::os::unix::fs::symlink(outside.path(), dir.join("Folder")).unwrap();
        assert!(refusal(&dir, &bounds).contains("Out/Folder` leads out"));
        // What the CLI does not read is left alone, wherever it leads.
        let dir = work.path().join("Fine");
        collection(&dir);
        std::os::unix::fs::symlink(&key, dir.join("README.md")).unwrap();
        mkfifo(&dir.join("notes.txt"));
        let read = V3Collection::read_within(&dir, &bounds, None).unwrap();
        assert_eq!(paths(&read.collection), ["Get"]);
    }

    #[test]
    fn a_pipe_named_as_a_request_is_refused_unopened() {
        // Measured: the CLI blocks on it for ever.
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().join("Shop");
        collection(&dir);
        mkfifo(&dir.join("x.request.yaml"));
        let text = refusal(&dir, &Bounds::new(work.path()));
        assert!(
            text.ends_with("x.request.yaml` is a named pipe (FIFO), not a regular file"),
            "{text}"
        );
        assert!(detect(&dir).is_some());
    }

    #[test]
    fn files_that_are_not_utf8_are_read_as_the_cli_reads_them() {
        // `Montréal` saved in Latin-1: the CLI reads `Montr\u{FFFD}al`.
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().join("Shop");
        fs::create_dir_all(dir.join(".resources")).unwrap();
        fs::write(
            dir.join(".resources/definition.yaml"),
            b"$kind: collection\nname: Qu\xE9bec\n",
        )
        .unwrap();
        fs::write(dir.join("Get.request.yaml"), b"name: Montr\xE9al\nurl: x\n").unwrap();
        let read = V3Collection::read_within(&dir, &Bounds::new(work.path()), None).unwrap();
        assert_eq!(read.collection.name, "Qu\u{FFFD}bec");
        assert_eq!(paths(&read.collection), ["Montr\u{FFFD}al"]);
        assert_eq!(read.not_utf8.len(), 2);
    }
}
