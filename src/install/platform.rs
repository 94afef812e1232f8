//! The machine we run on, in the three vocabularies that name it: the npm
//! platform package of the Postman CLI, the tool cache's architecture
//! folder (Node's `os.arch()`, shared with other tools on the agent), and
//! the executable's file name.

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

impl Platform {
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

    /// The npm package that carries the native CLI for this platform. The
    /// `postman-cli` wrapper package only points at these, and their
    /// versions run ahead of it.
    pub(crate) fn npm_package(self) -> String {
        let os = match self.os {
            Os::Linux => "linux",
            Os::MacOs => "macos",
            Os::Windows => "windows",
        };
        format!("@postman/pm-bin-{os}-{}", self.cache_arch())
    }

    /// Whether the npm registry carries a build for this platform: Postman
    /// publishes no Windows package there.
    pub(crate) fn on_npm(self) -> bool {
        self.os != Os::Windows
    }

    /// The tool cache's architecture folder, as Node's `os.arch()` names it.
    pub(crate) fn cache_arch(self) -> &'static str {
        match self.arch {
            Arch::X64 => "x64",
            Arch::Arm64 => "arm64",
        }
    }

    pub(crate) fn exe_name(self) -> &'static str {
        match self.os {
            Os::Windows => "postman.exe",
            _ => "postman",
        }
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

    #[test]
    fn names() {
        let p = Platform {
            os: Os::MacOs,
            arch: Arch::Arm64,
        };
        assert_eq!(p.npm_package(), "@postman/pm-bin-macos-arm64");
        assert_eq!(p.cache_arch(), "arm64");
        assert_eq!(
            Platform {
                os: Os::Windows,
                arch: Arch::X64
            }
            .exe_name(),
            "postman.exe"
        );
        assert!(Platform::current().is_some());
    }
}
