//! Just enough of a Postman collection file to check it before a run and
//! to name its requests afterwards: its name, its UID, and the tree of
//! folders and requests.
//!
//! The CLI's JSON report names a request but not the folders around it, so
//! the item tree is what turns an item ID back into `Folder / Request`.
//!
//! Read as the CLI reads it (`postman-collection`): an `item` that is one
//! object instead of a list is a list of one, at the top and in folders
//! (postman-runtime's own tests are shaped so), and `info.schema` is not
//! needed.

use std::collections::HashMap;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::decode::{self, BadUtf16, Encoding};

#[derive(Clone, Debug, Default)]
pub(crate) struct Collection {
    pub(crate) name: Option<String>,
    /// `info._uid`: a local file carrying it is uploaded by the CLI.
    pub(crate) uid: Option<String>,
    pub(crate) items: Vec<Item>,
    /// Collection format v1 (a `requests` list); its tree is not checked.
    pub(crate) legacy: bool,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Item {
    pub(crate) id: Option<String>,
    pub(crate) name: String,
    pub(crate) children: Vec<Item>,
    pub(crate) is_folder: bool,
    /// The request's method and URL as written (`{{baseUrl}}/orders`),
    /// which name a request saved without a name.
    pub(crate) method: Option<String>,
    pub(crate) url: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CollectionError {
    /// Not JSON; the detail carries serde's line and column.
    BadJson(String),
    /// JSON, but not shaped like a collection.
    NotACollection,
}

impl From<BadUtf16> for CollectionError {
    fn from(e: BadUtf16) -> CollectionError {
        CollectionError::BadJson(e.to_string())
    }
}

#[derive(Deserialize)]
struct Doc {
    info: Option<Info>,
    item: Option<Items>,
    requests: Option<IgnoredAny>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Info {
    name: Option<String>,
    #[serde(rename = "_uid")]
    uid: Option<String>,
}

#[derive(Deserialize)]
struct RawItem {
    id: Option<String>,
    name: Option<String>,
    item: Option<Items>,
    request: Option<RawRequest>,
}

/// An `item`: a list, or one object read as a list of one. Read without
/// buffering (as `#[serde(untagged)]` would), so a deep tree costs no more
/// than a flat one.
struct Items(Vec<RawItem>);

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Items, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = Items;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of items, or one item")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Items, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(seq)).map(Items)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Items, A::Error> {
                RawItem::deserialize(MapAccessDeserializer::new(map)).map(|i| Items(vec![i]))
            }
        }
        deserializer.deserialize_any(ItemsVisitor)
    }
}

/// A request is a URL alone, or an object with a method and a URL, itself
/// text or an object with its `raw` text.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawRequest {
    Url(String),
    Full {
        method: Option<String>,
        url: Option<RawUrl>,
    },
    Other(IgnoredAny),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawUrl {
    Text(String),
    Parts { raw: Option<String> },
    Other(IgnoredAny),
}

impl RawRequest {
    fn method_and_url(self) -> (Option<String>, Option<String>) {
        match self {
            RawRequest::Url(url) => (None, Some(url)),
            RawRequest::Full { method, url } => (
                method,
                match url {
                    Some(RawUrl::Text(t)) => Some(t),
                    Some(RawUrl::Parts { raw }) => raw,
                    _ => None,
                },
            ),
            RawRequest::Other(_) => (None, None),
        }
    }
}

impl From<RawItem> for Item {
    fn from(raw: RawItem) -> Item {
        let is_folder = raw.item.is_some();
        let (method, url) = raw
            .request
            .map(RawRequest::method_and_url)
            .unwrap_or_default();
        Item {
            method,
            url,
            id: raw.id,
            name: raw.name.unwrap_or_default(),
            children: raw
                .item
                .map(|items| items.0.into_iter().map(Item::from).collect())
                .unwrap_or_default(),
            is_folder,
        }
    }
}

