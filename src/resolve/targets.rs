//! Which collections run: each `collection` line as a URL, a UID, a file, a
//! folder or a pattern; each file or folder read (see [`super::collection`]
//! and [`super::v3`]); names made unique; then every collection with every
//! environment (the matrix).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::collection::{Collection, CollectionError, is_uid};
use super::v3::{self, V3Collection};
use super::{
    CollectionSource, EnvironmentTarget, LintTarget, Resolver, Resource, RunTarget, decode,
    is_yaml, linked,
};
use crate::files::glob::{self, is_pattern};
use crate::files::walk::EntryKind;
use crate::files::{FileError, Kind, Limit};
use crate::inputs::Field;
use crate::plan::{InputError, InputErrorKind, Plan};

/// A collection that passed its checks, before environments multiply it.
pub(super) struct CollectionTarget {
    pub(super) source: CollectionSource,
    pub(super) display: String,
    pub(super) name: String,
    pub(super) collection: Option<Collection>,
    pub(super) v3: Option<V3Collection>,
}

/// The collections found, and the v3 folders among them that collection
/// lint may read, with how each was shown.
pub(super) struct Found {
    pub(super) targets: Vec<CollectionTarget>,
    pub(super) v3_folders: Vec<(PathBuf, String)>,
}

impl Resolver<'_> {
    /// Every collection the `collection` lines name, read and checked.
    /// Problems of one collection stop only that one (`skipped`); a pattern
    /// that matches nothing stops everything.
    pub(super) fn collections(&mut self) -> Found {
        let mut seen = HashSet::new();
        let mut found = Found {
            targets: Vec::new(),
            v3_folders: Vec::new(),
        };
        for (source, display) in self.sources() {
            let key = match &source {
                CollectionSource::File(p) => std::fs::canonicalize(p)
                    .unwrap_or_else(|_| p.clone())
                    .display()
                    .to_string(),
                other => other.arg(),
            };
            if !seen.insert(key) {
                continue;
            }
            let mut target = CollectionTarget {
                name: display.clone(),
                source,
                display,
                collection: None,
                v3: None,
            };
            let mut problems = Vec::new();
            if let CollectionSource::File(path) = target.source.clone() {
                // A v3 folder is linted whether or not it can run (lint
                // names what is wrong), unless the task would not read it.
                if self.load(&path, &mut target, &mut problems) {
                    found.v3_folders.push((path, target.display.clone()));
                }
            }
            self.check_folders(&target, &mut problems);
            if problems.is_empty() {
                found.targets.push(target);
            } else {
                self.skipped.extend(problems);
            }
        }
        crate::text::disambiguate(&mut found.targets, |r| &mut r.name, |r| r.display.clone());
        found
    }

    /// Each `collection` line as what it names, patterns expanded.
    fn sources(&mut self) -> Vec<(CollectionSource, String)> {
        let mut found = Vec::new();
        for line in &self.plan.collections {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("http://") || lower.starts_with("https://") {
                found.push((CollectionSource::Url(line.clone()), line.clone()));
            } else if is_pattern(line) {
                found.extend(self.expand(line));
            } else {
                let path = self.working_dir.join(line);
                if !path.exists() && is_uid(line) {
                    found.push((CollectionSource::Uid(line.clone()), line.clone()));
                } else {
                    found.push((CollectionSource::File(path), line.clone()));
                }
            }
        }
        found
    }

    /// What a pattern matches: files, and the folders that are v3
    /// collections (other folders are not collections). An absolute pattern
    /// (`$(System.DefaultWorkingDirectory)/…` expanded by the agent) stands
    /// on its own; a relative one starts at the working directory. A match
    /// the task does not read is named.
    fn expand(&mut self, line: &str) -> Vec<(CollectionSource, String)> {
        let matches =
            glob::expand(line, &self.working_dir, &self.bounds, self.cancel).unwrap_or_default();
        let mut found = Vec::new();
        let mut refused = false;
        for m in matches {
            let shown = self.shown(&m.path);
            match m.kind {
                EntryKind::File => {}
                EntryKind::Folder => {
                    if !matches!(v3::detect(&m.path, &self.bounds, self.cancel), Ok(Some(_))) {
                        continue;
                    }
                }
                EntryKind::Refused(FileError::NotFound | FileError::LinkLoop) => continue,
                EntryKind::Refused(e) => {
                    refused = true;
                    self.skipped
                        .push(InputError::new(Field::Collection, refusal(&shown, e)));
                    continue;
                }
            }
            found.push((CollectionSource::File(m.path), shown));
        }
        if found.is_empty() && !refused {
            self.fatal.push(InputError::new(
                Field::Collection,
                InputErrorKind::NoMatch {
                    pattern: line.to_owned(),
                    base: self.working_dir.display().to_string(),
                },
            ));
        }
        found
    }

    /// Reads a collection file or v3 folder into `target`, or says what is
    /// wrong in `problems`. True when it is a v3 folder collection lint
    /// may read.
    fn load(
        &mut self,
        path: &Path,
        target: &mut CollectionTarget,
        problems: &mut Vec<InputError>,
    ) -> bool {
        let shown = target.display.clone();
        let kind = match self.bounds.locate(path) {
            Err(e) => file_error(&shown, e),
            Ok((_, meta)) if Kind::of(&meta) == Kind::Folder => {
                return self.load_v3(path, target, problems);
            }
            Ok(_) => match self.bounds.read(path, Limit::LARGE) {
                Err(e) => file_error(&shown, e),
                Ok(bytes) => match Collection::parse_with_encoding(&bytes) {
                    Ok((collection, encoding)) => {
                        self.warnings.extend(decode::warning(&shown, encoding));
                        if let Some(name) =
                            collection.name.as_ref().filter(|n| !n.trim().is_empty())
                        {
                            target.name = name.trim().to_owned();
                        }
                        target.collection = Some(collection);
                        return false;
                    }
                    Err(CollectionError::BadJson(detail)) => InputErrorKind::BadJson {
                        path: shown,
                        detail,
                    },
                    Err(CollectionError::NotACollection) => {
                        InputErrorKind::NotACollection { path: shown }
                    }
                },
            },
        };
        problems.push(InputError::new(Field::Collection, kind));
        false
    }

    fn load_v3(
        &mut self,
        path: &Path,
        target: &mut CollectionTarget,
        problems: &mut Vec<InputError>,
    ) -> bool {
        let shown = target.display.clone();
        let (kind, lint) = match V3Collection::read_within(path, &self.bounds, self.cancel) {
            Ok(read) => {
                if let Some(warning) = not_utf8_warning(&shown, path, &read.not_utf8) {
                    self.warnings.push(warning);
                }
                let v3 = read.collection;
                if !v3.name.trim().is_empty() {
                    target.name = v3.name.trim().to_owned();
                }
                target.v3 = Some(v3);
                return true;
            }
            Err(v3::CollectionError::NotV3(_)) => (
                InputErrorKind::NotV3Collection {
                    path: shown,
                    detail: "expected `.resources/definition.yaml` or `*.request.yaml` files in \
                             it (or in its sub-folders), or a `collection.yaml`"
                        .to_owned(),
                },
                false,
            ),
            // Not read, so not for the CLI's lint to read either.
            Err(v3::CollectionError::File { path, error }) => {
                let error = match error {
                    FileError::Repeated(first) => FileError::Repeated(self.shown(&first).into()),
                    other => other,
                };
                (refusal(&self.shown(&path), error), false)
            }
            Err(e) => (
                InputErrorKind::NotV3Collection {
                    path: shown,
                    detail: e.to_string(),
                },
                true,
            ),
        };
        problems.push(InputError::new(Field::Collection, kind));
        lint
    }

    /// The task gives `--no-report-events` unless `postmanAnalytics` is
    /// on; without it the CLI reports a cloud-linked v3 collection's run
    /// through its v2 path, whose output is v2.1's.
    pub(super) fn runs_as_v2(&mut self, collections: &mut [CollectionTarget]) {
        for c in collections {
            let linked = c.v3.as_ref().and_then(|v3| {
                linked::runs_as_v2(v3, &self.working_dir, self.plan.cloud.analytics)
            });
            if let Some(id) = linked {
                self.warnings.push(format!(
                    "Collection `{}` is linked to Postman collection {id} and postmanAnalytics \
                     is on, so the Postman CLI runs it as a v2.1 collection (to report it); the \
                     task reads its JSON report, as for a v2.1 collection. Its requests are \
                     named without their folders.",
                    c.display
                ));
                c.v3 = None;
            }
        }
    }

    /// An unknown `folder` stops the collection, as the CLI would refuse it.
    fn check_folders(&self, target: &CollectionTarget, problems: &mut Vec<InputError>) {
        for folder in &self.plan.folders {
            let (found, available) = match (&target.collection, &target.v3) {
                (Some(c), _) => (c.has_item(folder), c.top_level_names()),
                (None, Some(c)) => (c.has_item(folder), c.top_level_names()),
                (None, None) => continue,
            };
            if !found {
                problems.push(InputError::new(
                    Field::Folder,
                    InputErrorKind::UnknownFolder {
                        name: folder.clone(),
                        collection: target.display.clone(),
                        available,
                    },
                ));
            }
        }
    }

    /// A path as the user would write it: from the working directory when
    /// it is inside it.
    pub(super) fn shown(&self, path: &Path) -> String {
        match path.strip_prefix(&self.working_dir) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
            Ok(rel) => rel.display().to_string(),
            Err(_) => path.display().to_string(),
        }
    }
}

