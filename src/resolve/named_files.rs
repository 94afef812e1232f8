//! The files the other settings name: environments and globals (read, for
//! their names and secret values), iteration data (checked), and the files
//! only the CLI reads (certificates, an API definition), each as hostile
//! input (see [`crate::files`]).

use std::path::{Path, PathBuf};

use super::targets::file_error;
use super::variables::{self, Variables};
use super::{EnvironmentTarget, LintTarget, Resolver, Resource, decode, is_uid};
use crate::files::Limit;
use crate::inputs::Field;
use crate::plan::{InputError, InputErrorKind};

impl Resolver<'_> {
    pub(super) fn environments(&mut self) -> Vec<EnvironmentTarget> {
        let plan = self.plan;
        plan.environments
            .iter()
            .filter_map(|value| self.environment(value))
            .collect()
    }

    fn environment(&mut self, value: &str) -> Option<EnvironmentTarget> {
        let path = self.working_dir.join(value);
        if !path.exists() && is_uid(value) {
            return Some(EnvironmentTarget {
                resource: Resource::Uid(value.to_owned()),
                display: value.to_owned(),
                name: value.to_owned(),
            });
        }
        let doc = self.variables_file(&path, value, Field::Environment)?;
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

    pub(super) fn globals(&mut self) -> Option<PathBuf> {
        let value = self.plan.globals.as_ref()?;
        let path = self.working_dir.join(value);
        self.variables_file(&path, value, Field::Globals)
            .map(|_| path)
    }

    /// An environment or globals file in any shape the CLI runs: Postman's
    /// JSON export, a bare array of `key`/`value` pairs, `*.environment.yaml`,
    /// in UTF-8, UTF-16 with a byte-order mark, or another encoding the CLI
    /// decodes (see [`decode`]). Its secret values are kept for masking.
    fn variables_file(&mut self, path: &Path, shown: &str, field: Field) -> Option<Variables> {
        let kind = match self.bounds.read(path, Limit::SMALL) {
            Err(e) => file_error(shown, e),
            Ok(bytes) => match variables::read_variables(&bytes, path) {
                Ok(doc) => {
                    self.warnings.extend(decode::warning(shown, doc.encoding));
                    self.secret_values.extend(secret_variables(&doc));
                    return Some(doc);
                }
                Err(variables::VariablesError::NotVariables) => {
                    InputErrorKind::NotAnEnvironment { path: shown.into() }
                }
                // A file that starts as JSON is told as broken JSON.
                Err(variables::VariablesError::Syntax(detail))
                    if variables::decode(&bytes, path)
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
        self.fatal.push(InputError::new(field, kind));
        None
    }

    /// Iteration data: must be a regular file; a `.json` one must also
    /// parse. One too large to check here is left to the CLI.
    pub(super) fn iteration_data(&mut self) -> Option<PathBuf> {
        let shown = self.plan.iteration_data.as_ref()?;
        let path = self.working_dir.join(shown);
        let kind = match self.bounds.read_up_to(&path, Limit::LARGE) {
            Err(e) => file_error(shown, e),
            Ok(Some(bytes))
                if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("json")) =>
            {
                let Ok((text, encoding)) = decode::json(&bytes) else {
                    return Some(path);
                };
                match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
                    Ok(_) => {
                        self.warnings.extend(decode::warning(shown, encoding));
                        return Some(path);
                    }
                    Err(e) => InputErrorKind::BadJson {
                        path: shown.clone(),
                        detail: e.to_string(),
                    },
                }
            }
            Ok(_) => return Some(path),
        };
        self.fatal.push(InputError::new(Field::IterationData, kind));
        None
    }

    /// A file only the CLI reads (a certificate, a key): it must be a
    /// regular file, reached without leaving the working directory.
    pub(super) fn plain_file(&mut self, field: Field, value: &Option<String>) -> Option<PathBuf> {
        let shown = value.as_ref()?;
        let path = self.working_dir.join(shown);
        match self.bounds.check_file(&path) {
            Ok(()) => Some(path),
            Err(e) => {
                self.fatal
                    .push(InputError::new(field, file_error(shown, e)));
                None
            }
        }
    }

    /// What `apiLint` lints: an API by ID, or a definition file.
    pub(super) fn api_lint(&mut self) -> Option<LintTarget> {
        let plan = self.plan;
        let l = plan.lint.as_ref()?;
        match (&l.api_id, &l.definition) {
            (Some(id), _) => Some(LintTarget::Api(id.clone())),
            (None, Some(file)) => {
                let path = self.working_dir.join(file);
                match self.bounds.check_file(&path) {
                    Ok(()) => Some(LintTarget::Definition {
                        path,
                        display: file.clone(),
                    }),
                    Err(e) => {
                        self.fatal
                            .push(InputError::new(Field::ApiDefinition, file_error(file, e)));
                        None
                    }
                }
            }
            (None, None) => None,
        }
    }
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

#[cfg(all(test, unix))]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::super::resolve;
    use crate::inputs::{Naming, RawInputs};
    use crate::plan::Plan;

    fn plan(f: impl FnOnce(&mut RawInputs)) -> Plan {
        let mut raw = RawInputs {
            naming: Some(Naming::Task),
            collection: vec!["ok.json".into()],
            ..Default::default()
        };
        f(&mut raw);
        crate::plan::build(&raw).unwrap()
    }

    #[test]
    fn files_the_task_does_not_read_are_named_and_not_read() {
        let work = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let w = work.path();
        fs::write(w.join("ok.json"), r#"{"item":[]}"#).unwrap();
        let creds = outside.path().join("credentials");
        fs::write(
            &creds,
            "{\"values\":[{\"key\":\"aws\",\"value\":\"AKIAEXAMPLE\"}]}",
        )
        .unwrap();
        symlink(&creds, w.join("env.json")).unwrap();
        let fifo =
            std::ffi::CString::new(w.join("globals.json").into_os_string().into_encoded_bytes())
                .unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        symlink("/dev/zero", w.join("rows.json")).unwrap();
        fs::create_dir(w.join("cert.pem")).unwrap();
        let p = plan(|r| {
            r.environment = vec!["env.json".into()];
            r.globals = Some("globals.json".into());
            r.iteration_data = Some("rows.json".into());
            r.ssl_client_cert = Some("cert.pem".into());
        });
        let (_, fatal) = resolve(&p, w);
        let text: Vec<String> = fatal.iter().map(|e| e.render(Naming::Task)).collect();
        let text = text.join("\n");
        for expected in [
            "`env.json` leads out of the working directory through a symbolic link, to `",
            "`globals.json` is a named pipe (FIFO), not a regular file.",
            "`rows.json` leads out of the working directory through a symbolic link, to `/dev/zero`.",
            "`cert.pem` is a folder, not a file.",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
        assert!(!text.contains("AKIA"), "{text}");
        // Named by its own path, a file outside the working directory is read.
        let p = plan(|r| r.environment = vec![creds.display().to_string()]);
        assert!(resolve(&p, w).1.is_empty());
    }

    #[test]
    fn links_may_cross_the_checkout_that_holds_the_working_directory() {
        let checkout = tempfile::tempdir().unwrap();
        let c = checkout.path();
        fs::create_dir_all(c.join("services/a")).unwrap();
        fs::create_dir_all(c.join("common")).unwrap();
        fs::write(c.join("services/a/ok.json"), r#"{"item":[]}"#).unwrap();
        fs::write(c.join("common/env.json"), r#"{"values":[]}"#).unwrap();
        symlink("../../common/env.json", c.join("services/a/env.json")).unwrap();
        let p = plan(|r| {
            r.working_directory = Some("services/a".into());
            r.environment = vec!["env.json".into()];
        });
        assert!(resolve(&p, c).1.is_empty());
        // The checkout is the bound: a link out of it is refused.
        let p = plan(|r| {
            r.working_directory = Some(c.join("services/a").display().to_string());
            r.environment = vec!["env.json".into()];
        });
        let elsewhere = tempfile::tempdir().unwrap();
        let (_, fatal) = resolve(&p, elsewhere.path());
        assert!(
            fatal[0]
                .render(Naming::Task)
                .contains("leads out of the working directory"),
            "{fatal:?}"
        );
    }

    #[test]
    fn an_environment_that_is_not_utf8_is_read_with_a_warning() {
        let work = tempfile::tempdir().unwrap();
        let w = work.path();
        fs::write(w.join("ok.json"), r#"{"item":[]}"#).unwrap();
        fs::write(
            w.join("env.json"),
            b"{\"name\":\"Montr\xE9al\",\"values\":[{\"key\":\"t\",\"value\":\"caf\xE9-secret\",\"type\":\"secret\"}]}",
        )
        .unwrap();
        let p = plan(|r| r.environment = vec!["env.json".into()]);
        let (resolved, fatal) = resolve(&p, w);
        assert!(fatal.is_empty(), "{fatal:?}");
        assert_eq!(resolved.environments[0].name, "Montréal");
        assert_eq!(resolved.secret_values, ["café-secret"]);
        assert!(
            resolved.warnings[0]
                .starts_with("`env.json` is not UTF-8 text; the task read it as Latin-1"),
            "{:?}",
            resolved.warnings
        );
    }
}
