//! Reads a git-native (v3) collection folder: its name and the tree of
//! folders and requests in the order the Postman CLI runs them.
//!
//! On disk (`postman collection migrate`, `postman collection new`, Postman's
//! file-system mode) a collection is a folder:
//!
//! ```text
//! Shop API (example)/.resources/definition.yaml      $kind: collection, name?, id?, order?
//! Shop API (example)/Health.request.yaml             $kind: http-request, id?, name?, method, url, order?, scripts
//! Shop API (example)/Cart/.resources/definition.yaml (a folder; the same shape)
//! Shop API (example)/Cart/Add an item.request.yaml
//! ```
//!
//! Measured with Postman CLI 1.62.0 (`lib/commands/sdk/sdk-utils.js`
//! `detectV3Collection`, `v3-filesystem-collection.js`, and runs against a
//! local server):
//! - **What the CLI takes for a v3 collection.** A folder holding a
//!   `collection.yaml`/`collection.yml` with `$kind: collection` (the
//!   reference-based layout), or else a folder with a `.resources/`
//!   directory or any `*.request.yaml`/`*.request.yml` file in it or in a
//!   sub-folder whose name does not start with a dot. Anything else is "a
//!   directory but not a Postman v3 filesystem collection".
//! - **Names.** A request's name is its `name` field, else the file name
//!   without `.request.yaml`; a folder's is its definition's `name`, else the
//!   directory name; the collection's is the root definition's `name`, else
//!   the folder name (`migrate` writes no `name` when the output folder is
//!   named after the collection).
//! - **Order.** Siblings (folders and requests together) run by `order`
//!   ascending, a missing `order` counting as 0, ties by name compared code
//!   unit by code unit (`Zeta` before `alpha`; `AAA` before `B` before
//!   `ZZZ` whatever their file names). Fractions and negatives work.
//! - **`-i`** accepts a folder's or request's name, its `id`, or its path of
//!   names joined with `/` (`Cart ›/Nested`, `Mid/m0`); not a file name that
//!   differs from the name. Selected items run in the order of the `-i`
//!   options, and an item selected twice (a folder and a request in it) runs
//!   twice. An unknown selector fails the run with `Error: The following
//!   items were not found in the collection: <selector>` and exit code 1.
//! - **Ids.** A request without an `id` gets a random 24-hex-digit id when
//!   the CLI loads it, and the console report names requests by id only
//!   (`Root 6fbe2e7d14e4351f50f05f25`), so such requests can only be told
//!   apart by their place in the run (see [`RunOrder`]).
//!
//! How the folder is read, links and all, is [`read`]'s part.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::files::FileError;

mod read;

pub(crate) use read::detect;

