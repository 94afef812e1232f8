//! The caps on what a package may unpack to, and the meter that holds an
//! unpacking to them as it goes. A small archive can hold gigabytes of
//! zeros; unpacked without a bound, it fills the tool cache (and the
//! agent's disk) before anything looks at it.
//!
//! The caps sit far above the real packages. Measured on
//! `@postman/pm-bin-linux-x64` 1.62.0: a 123.5 MiB tarball that unpacks to
//! 295.7 MiB (291.4 MiB of files) in 5,352 entries, the largest the
//! 172.3 MiB executable, at 2.4 times its compressed size (2.6 at most at
//! any point of the stream). The download site ships the same build.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::Read;
use std::rc::Rc;

use crate::text::size;

/// How far an archive may go.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The archive itself, as downloaded or given.
    pub(crate) archive: u64,
    /// Everything it unpacks to (for a tar, its headers and padding too).
    pub(crate) total: u64,
    /// Files and folders.
    pub(crate) entries: u64,
    /// One file.
    pub(crate) entry: u64,
    /// Bytes out per byte in, checked once `ratio_floor` bytes are out (a
    /// tiny archive is mostly padding, which compresses to nothing).
    pub(crate) ratio: u64,
    pub(crate) ratio_floor: u64,
    /// What a tar holds between two entries: headers, long names, PAX
    /// records, which the unpacker reads into memory.
    pub(crate) headers: u64,
}

const MIB: u64 = 1024 * 1024;

impl Limits {
    /// The caps for a Postman CLI package (see the module's measurements).
    pub(crate) const PACKAGE: Limits = Limits {
        archive: 1024 * MIB,
        total: 2048 * MIB,
        entries: 100_000,
        entry: 1024 * MIB,
        ratio: 20,
        ratio_floor: 16 * MIB,
        headers: MIB,
    };
}

/// The cap an archive went past.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Exceeded {
    Total(u64),
    Entries(u64),
    Entry { entry: String, cap: u64 },
    Ratio(u64),
    Headers(u64),
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exceeded::Total(cap) => write!(
                f,
                "it unpacks to more than {}, the cap for a Postman CLI package (1.62.0 unpacks to 296 MiB)",
                size(*cap)
            ),
            Exceeded::Entries(cap) => write!(
                f,
                "it holds more than {cap} files and folders, the cap for a Postman CLI package (1.62.0 holds 5352)"
            ),
            Exceeded::Entry { entry, cap } => write!(
                f,
                "its entry `{entry}` is larger than {}, the cap for one file of a Postman CLI package (the largest in 1.62.0, its executable, is 172 MiB)",
                size(*cap)
            ),
            Exceeded::Ratio(cap) => write!(
                f,
                "it unpacks to more than {cap} times its compressed size, which no Postman CLI package does (1.62.0 unpacks to 2.4 times its size): a compression bomb"
            ),
            Exceeded::Headers(cap) => write!(
                f,
                "it holds more than {} of tar headers between two files, which no Postman CLI package does",
                size(*cap)
            ),
        }
    }
}

/// Counts what goes into the decompressor and what comes out, and keeps
/// the first cap passed, so the io error a reader must return can be told
/// apart from a damaged archive.
#[derive(Debug)]
pub(crate) struct Meter {
    limits: Limits,
    compressed: Cell<u64>,
    out: Cell<u64>,
    entries: Cell<u64>,
    /// Where the current run of tar headers began, while tar reads one.
    headers_from: Cell<Option<u64>>,
    exceeded: RefCell<Option<Exceeded>>,
}

impl Meter {
    pub(crate) fn new(limits: Limits) -> Rc<Meter> {
        Rc::new(Meter {
            limits,
            compressed: Cell::new(0),
            out: Cell::new(0),
            entries: Cell::new(0),
            headers_from: Cell::new(None),
            exceeded: RefCell::new(None),
        })
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// The cap passed, if one was.
    pub(crate) fn exceeded(&self) -> Option<Exceeded> {
        self.exceeded.borrow().clone()
    }

    /// Compressed bytes the decompressor took (for a zip, an entry's
    /// compressed size).
    pub(crate) fn took(&self, n: u64) {
        self.compressed.set(self.compressed.get().saturating_add(n));
    }

    /// A new entry, with the size its header declares: counted, and
    /// refused before anything of it is written when it cannot fit.
    pub(crate) fn entry(&self, name: &str, declared: u64) -> Result<(), Exceeded> {
        self.entries.set(self.entries.get() + 1);
        let limits = self.limits;
        let refused = if self.entries.get() > limits.entries {
            Some(Exceeded::Entries(limits.entries))
        } else if declared > limits.entry {
            Some(Exceeded::Entry {
                entry: name.to_owned(),
                cap: limits.entry,
            })
        } else if self.out.get().saturating_add(declared) > limits.total {
            Some(Exceeded::Total(limits.total))
        } else {
            None
        };
        self.keep(refused)
    }

    /// Tar is about to read the next entry's headers (or stops reading them).
    pub(crate) fn reading_headers(&self, reading: bool) {
        self.headers_from.set(reading.then(|| self.out.get()));
    }

    /// `n` more bytes came out of the decompressor.
    fn came_out(&self, n: u64) -> Result<(), Exceeded> {
        let out = self.out.get().saturating_add(n);
        self.out.set(out);
        let limits = self.limits;
        let refused = if out > limits.total {
            Some(Exceeded::Total(limits.total))
        } else if out > limits.ratio_floor
            && out > self.compressed.get().saturating_mul(limits.ratio)
        {
            Some(Exceeded::Ratio(limits.ratio))
        } else if self
            .headers_from
            .get()
            .is_some_and(|from| out - from > limits.headers)
        {
            Some(Exceeded::Headers(limits.headers))
        } else {
            None
        };
        self.keep(refused)
    }

    fn keep(&self, refused: Option<Exceeded>) -> Result<(), Exceeded> {
        match refused {
            Some(e) => {
                self.exceeded.borrow_mut().get_or_insert(e.clone());
                Err(e)
            }
            None => Ok(()),
        }
    }
}

/// What goes into the decompressor, counted.
pub(crate) struct Intake<R> {
    pub(crate) inner: R,
    pub(crate) meter: Rc<Meter>,
}

impl<R: Read> Read for Intake<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.took(n as u64);
        Ok(n)
    }
}

