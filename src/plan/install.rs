//! The installer's settings (`installSource`, `cliVersion`, the registry,
//! archive, path, digest and minimum release age), checked together: a
//! setting that belongs to another source is a mistake worth saying.

use super::parse::{Errors, given_or_default};
use super::{InputError, InputErrorKind, InstallPlan, InstallSource, VersionSpec};
use crate::inputs::{Field, RawInputs, Secret};

/// The install plan alone, for `postman-cli-task install`, which runs no
/// collection.
pub(crate) fn install(raw: &RawInputs) -> Result<InstallPlan, Vec<InputError>> {
    let mut errors = Vec::new();
    let plan = install_plan(raw, &mut |field, kind| {
        errors.push(InputError::new(field, kind));
    });
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// The installer's settings, checked together: a setting that belongs to
/// another source is a mistake worth saying, not something to ignore.
pub(super) fn install_plan(raw: &RawInputs, err: &mut impl Errors) -> InstallPlan {
    let version = match given_or_default(Field::CliVersion, &raw.cli_version) {
        None => VersionSpec::Latest,
        Some(v) => VersionSpec::parse(v).unwrap_or_else(|| {
            err(
                Field::CliVersion,
                InputErrorKind::BadVersion { value: v.into() },
            );
            VersionSpec::Latest
        }),
    };
    let registry = raw.npm_registry.as_ref().map(|value| {
        let ok = reqwest::Url::parse(value)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if !ok {
            err(
                Field::NpmRegistry,
                InputErrorKind::BadUrl {
                    value: value.clone(),
                },
            );
        }
        value.clone()
    });
    let sha256 = raw.cli_sha256.as_ref().map(|value| {
        let hex = value.trim().to_ascii_lowercase();
        let hex = hex.strip_prefix("sha256:").unwrap_or(&hex).to_owned();
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            err(
                Field::CliSha256,
                InputErrorKind::BadSha256 {
                    value: value.clone(),
                },
            );
        }
        hex
    });
    let min_release_age = {
        let field = Field::CliMinimumReleaseAge;
        let text = given_or_default(field, &raw.cli_minimum_release_age).unwrap_or("0");
        super::age::parse_age(text).unwrap_or_else(|| {
            err(field, InputErrorKind::NotAnAge { value: text.into() });
            std::time::Duration::ZERO
        })
    };
    let name = given_or_default(Field::InstallSource, &raw.install_source).unwrap_or("auto");
    let source_given = !name.eq_ignore_ascii_case("auto");
    let source = match name.to_ascii_lowercase().as_str() {
        "npm" | "auto" => InstallSource::Npm {
            registry,
            token: raw.npm_registry_token.clone().map(Secret::new),
        },
        "postman" => InstallSource::PostmanSite,
        "archive" => match &raw.cli_archive {
            Some(path) => InstallSource::Archive { path: path.clone() },
            None => {
                err(
                    Field::CliArchive,
                    InputErrorKind::RequiredBy {
                        other: Field::InstallSource,
                        value: "archive".into(),
                    },
                );
                InstallSource::Archive {
                    path: String::new(),
                }
            }
        },
        "path" => InstallSource::Path {
            path: raw.cli_path.clone(),
        },
        _ => {
            err(
                Field::InstallSource,
                InputErrorKind::NotOneOf { value: name.into() },
            );
            InstallSource::Npm {
                registry: None,
                token: None,
            }
        }
    };
    let mut stray = |field: Field, set: bool, belongs: &'static str| {
        if set {
            err(
                field,
                InputErrorKind::OtherSource {
                    value: name.into(),
                    belongs,
                },
            );
        }
    };
    let npm = matches!(source, InstallSource::Npm { .. });
    stray(
        Field::NpmRegistry,
        raw.npm_registry.is_some() && !npm,
        "npm",
    );
    stray(
        Field::NpmRegistryToken,
        raw.npm_registry_token.is_some() && !npm,
        "npm",
    );
    stray(
        Field::CliArchive,
        raw.cli_archive.is_some() && !matches!(source, InstallSource::Archive { .. }),
        "archive",
    );
    stray(
        Field::CliPath,
        raw.cli_path.is_some() && !matches!(source, InstallSource::Path { .. }),
        "path",
    );
    stray(
        Field::CliSha256,
        raw.cli_sha256.is_some()
            && !matches!(
                source,
                InstallSource::PostmanSite | InstallSource::Archive { .. }
            ),
        "postman or archive",
    );
    InstallPlan {
        source,
        source_given,
        version,
        sha256,
        min_release_age,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::Naming;

    fn raw() -> RawInputs {
        RawInputs {
            naming: Some(Naming::Cli),
            ..RawInputs::default()
        }
    }

    fn errors(raw: &RawInputs) -> String {
        install(raw)
            .expect_err("expected input errors")
            .iter()
            .map(|e| e.render(Naming::Task))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn install_settings_must_fit_the_source() {
        let mut r = raw();
        r.install_source = Some("archive".into());
        r.npm_registry = Some("https://registry.example/".into());
        r.cli_path = Some("/usr/bin/postman".into());
        r.cli_sha256 = Some("abc".into());
        r.cli_version = Some(">=1.50 <2".into());
        insta::assert_snapshot!(errors(&r), @r"
        input `cliSha256`: `abc` is not a SHA-256 digest. Give the 64 hexadecimal characters of the file's SHA-256, e.g. from `sha256sum`.
        input `cliArchive`: is needed because input `installSource` is `archive`. Set input `cliArchive` too, or change input `installSource`.
        input `npmRegistry`: is only used when input `installSource` is npm, but it is `archive`. Set input `installSource` to npm, or clear input `npmRegistry`.
        input `cliPath`: is only used when input `installSource` is path, but it is `archive`. Set input `installSource` to path, or clear input `cliPath`.
        ");
        let mut ok = raw();
        ok.install_source = Some("Postman".into());
        ok.cli_version = Some("1.x".into());
        ok.cli_sha256 = Some(format!("sha256:{}", "A".repeat(64)));
        let plan = install(&ok).unwrap();
        assert_eq!(plan.source, InstallSource::PostmanSite);
        assert_eq!(plan.sha256.as_deref(), Some("a".repeat(64).as_str()));
        assert!(plan.version.matches(&semver::Version::new(1, 62, 0)));
    }

    /// `postman-cli-task install` needs no collection.
    #[test]
    fn installing_needs_no_collection() {
        let plan = install(&raw()).unwrap();
        assert_eq!(plan.version, VersionSpec::Latest);
        assert!(!plan.source_given);
        assert_eq!(
            plan.min_release_age,
            std::time::Duration::from_secs(3 * 86_400)
        );
    }
}