/// What `collectionLint` lints: each v3 collection folder, YAML
/// environment and YAML globals file once.
pub(super) fn collection_lint(
    v3_folders: Vec<(PathBuf, String)>,
    environments: &[EnvironmentTarget],
    globals: &Option<PathBuf>,
    plan: &Plan,
) -> Vec<LintTarget> {
    let mut lint: Vec<LintTarget> = v3_folders
        .into_iter()
        .map(|(path, display)| LintTarget::Collection { path, display })
        .collect();
    for env in environments {
        if let Resource::File(path) = &env.resource
            && is_yaml(path)
        {
            lint.push(LintTarget::Environment {
                path: path.clone(),
                display: env.display.clone(),
            });
        }
    }
    if let (Some(path), Some(display)) = (globals, &plan.globals)
        && is_yaml(path)
    {
        lint.push(LintTarget::Globals {
            path: path.clone(),
            display: display.clone(),
        });
    }
    lint
}

/// One warning for the YAML files of a v3 collection that were not UTF-8.
fn not_utf8_warning(shown: &str, root: &Path, files: &[PathBuf]) -> Option<String> {
    let first = files.first()?;
    let rel = first.strip_prefix(root).unwrap_or(first).display();
    let more = match files.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    Some(format!(
        "Collection `{shown}`: `{rel}`{more} is not UTF-8 text; the Postman CLI reads each \
         invalid byte as `\u{FFFD}`, and so does the task. Save it as UTF-8 to keep those \
         characters."
    ))
}