/// What comes out of the decompressor, counted, and cut off with an error
/// at the first cap it passes.
pub(crate) struct Outflow<R> {
    pub(crate) inner: R,
    pub(crate) meter: Rc<Meter>,
}

impl<R: Read> Read for Outflow<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(e) = self.meter.exceeded() {
            return Err(std::io::Error::other(e.to_string()));
        }
        let n = self.inner.read(buf)?;
        self.meter
            .came_out(n as u64)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        archive: 1000,
        total: 1000,
        entries: 3,
        entry: 400,
        ratio: 10,
        ratio_floor: 100,
        headers: 50,
    };

    #[test]
    fn entries_are_refused_by_what_their_headers_declare() {
        let meter = Meter::new(SMALL);
        assert!(meter.entry("a", 400).is_ok());
        assert_eq!(
            meter.entry("b", 401),
            Err(Exceeded::Entry {
                entry: "b".into(),
                cap: 400
            })
        );
        assert!(meter.entry("c", 0).is_ok());
        assert_eq!(meter.entry("d", 0), Err(Exceeded::Entries(3)));
        assert_eq!(
            meter.exceeded(),
            Some(Exceeded::Entry {
                entry: "b".into(),
                cap: 400
            }),
            "the first cap passed is the one told"
        );

        let meter = Meter::new(SMALL);
        meter.took(1000);
        meter.came_out(700).unwrap();
        assert_eq!(meter.entry("e", 301), Err(Exceeded::Total(1000)));
    }

    #[test]
    fn the_stream_is_cut_off_at_the_total_and_the_ratio() {
        let read_all = |data: &[u8], compressed: u64| {
            let meter = Meter::new(SMALL);
            meter.took(compressed);
            let mut out = Outflow {
                inner: data,
                meter: Rc::clone(&meter),
            };
            let mut sink = Vec::new();
            let result = std::io::copy(&mut out, &mut sink);
            (result.is_ok(), meter.exceeded())
        };
        assert_eq!(read_all(&[0; 1000], 1000), (true, None));
        assert_eq!(
            read_all(&[0; 1001], 1001),
            (false, Some(Exceeded::Total(1000)))
        );
        assert_eq!(read_all(&[0; 100], 1), (true, None), "under the floor");
        assert_eq!(read_all(&[0; 101], 10), (false, Some(Exceeded::Ratio(10))));
    }

    #[test]
    fn tar_headers_between_two_entries_are_bounded() {
        let meter = Meter::new(SMALL);
        meter.took(1000);
        meter.reading_headers(true);
        meter.came_out(50).unwrap();
        meter.reading_headers(false);
        meter.came_out(300).unwrap();
        meter.reading_headers(true);
        assert_eq!(meter.came_out(51), Err(Exceeded::Headers(50)));
    }

    #[test]
    fn each_cap_says_what_it_is_and_what_a_real_package_measures() {
        let limits = Limits::PACKAGE;
        assert_eq!(
            Exceeded::Total(limits.total).to_string(),
            "it unpacks to more than 2 GiB, the cap for a Postman CLI package (1.62.0 unpacks to 296 MiB)"
        );
        assert_eq!(
            Exceeded::Ratio(limits.ratio).to_string(),
            "it unpacks to more than 20 times its compressed size, which no Postman CLI package does (1.62.0 unpacks to 2.4 times its size): a compression bomb"
        );
        assert!(
            Exceeded::Entry {
                entry: "bin/lib/zeros".into(),
                cap: limits.entry
            }
            .to_string()
            .starts_with("its entry `bin/lib/zeros` is larger than 1 GiB")
        );
        assert!(
            Exceeded::Entries(limits.entries)
                .to_string()
                .contains("100000")
        );
    }
}
