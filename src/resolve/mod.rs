//! The second half of input checking, the half that needs the file system:
//! expand collection patterns, make sure every file exists and is what it
//! should be, and decide the runs.
//!
//! Every collection runs against every environment (or once, with none):
//! each pair is one [`RunTarget`] with a stable name. A problem with one
//! collection (malformed, or missing a requested folder) stops only that
//! collection; a problem with a shared setting (an environment, the working
//! directory) stops everything, because no run could mean what the user
//! asked for.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub(crate) mod cloud;
pub(crate) mod collection;
pub(crate) mod credentials;
pub(crate) mod linked;
pub(crate) mod shard;
pub(crate) mod v3;
pub(crate) mod variables;

pub(crate) use cloud::CloudContext;

use crate::inputs::Field;
use crate::plan::{InputError, InputErrorKind, Plan};
use collection::{Collection, CollectionError, is_uid};
use v3::V3Collection;
use variables::Variables;

/// One collection run to make: a collection, with one environment or none.
#[derive(Clone, Debug)]
pub(crate) struct RunTarget {
    /// 1-based position, used in report folder names so they sort as run.
    pub(crate) index: usize,
    pub(crate) source: CollectionSource,
    /// The collection as the user gave it (or as its pattern matched).
    pub(crate) display: String,
    /// The run's name: the collection's name, unique among the collections,
    /// followed by the environment's name when there are several. Stable,
    /// so suites and report folders compare across builds.
    pub(crate) name: String,
    /// The parsed file, for request paths.
    pub(crate) collection: Option<Collection>,
    /// A git-native (v3) collection folder, read: its requests' names and
    /// run order, which its console report needs.
    pub(crate) v3: Option<V3Collection>,
    /// Index into [`Resolved::environments`].
    pub(crate) environment: Option<usize>,
}

/// An environment every collection runs against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EnvironmentTarget {
    pub(crate) resource: Resource,
    /// As the user gave it.
    pub(crate) display: String,
    /// The environment's own name (or its file name, or UID).
    pub(crate) name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CollectionSource {
    File(PathBuf),
    Uid(String),
    Url(String),
}

impl CollectionSource {
    /// The argument given to `postman collection run`.
    pub(crate) fn arg(&self) -> String {
        match self {
            CollectionSource::File(p) => p.display().to_string(),
            CollectionSource::Uid(s) | CollectionSource::Url(s) => s.clone(),
        }
    }
}

/// A file or a cloud resource given by UID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resource {
    File(PathBuf),
    Uid(String),
}

impl Resource {
    pub(crate) fn arg(&self) -> String {
        match self {
            Resource::File(p) => p.display().to_string(),
            Resource::Uid(s) => s.clone(),
        }
    }
}

/// What to lint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LintTarget {
    /// A Postman API, by ID.
    Api(String),
    /// A local OpenAPI or AsyncAPI file.
    Definition { path: PathBuf, display: String },
    /// A v3 collection folder (`postman collection lint`).
    Collection { path: PathBuf, display: String },
    /// A YAML environment (`postman environment lint`).
    Environment { path: PathBuf, display: String },
    /// A YAML globals file (`postman globals lint`).
    Globals { path: PathBuf, display: String },
}

impl LintTarget {
    pub(crate) fn display(&self) -> String {
        match self {
            LintTarget::Api(id) => format!("API {id}"),
            LintTarget::Definition { display, .. }
            | LintTarget::Collection { display, .. }
            | LintTarget::Environment { display, .. }
            | LintTarget::Globals { display, .. } => display.clone(),
        }
    }

    /// Whether this is API lint (`apiLint`) rather than collection lint
    /// (`collectionLint`).
    pub(crate) fn is_api(&self) -> bool {
        matches!(self, LintTarget::Api(_) | LintTarget::Definition { .. })
    }
}

