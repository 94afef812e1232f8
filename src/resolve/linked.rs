//! Whether the Postman CLI runs a v3 collection through its v2 path.
//!
//! Read from Postman CLI 1.62.0 (`lib/run/v3-loader.js`
//! `loadV3ForCollectionRun`, `lib/run/git-linked-resource.js`,
//! `lib/framework/telemetry/index.js`) and checked against it: a v3
//! collection is turned into a v2 collection before it runs when all of
//! these hold:
//! - the run reports events: `publishRunHistory` is true unless the run is
//!   given `--no-report-events` (no key needed; without one the CLI only
//!   says it cannot publish);
//! - its routing id is a UUID (`8-4-4-4-12` hex digits) or a Postman UID
//!   (`<owner>-<uuid>`): the string `id` of the folder's `collection.yaml`
//!   (or `.yml`), or else, when there is none, the entry of
//!   `cloudResources.collections` in `<working dir>/.postman/resources.yaml`
//!   whose path, resolved from `.postman/`, is the collection's path
//!   resolved from the working directory;
//! - the collection is "v2 compatible" (`isV2Compatible`, compiled into the
//!   CLI's binary; HTTP requests are, gRPC, WebSocket, MQTT and socket.io
//!   ones are not). Otherwise the CLI warns and runs it natively.
//!
//! On the v2 path the run is a v2.1 run in every way that matters here: its
//! console report is in the v2 format, and `-r json` is accepted. So the
//! task runs it as it runs a v2.1 collection, with the JSON report.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::decode;
use super::v3::V3Collection;
use crate::files::{Bounds, Limit};

const ROOT_FILES: [&str; 2] = ["collection.yaml", "collection.yml"];

/// The cloud id the CLI would report this collection's runs under, when
/// it has the shape that sends the run through the v2 path.
pub(crate) fn cloud_link(dir: &Path, working_dir: &Path) -> Option<String> {
    // Read as every file of the user's is (`crate::files`); one that cannot
    // be read counts as missing, as it does for the CLI.
    let bounds = Bounds::new(working_dir);
    let id = match root_collection_id(dir, &bounds.for_walk(dir)) {
        Some(id) => id,
        None => resources_entry(dir, working_dir, &bounds)?,
    };
    is_uuid_collection_id(&id).then_some(id)
}

/// Whether the CLI takes the v2 path for this collection: a cloud link,
/// a run that reports events, and only HTTP requests (what `isV2Compatible`
/// is known to accept; a `collection.yaml` collection's requests are not
/// read here, and are taken to be HTTP).
pub(crate) fn runs_as_v2(
    v3: &V3Collection,
    working_dir: &Path,
    reports_events: bool,
) -> Option<String> {
    if !reports_events {
        return None;
    }
    let http_only = v3.requests().iter().all(|r| r.kind == "http-request");
    cloud_link(&v3.root, working_dir).filter(|_| http_only)
}

/// `readRootCollectionId`: the string `id` of `collection.yaml`, or `None`
/// (the CLI's `''`) when there is no such file, it is not YAML, or its `id`
/// is not a non-empty string.
fn root_collection_id(dir: &Path, bounds: &Bounds) -> Option<String> {
    #[derive(Deserialize)]
    struct Root {
        id: Option<serde_json::Value>,
    }
    let path = ROOT_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.exists())?;
    let text = read_yaml(&path, bounds)?;
    let root: Root = serde_saphyr::from_str(&text).ok()?;
    match root.id {
        Some(serde_json::Value::String(id)) if !id.is_empty() => Some(id),
        _ => None,
    }
}

/// `resolveCloudCollectionUid`: the collection's entry in
/// `.postman/resources.yaml`.
fn resources_entry(dir: &Path, working_dir: &Path, bounds: &Bounds) -> Option<String> {
    #[derive(Deserialize)]
    struct Resources {
        #[serde(rename = "cloudResources")]
        cloud_resources: Option<Cloud>,
    }
    #[derive(Deserialize)]
    struct Cloud {
        collections: Option<BTreeMap<String, serde_json::Value>>,
    }
    let postman_dir = working_dir.join(".postman");
    let text = read_yaml(&postman_dir.join("resources.yaml"), bounds)?;
    let parsed: Resources = serde_saphyr::from_str(&text).ok()?;
    let collections = parsed.cloud_resources?.collections?;
    let wanted = lexical(&working_dir.join(dir));
    // The first entry that matches decides, string or not.
    let (_, id) = collections
        .iter()
        .find(|(path_ref, _)| lexical(&postman_dir.join(path_ref)) == wanted)?;
    id.as_str().map(str::to_owned)
}

