//! macOS executables (Mach-O): for no newer macOS than the platform's
//! minimum, linking only what every Mac has in /usr/lib (there is no macOS
//! SDK on the build machine, so a framework could not be linked right), and
//! on Apple silicon carrying a code signature that matches (`codesign`).

use object::Endianness;
use object::macho::{
    CPU_TYPE_ARM64, CPU_TYPE_X86_64, LC_CODE_SIGNATURE, LC_VERSION_MIN_MACOSX, MachHeader64,
};
use object::read::macho::{LoadCommandVariant, MachHeader};

use super::{Problem, codesign, unreadable};
use crate::platform::{MacosVersion, Platform};

type Header = MachHeader64<Endianness>;

/// The platform of a 64-bit Mach-O file, by its CPU.
pub(super) fn platform(data: &[u8]) -> Result<Platform, String> {
    let header = Header::parse(data, 0).map_err(|e| format!("an unreadable Mach-O file ({e})"))?;
    let endian = header
        .endian()
        .map_err(|e| format!("an unreadable Mach-O file ({e})"))?;
    match header.cputype(endian) {
        CPU_TYPE_X86_64 => Ok(Platform::DarwinX64),
        CPU_TYPE_ARM64 => Ok(Platform::DarwinArm64),
        other => Err(format!("a Mach-O file for CPU {other:#x}")),
    }
}

/// Checks the load commands against the oldest macOS the binary must run on,
/// and the signature when `signed` (Apple silicon).
pub(super) fn check(data: &[u8], oldest: MacosVersion, signed: bool) -> Result<(), Problem> {
    let header = Header::parse(data, 0).map_err(unreadable)?;
    let endian = header.endian().map_err(unreadable)?;
    let mut commands = header.load_commands(endian, data, 0).map_err(unreadable)?;
    let mut signature = None;
    while let Some(command) = commands.next().map_err(unreadable)? {
        match command.variant().map_err(unreadable)? {
            LoadCommandVariant::BuildVersion(build, _) => {
                runs_on(MacosVersion::from_packed(build.minos.get(endian).0), oldest)?;
            }
            LoadCommandVariant::VersionMin(min) if command.cmd() == LC_VERSION_MIN_MACOSX => {
                runs_on(MacosVersion::from_packed(min.version.get(endian).0), oldest)?;
            }
            LoadCommandVariant::Dylib(dylib) => {
                let name = command
                    .string(endian, dylib.dylib.name)
                    .map_err(unreadable)?;
                if !name.starts_with(b"/usr/lib/") {
                    return Err(Problem::Links(String::from_utf8_lossy(name).into_owned()));
                }
            }
            LoadCommandVariant::LinkeditData(link) if command.cmd() == LC_CODE_SIGNATURE => {
                signature = Some((link.dataoff.get(endian), link.datasize.get(endian)));
            }
            _ => {}
        }
    }
    if signed {
        let (offset, size) = signature.ok_or(Problem::Unsigned)?;
        codesign::verify(data, offset, size)?;
    }
    Ok(())
}

/// A binary marked for a newer macOS than `oldest` does not start there.
fn runs_on(minimum: MacosVersion, oldest: MacosVersion) -> Result<(), Problem> {
    if minimum > oldest {
        return Err(Problem::NewerMacos {
            found: minimum,
            wanted: oldest,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::MachO;
    use super::*;

    const BIG_SUR: MacosVersion = MacosVersion::new(11, 0);

    #[test]
    fn a_binary_for_the_oldest_macos_or_older_passes() {
        let at = MachO::arm64().minimum(11, 0).signed();
        assert_eq!(check(&at, BIG_SUR, true), Ok(()));
        let older = MachO::x64().minimum(10, 12).build();
        assert_eq!(check(&older, BIG_SUR, false), Ok(()));
    }

    #[test]
    fn a_binary_for_a_newer_macos_is_refused_with_both_versions() {
        let newer = MachO::x64().minimum(14, 0).build();
        let err = check(&newer, MacosVersion::new(10, 12), false).unwrap_err();
        assert_eq!(err.to_string(), "needs macOS 14.0, not 10.12");
        let old_style = MachO::x64().version_min(10, 13).build();
        assert!(matches!(
            check(&old_style, MacosVersion::new(10, 12), false),
            Err(Problem::NewerMacos { .. })
        ));
    }

    #[test]
    fn only_libraries_under_usr_lib_may_be_linked() {
        let system = MachO::x64().dylib("/usr/lib/libSystem.B.dylib").build();
        assert_eq!(check(&system, BIG_SUR, false), Ok(()));
        let security = "/System/Library/Frameworks/Security.framework/Versions/A/Security";
        let framework = MachO::arm64().dylib(security).signed();
        assert_eq!(
            check(&framework, BIG_SUR, true),
            Err(Problem::Links(security.to_string()))
        );
    }

    #[test]
    fn apple_silicon_needs_a_signature_and_intel_does_not() {
        let unsigned = MachO::arm64().build();
        assert_eq!(check(&unsigned, BIG_SUR, true), Err(Problem::Unsigned));
        assert_eq!(check(&unsigned, BIG_SUR, false), Ok(()));
    }

    #[test]
    fn a_byte_changed_after_signing_is_found_in_its_page() {
        let mut data = MachO::arm64().signed();
        data[4096 + 10] ^= 1;
        assert_eq!(check(&data, BIG_SUR, true), Err(Problem::PageMismatch(1)));
    }
}
