//! Unpacking real-shaped and hostile archives: layouts, refused entries,
//! and bombs stopped at each cap.

use super::*;

/// Builds a .tgz in memory; `links` adds a symlink entry.
fn tgz(files: &[(&str, &[u8], u32)], link: Option<&str>) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (path, data, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_entry_type(tar::EntryType::Regular);
        // Write the name into the header directly so tests can build
        // the hostile entries (`..`, absolute) the builder refuses.
        let name = path.as_bytes();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_cksum();
        builder.append(&h, *data).unwrap();
    }
    if let Some(target) = link {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        builder
            .append_link(&mut h, "package/bin/evil", target)
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn unpacks_without_the_package_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = tgz(
        &[
            ("package/bin/postman", b"#!/bin/sh\n", 0o755),
            ("package/package.json", b"{}", 0o644),
        ],
        None,
    );
    let done = unpack_tgz(data.as_slice(), dir.path(), Limits::PACKAGE).unwrap();
    assert_eq!(done.files, 2);
    assert!(dir.path().join("bin/postman").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("bin/postman"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }
}

#[test]
fn refuses_hostile_entries() {
    let dir = tempfile::tempdir().unwrap();
    let climb = tgz(&[("package/../../etc/x", b"x", 0o644)], None);
    let err = unpack_tgz(climb.as_slice(), dir.path(), Limits::PACKAGE)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`..`"), "{err}");
    let abs = tgz(&[("/etc/x", b"x", 0o644)], None);
    assert!(
        unpack_tgz(abs.as_slice(), dir.path(), Limits::PACKAGE)
            .unwrap_err()
            .to_string()
            .contains("absolute")
    );
    let link = tgz(&[("package/a", b"x", 0o644)], Some("/etc/passwd"));
    assert!(
        unpack_tgz(link.as_slice(), dir.path(), Limits::PACKAGE)
            .unwrap_err()
            .to_string()
            .contains("links")
    );
    assert!(!dir.path().join("bin/evil").exists());
}

fn zip_file(entries: &[(&str, &[u8], u32)], link: Option<&str>) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data, mode) in entries {
        let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        zip.start_file(*name, options).unwrap();
        std::io::Write::write_all(&mut zip, data).unwrap();
    }
    if let Some(target) = link {
        zip.add_symlink("evil", target, zip::write::SimpleFileOptions::default())
            .unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn archives_of_either_kind_end_in_the_same_layout() {
    // A download-site zip: the executable at the root, lib/ beside it.
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("cli.zip");
    std::fs::write(
        &archive,
        zip_file(
            &[("postman-cli", b"bin", 0o755), ("lib/a.js", b"a", 0o644)],
            None,
        ),
    )
    .unwrap();
    let dest = dir.path().join("zip");
    unpack_archive(&archive, &dest, "postman", Limits::PACKAGE).unwrap();
    assert!(dest.join("bin/postman").is_file());
    assert!(dest.join("bin/lib/a.js").is_file());

    // A tarball with a top folder.
    let archive = dir.path().join("cli.tar.gz");
    std::fs::write(
        &archive,
        tgz(
            &[
                ("postman-cli-1.0/postman", b"bin", 0o755),
                ("postman-cli-1.0/lib/b.js", b"b", 0o644),
            ],
            None,
        ),
    )
    .unwrap();
    let dest = dir.path().join("tgz");
    unpack_archive(&archive, &dest, "postman", Limits::PACKAGE).unwrap();
    assert!(dest.join("bin/postman").is_file() && dest.join("bin/lib/b.js").is_file());

    // An npm package tarball, kept as it is.
    let archive = dir.path().join("pkg.tgz");
    std::fs::write(
        &archive,
        tgz(
            &[
                ("package/package.json", br#"{"version":"1.62.0"}"#, 0o644),
                ("package/bin/postman", b"bin", 0o755),
            ],
            None,
        ),
    )
    .unwrap();
    let dest = dir.path().join("npm");
    unpack_archive(&archive, &dest, "postman", Limits::PACKAGE).unwrap();
    assert!(dest.join("bin/postman").is_file());
    assert_eq!(
        layout::manifest(&dest).version,
        Some(semver::Version::new(1, 62, 0))
    );
}

#[test]
fn hostile_zips_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, expect) in [
        (
            "climb.zip",
            zip_file(&[("../x", b"x", 0o644)], None),
            "`..`",
        ),
        (
            "link.zip",
            zip_file(&[("postman", b"x", 0o755)], Some("/etc/passwd")),
            "links",
        ),
        (
            "empty.zip",
            zip_file(&[("readme.txt", b"x", 0o644)], None),
            "no Postman CLI executable",
        ),
    ] {
        let archive = dir.path().join(name);
        std::fs::write(&archive, bytes).unwrap();
        let err = unpack_archive(
            &archive,
            &dir.path().join(name).with_extension("out"),
            "postman",
            Limits::PACKAGE,
        )
        .unwrap_err();
        assert!(err.to_string().contains(expect), "{name}: {err}");
    }
    let text = dir.path().join("x.txt");
    std::fs::write(&text, "hello").unwrap();
    assert!(matches!(
        unpack_archive(&text, dir.path(), "postman", Limits::PACKAGE),
        Err(ExtractError::UnknownFormat)
    ));
}

