//! The package, checked after tfx made it: it holds what the agent and the
//! tab need, binaries for exactly the platforms built now, and stays under
//! the largest upload Azure DevOps Server 2019 accepts. Prints each
//! binary's size and the package's.

use std::fs::File;
use std::path::Path;

use crate::error::Error;
use crate::platform::Platform;

/// Azure DevOps Server 2019 rejects extension uploads above 25 MB.
pub(crate) const SIZE_LIMIT: u64 = 25_000_000;

/// What every package holds besides the binaries.
const REQUIRED: &[&str] = &[
    "extension.vsixmanifest",
    "extension.vsomanifest",
    "overview.md",
    "images/icon.png",
    "task/task.json",
    "task/launcher.js",
    "task/post.js",
    "task/icon.png",
    "web/dist/postman-tab.html",
    "web/dist/postman-tab.js",
    "web/dist/postman-tab.css",
];

#[derive(Debug, PartialEq, thiserror::Error)]
pub(crate) enum Problem {
    #[error("it is no zip file the agent could unpack ({0})")]
    Unreadable(String),
    #[error("the package lacks {}", .0.join(", "))]
    Lacks(Vec<String>),
    #[error("the package holds binaries that were not built now: {}", .0.join(", "))]
    Stray(Vec<String>),
    #[error("the package is over {} MB: Azure DevOps Server 2019 would reject it", .limit / 1_000_000)]
    TooLarge { size: u64, limit: u64 },
}

/// One file in the package.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) size: u64,
    pub(crate) compressed: u64,
}

