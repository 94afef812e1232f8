//! The smallest files each format's reader accepts, built byte by byte for
//! the checks' unit tests: an ELF, a PE32+ and a Mach-O executable, each
//! with the one feature a test wants (an interpreter, a symbol table, a
//! minimum macOS, a linked library, an ad-hoc signature). They carry no
//! code; the checks read only headers and, for a signature, page hashes.

use sha2::{Digest, Sha256};

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A 64-bit little-endian ELF executable.
pub(super) struct Elf {
    machine: u16,
    interpreter: bool,
    symbols: bool,
}

impl Elf {
    pub(super) fn x64() -> Elf {
        Elf {
            machine: 62,
            interpreter: false,
            symbols: false,
        }
    }
    pub(super) fn arm64() -> Elf {
        Elf {
            machine: 183,
            ..Elf::x64()
        }
    }
    pub(super) fn machine(self, machine: u16) -> Elf {
        Elf { machine, ..self }
    }
    /// A `PT_INTERP` segment: dynamically linked.
    pub(super) fn interpreter(self) -> Elf {
        Elf {
            interpreter: true,
            ..self
        }
    }
    /// A `SHT_SYMTAB` section: not stripped.
    pub(super) fn symbols(self) -> Elf {
        Elf {
            symbols: true,
            ..self
        }
    }

    pub(super) fn build(&self) -> Vec<u8> {
        let segments: &[u32] = if self.interpreter { &[3, 1] } else { &[1] };
        let sections: &[u32] = if self.symbols { &[0, 2] } else { &[0, 1] };
        let phoff = 64u64;
        let shoff = phoff + 56 * segments.len() as u64;
        let mut out = b"\x7fELF\x02\x01\x01".to_vec();
        out.resize(16, 0);
        put16(&mut out, 2); // ET_EXEC
        put16(&mut out, self.machine);
        put32(&mut out, 1);
        put64(&mut out, 0x40_0000); // entry
        put64(&mut out, phoff);
        put64(&mut out, shoff);
        put32(&mut out, 0);
        put16(&mut out, 64);
        put16(&mut out, 56);
        put16(&mut out, segments.len() as u16);
        put16(&mut out, 64);
        put16(&mut out, sections.len() as u16);
        put16(&mut out, 0);
        for &kind in segments {
            put32(&mut out, kind);
            put32(&mut out, 5); // R+X
            for _ in 0..6 {
                put64(&mut out, 0);
            }
        }
        for &kind in sections {
            put32(&mut out, 0);
            put32(&mut out, kind);
            for _ in 0..4 {
                put64(&mut out, 0);
            }
            put32(&mut out, 0);
            put32(&mut out, 0);
            put64(&mut out, 0);
            put64(&mut out, if kind == 2 { 24 } else { 0 });
        }
        out
    }
}

/// A PE32+ executable (or a PE32 one's headers, for the wrong-kind test).
pub(super) struct Pe {
    machine: u16,
    symbols: bool,
    pe32: bool,
}

impl Pe {
    pub(super) fn x64() -> Pe {
        Pe {
            machine: 0x8664,
            symbols: false,
            pe32: false,
        }
    }
    pub(super) fn machine(self, machine: u16) -> Pe {
        Pe { machine, ..self }
    }
    /// A pointer to a COFF symbol table: not stripped.
    pub(super) fn symbols(self) -> Pe {
        Pe {
            symbols: true,
            ..self
        }
    }
    pub(super) fn pe32(self) -> Pe {
        Pe { pe32: true, ..self }
    }

    pub(super) fn build(&self) -> Vec<u8> {
        let mut out = b"MZ".to_vec();
        out.resize(0x3c, 0);
        put32(&mut out, 0x40); // e_lfanew
        out.extend_from_slice(b"PE\0\0");
        put16(&mut out, self.machine);
        put16(&mut out, 0); // sections
        put32(&mut out, 0);
        put32(&mut out, if self.symbols { 0x1000 } else { 0 });
        put32(&mut out, if self.symbols { 10 } else { 0 });
        put16(&mut out, 112 + 16 * 8); // optional header with 16 directories
        put16(&mut out, 0x22); // executable, large-address aware
        let optional = out.len();
        put16(&mut out, if self.pe32 { 0x10b } else { 0x20b });
        out.resize(optional + 108, 0);
        put32(&mut out, 16); // number of data directories
        out.resize(optional + 112 + 16 * 8, 0);
        out.resize(0x200, 0);
        out
    }
}

/// A 64-bit Mach-O executable with the load commands asked for.
pub(super) struct MachO {
    cputype: u32,
    commands: Vec<Vec<u8>>,
}

const PAGE: usize = 4096;
/// The signed part of a signed fixture: a little over two pages.
const BODY: usize = 2 * PAGE + 1000;

fn command(cmd: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put32(&mut out, cmd);
    put32(&mut out, (8 + body.len()) as u32);
    out.extend_from_slice(body);
    out
}

fn packed(major: u16, minor: u8) -> u32 {
    (u32::from(major) << 16) | (u32::from(minor) << 8)
}

impl MachO {
    pub(super) fn x64() -> MachO {
        MachO {
            cputype: 0x0100_0007,
            commands: Vec::new(),
        }
    }
    pub(super) fn arm64() -> MachO {
        MachO {
            cputype: 0x0100_000c,
            commands: Vec::new(),
        }
    }

