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
//!
//! Every file of the user's is read through [`crate::files`], as hostile
//! input, and the whole of it runs off the runtime's thread
//! ([`resolve_cancellable`]), so that no file system can keep the task from
//! hearing a cancellation.

use std::path::{Path, PathBuf};

pub(crate) mod cloud;
pub(crate) mod collection;
pub(crate) mod credentials;
pub(crate) mod decode;
pub(crate) mod linked;
mod named_files;
pub(crate) mod shard;
mod targets;
pub(crate) mod v3;
pub(crate) mod variables;

pub(crate) use cloud::CloudContext;

use crate::files::Bounds;
use crate::inputs::Field;
use crate::plan::{InputError, InputErrorKind, Plan};
use crate::process::Cancel;
use collection::{Collection, is_uid};
use v3::V3Collection;

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
    /// Where symbolic links in the user's files may lead (see
    /// [`crate::files::Bounds`]), for the files read again later.
    pub(crate) bounds: Bounds,
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
/// single collection are in [`Resolved::skipped`]. Every file of the user's
/// is read as hostile input: regular files only, links followed only
/// inside the working directory, each read bounded (see [`crate::files`]).
pub(crate) fn resolve(plan: &Plan, base: &Path) -> (Resolved, Vec<InputError>) {
    resolve_until(plan, base, None)
}

/// The stack of the thread that resolves: v3 folders are read by recursion,
/// as deep as paths allow (about 2,000 folders in 4,096 bytes), far more
/// than the 2 MiB a thread gets by default allows.
const RESOLVE_STACK: usize = 64 << 20;

/// [`resolve`] on a thread of its own, so that the runtime's thread stays
/// free to hear SIGINT, SIGTERM and the launcher's death whatever the file
/// system does. `None` as soon as the task is cancelled: the conductor
/// goes on to publish at once, the walk stops at its next entry, and a
/// thread the kernel holds up ends with the process.
pub(crate) async fn resolve_cancellable(
    plan: &Plan,
    base: &Path,
    cancel: &Cancel,
) -> Option<(Resolved, Vec<InputError>)> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job = (plan.clone(), base.to_path_buf(), cancel.clone());
    let spawned = std::thread::Builder::new()
        .name("resolve".into())
        .stack_size(RESOLVE_STACK)
        .spawn(move || {
            let (plan, base, cancel) = job;
            let _ = tx.send(resolve_until(&plan, &base, Some(&cancel)));
        });
    if spawned.is_err() {
        return Some(resolve_until(plan, base, Some(cancel)));
    }
    tokio::select! {
        done = rx => {
            // A panic on that thread has ended the process (the panic hook
            // exits), so the sender is never dropped unsent.
            let resolved = done.expect("resolving ended without an answer");
            (!cancel.is_cancelled()).then_some(resolved)
        }
        _ = cancel.cancelled() => None,
    }
}

fn resolve_until(plan: &Plan, base: &Path, cancel: Option<&Cancel>) -> (Resolved, Vec<InputError>) {
    let mut r = Resolver::new(plan, base, cancel);
    let environments = r.environments();
    let globals = r.globals();
    let iteration_data = r.iteration_data();
    let ssl_client_cert = r.plain_file(Field::SslClientCert, &plan.ssl_client_cert);
    let ssl_client_key = r.plain_file(Field::SslClientKey, &plan.ssl_client_key);
    let ssl_extra_ca_certs = r.plain_file(Field::SslExtraCaCerts, &plan.ssl_extra_ca_certs);
    let mut lint: Vec<LintTarget> = r.api_lint().into_iter().collect();
    let found = r.collections();
    let mut collections = found.targets;
    r.runs_as_v2(&mut collections);
    if plan.collection_lint.is_some() {
        lint.extend(targets::collection_lint(
            found.v3_folders,
            &environments,
            &globals,
            plan,
        ));
    }
    let runs = targets::matrix(collections, &environments);
    let mut resolved = Resolved {
        working_dir: r.working_dir,
        bounds: r.bounds,
        all_runs: runs.len(),
        runs,
        environments,
        skipped: r.skipped,
        warnings: r.warnings,
        lint,
        globals,
        secret_values: r.secret_values,
        iteration_data,
        ssl_client_cert,
        ssl_client_key,
        ssl_extra_ca_certs,
        credentials: Vec::new(),
    };
    resolved.credentials = credentials::collect(plan, &resolved);
    (resolved, r.fatal)
}

/// One resolution under way: where it reads, and what it has found to say.
struct Resolver<'a> {
    plan: &'a Plan,
    working_dir: PathBuf,
    bounds: Bounds,
    cancel: Option<&'a Cancel>,
    /// Problems that stop everything.
    fatal: Vec<InputError>,
    /// Problems that stop one collection.
    skipped: Vec<InputError>,
    warnings: Vec<String>,
    secret_values: Vec<String>,
}

impl<'a> Resolver<'a> {
    fn new(plan: &'a Plan, base: &Path, cancel: Option<&'a Cancel>) -> Resolver<'a> {
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
        // Links may lead anywhere in the checkout that holds the working
        // directory (a service's folder of a larger repository, say);
        // never out of it.
        let inside = crate::files::lexical(&working_dir).starts_with(crate::files::lexical(base));
        Resolver {
            plan,
            bounds: Bounds::new(if inside { base } else { &working_dir }),
            working_dir,
            cancel,
            fatal,
            skipped: Vec::new(),
            warnings: Vec::new(),
            secret_values: Vec::new(),
        }
    }
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
