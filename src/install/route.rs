//! Which source an install takes, decided from the plan and the platform
//! alone, before anything is fetched: the one choice both the installer
//! and a dry run's description follow, so they cannot tell two stories.

use super::platform::Platform;
use crate::plan::{InstallPlan, InstallSource, VersionSpec};

/// Where the CLI is taken from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// The platform's npm package. With `or_site`, a registry that has no
    /// such package sends the install to Postman's download site (the
    /// default source, `auto`, does; `installSource: npm` does not).
    Npm {
        package: &'static str,
        or_site: bool,
    },
    /// Postman's download site, because npm has no build for the platform
    /// and the source was left to the task.
    SiteForNpm,
    /// npm was asked for, and has no build for the platform.
    NoNpmBuild,
    /// Postman's download site, asked for by name.
    Site,
    Archive(&'a str),
    /// A CLI already installed: `cliPath`, or `postman` on `PATH`.
    Path(Option<&'a str>),
}

pub(crate) fn route(plan: &InstallPlan, platform: Platform) -> Route<'_> {
    let build = platform.build();
    match &plan.source {
        InstallSource::Npm { .. } => match build.npm {
            Some(npm) => Route::Npm {
                package: npm.package,
                or_site: !plan.source_given,
            },
            None if !plan.source_given && build.site.is_some() => Route::SiteForNpm,
            None => Route::NoNpmBuild,
        },
        InstallSource::PostmanSite => Route::Site,
        InstallSource::Archive { path } => Route::Archive(path),
        InstallSource::Path { path } => Route::Path(path.as_deref()),
    }
}

/// Where the install would take the CLI from, in words, for a dry run:
/// `latest, published at least 3d ago (@postman/pm-bin-linux-x64, or
/// Postman's download site if npm has none)`.
pub(crate) fn describe(plan: &InstallPlan, platform: Option<Platform>) -> String {
    let Some(platform) = platform else {
        return "no build for this platform".to_owned();
    };
    let source = match route(plan, platform) {
        Route::Npm {
            package,
            or_site: true,
        } => format!("{package}, or Postman's download site if npm has none"),
        Route::Npm {
            package,
            or_site: false,
        } => package.to_owned(),
        Route::SiteForNpm => {
            "Postman's download site; npm has no build for this platform".to_owned()
        }
        Route::NoNpmBuild => "no npm build for this platform".to_owned(),
        Route::Site => "Postman's download site".to_owned(),
        Route::Archive(path) => format!("archive {path}"),
        Route::Path(path) => path.unwrap_or("postman on PATH").to_owned(),
    };
    let held_back = match plan.version {
        VersionSpec::Exact(_) => String::new(),
        _ if plan.min_release_age.is_zero() => String::new(),
        _ => format!(
            ", published at least {} ago",
            crate::plan::age::show_age(plan.min_release_age)
        ),
    };
    format!("{}{held_back} ({source})", plan.version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::platform::{Arch, Os};
    use std::time::Duration;

    fn plan(source: InstallSource, given: bool, version: &str) -> InstallPlan {
        InstallPlan {
            source,
            source_given: given,
            version: VersionSpec::parse(version).unwrap(),
            min_release_age: Duration::from_secs(3 * 86_400),
            sha256: None,
        }
    }

    fn npm() -> InstallSource {
        InstallSource::Npm {
            registry: None,
            token: None,
        }
    }

    const LINUX: Platform = Platform::new(Os::Linux, Arch::X64);

    #[test]
    fn the_default_source_takes_npm_and_may_turn_to_the_site() {
        assert_eq!(
            route(&plan(npm(), false, "latest"), LINUX),
            Route::Npm {
                package: "@postman/pm-bin-linux-x64",
                or_site: true
            }
        );
        assert_eq!(
            route(&plan(npm(), true, "latest"), LINUX),
            Route::Npm {
                package: "@postman/pm-bin-linux-x64",
                or_site: false
            },
            "npm asked for by name stays on npm"
        );
        assert_eq!(
            route(&plan(InstallSource::PostmanSite, true, "1.62.0"), LINUX),
            Route::Site
        );
        assert_eq!(
            route(
                &plan(InstallSource::Path { path: None }, true, "latest"),
                LINUX
            ),
            Route::Path(None)
        );
    }

    #[test]
    fn a_dry_run_says_what_the_install_would_do() {
        assert_eq!(
            describe(&plan(npm(), false, "latest"), Some(LINUX)),
            "latest, published at least 3d ago (@postman/pm-bin-linux-x64, or Postman's download site if npm has none)"
        );
        assert_eq!(
            describe(&plan(npm(), true, "1.62.0"), Some(LINUX)),
            "1.62.0 (@postman/pm-bin-linux-x64)",
            "an exact version is not held back"
        );
        assert_eq!(
            describe(
                &plan(
                    InstallSource::Archive {
                        path: "cli.zip".into()
                    },
                    true,
                    "1.x"
                ),
                Some(LINUX)
            ),
            "1.x, published at least 3d ago (archive cli.zip)"
        );
        assert_eq!(
            describe(&plan(npm(), false, "latest"), None),
            "no build for this platform"
        );
    }
}
