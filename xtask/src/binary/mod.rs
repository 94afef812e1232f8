//! Is a built file the executable its folder says: the right format and
//! CPU, stripped (the release profile has `strip = true`), static on Linux,
//! for no newer macOS than the platform's minimum, linking only libraries
//! every Mac has, and on Apple silicon validly ad-hoc signed (macOS kills
//! unsigned arm64 executables). Headers are read with the `object` crate;
//! each format's checks are in its own module, a new check is one function
//! there with its unit test, built on `fixtures`.

mod codesign;
mod elf;
#[cfg(test)]
mod fixtures;
mod macho;
mod pe;

use object::FileKind;

use crate::platform::{MacosVersion, Platform};

/// Why a file is not a proper executable for its platform.
#[derive(Debug, PartialEq, thiserror::Error)]
pub(crate) enum Problem {
    #[error("expected a {expected} executable, found {found}")]
    WrongKind { expected: Platform, found: String },
    #[error("its headers are unreadable ({0})")]
    Unreadable(String),
    #[error("dynamically linked (it has an ELF interpreter)")]
    Dynamic,
    #[error("not stripped (it has a symbol table)")]
    ElfSymbols,
    #[error("not stripped (it has a COFF symbol table)")]
    CoffSymbols,
    #[error("needs macOS {found}, not {wanted}")]
    NewerMacos {
        found: MacosVersion,
        wanted: MacosVersion,
    },
    #[error("links {0}; only /usr/lib libraries exist without an SDK")]
    Links(String),
    #[error("has no code signature")]
    Unsigned,
    #[error("its code signature has no SHA-256 code directory")]
    NoCodeDirectory,
    #[error("its code signature does not match page {0}")]
    PageMismatch(u32),
    #[error("its code signature is malformed: {0}")]
    BadSignature(&'static str),
}

fn unreadable(error: object::Error) -> Problem {
    Problem::Unreadable(error.to_string())
}

/// Checks `data` is a proper executable for `platform`.
pub(crate) fn check(data: &[u8], platform: Platform) -> Result<(), Problem> {
    match identify(data) {
        Ok(found) if found == platform => {}
        Ok(found) => {
            return Err(Problem::WrongKind {
                expected: platform,
                found: found.to_string(),
            });
        }
        Err(found) => {
            return Err(Problem::WrongKind {
                expected: platform,
                found,
            });
        }
    }
    match platform {
        Platform::LinuxX64 | Platform::LinuxArm64 => elf::check(data),
        Platform::Win32X64 => pe::check(data),
        Platform::DarwinX64 | Platform::DarwinArm64 => {
            let wanted = platform.macos_min().expect("darwin has a minimum macOS");
            macho::check(data, wanted, platform == Platform::DarwinArm64)
        }
    }
}

/// The platform `data` is an executable for, or what it is instead.
fn identify(data: &[u8]) -> Result<Platform, String> {
    match FileKind::parse(data) {
        Ok(FileKind::Elf64) => elf::platform(data),
        Ok(FileKind::MachO64) => macho::platform(data),
        Ok(FileKind::Pe64) => pe::platform(data),
        Ok(FileKind::Elf32) => Err("a 32-bit ELF file".to_string()),
        Ok(FileKind::Pe32) => Err("a 32-bit PE file".to_string()),
        Ok(FileKind::MachO32) => Err("a 32-bit Mach-O file".to_string()),
        Ok(FileKind::MachOFat32 | FileKind::MachOFat64) => {
            Err("a universal (fat) Mach-O file".to_string())
        }
        Ok(other) => Err(format!("a {other:?} file")),
        Err(_) => Err("something else".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{Elf, MachO, Pe};
    use super::*;

    #[test]
    fn each_platform_accepts_its_own_executable_and_no_other() {
        let files = [
            (Platform::LinuxX64, Elf::x64().build()),
            (Platform::LinuxArm64, Elf::arm64().build()),
            (Platform::Win32X64, Pe::x64().build()),
            (Platform::DarwinX64, MachO::x64().build()),
            (Platform::DarwinArm64, MachO::arm64().signed()),
        ];
        for (platform, data) in &files {
            assert_eq!(check(data, *platform), Ok(()), "{platform}");
            for other in Platform::ALL.into_iter().filter(|p| p != platform) {
                assert_eq!(
                    check(data, other),
                    Err(Problem::WrongKind {
                        expected: other,
                        found: platform.to_string()
                    })
                );
            }
        }
    }

    #[test]
    fn anything_else_is_named_as_what_it_is() {
        let found = |data: &[u8]| match check(data, Platform::LinuxX64) {
            Err(Problem::WrongKind { found, .. }) => found,
            other => panic!("{other:?}"),
        };
        assert_eq!(found(b""), "something else");
        assert_eq!(found(b"#!/bin/sh\necho hi\n"), "something else");
        assert_eq!(found(&Pe::x64().pe32().build()), "a 32-bit PE file");
        assert_eq!(
            found(&Elf::x64().machine(0x28).build()),
            "an ELF file for machine 0x28"
        );
    }

    #[test]
    fn the_message_names_the_platform_and_what_was_found() {
        let err = check(&MachO::x64().build(), Platform::LinuxArm64).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a linux-arm64 executable, found darwin-x64"
        );
    }

    /// A real file: this test's own executable, which Cargo links
    /// dynamically against glibc and does not strip.
    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn this_test_binary_is_a_dynamic_linux_x64_executable() {
        let me = std::fs::read(std::env::current_exe().expect("this test's path"))
            .expect("read this test's executable");
        assert_eq!(check(&me, Platform::LinuxX64), Err(Problem::Dynamic));
    }
}