impl Collection {
    /// Reads a collection file's bytes, decoded as the CLI decodes them.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Collection, CollectionError> {
        Ok(Collection::parse_with_encoding(bytes)?.0)
    }

    /// [`Collection::parse`], and how the bytes were decoded.
    pub(crate) fn parse_with_encoding(
        bytes: &[u8],
    ) -> Result<(Collection, Encoding), CollectionError> {
        let (text, encoding) = decode::json(bytes)?;
        Ok((Collection::parse_text(&text)?, encoding))
    }

    fn parse_text(text: &str) -> Result<Collection, CollectionError> {
        let doc: Doc = serde_json::from_str(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => CollectionError::NotACollection,
            _ => CollectionError::BadJson(e.to_string()),
        })?;
        match doc {
            Doc {
                info: Some(info),
                item: Some(items),
                ..
            } => Ok(Collection {
                name: info.name,
                uid: info.uid,
                items: items.0.into_iter().map(Item::from).collect(),
                legacy: false,
            }),
            // Older exports have `item` but no `info`; the CLI runs them.
            Doc {
                info: None,
                item: Some(items),
                name,
                ..
            } => Ok(Collection {
                name,
                uid: None,
                items: items.0.into_iter().map(Item::from).collect(),
                legacy: false,
            }),
            Doc {
                requests: Some(_),
                name,
                ..
            } => Ok(Collection {
                name,
                legacy: true,
                ..Collection::default()
            }),
            _ => Err(CollectionError::NotACollection),
        }
    }

    /// Whether `-i <selector>` finds something: an item's name or ID, or a
    /// `Folder/Request` path, as the CLI accepts them.
    pub(crate) fn has_item(&self, selector: &str) -> bool {
        if self.legacy {
            return true;
        }
        // The CLI accepts a UID (`<owner>-<uuid>`) and compares the uuid.
        let id = strip_owner(selector);
        let mut found = false;
        walk(&self.items, &mut Vec::new(), &mut |item, path| {
            found |= item.name == selector
                || item.id.as_deref().is_some_and(|i| i == selector || i == id)
                || path.join("/") == selector;
        });
        found
    }

    /// Names of the top-level items, for "did you mean" hints.
    pub(crate) fn top_level_names(&self) -> Vec<String> {
        self.items.iter().map(|i| i.name.clone()).collect()
    }

    /// How the requests of this collection are named in results:
    /// `Folder / Sub folder / Request`. The names depend on the file alone,
    /// so they are the same on every run and keep the Tests tab's history:
    /// a request saved without a name is named by its method and URL as
    /// written (`GET {{baseUrl}}/orders`), and a path that two requests
    /// share gets its place among them from the second on (`List (2)`).
    pub(crate) fn request_paths(&self) -> RequestPaths {
        let mut named: Vec<(&Item, String, String)> = Vec::new();
        walk(&self.items, &mut Vec::new(), &mut |item, path| {
            if item.is_folder {
                return;
            }
            let folder = path[..path.len() - 1].join(" / ");
            let joined = if folder.is_empty() {
                item.display_name()
            } else {
                format!("{folder} / {}", item.display_name())
            };
            named.push((item, folder, joined));
        });
        // Requests that share a path are told apart by their place (the
        // second `List` is `List (2)`), never taking a name another request
        // has (`List`, `List`, `List (2)` give `List`, `List (3)`, `List (2)`).
        let mut unique: Vec<((), String)> = named.iter().map(|(_, _, j)| ((), j.clone())).collect();
        crate::text::number_repeats(&mut unique);
        let mut paths = RequestPaths::default();
        for ((item, folder, _), ((), joined)) in named.into_iter().zip(unique) {
            paths.folders.insert(joined.clone(), folder);
            match &item.id {
                Some(id) => {
                    paths.by_id.insert(id.clone(), joined);
                }
                None => paths.without_id.push((item.name.clone(), joined)),
            }
        }
        paths
    }
}

impl Item {
    /// The request's name, or, for one saved without a name, its method and
    /// URL as written: never the ID the CLI makes up for it at each run.
    pub(crate) fn display_name(&self) -> String {
        if !self.name.trim().is_empty() {
            return self.name.clone();
        }
        match (&self.method, &self.url) {
            (method, Some(url)) => format!("{} {url}", method.as_deref().unwrap_or("GET")),
            (Some(method), None) => format!("{method} (no URL)"),
            (None, None) => "(unnamed request)".to_owned(),
        }
    }
}

/// Names a report's requests by their place in the collection.
///
/// The CLI's report names a request and gives its item ID, but not the
/// folders around it, so the collection's tree supplies those. A request
/// saved without an ID is given a random one when the CLI loads the file;
/// the report then carries an ID the file does not have. Such IDs are tied
/// to the file's ID-less requests by name, in the order the run meets them,
/// which is the tree's order: the first unknown ID named `List` is the first
/// ID-less request named `List`, and it keeps that path in later iterations.
/// The report gives no name for a request saved without one; such a request
/// is the next ID-less request without a name.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestPaths {
    by_id: HashMap<String, String>,
    /// ID-less requests not yet tied to a run-time ID, in tree order.
    without_id: Vec<(String, String)>,
    /// The folder path of each request path.
    folders: HashMap<String, String>,
}