#[derive(Debug, thiserror::Error)]
pub(crate) enum CollectionError {
    #[error(
        "`{}` is a folder but not a Postman v3 collection: expected `.resources/definition.yaml` \
         or `*.request.yaml` files in it (or in its sub-folders), or a `collection.yaml`",
        .0.display()
    )]
    NotV3(PathBuf),
    /// A file or folder of the collection that is not read; see the module
    /// documentation.
    #[error("`{}` {error}", path.display())]
    File { path: PathBuf, error: FileError },
    #[error("`{}` is not valid YAML: {message}", path.display())]
    Yaml { path: PathBuf, message: String },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct V3Collection {
    pub(crate) root: PathBuf,
    pub(crate) name: String,
    pub(crate) id: Option<String>,
    /// The top-level folders and requests, in run order.
    pub(crate) items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Item {
    Folder(Folder),
    Request(Request),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Folder {
    pub(crate) name: String,
    pub(crate) id: Option<String>,
    pub(crate) dir: PathBuf,
    pub(crate) order: f64,
    pub(crate) items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Request {
    pub(crate) name: String,
    pub(crate) id: Option<String>,
    pub(crate) file: PathBuf,
    /// `http-request`, `graphql-request`, …
    pub(crate) kind: String,
    pub(crate) method: Option<String>,
    /// The URL as written, variables unresolved (`{{baseUrl}}/cart`).
    pub(crate) url: Option<String>,
    pub(crate) order: f64,
    /// Names of the folders around it, outermost first.
    pub(crate) folders: Vec<String>,
}

impl Request {
    /// How results name the request: `Folder / Sub folder / Request`, as
    /// for v2.1 collections.
    pub(crate) fn path(&self) -> String {
        let mut parts: Vec<&str> = self.folders.iter().map(String::as_str).collect();
        parts.push(&self.name);
        parts.join(" / ")
    }
}

impl Item {
    fn name(&self) -> &str {
        match self {
            Item::Folder(f) => &f.name,
            Item::Request(r) => &r.name,
        }
    }
    fn id(&self) -> Option<&str> {
        match self {
            Item::Folder(f) => f.id.as_deref(),
            Item::Request(r) => r.id.as_deref(),
        }
    }
    fn order(&self) -> f64 {
        match self {
            Item::Folder(f) => f.order,
            Item::Request(r) => r.order,
        }
    }
    fn requests<'a>(&'a self, out: &mut Vec<&'a Request>) {
        match self {
            Item::Request(r) => out.push(r),
            Item::Folder(f) => f.items.iter().for_each(|i| i.requests(out)),
        }
    }
}

/// A definition file or a request file: only what naming and ordering need.
/// Unknown fields are ignored and odd types tolerated, because the CLI (not
/// this reader) decides whether a file is valid.
#[derive(Default, Deserialize)]
struct Definition {
    #[serde(rename = "$kind")]
    kind: Option<Scalar>,
    id: Option<Scalar>,
    name: Option<Scalar>,
    method: Option<Scalar>,
    url: Option<Scalar>,
    order: Option<Scalar>,
}

/// A YAML value read leniently: the text of a scalar, nothing for the rest.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
    Other(serde::de::IgnoredAny),
}

impl Scalar {
    fn text(&self) -> Option<String> {
        match self {
            Scalar::Text(s) => Some(s.clone()),
            Scalar::Number(n) => Some(n.to_string()),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Other(_) => None,
        }
    }
    fn number(&self) -> Option<f64> {
        match self {
            Scalar::Number(n) => Some(*n),
            _ => None,
        }
    }
}

fn text(s: &Option<Scalar>) -> Option<String> {
    s.as_ref().and_then(Scalar::text)
}

impl V3Collection {
    /// Every request, in run order (no `-i`).
    pub(crate) fn requests(&self) -> Vec<&Request> {
        let mut out = Vec::new();
        self.items.iter().for_each(|i| i.requests(&mut out));
        out
    }

    /// Whether `-i <selector>` names something in this collection: a folder
    /// or request by name, by `id`, or by its path of names joined with `/`.
    pub(crate) fn has_item(&self, selector: &str) -> bool {
        // A `collection.yaml` collection's tree is not read here: the CLI
        // decides.
        self.items.is_empty() || self.find(selector).is_some()
    }

    /// Names of the top-level items, for "did you mean" hints.
    pub(crate) fn top_level_names(&self) -> Vec<String> {
        self.items.iter().map(|i| i.name().to_owned()).collect()
    }

    fn find(&self, selector: &str) -> Option<&Item> {
        fn walk<'a>(
            items: &'a [Item],
            path: &mut Vec<&'a str>,
            selector: &str,
        ) -> Option<&'a Item> {
            for item in items {
                path.push(item.name());
                let hit = item.name() == selector
                    || item.id() == Some(selector)
                    || path.join("/") == selector;
                if hit {
                    path.pop();
                    return Some(item);
                }
                if let Item::Folder(f) = item
                    && let Some(found) = walk(&f.items, path, selector)
                {
                    path.pop();
                    return Some(found);
                }
                path.pop();
            }
            None
        }
        walk(&self.items, &mut Vec::new(), selector)
    }

    /// The requests a run with these `-i` selectors executes in one
    /// iteration, in order: each selector's requests in turn (all requests
    /// when there is none). A selector the collection does not have adds
    /// nothing (the CLI refuses the run).
    pub(crate) fn run_order(&self, selectors: &[String]) -> RunOrder<'_> {
        let requests = if selectors.is_empty() {
            self.requests()
        } else {
            let mut out = Vec::new();
            for s in selectors {
                if let Some(item) = self.find(s) {
                    item.requests(&mut out);
                }
            }
            out
        };
        let by_id = requests
            .iter()
            .filter_map(|r| r.id.as_deref().map(|id| (id, *r)))
            .collect();
        RunOrder {
            requests,
            by_id,
            unknown: HashMap::new(),
        }
    }
}

/// Tells which request a console line `Root <id>` is about.
///
/// Requests saved with an `id` are found by it. The CLI gives the others a
/// random id when it loads the collection, the same one in every iteration;
/// each new such id is tied to the next id-less request in run order.
#[derive(Debug)]
pub(crate) struct RunOrder<'a> {
    requests: Vec<&'a Request>,
    by_id: HashMap<&'a str, &'a Request>,
    unknown: HashMap<String, &'a Request>,
}

impl<'a> RunOrder<'a> {
    pub(crate) fn resolve(&mut self, printed_id: &str) -> Option<&'a Request> {
        if let Some(r) = self.by_id.get(printed_id) {
            return Some(r);
        }
        if let Some(r) = self.unknown.get(printed_id) {
            return Some(r);
        }
        let taken = self.unknown.len();
        let next = self
            .requests
            .iter()
            .filter(|r| r.id.is_none())
            .nth(taken)
            .copied()?;
        self.unknown.insert(printed_id.to_owned(), next);
        Some(next)
    }
}