fn read_yaml(path: &Path, bounds: &Bounds) -> Option<String> {
    let bytes = bounds.read(path, Limit::SMALL).ok()?;
    decode::yaml(&bytes).ok().map(|(text, _)| text)
}

/// `isUuidCollectionId`: a UUID, or a Postman UID (`<owner>-<uuid>`).
pub(crate) fn is_uuid_collection_id(id: &str) -> bool {
    fn is_uuid(s: &str) -> bool {
        let groups: Vec<&str> = s.split('-').collect();
        groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
    }
    if is_uuid(id) {
        return true;
    }
    id.split_once('-').is_some_and(|(owner, rest)| {
        !owner.is_empty() && owner.chars().all(|c| c.is_ascii_alphanumeric()) && is_uuid(rest)
    })
}

/// A path with `.` and `..` resolved without the file system, as Node's
/// `path.resolve` and `path.normalize` do (a trailing slash is dropped).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    const UUID: &str = "0f1e2d3c-4b5a-4678-9abc-def012345678";

    fn collection(root: &Path, rel: &str, request_kind: &str) -> V3Collection {
        let dir = root.join(rel);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("Get.request.yaml"),
            format!("$kind: {request_kind}\nid: get\nurl: http://x\n"),
        )
        .unwrap();
        V3Collection::read(&dir).unwrap()
    }

    #[test]
    fn ids_the_cli_takes_for_cloud_ids() {
        assert!(is_uuid_collection_id(UUID));
        assert!(is_uuid_collection_id(&UUID.to_uppercase()));
        assert!(is_uuid_collection_id(&format!("12345678-{UUID}")));
        assert!(!is_uuid_collection_id("shop"));
        assert!(!is_uuid_collection_id(&format!("-{UUID}")));
        assert!(!is_uuid_collection_id(&format!("a_b-{UUID}")));
        assert!(!is_uuid_collection_id(
            "0f1e2d3c-4b5a-4678-9abc-def01234567"
        ));
        assert!(!is_uuid_collection_id(""));
    }

    #[test]
    fn a_collection_mapped_in_resources_yaml_runs_as_v2_when_reporting() {
        let tmp = tempfile::tempdir().unwrap();
        let wd = tmp.path();
        let shop = collection(wd, "postman/collections/Shop", "http-request");
        // Not linked: runs natively.
        assert_eq!(runs_as_v2(&shop, wd, true), None);
        fs::create_dir_all(wd.join(".postman")).unwrap();
        fs::write(
            wd.join(".postman/resources.yaml"),
            format!(
                "cloudResources:\n  collections:\n    ../postman/collections/Shop: 12345678-{UUID}\n    ../other: {UUID}\n"
            ),
        )
        .unwrap();
        assert_eq!(
            runs_as_v2(&shop, wd, true),
            Some(format!("12345678-{UUID}"))
        );
        // With `--no-report-events` the CLI runs it natively.
        assert_eq!(runs_as_v2(&shop, wd, false), None);
        // The path is resolved from the working directory: another one
        // does not match.
        let elsewhere = tempfile::tempdir().unwrap();
        assert_eq!(runs_as_v2(&shop, elsewhere.path(), true), None);
        // A request the v2 format cannot carry keeps the native path.
        let ws = collection(wd, "other", "websocket-request");
        assert_eq!(cloud_link(&ws.root, wd), Some(UUID.to_owned()));
        assert_eq!(runs_as_v2(&ws, wd, true), None);
    }

    #[test]
    fn a_collection_yaml_id_comes_first() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("c");
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("collection.yaml"),
            format!("$kind: collection\nid: {UUID}\n"),
        )
        .unwrap();
        assert_eq!(cloud_link(&dir, tmp.path()), Some(UUID.to_owned()));
        // A non-UUID id is the routing id all the same: resources.yaml is
        // not consulted.
        fs::write(dir.join("collection.yaml"), "$kind: collection\nid: shop\n").unwrap();
        fs::create_dir_all(tmp.path().join(".postman")).unwrap();
        fs::write(
            tmp.path().join(".postman/resources.yaml"),
            format!("cloudResources:\n  collections:\n    ../c: {UUID}\n"),
        )
        .unwrap();
        assert_eq!(cloud_link(&dir, tmp.path()), None);
        // A number is no id: then resources.yaml decides.
        fs::write(dir.join("collection.yaml"), "$kind: collection\nid: 7\n").unwrap();
        assert_eq!(cloud_link(&dir, tmp.path()), Some(UUID.to_owned()));
    }
}
