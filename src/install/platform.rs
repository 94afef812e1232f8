//! The machine a Postman CLI is for, in the vocabularies that name it: the
//! npm platform package, the tool cache's architecture folder (Node's
//! `os.arch()`, shared with other tools on the agent), the executable's
//! file name, and the download site's build.
//!
//! [`Platform::build`] is the one table of what each source offers. Where
//! it comes from (read 2026, public sources):
//!
//! - npm: `postman-cli@1.34.0` lists `@postman/pm-bin-{linux-x64,
//!   linux-arm64,macos-x64,macos-arm64,windows-x64}` as its optional
//!   dependencies, each holding `bin/postman` (`bin/postman.exe` on
//!   Windows, as public code resolves `@postman/pm-bin-windows-x64/bin/postman.exe`).
//! - Download site slugs: the Homebrew cask `postman-cli`
//!   (Homebrew/homebrew-cask, Casks/p/postman-cli.rb, versions 1.0 to 1.66.0)
//!   downloads `dl-cli.pstmn.io/download/version/<v>/osx64` on Intel and
//!   `…/osx_arm64` on Apple silicon, and installs the `postman-cli` at the
//!   archive's root (`binary "postman-cli"`). `osx_64` is the 0.0.x cask's
//!   name, and older Postman docs' `download/latest/osx_64`; the cask, which
//!   downloads and checksums every release, is the better witness.
//! - Archive formats and executables: Postman's `install/linux64.sh`
//!   downloads `download/latest/linux64` as `postman-cli.tar.gz`, untars it
//!   and installs `postman-cli` from its root (as does the AUR PKGBUILD
//!   `postman-cli`, `tar -xzf`); `install/win64.ps1` downloads
//!   `download/latest/win64` as `postman-cli.zip`, `Expand-Archive`s it and
//!   renames `postman-cli.exe`; the macOS scripts and docs (`osx_arm64.sh`,
//!   "Mac installation commands") unpack a zip with `ditto -x -k` and move
//!   `postman-cli`.
//! - Linux ARM64 on the download site: none confirmed. Postman's
//!   `linux64.sh` stops with "Only x64 is supported at this time"; its
//!   install scripts are `linux64.sh`, `osx_64.sh`, `osx_arm64.sh` and
//!   `win64.ps1`.
//! - WinGet and Scoop: microsoft/winget-pkgs holds `Postman.Postman` (the
//!   desktop app) and no manifest for the CLI; no Scoop manifest for it was
//!   found either.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[expect(
    clippy::enum_variant_names,
    reason = "macOS is the platform's own name"
)]
pub(crate) enum Os {
    Linux,
    MacOs,
    Windows,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arch {
    X64,
    Arm64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Platform {
    pub(crate) os: Os,
    pub(crate) arch: Arch,
}

/// How a download-site archive is packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArchiveFormat {
    Zip,
    TarGz,
}

impl fmt::Display for ArchiveFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArchiveFormat::Zip => "zip",
            ArchiveFormat::TarGz => "gzipped tar",
        })
    }
}

/// One platform's build on Postman's download site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SiteBuild {
    /// The last path segment of `download/version/<v>/<slug>`.
    pub(crate) slug: &'static str,
    pub(crate) format: ArchiveFormat,
    /// The executable's path inside the archive.
    pub(crate) executable: &'static str,
}

/// One platform's npm package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NpmBuild {
    pub(crate) package: &'static str,
    /// The executable's path inside the package (below npm's `package/`).
    pub(crate) executable: &'static str,
}

/// What each source offers for a platform; `None` where it has no build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Build {
    pub(crate) npm: Option<NpmBuild>,
    pub(crate) site: Option<SiteBuild>,
}

impl Platform {
    #[cfg(test)]
    pub(crate) const ALL: [Platform; 6] = [
        Platform::new(Os::Linux, Arch::X64),
        Platform::new(Os::Linux, Arch::Arm64),
        Platform::new(Os::MacOs, Arch::X64),
        Platform::new(Os::MacOs, Arch::Arm64),
        Platform::new(Os::Windows, Arch::X64),
        Platform::new(Os::Windows, Arch::Arm64),
    ];

    #[cfg(test)]
    pub(crate) const fn new(os: Os, arch: Arch) -> Platform {
        Platform { os, arch }
    }

    /// The platform this binary was built for, or `None` for one the Postman
    /// CLI has no build for.
    pub(crate) fn current() -> Option<Platform> {
        let os = match std::env::consts::OS {
            "linux" => Os::Linux,
            "macos" => Os::MacOs,
            "windows" => Os::Windows,
            _ => return None,
        };
        let arch = match std::env::consts::ARCH {
            "x86_64" => Arch::X64,
            "aarch64" => Arch::Arm64,
            _ => return None,
        };
        Some(Platform { os, arch })
    }

    /// Parses `<os>-<arch>` as [`Platform`]'s `Display` writes it
    /// (`linux-x64`, `macos-arm64`, `windows-x64`); Node's spellings
    /// (`darwin`, `win32`) are accepted too.
    pub(crate) fn parse(text: &str) -> Option<Platform> {
        let (os, arch) = text
            .trim()
            .to_ascii_lowercase()
            .split_once('-')
            .map(|(o, a)| (o.to_owned(), a.to_owned()))?;
        let os = match os.as_str() {
            "linux" => Os::Linux,
            "macos" | "darwin" | "osx" => Os::MacOs,
            "windows" | "win32" | "win" => Os::Windows,
            _ => return None,
        };
        let arch = match arch.as_str() {
            "x64" | "x86_64" | "amd64" => Arch::X64,
            "arm64" | "aarch64" => Arch::Arm64,
            _ => return None,
        };
        Some(Platform { os, arch })
    }

