//! Windows executables (PE32+): for x64, and stripped (no COFF symbol
//! table).

use object::LittleEndian as LE;
use object::pe::{IMAGE_FILE_MACHINE_AMD64, ImageDosHeader, ImageNtHeaders64};
use object::read::pe::ImageNtHeaders;

use super::{Problem, unreadable};
use crate::platform::Platform;

fn headers(data: &[u8]) -> object::Result<&ImageNtHeaders64> {
    let dos = ImageDosHeader::parse(data)?;
    let mut offset = dos.nt_headers_offset().into();
    let (nt, _) = ImageNtHeaders64::parse(data, &mut offset)?;
    Ok(nt)
}

/// The platform of a PE32+ file, by its machine.
pub(super) fn platform(data: &[u8]) -> Result<Platform, String> {
    let nt = headers(data).map_err(|e| format!("an unreadable PE file ({e})"))?;
    match nt.file_header().machine.get(LE) {
        IMAGE_FILE_MACHINE_AMD64 => Ok(Platform::Win32X64),
        other => Err(format!("a PE file for machine {other:#x}")),
    }
}

pub(super) fn check(data: &[u8]) -> Result<(), Problem> {
    let nt = headers(data).map_err(unreadable)?;
    if nt.file_header().pointer_to_symbol_table.get(LE) != 0 {
        return Err(Problem::CoffSymbols);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::Pe;
    use super::*;

    #[test]
    fn a_stripped_x64_executable_passes() {
        assert_eq!(check(&Pe::x64().build()), Ok(()));
    }

    #[test]
    fn a_coff_symbol_table_means_not_stripped() {
        assert_eq!(
            check(&Pe::x64().symbols().build()),
            Err(Problem::CoffSymbols)
        );
    }

    #[test]
    fn another_machine_is_named() {
        assert_eq!(
            platform(&Pe::x64().machine(0xaa64).build()),
            Err("a PE file for machine 0xaa64".to_string())
        );
    }
}