impl RequestPaths {
    /// The folders around a request path this collection named, or empty.
    pub(crate) fn folder_of(&self, path: &str) -> &str {
        self.folders.get(path).map_or("", String::as_str)
    }

    /// The path of the request the report calls `id` and `name`, if the
    /// collection knows it.
    pub(crate) fn path_for(&mut self, id: Option<&str>, name: Option<&str>) -> Option<String> {
        if let Some(path) = id.and_then(|id| self.by_id.get(id)) {
            return Some(path.clone());
        }
        let name = name.unwrap_or_default();
        let at = self.without_id.iter().position(|(n, _)| n == name)?;
        let (_, path) = self.without_id.remove(at);
        if let Some(id) = id {
            self.by_id.insert(id.to_owned(), path.clone());
        }
        Some(path)
    }
}

fn walk<'a>(items: &'a [Item], path: &mut Vec<&'a str>, f: &mut impl FnMut(&'a Item, &[&'a str])) {
    for item in items {
        path.push(&item.name);
        f(item, path);
        walk(&item.children, path, f);
        path.pop();
    }
}

fn strip_owner(selector: &str) -> &str {
    match selector.split_once('-') {
        Some((owner, rest)) if is_uid(selector) && !owner.is_empty() => rest,
        _ => selector,
    }
}