    /// What the npm registry and the download site offer for this platform.
    pub(crate) fn build(self) -> Build {
        use ArchiveFormat::*;
        let npm = |package, executable| {
            Some(NpmBuild {
                package,
                executable,
            })
        };
        let site = |slug, format, executable| {
            Some(SiteBuild {
                slug,
                format,
                executable,
            })
        };
        match (self.os, self.arch) {
            (Os::Linux, Arch::X64) => Build {
                npm: npm("@postman/pm-bin-linux-x64", "bin/postman"),
                site: site("linux64", TarGz, "postman-cli"),
            },
            (Os::Linux, Arch::Arm64) => Build {
                npm: npm("@postman/pm-bin-linux-arm64", "bin/postman"),
                site: None,
            },
            (Os::MacOs, Arch::X64) => Build {
                npm: npm("@postman/pm-bin-macos-x64", "bin/postman"),
                site: site("osx64", Zip, "postman-cli"),
            },
            (Os::MacOs, Arch::Arm64) => Build {
                npm: npm("@postman/pm-bin-macos-arm64", "bin/postman"),
                site: site("osx_arm64", Zip, "postman-cli"),
            },
            (Os::Windows, Arch::X64) => Build {
                npm: npm("@postman/pm-bin-windows-x64", "bin/postman.exe"),
                site: site("win64", Zip, "postman-cli.exe"),
            },
            // Postman publishes no Windows ARM64 build anywhere; Windows on
            // ARM runs the x64 one under emulation.
            (Os::Windows, Arch::Arm64) => Build {
                npm: None,
                site: None,
            },
        }
    }

    /// What still works when a source has no build for this platform, for
    /// error messages.
    pub(crate) fn alternatives(self) -> &'static str {
        match (self.os, self.arch) {
            (Os::Windows, Arch::Arm64) => {
                "Windows on ARM runs the x64 build under emulation: prepare it with `postman-cli-task install --platform windows-x64` and give it as installSource: archive, or install it and use installSource: path"
            }
            _ => {
                "installSource: npm (a registry or mirror that carries the package), installSource: archive or path with a CLI you provide, or an x64 agent"
            }
        }
    }

    /// The tool cache's architecture folder, as Node's `os.arch()` names it.
    pub(crate) fn cache_arch(self) -> &'static str {
        match self.arch {
            Arch::X64 => "x64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The installed executable's name: `bin/<this>` in the tool cache.
    pub(crate) fn exe_name(self) -> &'static str {
        match self.os {
            Os::Windows => "postman.exe",
            _ => "postman",
        }
    }

    /// Human words for messages: "Linux ARM64".
    pub(crate) fn describe(self) -> String {
        let os = match self.os {
            Os::Linux => "Linux",
            Os::MacOs => "macOS",
            Os::Windows => "Windows",
        };
        let arch = match self.arch {
            Arch::X64 => "x64",
            Arch::Arm64 => "ARM64",
        };
        format!("{os} {arch}")
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let os = match self.os {
            Os::Linux => "linux",
            Os::MacOs => "macos",
            Os::Windows => "windows",
        };
        write!(f, "{os}-{}", self.cache_arch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table, pinned: a change here is a claim about Postman's builds
    /// and needs a source (see the module comment).
    #[test]
    fn the_platform_table() {
        let rows: Vec<String> = Platform::ALL
            .iter()
            .map(|p| {
                let b = p.build();
                let npm = b.npm.map_or("-".to_owned(), |n| {
                    format!("{} {}", n.package, n.executable)
                });
                let site = b.site.map_or("-".to_owned(), |s| {
                    format!("{} ({}) {}", s.slug, s.format, s.executable)
                });
                format!("{p} | {} | {npm} | {site}", p.exe_name())
            })
            .collect();
        assert_eq!(
            rows,
            [
                "linux-x64 | postman | @postman/pm-bin-linux-x64 bin/postman | linux64 (gzipped tar) postman-cli",
                "linux-arm64 | postman | @postman/pm-bin-linux-arm64 bin/postman | -",
                "macos-x64 | postman | @postman/pm-bin-macos-x64 bin/postman | osx64 (zip) postman-cli",
                "macos-arm64 | postman | @postman/pm-bin-macos-arm64 bin/postman | osx_arm64 (zip) postman-cli",
                "windows-x64 | postman.exe | @postman/pm-bin-windows-x64 bin/postman.exe | win64 (zip) postman-cli.exe",
                "windows-arm64 | postman.exe | - | -",
            ]
        );
    }

    #[test]
    fn names_round_trip() {
        for p in Platform::ALL {
            assert_eq!(Platform::parse(&p.to_string()), Some(p));
        }
        assert_eq!(
            Platform::parse("darwin-arm64"),
            Some(Platform::new(Os::MacOs, Arch::Arm64))
        );
        assert_eq!(
            Platform::parse("win32-x64"),
            Some(Platform::new(Os::Windows, Arch::X64))
        );
        assert_eq!(Platform::parse("linux"), None);
        assert_eq!(Platform::parse("solaris-x64"), None);
        assert_eq!(Platform::new(Os::MacOs, Arch::Arm64).cache_arch(), "arm64");
        assert!(Platform::current().is_some());
    }
}
