//! Unpacking real-shaped and hostile archives: layouts and refused
//! entries.

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
    let done = unpack_tgz(data.as_slice(), dir.path()).unwrap();
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
    let err = unpack_tgz(climb.as_slice(), dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("`..`"), "{err}");
    let abs = tgz(&[("/etc/x", b"x", 0o644)], None);
    assert!(
        unpack_tgz(abs.as_slice(), dir.path())
            .unwrap_err()
            .to_string()
            .contains("absolute")
    );
    let link = tgz(&[("package/a", b"x", 0o644)], Some("/etc/passwd"));
    assert!(
        unpack_tgz(link.as_slice(), dir.path())
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
    unpack_archive(&archive, &dest, "postman").unwrap();
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
    unpack_archive(&archive, &dest, "postman").unwrap();
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
    unpack_archive(&archive, &dest, "postman").unwrap();
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
        )
        .unwrap_err();
        assert!(err.to_string().contains(expect), "{name}: {err}");
    }
    let text = dir.path().join("x.txt");
    std::fs::write(&text, "hello").unwrap();
    assert!(matches!(
        unpack_archive(&text, dir.path(), "postman"),
        Err(ExtractError::UnknownFormat)
    ));
}

#[test]
fn truncated_archives_are_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let data = tgz(&[("package/bin/postman", &[7u8; 50_000], 0o755)], None);
    let cut = &data[..data.len() / 2];
    assert!(matches!(
        unpack_tgz(cut, dir.path()),
        Err(ExtractError::Corrupt(_))
    ));
}