/// A Postman UID: `<owner id>-<uuid>`, the form the CLI fetches from the
/// cloud.
pub(crate) fn is_uid(text: &str) -> bool {
    let Some((owner, uuid)) = text.split_once('-') else {
        return false;
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    !owner.is_empty()
        && owner.chars().all(|c| c.is_ascii_alphanumeric())
        && groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = r#"{"info":{"name":"Shop","_uid":"123-abc"},"item":[
        {"id":"r1","name":"Health","request":{}},
        {"id":"f1","name":"Orders","item":[
            {"id":"r2","name":"List","request":{}},
            {"id":"f2","name":"Admin","item":[{"id":"r3","name":"Delete","request":{}}]}]}]}"#;

    #[test]
    fn reads_names_uid_and_paths() {
        let c = Collection::parse(TREE.as_bytes()).unwrap();
        assert_eq!(c.name.as_deref(), Some("Shop"));
        assert_eq!(c.uid.as_deref(), Some("123-abc"));
        let mut paths = c.request_paths();
        assert_eq!(paths.path_for(Some("r1"), None).unwrap(), "Health");
        assert_eq!(
            paths.path_for(Some("r3"), Some("x")).unwrap(),
            "Orders / Admin / Delete"
        );
        assert_eq!(paths.path_for(Some("f1"), None), None, "a folder");
    }

    #[test]
    fn requests_without_ids_are_tied_to_run_time_ids_in_tree_order() {
        let c = Collection::parse(
            br#"{"info":{"name":"S"},"item":[
                {"name":"A","item":[{"name":"List","request":{}}]},
                {"name":"B","item":[{"name":"List","request":{}},{"name":"Get","request":{}}]}]}"#,
        )
        .unwrap();
        let mut paths = c.request_paths();
        // First iteration: the run meets them in tree order.
        assert_eq!(
            paths.path_for(Some("u1"), Some("List")).unwrap(),
            "A / List"
        );
        assert_eq!(
            paths.path_for(Some("u2"), Some("List")).unwrap(),
            "B / List"
        );
        assert_eq!(paths.path_for(Some("u3"), Some("Get")).unwrap(), "B / Get");
        // Later iterations reuse the IDs.
        assert_eq!(
            paths.path_for(Some("u2"), Some("List")).unwrap(),
            "B / List"
        );
        assert_eq!(
            paths.path_for(Some("u1"), Some("List")).unwrap(),
            "A / List"
        );
        assert_eq!(paths.path_for(Some("u9"), Some("Other")), None);
    }

    #[test]
    fn unnamed_requests_are_named_by_method_and_url_then_by_place() {
        let c = Collection::parse(
            br#"{"info":{"name":"S"},"item":[
                {"request":{"method":"GET","url":{"raw":"{{baseUrl}}/orders","host":["{{baseUrl}}"]}}},
                {"name":"Shop.v2","item":[{"request":"https://api.example.com/x"},{"request":"https://api.example.com/x"}]},
                {"name":"","request":{"method":"POST","url":"{{baseUrl}}/orders"}},
                {"id":"named","name":"List","request":{}},
                {"id":"twin","name":"List","request":{}}]}"#,
        )
        .unwrap();
        // The report gives neither a name nor a known ID for a request
        // saved without either: the run meets them in tree order.
        let run = || {
            let mut paths = c.request_paths();
            let names: Vec<String> = [
                (Some("run-id-1"), None),
                (Some("run-id-2"), None),
                (Some("run-id-3"), None),
                (Some("run-id-4"), None),
                (Some("named"), Some("List")),
                (Some("twin"), Some("List")),
            ]
            .into_iter()
            .map(|(id, name)| {
                let path = paths.path_for(id, name).unwrap();
                format!("{path} [{}]", paths.folder_of(&path))
            })
            .collect();
            names
        };
        let first = run();
        assert_eq!(
            first,
            [
                "GET {{baseUrl}}/orders []",
                "Shop.v2 / GET https://api.example.com/x [Shop.v2]",
                "Shop.v2 / GET https://api.example.com/x (2) [Shop.v2]",
                "POST {{baseUrl}}/orders []",
                "List []",
                "List (2) []",
            ]
        );
        assert_eq!(first, run(), "the same names on every run");
    }

    #[test]
    fn a_place_number_never_takes_a_name_a_request_has() {
        let c = Collection::parse(
            br#"{"info":{"name":"S"},"item":[
                {"id":"a","name":"List","request":{}},
                {"id":"b","name":"List","request":{}},
                {"id":"c","name":"List (2)","request":{}}]}"#,
        )
        .unwrap();
        let mut paths = c.request_paths();
        let names: Vec<String> = [("a", "List"), ("b", "List"), ("c", "List (2)")]
            .into_iter()
            .map(|(id, name)| paths.path_for(Some(id), Some(name)).unwrap())
            .collect();
        assert_eq!(names, ["List", "List (3)", "List (2)"]);
    }

    #[test]
    fn finds_items_like_the_cli() {
        let c = Collection::parse(TREE.as_bytes()).unwrap();
        for ok in [
            "Orders",
            "Delete",
            "f2",
            "Orders/Admin",
            "Orders/Admin/Delete",
        ] {
            assert!(c.has_item(ok), "{ok}");
        }
        for missing in ["orders", "Admin/Delete/x", "Nope"] {
            assert!(!c.has_item(missing), "{missing}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_collection() {
        assert!(matches!(
            Collection::parse(b"{\"info\": {"),
            Err(CollectionError::BadJson(d)) if d.contains("line 1")
        ));
        assert_eq!(
            Collection::parse(br#"{"values": []}"#).unwrap_err(),
            CollectionError::NotACollection
        );
        assert_eq!(
            Collection::parse(b"[1, 2]").unwrap_err(),
            CollectionError::NotACollection
        );
        assert!(
            Collection::parse(br#"{"name":"old","requests":[]}"#)
                .unwrap()
                .legacy
        );
        assert!(Collection::parse(b"\xEF\xBB\xBF{\"info\":{},\"item\":[]}").is_ok());
    }

    #[test]
    fn reads_single_object_items_as_the_cli_does() {
        // The shape of postman-runtime's own tests: `item` is one object,
        // at the top and in a folder; no `info.schema`. The CLI runs it.
        let c = Collection::parse(
            br#"{"info":{"name":"Single"},"item":{"id":"f","name":"Folder","item":
                {"id":"r","name":"Only","request":"http://x/a"}}}"#,
        )
        .unwrap();
        assert_eq!(c.top_level_names(), ["Folder"]);
        assert!(c.has_item("Folder/Only"));
        assert_eq!(
            c.request_paths().path_for(Some("r"), None).unwrap(),
            "Folder / Only"
        );
        let bare = Collection::parse(br#"{"item":{"request":"http://x/b"}}"#).unwrap();
        assert_eq!(bare.items.len(), 1);
        assert!(!bare.items[0].is_folder);
        // Neither a list nor an object is still not a collection.
        assert_eq!(
            Collection::parse(br#"{"item":"x"}"#).unwrap_err(),
            CollectionError::NotACollection
        );
    }

    #[test]
    fn reads_latin1_files_as_the_cli_does() {
        let (c, encoding) =
            Collection::parse_with_encoding(b"{\"info\":{\"name\":\"Montr\xE9al\"},\"item\":[]}")
                .unwrap();
        assert_eq!(c.name.as_deref(), Some("Montréal"));
        assert_eq!(encoding, Encoding::Latin1);
    }

    #[test]
    fn recognises_uids() {
        assert!(is_uid("12345678-0d2f58a4-3c6a-4f0e-9d1b-1234567890ab"));
        assert!(!is_uid("tests/api.json"));
        assert!(!is_uid("12345678-0d2f58a4"));
        assert!(!is_uid("-0d2f58a4-3c6a-4f0e-9d1b-1234567890ab"));
    }
}