/// Whether a variables file is YAML, which `postman environment lint` and
/// `globals lint` read (they lint no JSON export).
fn is_yaml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub(crate) working_dir: PathBuf,
    pub(crate) runs: Vec<RunTarget>,
    /// How many runs there are in all, before a shard takes its share.
    pub(crate) all_runs: usize,
    pub(crate) environments: Vec<EnvironmentTarget>,
    /// Problems that stop single collections; the other collections run.
    pub(crate) skipped: Vec<InputError>,
    /// What the user should know before the runs (a v3 collection the CLI
    /// runs through its v2 path).
    pub(crate) warnings: Vec<String>,
    /// What `apiLint` lints, then what `collectionLint` lints: each v3
    /// collection, YAML environment and YAML globals file once.
    pub(crate) lint: Vec<LintTarget>,
    pub(crate) globals: Option<PathBuf>,
    /// Values of `type: secret` in the environment and globals files:
    /// masked like secret pipeline variables.
    pub(crate) secret_values: Vec<String>,
    /// The credentials the runs can send, as the files say (see
    /// [`credentials`]): masked from before the CLI starts.
    pub(crate) credentials: Vec<String>,
    pub(crate) iteration_data: Option<PathBuf>,
    pub(crate) ssl_client_cert: Option<PathBuf>,
    pub(crate) ssl_client_key: Option<PathBuf>,
    pub(crate) ssl_extra_ca_certs: Option<PathBuf>,
}

/// Checks the plan against the file system. `base` is where relative paths
/// start when no working directory is set: `System.DefaultWorkingDirectory`
/// in a pipeline, the current directory on a laptop.
///
/// Returns the runs and the problems that stop everything; problems of a
/// single collection are in [`Resolved::skipped`].
pub(crate) fn resolve(plan: &Plan, base: &Path) -> (Resolved, Vec<InputError>) {
    let mut fatal = Vec::new();

    let working_dir = match &plan.working_directory {
        None => base.to_path_buf(),
        Some(dir) => {
            let path = base.join(dir);
            if !path.is_dir() {
                fatal.push(InputError::new(
                    Field::WorkingDirectory,
                    if path.exists() {
                        InputErrorKind::NotADirectory { path: dir.clone() }
                    } else {
                        InputErrorKind::NotFound { path: dir.clone() }
                    },
                ));
            }
            path
        }
    };

    let mut secret_values = Vec::new();
    let environments: Vec<EnvironmentTarget> = plan
        .environments
        .iter()
        .filter_map(|value| environment(&working_dir, value, &mut fatal, &mut secret_values))
        .collect();
    let globals = plan.globals.as_ref().and_then(|value| {
        let path = working_dir.join(value);
        read_variables_file(&path, value, Field::Globals, &mut fatal).map(|doc| {
            secret_values.extend(secret_variables(&doc));
            path
        })
    });
    let iteration_data = plan.iteration_data.as_ref().and_then(|value| {
        let path = working_dir.join(value);
        check_data_file(&path, value, &mut fatal).then_some(path)
    });
    let mut plain_file = |field: Field, value: &Option<String>| {
        value.as_ref().and_then(|v| {
            let path = working_dir.join(v);
            if path.is_file() {
                Some(path)
            } else {
                fatal.push(InputError::new(
                    field,
                    InputErrorKind::NotFound { path: v.clone() },
                ));
                None
            }
        })
    };
    let ssl_client_cert = plain_file(Field::SslClientCert, &plan.ssl_client_cert);
    let ssl_client_key = plain_file(Field::SslClientKey, &plan.ssl_client_key);
    let ssl_extra_ca_certs = plain_file(Field::SslExtraCaCerts, &plan.ssl_extra_ca_certs);

    let mut lint: Vec<LintTarget> = plan
        .lint
        .as_ref()
        .and_then(|l| match (&l.api_id, &l.definition) {
            (Some(id), _) => Some(LintTarget::Api(id.clone())),
            (None, Some(file)) => {
                let path = working_dir.join(file);
                if path.is_file() {
                    Some(LintTarget::Definition {
                        path,
                        display: file.clone(),
                    })
                } else {
                    fatal.push(InputError::new(
                        Field::ApiDefinition,
                        InputErrorKind::NotFound { path: file.clone() },
                    ));
                    None
                }
            }
            (None, None) => None,
        })
        .into_iter()
        .collect();
    let mut skipped = Vec::new();
    let mut v3_folders = Vec::new();
    let mut collections = collection_targets(
        plan,
        &working_dir,
        &mut fatal,
        &mut skipped,
        &mut v3_folders,
    );
    let mut warnings = Vec::new();
    for c in &mut collections {
        // The task gives `--no-report-events` unless `postmanAnalytics` is
        // on; without it the CLI reports a cloud-linked v3 collection's run
        // through its v2 path, whose output is v2.1's.
        let linked =
            c.v3.as_ref()
                .and_then(|v3| linked::runs_as_v2(v3, &working_dir, plan.cloud.analytics));
        if let Some(id) = linked {
            warnings.push(format!(
                "Collection `{}` is linked to Postman collection {id} and postmanAnalytics is on, \
                 so the Postman CLI runs it as a v2.1 collection (to report it); the task reads \
                 its JSON report, as for a v2.1 collection. Its requests are named without their \
                 folders.",
                c.display
            ));
            c.v3 = None;
        }
    }
    if plan.collection_lint.is_some() {
        lint.extend(
            v3_folders
                .into_iter()
                .map(|(path, display)| LintTarget::Collection { path, display }),
        );
        for env in &environments {
            if let Resource::File(path) = &env.resource
                && is_yaml(path)
            {
                lint.push(LintTarget::Environment {
                    path: path.clone(),
                    display: env.display.clone(),
                });
            }
        }
        if let (Some(path), Some(display)) = (&globals, &plan.globals)
            && is_yaml(path)
        {
            lint.push(LintTarget::Globals {
                path: path.clone(),
                display: display.clone(),
            });
        }
    }
    let runs = matrix(collections, &environments);

    let mut resolved = Resolved {
        working_dir,
        all_runs: runs.len(),
        runs,
        environments,
        skipped,
        warnings,
        lint,
        globals,
        secret_values,
        iteration_data,
        ssl_client_cert,
        ssl_client_key,
        ssl_extra_ca_certs,
        credentials: Vec::new(),
    };
    resolved.credentials = credentials::collect(plan, &resolved);
    (resolved, fatal)
}

