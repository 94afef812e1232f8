//! The agent platforms the package carries a binary for: the folder
//! task/launcher.js looks in (`task/bin/<platform>-<arch>/`, named as Node's
//! `process.platform` and `process.arch` name them), the Rust target that
//! builds it, and the binary's file name there.

use std::fmt;

/// The task's binary, as Cargo.toml names it.
pub(crate) const BIN_NAME: &str = "postman-cli-task";

/// One agent platform. The order of the variants is the order the package
/// builds them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub(crate) enum Platform {
    #[value(name = "linux-x64")]
    LinuxX64,
    #[value(name = "linux-arm64")]
    LinuxArm64,
    #[value(name = "win32-x64")]
    Win32X64,
    #[value(name = "darwin-x64")]
    DarwinX64,
    #[value(name = "darwin-arm64")]
    DarwinArm64,
}

impl Platform {
    pub(crate) const ALL: [Platform; 5] = [
        Platform::LinuxX64,
        Platform::LinuxArm64,
        Platform::Win32X64,
        Platform::DarwinX64,
        Platform::DarwinArm64,
    ];

    /// The folder under task/bin/.
    pub(crate) fn folder(self) -> &'static str {
        match self {
            Platform::LinuxX64 => "linux-x64",
            Platform::LinuxArm64 => "linux-arm64",
            Platform::Win32X64 => "win32-x64",
            Platform::DarwinX64 => "darwin-x64",
            Platform::DarwinArm64 => "darwin-arm64",
        }
    }

    /// The Rust target. Linux builds are static (musl), so they run on any
    /// distribution and in Alpine containers.
    pub(crate) fn triple(self) -> &'static str {
        match self {
            Platform::LinuxX64 => "x86_64-unknown-linux-musl",
            Platform::LinuxArm64 => "aarch64-unknown-linux-musl",
            Platform::Win32X64 => "x86_64-pc-windows-gnu",
            Platform::DarwinX64 => "x86_64-apple-darwin",
            Platform::DarwinArm64 => "aarch64-apple-darwin",
        }
    }

    /// The binary's file name in its folder.
    pub(crate) fn exe(self) -> String {
        match self {
            Platform::Win32X64 => format!("{BIN_NAME}.exe"),
            _ => BIN_NAME.to_string(),
        }
    }

    /// The oldest macOS a darwin binary runs on: Rust's own minimum for the
    /// target. Without it zig would mark the binaries for its newer default,
    /// and macOS refuses to start a binary built for a newer version than
    /// its own.
    pub(crate) fn macos_min(self) -> Option<MacosVersion> {
        match self {
            Platform::DarwinX64 => Some(MacosVersion::new(10, 12)),
            Platform::DarwinArm64 => Some(MacosVersion::new(11, 0)),
            _ => None,
        }
    }

    /// This machine's platform, or `None` on one the task has no binary for.
    pub(crate) fn host() -> Option<Platform> {
        Platform::of(std::env::consts::OS, std::env::consts::ARCH)
    }

    /// The platform of Rust's names for an OS and a CPU.
    fn of(os: &str, arch: &str) -> Option<Platform> {
        match (os, arch) {
            ("linux", "x86_64") => Some(Platform::LinuxX64),
            ("linux", "aarch64") => Some(Platform::LinuxArm64),
            ("windows", "x86_64") => Some(Platform::Win32X64),
            ("macos", "x86_64") => Some(Platform::DarwinX64),
            ("macos", "aarch64") => Some(Platform::DarwinArm64),
            _ => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.folder())
    }
}

/// The platforms asked for, each once, in build order; all of them when
/// none was asked for.
pub(crate) fn select(wanted: &[Platform]) -> Vec<Platform> {
    if wanted.is_empty() {
        return Platform::ALL.to_vec();
    }
    let mut selected = wanted.to_vec();
    selected.sort();
    selected.dedup();
    selected
}

/// A macOS version as the deployment target names it (major.minor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct MacosVersion {
    pub(crate) major: u16,
    pub(crate) minor: u8,
}

impl MacosVersion {
    pub(crate) const fn new(major: u16, minor: u8) -> MacosVersion {
        MacosVersion { major, minor }
    }

    /// From Mach-O's packed `xxxx.yy.zz` form (the patch is dropped).
    pub(crate) fn from_packed(packed: u32) -> MacosVersion {
        MacosVersion {
            major: (packed >> 16) as u16,
            minor: (packed >> 8) as u8,
        }
    }
}

impl fmt::Display for MacosVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_is_in_build_order_without_repeats_and_all_by_default() {
        assert_eq!(select(&[]), Platform::ALL.to_vec());
        assert_eq!(
            select(&[
                Platform::DarwinArm64,
                Platform::LinuxX64,
                Platform::DarwinArm64
            ]),
            vec![Platform::LinuxX64, Platform::DarwinArm64]
        );
    }

    #[test]
    fn every_platform_has_its_folder_triple_and_file_name() {
        let rows: Vec<String> = Platform::ALL
            .iter()
            .map(|p| format!("{p} {} {}", p.triple(), p.exe()))
            .collect();
        assert_eq!(
            rows,
            [
                "linux-x64 x86_64-unknown-linux-musl postman-cli-task",
                "linux-arm64 aarch64-unknown-linux-musl postman-cli-task",
                "win32-x64 x86_64-pc-windows-gnu postman-cli-task.exe",
                "darwin-x64 x86_64-apple-darwin postman-cli-task",
                "darwin-arm64 aarch64-apple-darwin postman-cli-task",
            ]
        );
    }

    #[test]
    fn the_folder_names_are_the_ones_clap_accepts() {
        use clap::ValueEnum;
        for p in Platform::ALL {
            assert_eq!(Platform::from_str(p.folder(), false), Ok(p));
        }
    }

    #[test]
    fn the_host_is_named_as_node_names_it() {
        assert_eq!(Platform::of("linux", "x86_64"), Some(Platform::LinuxX64));
        assert_eq!(
            Platform::of("macos", "aarch64"),
            Some(Platform::DarwinArm64)
        );
        assert_eq!(Platform::of("windows", "x86_64"), Some(Platform::Win32X64));
        assert_eq!(Platform::of("freebsd", "x86_64"), None);
        assert_eq!(Platform::of("linux", "riscv64"), None);
    }

    #[test]
    fn macos_versions_unpack_and_compare() {
        assert_eq!(
            MacosVersion::from_packed(0x000b_0000),
            MacosVersion::new(11, 0)
        );
        assert_eq!(
            MacosVersion::from_packed(0x000a_0c01),
            MacosVersion::new(10, 12)
        );
        assert!(MacosVersion::new(10, 12) < MacosVersion::new(11, 0));
        assert!(MacosVersion::new(12, 0) > MacosVersion::new(11, 3));
        assert_eq!(MacosVersion::new(10, 12).to_string(), "10.12");
    }
}
