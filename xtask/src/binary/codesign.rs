//! An embedded code signature checked as macOS checks it before running an
//! arm64 binary: a code directory holds a hash of every page of the file up
//! to its code limit, and each must match the page. The linker signs ad hoc
//! (no certificate), which is all macOS needs to run a binary it was not
//! told to distrust. Big-endian throughout, as Apple's `cs_blobs.h` lays it
//! out.

use sha2::{Digest, Sha256};

use super::Problem;

const EMBEDDED_SIGNATURE: u32 = 0xfade_0cc0;
const CODE_DIRECTORY: u32 = 0xfade_0c02;
/// `CS_HASHTYPE_SHA256`, and its 20-byte truncation.
const SHA256: u8 = 2;
const SHA256_TRUNCATED: u8 = 3;

fn be32(data: &[u8], at: usize) -> Result<u32, Problem> {
    data.get(at..at.saturating_add(4))
        .map(|b| u32::from_be_bytes(b.try_into().expect("four bytes")))
        .ok_or(Problem::BadSignature("a field lies outside it"))
}

/// Verifies the signature at `offset`, `size` bytes long, against `file`.
pub(super) fn verify(file: &[u8], offset: u32, size: u32) -> Result<(), Problem> {
    let (offset, size) = (offset as usize, size as usize);
    let blob = file
        .get(offset..offset.saturating_add(size))
        .ok_or(Problem::BadSignature("it lies outside the file"))?;
    if be32(blob, 0)? != EMBEDDED_SIGNATURE {
        return Err(Problem::BadSignature("it is no embedded signature"));
    }
    // An index of (type, offset) pairs; code directories (the primary one
    // and any alternates) are found by their magic.
    let count = be32(blob, 8)? as usize;
    for i in 0..count {
        let at = be32(blob, 16 + 8 * i)? as usize;
        if be32(blob, at)? != CODE_DIRECTORY {
            continue;
        }
        let directory = &blob[at..];
        if matches!(directory.get(37), Some(&(SHA256 | SHA256_TRUNCATED))) {
            return verify_pages(file, directory);
        }
    }
    Err(Problem::NoCodeDirectory)
}

/// Compares each page's SHA-256 with its slot in a code directory.
fn verify_pages(file: &[u8], directory: &[u8]) -> Result<(), Problem> {
    let hash_offset = be32(directory, 16)? as usize;
    let slots = be32(directory, 28)?;
    let limit = be32(directory, 32)? as usize;
    let hash_size = usize::from(directory[36]);
    let page_shift = directory
        .get(39)
        .copied()
        .ok_or(Problem::BadSignature("its code directory is cut short"))?;
    if hash_size > 32 {
        return Err(Problem::BadSignature("its hash size is over 32 bytes"));
    }
    if limit > file.len() {
        return Err(Problem::BadSignature(
            "its code limit is past the file's end",
        ));
    }
    // A page shift of 0 means one page for the whole signed range.
    let page = if page_shift == 0 {
        limit.max(1)
    } else {
        1usize
            .checked_shl(u32::from(page_shift))
            .ok_or(Problem::BadSignature("its page size is out of range"))?
    };
    for n in 0..slots {
        let start = (n as usize).saturating_mul(page).min(limit);
        let end = start.saturating_add(page).min(limit);
        let digest = Sha256::digest(&file[start..end]);
        let slot = hash_offset.saturating_add(n as usize * hash_size);
        let want = directory
            .get(slot..slot.saturating_add(hash_size))
            .ok_or(Problem::BadSignature("a page hash lies outside it"))?;
        if digest[..hash_size] != *want {
            return Err(Problem::PageMismatch(n));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::MachO;
    use super::*;

    /// The signature's place in a fixture: its last `len` bytes.
    fn signature_of(data: &[u8], len: usize) -> (u32, u32) {
        ((data.len() - len) as u32, len as u32)
    }

    #[test]
    fn a_signed_file_verifies() {
        let (data, len) = MachO::arm64().signed_with_length();
        let (offset, size) = signature_of(&data, len);
        assert_eq!(verify(&data, offset, size), Ok(()));
    }

    #[test]
    fn each_page_is_checked_and_the_first_bad_one_named() {
        let (mut data, len) = MachO::arm64().signed_with_length();
        let (offset, size) = signature_of(&data, len);
        data[100] ^= 0xff;
        assert_eq!(verify(&data, offset, size), Err(Problem::PageMismatch(0)));
    }

    #[test]
    fn a_signature_outside_the_file_or_of_another_kind_is_malformed() {
        let (data, len) = MachO::arm64().signed_with_length();
        let (offset, size) = signature_of(&data, len);
        assert!(matches!(
            verify(&data, offset, size + 1),
            Err(Problem::BadSignature(_))
        ));
        assert!(matches!(
            verify(&data, 0, size),
            Err(Problem::BadSignature(_))
        ));
    }

    #[test]
    fn a_signature_with_only_sha1_hashes_has_no_directory_to_trust() {
        let (mut data, len) = MachO::arm64().signed_with_length();
        let (offset, size) = signature_of(&data, len);
        // The code directory follows the 20-byte blob header and index.
        data[offset as usize + 20 + 37] = 1;
        assert_eq!(verify(&data, offset, size), Err(Problem::NoCodeDirectory));
    }

    #[test]
    fn a_count_past_the_index_is_malformed_not_a_pass() {
        let (mut data, len) = MachO::arm64().signed_with_length();
        let (offset, size) = signature_of(&data, len);
        let at = offset as usize + 8;
        data[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        // The code directory is found at index 0 before the count runs out.
        assert_eq!(verify(&data, offset, size), Ok(()));
        data[offset as usize + 16..offset as usize + 20].copy_from_slice(&0u32.to_be_bytes());
        assert!(matches!(
            verify(&data, offset, size),
            Err(Problem::BadSignature(_))
        ));
    }
}
