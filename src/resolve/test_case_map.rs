//! `testCaseMap`: a YAML or JSON file mapping test case IDs to collection,
//! folder or request paths, for teams that keep IDs out of their names.
//! Read through [`crate::files`] (bounded, regular files, links kept
//! inside); parsed by [`parse`], which does no I/O.
//!
//! ```yaml
//! 101: ["Shop/Orders/*"]          # every request of the Orders folder
//! TC102: Shop/Users/Get user      # one request (a single path is fine)
//! ```

use std::collections::BTreeMap;

use super::Resolver;
use super::targets::file_error;
use crate::files::Limit;
use crate::inputs::Field;
use crate::plan::{InputError, InputErrorKind};

/// Test case IDs and the paths each covers: `Collection/Folder/Request`
/// (or a test under it, `…/Request/Test name`), as glob patterns in which
/// `*` stays within one name and `**` crosses them.
#[derive(Clone, Debug, Default)]
pub(crate) struct TestCaseMap {
    entries: Vec<(u32, Vec<glob::Pattern>)>,
}

impl TestCaseMap {
    /// The IDs whose paths match `path` or one of its ancestors: a folder's
    /// entry covers everything under it.
    pub(crate) fn ids_for(&self, path: &[&str]) -> Vec<u32> {
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        let prefixes: Vec<String> = (1..=path.len()).map(|n| path[..n].join("/")).collect();
        self.entries
            .iter()
            .filter(|(_, patterns)| {
                patterns.iter().any(|p| {
                    prefixes
                        .iter()
                        .any(|prefix| p.matches_with(prefix, options))
                })
            })
            .map(|(id, _)| *id)
            .collect()
    }
}

/// One path or a list of them.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Paths {
    One(String),
    Many(Vec<String>),
}

/// Parses a map, JSON or YAML (JSON first when it looks like JSON, so its
/// errors read as JSON's).
pub(crate) fn parse(text: &str) -> Result<TestCaseMap, String> {
    let text = text.trim_start_matches('\u{feff}');
    let raw: BTreeMap<String, Paths> = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    } else {
        serde_saphyr::from_str(text).map_err(|e| e.to_string())?
    };
    let mut entries = Vec::new();
    for (key, paths) in raw {
        let digits = key
            .trim()
            .trim_start_matches(|c: char| c.is_ascii_alphabetic());
        let id: u32 = digits
            .parse()
            .ok()
            .filter(|_| digits.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| format!("`{key}` is not a test case ID"))?;
        let paths = match paths {
            Paths::One(p) => vec![p],
            Paths::Many(p) => p,
        };
        let patterns = paths
            .iter()
            .map(|p| {
                glob::Pattern::new(p.trim().trim_matches('/'))
                    .map_err(|e| format!("`{p}` (test case {id}) is not a glob pattern: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        entries.push((id, patterns));
    }
    Ok(TestCaseMap { entries })
}

impl Resolver<'_> {
    /// The plan's `testCaseMap`, read and parsed; a problem stops the task
    /// run, as any input error does.
    pub(super) fn test_case_map(&mut self) -> Option<TestCaseMap> {
        let shown = self.plan.test_plan.as_ref()?.map_file.clone()?;
        let path = self.working_dir.join(&shown);
        let kind = match self.bounds.read(&path, Limit::SMALL) {
            Err(e) => file_error(&shown, e),
            Ok(bytes) => match String::from_utf8(bytes)
                .map_err(|_| "it is not UTF-8 text".to_owned())
                .and_then(|text| parse(&text))
            {
                Ok(map) => return Some(map),
                Err(detail) => InputErrorKind::BadTestCaseMap {
                    path: shown.clone(),
                    detail,
                },
            },
        };
        self.fatal.push(InputError::new(Field::TestCaseMap, kind));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_maps_cover_paths_and_what_is_under_them() {
        let yaml = parse(
            "101: [\"Shop/Orders/*\"]\nTC102: Shop/Users/Get user\n103:\n  - \"**/Health\"\n",
        )
        .unwrap();
        assert_eq!(
            yaml.ids_for(&["Shop", "Orders", "Create", "status is 201"]),
            [101]
        );
        assert_eq!(
            yaml.ids_for(&["Shop", "Users", "Get user", "has a name"]),
            [102]
        );
        assert!(yaml.ids_for(&["Shop", "Users", "List"]).is_empty());
        assert_eq!(
            yaml.ids_for(&["Shop", "Ops", "Deep", "Health", "up"]),
            [103]
        );
        let json = parse(r#"{"7": ["Shop"]}"#).unwrap();
        assert_eq!(json.ids_for(&["Shop", "Anything", "t"]), [7]);
    }

    #[test]
    fn a_bad_map_says_what_is_wrong() {
        assert!(
            parse("abc: [x]")
                .unwrap_err()
                .contains("`abc` is not a test case ID")
        );
        assert!(
            parse(r#"{"1": ["[x"]}"#)
                .unwrap_err()
                .contains("not a glob pattern")
        );
        assert!(parse(r#"{"1": 5}"#).is_err());
        assert!(parse("- a\n- b\n").is_err());
    }
}