fn environment(
    base: &Path,
    value: &str,
    errors: &mut Vec<InputError>,
    secret_values: &mut Vec<String>,
) -> Option<EnvironmentTarget> {
    let path = base.join(value);
    if !path.exists() && is_uid(value) {
        return Some(EnvironmentTarget {
            resource: Resource::Uid(value.to_owned()),
            display: value.to_owned(),
            name: value.to_owned(),
        });
    }
    let doc = read_variables_file(&path, value, Field::Environment, errors)?;
    secret_values.extend(secret_variables(&doc));
    let name = doc
        .name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            [".json", ".yaml", ".yml"]
                .iter()
                .find_map(|ext| file.strip_suffix(ext))
                .unwrap_or(&file)
                .trim_end_matches(".postman_environment")
                .trim_end_matches(".environment")
                .to_owned()
        });
    Some(EnvironmentTarget {
        resource: Resource::File(path),
        display: value.to_owned(),
        name,
    })
}

/// The values an environment or globals file marks `type: secret`.
fn secret_variables(doc: &Variables) -> Vec<String> {
    doc.values
        .iter()
        .filter(|v| v.kind.as_deref() == Some("secret"))
        .filter_map(|v| match &v.value {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        })
        .filter(|v| !v.trim().is_empty())
        .collect()
}