/// `order` ascending, then the name in UTF-16 code units, as JavaScript's
/// `<` compares strings.
fn run_order_cmp(a: &Item, b: &Item) -> Ordering {
    a.order()
        .total_cmp(&b.order())
        .then_with(|| a.name().encode_utf16().cmp(b.name().encode_utf16()))
}

/// A captured v3 fixture (`tests/fixtures/v3/`), for the tests of this
/// module and of the readers of v3 runs.
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/v3")
        .join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(c: &V3Collection) -> Vec<String> {
        c.requests().iter().map(|r| r.path()).collect()
    }

    #[test]
    fn reads_a_migrated_collection_in_run_order() {
        let c = V3Collection::read(&fixture("exp-collection")).unwrap();
        assert_eq!(c.name, "Exp ✓ collection");
        assert_eq!(
            c.id.as_deref(),
            Some("0b6f2a44-1c1e-4f0a-9d7e-2f2d6c3b1a10")
        );
        // The order the CLI ran it in (run-exp-two-iterations.txt).
        assert_eq!(
            paths(&c),
            [
                "Health ✓ › check [1]",
                "Cart › / Add (2) items",
                "Cart › / Broken JSON",
                "Cart › / Skipped one",
                "Cart › / Nested / Unreachable",
                "Pre fails",
                "Long one",
            ]
        );
        let first = c.requests()[1].clone();
        assert_eq!(first.id.as_deref(), Some("add-items"));
        assert_eq!(first.method.as_deref(), Some("POST"));
        assert_eq!(first.url.as_deref(), Some("{{baseUrl}}/ok"));
        assert_eq!(first.kind, "http-request");
    }

    #[test]
    fn orders_by_order_then_name_as_the_cli_ran_them() {
        // Measured: /x /w /y /v /k /B /j.
        let c = V3Collection::read(&fixture("ordering-collection")).unwrap();
        let files: Vec<String> = c
            .requests()
            .iter()
            .map(|r| {
                r.file
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .replace(".request.yaml", "")
            })
            .collect();
        assert_eq!(files, ["x", "w", "y", "v", "k", "B", "j"]);
        assert_eq!(c.requests()[4].name, "AAA");

        // Measured: /z1 /a1 /c /m0 /m1 /Z_first /a /b; folders mix with requests.
        let c = V3Collection::read(&fixture("ordering-collection-folders")).unwrap();
        assert_eq!(
            paths(&c),
            [
                "Zeta / z1",
                "alpha / a1",
                "c",
                "Mid / m0",
                "Mid / m1",
                "Named Z",
                "a",
                "b"
            ]
        );
    }

    #[test]
    fn item_selectors_match_what_the_cli_accepts() {
        let c = V3Collection::read(&fixture("ordering-collection-folders")).unwrap();
        for ok in ["m0", "mid-1", "Mid/m0", "Named Z", "zid", "Zeta", "Mid"] {
            assert!(c.has_item(ok), "{ok}");
        }
        // The file name when a `name` differs, and unknown names, are refused.
        for refused in ["Z first", "nosuch", "Mid / m0"] {
            assert!(!c.has_item(refused), "{refused}");
        }
        let c = V3Collection::read(&fixture("exp-collection")).unwrap();
        assert!(c.has_item("Cart ›/Nested"));
    }

    #[test]
    fn run_order_follows_the_selectors_and_repeats_overlaps() {
        let c = V3Collection::read(&fixture("ordering-collection-folders")).unwrap();
        let sel = |s: &[&str]| -> Vec<String> {
            c.run_order(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .requests
                .iter()
                .map(|r| r.path())
                .collect()
        };
        // Measured: `-i zid -i Zeta -i mid-1` ran Z_first, z1, m1.
        assert_eq!(
            sel(&["zid", "Zeta", "mid-1"]),
            ["Named Z", "Zeta / z1", "Mid / m1"]
        );
        // Measured: `-i Mid -i mid-1` ran m0, m1, m1.
        assert_eq!(sel(&["Mid", "mid-1"]), ["Mid / m0", "Mid / m1", "Mid / m1"]);
    }

    #[test]
    fn random_ids_are_tied_to_id_less_requests_in_order() {
        let c = V3Collection::read(&fixture("ordering-collection-folders")).unwrap();
        let mut order = c.run_order(&[]);
        assert_eq!(
            order.resolve("23140b7681b818b93fef2135").unwrap().path(),
            "Zeta / z1"
        );
        assert_eq!(
            order.resolve("bdbe871bcf6ad3a388439a23").unwrap().path(),
            "alpha / a1"
        );
        assert_eq!(order.resolve("mid-0").unwrap().path(), "Mid / m0");
        // The same random id in a later iteration keeps its request.
        assert_eq!(
            order.resolve("23140b7681b818b93fef2135").unwrap().path(),
            "Zeta / z1"
        );
    }
}