/// What to say about a file the task could not or would not read.
pub(super) fn file_error(shown: &str, e: FileError) -> InputErrorKind {
    match e {
        FileError::NotFound => InputErrorKind::NotFound {
            path: shown.to_owned(),
        },
        FileError::Io(e) => InputErrorKind::Unreadable {
            path: shown.to_owned(),
            detail: e.to_string(),
        },
        e => refusal(shown, e),
    }
}

fn refusal(shown: &str, e: FileError) -> InputErrorKind {
    InputErrorKind::FileRefused {
        path: shown.to_owned(),
        problem: e.to_string(),
        fix: e.fix(),
    }
}

/// Every collection with every environment, collections first, in the
/// order given.
pub(super) fn matrix(
    collections: Vec<CollectionTarget>,
    environments: &[EnvironmentTarget],
) -> Vec<RunTarget> {
    let envs: Vec<Option<usize>> = if environments.is_empty() {
        vec![None]
    } else {
        (0..environments.len()).map(Some).collect()
    };
    let mut runs = Vec::new();
    for c in &collections {
        for env in &envs {
            let name = match env {
                Some(i) if environments.len() > 1 => {
                    format!("{} · {}", c.name, environments[*i].name)
                }
                _ => c.name.clone(),
            };
            runs.push(RunTarget {
                index: runs.len() + 1,
                source: c.source.clone(),
                display: c.display.clone(),
                name,
                collection: c.collection.clone(),
                v3: c.v3.clone(),
                environment: *env,
            });
        }
    }
    runs
}