/// An environment or globals file in any shape the CLI runs: Postman's
/// JSON export, a bare array of `key`/`value` pairs, `*.environment.yaml`,
/// in UTF-8 or UTF-16 with a byte-order mark. Returns its variables, or
/// says what is wrong with it.
fn read_variables_file(
    path: &Path,
    shown: &str,
    field: Field,
    errors: &mut Vec<InputError>,
) -> Option<Variables> {
    let kind = match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            InputErrorKind::NotFound { path: shown.into() }
        }
        Err(e) => InputErrorKind::Unreadable {
            path: shown.into(),
            detail: e.to_string(),
        },
        Ok(bytes) => match variables::read_variables(&bytes) {
            Ok(v) => return Some(v),
            Err(variables::VariablesError::NotVariables) => {
                InputErrorKind::NotAnEnvironment { path: shown.into() }
            }
            // A file that starts as JSON is told as broken JSON.
            Err(variables::VariablesError::Syntax(detail))
                if variables::decode(&bytes)
                    .is_ok_and(|(t, _)| t.trim_start().starts_with(['{', '['])) =>
            {
                InputErrorKind::BadJson {
                    path: shown.into(),
                    detail,
                }
            }
            Err(e) => InputErrorKind::BadVariables {
                path: shown.into(),
                detail: e.to_string(),
            },
        },
    };
    errors.push(InputError::new(field, kind));
    None
}

/// Iteration data: must exist; a `.json` file must also parse.
fn check_data_file(path: &Path, shown: &str, errors: &mut Vec<InputError>) -> bool {
    let kind = match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            InputErrorKind::NotFound { path: shown.into() }
        }
        Err(e) => InputErrorKind::Unreadable {
            path: shown.into(),
            detail: e.to_string(),
        },
        Ok(bytes) => {
            let is_json = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
            // UTF-16 with a byte-order mark is read as the CLI reads it.
            let text = variables::decode(&bytes).map(|(text, _)| text);
            match text.map(|t| serde_json::from_str::<serde_json::Value>(&t).map(|_| ())) {
                Ok(Err(e)) if is_json => InputErrorKind::BadJson {
                    path: shown.into(),
                    detail: e.to_string(),
                },
                _ => return true,
            }
        }
    };
    errors.push(InputError::new(Field::IterationData, kind));
    false
}

fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// A collection that passed its checks, before environments multiply it.
struct CollectionTarget {
    source: CollectionSource,
    display: String,
    name: String,
    collection: Option<Collection>,
    v3: Option<V3Collection>,
}

/// `v3_folders` gets every v3 collection folder given, with how it was
/// shown, whether or not it can run: collection lint names what is wrong.
fn collection_targets(
    plan: &Plan,
    base: &Path,
    fatal: &mut Vec<InputError>,
    skipped: &mut Vec<InputError>,
    v3_folders: &mut Vec<(PathBuf, String)>,
) -> Vec<CollectionTarget> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for line in &plan.collections {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            found.push((CollectionSource::Url(line.clone()), line.clone()));
            continue;
        }
        if is_pattern(line) {
            // An absolute pattern (`$(System.DefaultWorkingDirectory)/…`
            // expanded by the agent) stands on its own; a relative one
            // starts at the working directory.
            let full = if Path::new(line).is_absolute() {
                line.clone()
            } else {
                format!(
                    "{}/{}",
                    glob::Pattern::escape(&base.to_string_lossy()),
                    line
                )
            };
            let matches: Vec<PathBuf> = match glob::glob(&full) {
                // A pattern such as `postman/collections/*` matches v3
                // collection folders; other folders are not collections.
                Ok(paths) => paths
                    .filter_map(Result::ok)
                    .filter(|p| p.is_file() || v3::detect(p).is_some())
                    .collect(),
                Err(_) => Vec::new(),
            };
            if matches.is_empty() {
                fatal.push(InputError::new(
                    Field::Collection,
                    InputErrorKind::NoMatch {
                        pattern: line.clone(),
                        base: base.display().to_string(),
                    },
                ));
            }
            for path in matches {
                let shown = path
                    .strip_prefix(base)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                found.push((CollectionSource::File(path), shown));
            }
            continue;
        }
        let path = base.join(line);
        if !path.exists() && is_uid(line) {
            found.push((CollectionSource::Uid(line.clone()), line.clone()));
        } else {
            found.push((CollectionSource::File(path), line.clone()));
        }
    }

    let mut targets = Vec::new();
    for (source, display) in found {
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
        if let CollectionSource::File(path) = &source
            && v3::detect(path).is_some()
        {
            v3_folders.push((path.clone(), display.clone()));
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
            load_collection(&path, &mut target, &mut problems);
        }
        for folder in &plan.folders {
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
        if problems.is_empty() {
            targets.push(target);
        } else {
            skipped.extend(problems);
        }
    }
    make_names_unique(&mut targets);
    targets
}