    /// `LC_BUILD_VERSION` for macOS with this minimum.
    pub(super) fn minimum(mut self, major: u16, minor: u8) -> MachO {
        let mut body = Vec::new();
        put32(&mut body, 1); // PLATFORM_MACOS
        put32(&mut body, packed(major, minor));
        put32(&mut body, packed(major, minor));
        put32(&mut body, 0); // no tools
        self.commands.push(command(0x32, &body));
        self
    }

    /// The older `LC_VERSION_MIN_MACOSX`.
    pub(super) fn version_min(mut self, major: u16, minor: u8) -> MachO {
        let mut body = Vec::new();
        put32(&mut body, packed(major, minor));
        put32(&mut body, packed(major, minor));
        self.commands.push(command(0x24, &body));
        self
    }

    /// `LC_LOAD_DYLIB` of `name`.
    pub(super) fn dylib(mut self, name: &str) -> MachO {
        let mut body = Vec::new();
        put32(&mut body, 24); // the name follows the 24-byte command
        put32(&mut body, 2);
        put32(&mut body, 0x1_0000);
        put32(&mut body, 0x1_0000);
        body.extend_from_slice(name.as_bytes());
        body.push(0);
        while (body.len() + 8) % 8 != 0 {
            body.push(0);
        }
        self.commands.push(command(0xc, &body));
        self
    }

    fn header(&self, extra: &[Vec<u8>]) -> Vec<u8> {
        let commands: Vec<&Vec<u8>> = self.commands.iter().chain(extra).collect();
        let mut out = Vec::new();
        put32(&mut out, 0xfeed_facf);
        put32(&mut out, self.cputype);
        put32(&mut out, 0);
        put32(&mut out, 2); // MH_EXECUTE
        put32(&mut out, commands.len() as u32);
        put32(&mut out, commands.iter().map(|c| c.len() as u32).sum());
        put32(&mut out, 0);
        put32(&mut out, 0);
        for c in commands {
            out.extend_from_slice(c);
        }
        out
    }

    /// The file, with a body of `BODY` bytes and no signature.
    pub(super) fn build(&self) -> Vec<u8> {
        let mut out = self.header(&[]);
        out.extend((0..BODY).map(|i| (i % 251) as u8));
        out
    }

    /// The file, ad-hoc signed as the linker signs it.
    pub(super) fn signed(&self) -> Vec<u8> {
        self.signed_with_length().0
    }

    /// The signed file and the length of the signature at its end.
    pub(super) fn signed_with_length(&self) -> (Vec<u8>, usize) {
        // The header's length does not depend on the values in
        // LC_CODE_SIGNATURE, so lay it out once to learn where the
        // signature goes.
        let placeholder = command(0x1d, &[0; 8]);
        let limit = self.header(std::slice::from_ref(&placeholder)).len() + BODY;
        let signature = code_signature_blob(limit);
        let mut link = Vec::new();
        put32(&mut link, limit as u32);
        put32(&mut link, signature.len() as u32);
        let mut out = self.header(&[command(0x1d, &link)]);
        out.extend((0..BODY).map(|i| (i % 251) as u8));
        assert_eq!(out.len(), limit);
        let hashes = page_hashes(&out);
        let signature = code_signature(limit, &hashes);
        let len = signature.len();
        out.extend_from_slice(&signature);
        (out, len)
    }
}

fn page_hashes(signed: &[u8]) -> Vec<[u8; 32]> {
    signed
        .chunks(PAGE)
        .map(|page| Sha256::digest(page).into())
        .collect()
}

/// A blob of the right length, to learn the signature's size.
fn code_signature_blob(limit: usize) -> Vec<u8> {
    code_signature(limit, &vec![[0; 32]; limit.div_ceil(PAGE)])
}

/// An embedded signature holding one SHA-256 code directory.
fn code_signature(limit: usize, hashes: &[[u8; 32]]) -> Vec<u8> {
    let be = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_be_bytes());
    let ident = b"fixture\0";
    let header = 48;
    let mut directory = Vec::new();
    be(&mut directory, 0xfade_0c02);
    be(
        &mut directory,
        (header + ident.len() + 32 * hashes.len()) as u32,
    );
    be(&mut directory, 0x2_0400); // version
    be(&mut directory, 0x2_0002); // adhoc, linker-signed
    be(&mut directory, (header + ident.len()) as u32); // hash offset
    be(&mut directory, header as u32); // identifier offset
    be(&mut directory, 0); // special slots
    be(&mut directory, hashes.len() as u32);
    be(&mut directory, limit as u32);
    directory.extend_from_slice(&[32, 2, 0, 12]); // SHA-256, 4 KiB pages
    directory.resize(header, 0);
    directory.extend_from_slice(ident);
    for hash in hashes {
        directory.extend_from_slice(hash);
    }
    let mut blob = Vec::new();
    be(&mut blob, 0xfade_0cc0);
    be(&mut blob, (20 + directory.len()) as u32);
    be(&mut blob, 1);
    be(&mut blob, 0); // CSSLOT_CODEDIRECTORY
    be(&mut blob, 20);
    blob.extend_from_slice(&directory);
    blob
}
