//! Linux executables (ELF): static, so they run on any distribution and in
//! Alpine containers, and stripped.

use object::Endianness;
use object::elf::{EM_AARCH64, EM_X86_64, FileHeader64, PT_INTERP, SHT_SYMTAB};
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader};

use super::{Problem, unreadable};
use crate::platform::Platform;

type Header = FileHeader64<Endianness>;

/// The platform of a 64-bit ELF file, by its machine.
pub(super) fn platform(data: &[u8]) -> Result<Platform, String> {
    let header = Header::parse(data).map_err(|e| format!("an unreadable ELF file ({e})"))?;
    let endian = header
        .endian()
        .map_err(|e| format!("an unreadable ELF file ({e})"))?;
    match header.e_machine(endian) {
        EM_X86_64 => Ok(Platform::LinuxX64),
        EM_AARCH64 => Ok(Platform::LinuxArm64),
        other => Err(format!("an ELF file for machine {other:#x}")),
    }
}

pub(super) fn check(data: &[u8]) -> Result<(), Problem> {
    let header = Header::parse(data).map_err(unreadable)?;
    let endian = header.endian().map_err(unreadable)?;
    let segments = header.program_headers(endian, data).map_err(unreadable)?;
    if segments.iter().any(|s| s.p_type(endian) == PT_INTERP) {
        return Err(Problem::Dynamic);
    }
    let sections = header.section_headers(endian, data).map_err(unreadable)?;
    if sections.iter().any(|s| s.sh_type(endian) == SHT_SYMTAB) {
        return Err(Problem::ElfSymbols);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::Elf;
    use super::*;

    #[test]
    fn a_static_stripped_executable_passes() {
        assert_eq!(check(&Elf::x64().build()), Ok(()));
        assert_eq!(check(&Elf::arm64().build()), Ok(()));
    }

    #[test]
    fn an_interpreter_means_dynamically_linked() {
        assert_eq!(
            check(&Elf::x64().interpreter().build()),
            Err(Problem::Dynamic)
        );
    }

    #[test]
    fn a_symbol_table_means_not_stripped() {
        assert_eq!(
            check(&Elf::arm64().symbols().build()),
            Err(Problem::ElfSymbols)
        );
    }

    #[test]
    fn headers_that_point_outside_the_file_are_unreadable_not_a_pass() {
        let mut data = Elf::x64().build();
        data[32..40].copy_from_slice(&u64::MAX.to_le_bytes()); // e_phoff
        assert!(matches!(check(&data), Err(Problem::Unreadable(_))));
    }
}