/// Every collection with every environment, collections first, in the
/// order given.
fn matrix(
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

fn load_collection(path: &Path, target: &mut CollectionTarget, problems: &mut Vec<InputError>) {
    let shown = target.display.clone();
    if path.is_dir() {
        let kind = match V3Collection::read(path) {
            Ok(v3) => {
                if !v3.name.trim().is_empty() {
                    target.name = v3.name.trim().to_owned();
                }
                target.v3 = Some(v3);
                return;
            }
            Err(v3::CollectionError::NotV3(_)) => InputErrorKind::NotV3Collection {
                path: shown,
                detail: "expected `.resources/definition.yaml` or `*.request.yaml` files in it \
                         (or in its sub-folders), or a `collection.yaml`"
                    .to_owned(),
            },
            Err(e) => InputErrorKind::NotV3Collection {
                path: shown,
                detail: e.to_string(),
            },
        };
        problems.push(InputError::new(Field::Collection, kind));
        return;
    }
    let kind = match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            InputErrorKind::NotFound { path: shown }
        }
        Err(e) => InputErrorKind::Unreadable {
            path: shown,
            detail: e.to_string(),
        },
        Ok(bytes) => match Collection::parse(&bytes) {
            Ok(collection) => {
                if let Some(name) = collection.name.as_ref().filter(|n| !n.trim().is_empty()) {
                    target.name = name.trim().to_owned();
                }
                target.collection = Some(collection);
                return;
            }
            Err(CollectionError::BadJson(detail)) => InputErrorKind::BadJson {
                path: shown,
                detail,
            },
            Err(CollectionError::NotACollection) => InputErrorKind::NotACollection { path: shown },
        },
    };
    problems.push(InputError::new(Field::Collection, kind));
}