const SMALL: Limits = Limits {
    archive: 1 << 30,
    total: 4 << 20,
    entries: 10,
    entry: 1 << 20,
    ratio: 20,
    ratio_floor: 256 * 1024,
    headers: 64 * 1024,
};

fn too_large(result: Result<Extracted, ExtractError>) -> Exceeded {
    match result {
        Err(ExtractError::TooLarge(cap)) => cap,
        other => panic!("{other:?}"),
    }
}

#[test]
fn bombs_are_stopped_at_each_cap() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 900 * 1024];
    // Zeros compress about a thousandfold: the ratio stops them once
    // past its floor, long before the other caps.
    let bomb = tgz(
        &[
            ("package/bin/postman", b"x", 0o755),
            ("package/a", &zeros, 0o644),
            ("package/b", &zeros, 0o644),
        ],
        None,
    );
    assert_eq!(
        too_large(unpack_tgz(bomb.as_slice(), dir.path(), SMALL)),
        Exceeded::Ratio(20)
    );
    // A file larger than its cap is refused by its header, before any
    // of it is written.
    let dest = dir.path().join("entry");
    let big = vec![7u8; (1 << 20) + 1];
    let one = tgz(&[("package/big", &big, 0o644)], None);
    assert_eq!(
        too_large(unpack_tgz(one.as_slice(), &dest, SMALL)),
        Exceeded::Entry {
            entry: "package/big".into(),
            cap: 1 << 20
        }
    );
    assert!(!dest.join("big").exists());
    let many: Vec<(String, &[u8], u32)> = (0..11)
        .map(|i| (format!("package/f{i}"), &b"x"[..], 0o644))
        .collect();
    let many: Vec<(&str, &[u8], u32)> = many.iter().map(|(n, d, m)| (n.as_str(), *d, *m)).collect();
    assert_eq!(
        too_large(unpack_tgz(
            tgz(&many, None).as_slice(),
            &dir.path().join("many"),
            SMALL
        )),
        Exceeded::Entries(10)
    );
    // Files each under their cap, together over the total (random
    // bytes, which do not compress, so the ratio holds).
    let noise: Vec<u8> = (0..(1u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let names: Vec<String> = (0..5).map(|i| format!("package/n{i}")).collect();
    let files: Vec<(&str, &[u8], u32)> = names
        .iter()
        .map(|n| (n.as_str(), &noise[..], 0o644))
        .collect();
    assert_eq!(
        too_large(unpack_tgz(
            tgz(&files, None).as_slice(),
            &dir.path().join("total"),
            SMALL
        )),
        Exceeded::Total(4 << 20)
    );
}

#[test]
fn zip_bombs_are_stopped_whatever_their_entries_claim() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("bomb.zip");
    let zeros = vec![0u8; 900 * 1024];
    std::fs::write(
        &archive,
        zip_file(
            &[
                ("postman-cli", b"x", 0o755),
                ("lib/a", &zeros, 0o644),
                ("lib/b", &zeros, 0o644),
            ],
            None,
        ),
    )
    .unwrap();
    assert_eq!(
        too_large(unpack_archive(
            &archive,
            &dir.path().join("out"),
            "postman",
            SMALL
        )),
        Exceeded::Ratio(20)
    );
}

#[test]
fn truncated_archives_are_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let data = tgz(&[("package/bin/postman", &[7u8; 50_000], 0o755)], None);
    let cut = &data[..data.len() / 2];
    assert!(matches!(
        unpack_tgz(cut, dir.path(), Limits::PACKAGE),
        Err(ExtractError::Corrupt(_))
    ));
}