/// The package's entries, from its central directory.
pub(crate) fn entries(vsix: &Path) -> Result<Vec<Entry>, Problem> {
    let unreadable = |e: &dyn std::fmt::Display| Problem::Unreadable(e.to_string());
    let file = File::open(vsix).map_err(|e| unreadable(&e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| unreadable(&e))?;
    (0..zip.len())
        .map(|i| {
            let entry = zip.by_index_raw(i).map_err(|e| unreadable(&e))?;
            Ok(Entry {
                name: entry.name().map_err(|e| unreadable(&e))?.into_owned(),
                size: entry.size(),
                compressed: entry.compressed_size(),
            })
        })
        .collect()
}

/// Checks the entries hold what they must and no binary from another
/// build; returns a line for each binary and one for the tab.
pub(crate) fn contents(entries: &[Entry], platforms: &[Platform]) -> Result<Vec<String>, Problem> {
    let has = |name: &str| entries.iter().any(|e| e.name == name);
    let binaries: Vec<String> = platforms
        .iter()
        .map(|p| format!("task/bin/{}/{}", p.folder(), p.exe()))
        .collect();
    let lacks: Vec<String> = REQUIRED
        .iter()
        .map(|s| s.to_string())
        .chain(binaries.iter().cloned())
        .filter(|want| !has(want))
        .collect();
    if !lacks.is_empty() {
        return Err(Problem::Lacks(lacks));
    }
    let stray: Vec<String> = entries
        .iter()
        .filter(|e| e.name.starts_with("task/bin/") && !e.name.ends_with('/'))
        .filter(|e| {
            let folder = e.name.split('/').nth(2).unwrap_or_default();
            !platforms.iter().any(|p| p.folder() == folder)
        })
        .map(|e| e.name.clone())
        .collect();
    if !stray.is_empty() {
        return Err(Problem::Stray(stray));
    }
    let mut report: Vec<String> = binaries
        .iter()
        .filter_map(|name| entries.iter().find(|e| &e.name == name))
        .map(|e| {
            format!(
                "    {}: {:.1} MB, {:.1} MB compressed",
                e.name,
                e.size as f64 / 1e6,
                e.compressed as f64 / 1e6
            )
        })
        .collect();
    let tab: u64 = entries
        .iter()
        .filter(|e| e.name.starts_with("web/dist/"))
        .map(|e| e.size)
        .sum();
    report.push(format!(
        "    web/dist (the Postman tab): {:.0} kB",
        tab as f64 / 1e3
    ));
    Ok(report)
}

/// The package must fit the smallest upload limit among the servers.
pub(crate) fn fits(size: u64, limit: u64) -> Result<(), Problem> {
    if size > limit {
        return Err(Problem::TooLarge { size, limit });
    }
    Ok(())
}

/// Checks the package at `vsix` built for `platforms`, and reports sizes.
pub(crate) fn check(vsix: &Path, platforms: &[Platform]) -> Result<(), Error> {
    let problem = |problem| Error::Vsix {
        vsix: vsix.to_path_buf(),
        problem,
    };
    let entries = entries(vsix).map_err(problem)?;
    for line in contents(&entries, platforms).map_err(problem)? {
        println!("{line}");
    }
    let size = std::fs::metadata(vsix)
        .map_err(|e| problem(Problem::Unreadable(e.to_string())))?
        .len();
    println!("package: {}", vsix.display());
    println!(
        "package size: {:.1} MB ({size} bytes) with {} of {} platforms; limit {:.0} MB",
        size as f64 / 1e6,
        platforms.len(),
        Platform::ALL.len(),
        SIZE_LIMIT as f64 / 1e6
    );
    fits(size, SIZE_LIMIT).map_err(problem)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn entry(name: &str, size: u64) -> Entry {
        Entry {
            name: name.to_string(),
            size,
            compressed: size / 2,
        }
    }

    /// A package as tfx lays one out, with the binaries of `platforms`.
    fn package(platforms: &[Platform]) -> Vec<Entry> {
        let mut entries = vec![entry("[Content_Types].xml", 700), entry("task/", 0)];
        entries.extend(REQUIRED.iter().map(|name| entry(name, 1000)));
        for p in platforms {
            entries.push(entry(&format!("task/bin/{}/", p.folder()), 0));
            entries.push(entry(
                &format!("task/bin/{}/{}", p.folder(), p.exe()),
                8_454_464,
            ));
        }
        entries
    }

    #[test]
    fn a_complete_package_reports_each_binary_and_the_tab() {
        let both = [Platform::LinuxX64, Platform::Win32X64];
        assert_eq!(
            contents(&package(&both), &both),
            Ok(vec![
                "    task/bin/linux-x64/postman-cli-task: 8.5 MB, 4.2 MB compressed".to_string(),
                "    task/bin/win32-x64/postman-cli-task.exe: 8.5 MB, 4.2 MB compressed"
                    .to_string(),
                "    web/dist (the Postman tab): 3 kB".to_string(),
            ])
        );
    }

    #[test]
    fn a_missing_file_or_binary_is_named() {
        let mut entries = package(&[Platform::LinuxX64]);
        entries.retain(|e| e.name != "web/dist/postman-tab.js");
        assert_eq!(
            contents(&entries, &[Platform::LinuxX64, Platform::DarwinArm64]),
            Err(Problem::Lacks(vec![
                "web/dist/postman-tab.js".to_string(),
                "task/bin/darwin-arm64/postman-cli-task".to_string()
            ]))
        );
    }

    #[test]
    fn a_binary_of_a_platform_not_built_now_is_stray() {
        let entries = package(&[Platform::LinuxX64, Platform::DarwinX64]);
        let err = contents(&entries, &[Platform::LinuxX64]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the package holds binaries that were not built now: task/bin/darwin-x64/postman-cli-task"
        );
    }

    #[test]
    fn the_limit_is_25_mb_and_a_byte_over_fails() {
        assert_eq!(fits(SIZE_LIMIT, SIZE_LIMIT), Ok(()));
        let err = fits(SIZE_LIMIT + 1, SIZE_LIMIT).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the package is over 25 MB: Azure DevOps Server 2019 would reject it"
        );
    }

    #[test]
    fn entries_are_read_from_a_real_zip_and_garbage_is_not_a_package() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.vsix");
        let mut zip = zip::ZipWriter::new(File::create(&path).expect("create"));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.add_directory("task/", options).expect("add a folder");
        zip.start_file("task/task.json", options)
            .expect("add a file");
        zip.write_all(&[b'x'; 4096]).expect("write");
        zip.finish().expect("finish");
        let read = entries(&path).expect("read");
        let names: Vec<&str> = read.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["task/", "task/task.json"]);
        assert_eq!(read[1].size, 4096);
        assert_eq!(read[1].compressed, 4096, "stored");

        std::fs::write(&path, b"not a zip").expect("write");
        assert!(matches!(entries(&path), Err(Problem::Unreadable(_))));
    }
}