/// Two files may carry the same collection name; the Tests tab and the
/// summary must still tell them apart.
fn make_names_unique(runs: &mut [CollectionTarget]) {
    crate::text::disambiguate(runs, |r| &mut r.name, |r| r.display.clone());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Naming, RawInputs};

    const COLLECTION: &str =
        r#"{"info":{"name":"Shop API"},"item":[{"id":"1","name":"Smoke","item":[]}]}"#;

    fn plan(f: impl FnOnce(&mut RawInputs)) -> Plan {
        let mut raw = RawInputs {
            naming: Some(Naming::Task),
            ..Default::default()
        };
        f(&mut raw);
        crate::plan::build(&raw).unwrap()
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn globs_expand_sorted_and_deduplicated() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "api/b.postman_collection.json", COLLECTION);
        write(
            dir.path(),
            "api/a.postman_collection.json",
            &COLLECTION.replace("Shop API", "Other"),
        );
        let p = plan(|r| {
            r.collection = vec![
                "api/*.postman_collection.json".into(),
                "api/a.postman_collection.json".into(),
            ]
        });
        let (resolved, fatal) = resolve(&p, dir.path());
        assert!(fatal.is_empty(), "{fatal:?}");
        let names: Vec<_> = resolved
            .runs
            .iter()
            .map(|r| (r.index, r.name.as_str()))
            .collect();
        assert_eq!(names, [(1, "Other"), (2, "Shop API")]);
    }

    #[test]
    fn absolute_patterns_are_not_put_under_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "api/a.postman_collection.json", COLLECTION);
        let other = tempfile::tempdir().unwrap();
        let pattern = format!("{}/api/*.postman_collection.json", dir.path().display());
        let p = plan(|r| r.collection = vec![pattern.clone()]);
        let (resolved, fatal) = resolve(&p, other.path());
        assert!(fatal.is_empty(), "{fatal:?}");
        assert_eq!(resolved.runs.len(), 1);
        assert_eq!(resolved.runs[0].name, "Shop API");
    }

    #[test]
    fn same_names_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.json", COLLECTION);
        write(dir.path(), "b.json", COLLECTION);
        let p = plan(|r| r.collection = vec!["a.json".into(), "b.json".into()]);
        let (resolved, _) = resolve(&p, dir.path());
        let names: Vec<_> = resolved.runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Shop API (a.json)", "Shop API (b.json)"]);
    }

    #[test]
    fn secret_values_of_the_environment_and_globals_are_collected() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "ok.json", COLLECTION);
        write(
            dir.path(),
            "env.json",
            r#"{"values":[{"key":"a","value":"plain"},{"key":"t","value":"env-secret-1","type":"secret"},{"key":"e","value":"","type":"secret"}]}"#,
        );
        write(
            dir.path(),
            "globals.json",
            r#"{"values":[{"key":"g","value":"glob-secret-2","type":"secret"}]}"#,
        );
        let p = plan(|r| {
            r.collection = vec!["ok.json".into()];
            r.environment = vec!["env.json".into()];
            r.globals = Some("globals.json".into());
        });
        let (resolved, fatal) = resolve(&p, dir.path());
        assert!(fatal.is_empty(), "{fatal:?}");
        assert_eq!(resolved.secret_values, ["env-secret-1", "glob-secret-2"]);
    }

    #[test]
    fn problems_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "bad.json", "{\"info\": ");
        write(dir.path(), "ok.json", COLLECTION);
        write(dir.path(), "env.json", "not json");
        let p = plan(|r| {
            r.collection = vec![
                "missing.json".into(),
                "none/*.json".into(),
                "bad.json".into(),
                "ok.json".into(),
            ];
            r.folder = vec!["Smoke".into(), "Regression".into()];
            r.environment = vec!["env.json".into()];
            r.globals = Some("globals.json".into());
            r.iteration_data = Some("rows.csv".into());
        });
        let (resolved, fatal) = resolve(&p, dir.path());
        let lines: Vec<String> = fatal
            .iter()
            .chain(&resolved.skipped)
            .map(|e| e.render(Naming::Task))
            .collect();
        let text = lines
            .join("\n")
            .replace(&dir.path().display().to_string(), "[DIR]");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn uids_need_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let uid = "12345678-0d2f58a4-3c6a-4f0e-9d1b-1234567890ab";
        let p = plan(|r| {
            r.collection = vec![uid.into()];
            r.environment = vec![uid.into()];
        });
        let (resolved, fatal) = resolve(&p, dir.path());
        assert!(fatal.is_empty());
        assert_eq!(resolved.runs[0].source, CollectionSource::Uid(uid.into()));
        assert_eq!(resolved.environments[0].resource, Resource::Uid(uid.into()));
    }

    #[test]
    fn every_collection_runs_against_every_environment() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.json", COLLECTION);
        write(
            dir.path(),
            "b.json",
            &COLLECTION.replace("Shop API", "Billing"),
        );
        write(
            dir.path(),
            "staging.json",
            r#"{"name":"Staging","values":[]}"#,
        );
        write(
            dir.path(),
            "prod.postman_environment.json",
            r#"{"values":[]}"#,
        );
        let p = plan(|r| {
            r.collection = vec!["a.json".into(), "b.json".into()];
            r.environment = vec![
                "staging.json".into(),
                "prod.postman_environment.json".into(),
            ];
        });
        let (resolved, fatal) = resolve(&p, dir.path());
        assert!(fatal.is_empty(), "{fatal:?}");
        let names: Vec<_> = resolved
            .runs
            .iter()
            .map(|r| (r.index, r.name.as_str(), r.environment))
            .collect();
        assert_eq!(
            names,
            [
                (1, "Shop API · Staging", Some(0)),
                (2, "Shop API · prod", Some(1)),
                (3, "Billing · Staging", Some(0)),
                (4, "Billing · prod", Some(1)),
            ]
        );
    }

    #[test]
    fn v3_folders_yaml_environments_and_the_shapes_the_cli_runs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "postman/collections/Shop/.resources/definition.yaml",
            "$kind: collection\nname: Shop v3\n",
        );
        write(
            root,
            "postman/collections/Shop/Cart/Add.request.yaml",
            "$kind: http-request\nid: add\nmethod: GET\nurl: x\n",
        );
        write(root, "postman/collections/not-one/readme.txt", "hello");
        write(root, "old.json", r#"{"item":[{"name":"Cart","item":[]}]}"#);
        write(
            root,
            "postman/environments/local.environment.yaml",
            "name: local\nvalues:\n  - key: a\n    value: b\n",
        );
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(r#"{"name":"ps","values":[]}"#.encode_utf16().flat_map(u16::to_le_bytes));
        std::fs::write(root.join("ps.json"), utf16).unwrap();
        write(root, "globals.json", r#"[{"key":"g","value":"1"}]"#);
        let p = plan(|r| {
            r.collection = vec!["postman/collections/*".into(), "old.json".into()];
            r.environment = vec![
                "postman/environments/local.environment.yaml".into(),
                "ps.json".into(),
            ];
            r.globals = Some("globals.json".into());
            r.folder = vec!["Cart".into()];
        });
        let (resolved, fatal) = resolve(&p, root);
        assert!(fatal.is_empty(), "{fatal:?}");
        assert!(resolved.skipped.is_empty(), "{:?}", resolved.skipped);
        let names: Vec<_> = resolved
            .runs
            .iter()
            .map(|r| (r.name.as_str(), r.v3.is_some()))
            .collect();
        assert_eq!(
            names,
            [
                ("Shop v3 · local", true),
                ("Shop v3 · ps", true),
                ("old.json · local", false),
                ("old.json · ps", false)
            ]
        );
        // Collection lint (on by default): the v3 folder once and the YAML
        // environment; not the JSON files.
        let lint: Vec<_> = resolved.lint.iter().map(LintTarget::display).collect();
        assert_eq!(
            lint,
            [
                "postman/collections/Shop",
                "postman/environments/local.environment.yaml"
            ]
        );
        assert!(matches!(resolved.lint[0], LintTarget::Collection { .. }));
        let off = plan(|r| {
            r.collection = vec!["postman/collections/*".into()];
            r.collection_lint = Some("false".into());
        });
        assert!(resolve(&off, root).0.lint.is_empty());

        // A folder that is not a v3 collection is named with what was expected.
        let p = plan(|r| r.collection = vec!["postman/collections/not-one".into()]);
        let (resolved, _) = resolve(&p, root);
        let text = resolved.skipped[0].render(Naming::Task);
        assert!(
            text.contains("is a folder but not a Postman collection"),
            "{text}"
        );
        assert!(text.contains(".resources/definition.yaml"), "{text}");
        // An unknown folder of a v3 collection is refused as the CLI would.
        let p = plan(|r| {
            r.collection = vec!["postman/collections/Shop".into()];
            r.folder = vec!["Nope".into()];
        });
        let (resolved, _) = resolve(&p, root);
        assert!(
            resolved.skipped[0]
                .render(Naming::Task)
                .contains("top level has: `Cart`")
        );
    }
}
