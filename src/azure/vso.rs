//! Azure Pipelines logging commands: the only place that writes `##vso[` or
//! `##[` text, and the only place that knows how to escape it.
//!
//! The agent recognises `##vso[` anywhere in any line of a task's stdout or
//! stderr. So this module has two jobs: format our own commands exactly as the
//! agent's task library does (so values survive the round trip), and
//! neutralise every line that comes from elsewhere (a Postman CLI child, a
//! response body, a collection name) so it can never become a command.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write as _;

use super::ignorable::IGNORABLE;

/// The result a task reports with `task.complete`. The agent parses the
/// value case-sensitively, so only these three spellings are ever sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TaskResult {
    Succeeded,
    SucceededWithIssues,
    Failed,
}

impl TaskResult {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TaskResult::Succeeded => "Succeeded",
            TaskResult::SucceededWithIssues => "SucceededWithIssues",
            TaskResult::Failed => "Failed",
        }
    }
}

/// The two issue types `task.logissue` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IssueType {
    Error,
    Warning,
}

/// Where an issue points, for inline annotations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SourceLocation {
    pub(crate) path: String,
    pub(crate) line: Option<u32>,
    pub(crate) column: Option<u32>,
}

/// Escapes a property value the way task-lib's `taskcommand.ts` does: `%`
/// first (as the agent's `%AZP25`), then CR, LF, `]` and `;`.
pub(crate) fn escape_property(value: &str) -> String {
    value
        .replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(']', "%5D")
        .replace(';', "%3B")
}

/// Escapes a command's message: `%`, CR and LF, as task-lib does.
pub(crate) fn escape_data(value: &str) -> String {
    value
        .replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Formats one logging command. Properties with empty values are left out
/// and every property ends with `;`, matching task-lib's output byte for byte.
pub(crate) fn command(area_event: &str, properties: &[(&str, &str)], data: &str) -> String {
    let mut line = String::with_capacity(16 + data.len());
    line.push_str("##vso[");
    line.push_str(area_event);
    let mut first = true;
    for (key, value) in properties {
        if value.is_empty() {
            continue;
        }
        line.push(if first { ' ' } else { ';' });
        first = false;
        let _ = write!(line, "{key}={}", escape_property(value));
    }
    if !first {
        line.push(';');
    }
    line.push(']');
    line.push_str(&escape_data(data));
    line
}

pub(crate) fn complete(result: TaskResult, message: &str) -> String {
    command(
        "task.complete",
        &[("result", result.as_str())],
        &neutralize(message),
    )
}

pub(crate) fn log_issue(
    kind: IssueType,
    message: &str,
    location: Option<&SourceLocation>,
) -> String {
    let kind = match kind {
        IssueType::Error => "error",
        IssueType::Warning => "warning",
    };
    let (path, line, column) = match location {
        Some(loc) => (
            loc.path.clone(),
            loc.line.map(|n| n.to_string()).unwrap_or_default(),
            loc.column.map(|n| n.to_string()).unwrap_or_default(),
        ),
        None => Default::default(),
    };
    command(
        "task.logissue",
        &[
            ("type", kind),
            ("sourcepath", &path),
            ("linenumber", &line),
            ("columnnumber", &column),
        ],
        &neutralize(message),
    )
}

/// `task.setvariable`; names listed in task.json's `outputVariables` become
/// outputs without `isOutput`, but saying it keeps the line self-explanatory.
pub(crate) fn set_output(name: &str, value: &str) -> String {
    command(
        "task.setvariable",
        &[("variable", name), ("isOutput", "true")],
        value,
    )
}

pub(crate) fn set_secret(value: &str) -> String {
    command("task.setsecret", &[], value)
}

pub(crate) fn set_progress(percent: u8, operation: &str) -> String {
    command(
        "task.setprogress",
        &[("value", &percent.min(100).to_string())],
        operation,
    )
}

pub(crate) fn upload_summary(path: &str) -> String {
    command("task.uploadsummary", &[], path)
}

pub(crate) fn upload_file(path: &str) -> String {
    command("task.uploadfile", &[], path)
}

/// `task.addattachment`: a file attached to the step's timeline record
/// under a type and a name (both file-name characters only).
pub(crate) fn add_attachment(kind: &str, name: &str, path: &str) -> String {
    command(
        "task.addattachment",
        &[("type", kind), ("name", name)],
        path,
    )
}

/// `results.publish` for one JUnit file. The file goes in `resultFiles`, not
/// in the message, because the agent splits the message on commas.
pub(crate) fn publish_junit(file: &str, run_title: &str) -> String {
    command(
        "results.publish",
        &[
            ("type", "JUnit"),
            ("mergeResults", "false"),
            ("runTitle", run_title),
            ("publishRunAttachments", "true"),
            ("resultFiles", file),
            ("testRunSystem", "PostmanCli"),
        ],
        "",
    )
}

/// Formatting lines the web log viewer renders. The agent does not parse
/// them, but they start with `##[`, so they live here too.
pub(crate) fn group_start(title: &str) -> String {
    format!("##[group]{}", single_line(title))
}

pub(crate) fn group_end() -> &'static str {
    "##[endgroup]"
}

/// A command line shown as such in the log.
pub(crate) fn command_line(text: &str) -> String {
    format!("##[command]{}", single_line(text))
}

/// Rewrites a line from outside our own code so the agent cannot read a
/// command in it: `##vso[` becomes `##_vso[` (as task-lib's external-output
/// filter does) and formatting markers `##[` become `##_[`, so a response
/// body cannot fake an error line or close our log groups either.
///
/// The agent looks for `##vso[` with .NET's culture-sensitive
/// `string.IndexOf`, which on Linux and macOS is ICU's collation search: it
/// skips, inside a match, every character the collation gives no weight,
/// so `#\u{FFF9}#vso[` is found as `##vso[`. So a marker counts wherever
/// taking out every such character would make one ([`is_ignorable`]), and
/// the `_` goes right after its second `#`. One pass, whatever the line.
pub(crate) fn neutralize(line: &str) -> Cow<'_, str> {
    if !line.contains('#') {
        return Cow::Borrowed(line);
    }
    // The last six characters the agent's search would not skip, with
    // where each starts.
    let mut window = [(0usize, '\0'); 6];
    let mut seen = 0usize;
    let mut cuts = Vec::new();
    for (at, c) in line.char_indices() {
        if is_ignorable(c) {
            continue;
        }
        window.rotate_left(1);
        window[5] = (at, c);
        seen += 1;
        if c != '[' {
            continue;
        }
        let ends_with = |marker: &str| {
            let n = marker.len();
            seen >= n
                && marker
                    .chars()
                    .zip(&window[6 - n..])
                    .all(|(want, &(_, got))| want == got)
        };
        // After the second `#`, which is one byte long.
        if ends_with("##[") {
            cuts.push(window[4].0 + 1);
        } else if ends_with("##vso[") {
            cuts.push(window[1].0 + 1);
        }
    }
    if cuts.is_empty() {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + cuts.len());
    let mut copied = 0;
    for cut in cuts {
        out.push_str(&line[copied..cut]);
        out.push('_');
        copied = cut;
    }
    out.push_str(&line[copied..]);
    Cow::Owned(out)
}

/// Whether the agent's search may skip `c` inside a marker: Unicode's
/// default-ignorable code points and format characters, the control
/// characters but the line ends, and whatever ICU's collation ignores
/// (`ignorable.rs`, made from Unicode's and ICU's own data). Treating too
/// many characters as skippable only defuses a little more; too few lets a
/// marker through.
fn is_ignorable(c: char) -> bool {
    let c = u32::from(c);
    if (0x20..0x7F).contains(&c) {
        return false;
    }
    IGNORABLE
        .binary_search_by(|&(first, last)| {
            if last < c {
                Ordering::Less
            } else if first > c {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

/// Makes text safe to embed in one of our own command lines or formatting
/// lines: no line breaks (the agent reads line by line, and a CR alone ends a
/// line for it) and no command markers.
pub(crate) fn single_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    neutralize(&flat).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_escaped_percent_first() {
        assert_eq!(escape_property("50%;a]b\r\nc"), "50%AZP25%3Ba%5Db%0D%0Ac");
        assert_eq!(escape_data("50%;a]b\r\nc"), "50%AZP25;a]b%0D%0Ac");
    }

    #[test]
    fn commands_match_task_lib_layout() {
        assert_eq!(
            command(
                "task.setvariable",
                &[("variable", "x"), ("isSecret", ""), ("isOutput", "true")],
                "v"
            ),
            "##vso[task.setvariable variable=x;isOutput=true;]v"
        );
        assert_eq!(
            command("task.setsecret", &[], "s"),
            "##vso[task.setsecret]s"
        );
        assert_eq!(
            complete(TaskResult::SucceededWithIssues, "2 tests failed"),
            "##vso[task.complete result=SucceededWithIssues;]2 tests failed"
        );
        assert_eq!(
            add_attachment(
                "postman-cli-task.results",
                "postman-results-1.json",
                "/r/a.json"
            ),
            "##vso[task.addattachment type=postman-cli-task.results;name=postman-results-1.json;]/r/a.json"
        );
    }

    #[test]
    fn issues_carry_locations_only_when_known() {
        assert_eq!(
            log_issue(IssueType::Warning, "w", None),
            "##vso[task.logissue type=warning;]w"
        );
        let loc = SourceLocation {
            path: "api/openapi.yaml".into(),
            line: Some(7),
            column: None,
        };
        assert_eq!(
            log_issue(IssueType::Error, "e", Some(&loc)),
            "##vso[task.logissue type=error;sourcepath=api/openapi.yaml;linenumber=7;]e"
        );
    }

    #[test]
    fn child_output_cannot_carry_commands() {
        let line = "body: ##vso[task.setvariable variable=pwned]x and ##[error]spoof";
        let safe = neutralize(line);
        assert!(!safe.contains("##vso["));
        assert!(!safe.contains("##["));
        assert_eq!(
            safe,
            "body: ##_vso[task.setvariable variable=pwned]x and ##_[error]spoof"
        );
        assert!(matches!(neutralize("plain"), Cow::Borrowed(_)));
        assert!(matches!(neutralize("# one #hash"), Cow::Borrowed(_)));
    }

    /// Unicode's default-ignorable code points and format characters, from
    /// the regex crate's copy of Unicode's data (a second source beside the
    /// one the table was generated from).
    fn unicode_ignorables() -> Vec<char> {
        let class = regex::Regex::new(r"[\p{Default_Ignorable_Code_Point}\p{Cf}]").unwrap();
        let every: String = (0..=0x10FFFF).filter_map(char::from_u32).collect();
        class
            .find_iter(&every)
            .flat_map(|m| m.as_str().chars())
            .collect()
    }

    /// What a marker looks like to a search that skips `skipped`.
    fn skeleton(text: &str, skipped: &dyn Fn(char) -> bool) -> String {
        text.chars().filter(|&c| !skipped(c)).collect()
    }

    #[test]
    fn the_table_is_ordered_and_holds_unicodes_ignorables() {
        for pair in IGNORABLE.windows(2) {
            assert!(
                pair[0].0 <= pair[0].1 && pair[0].1 + 1 < pair[1].0,
                "{pair:x?}"
            );
        }
        let missing: Vec<String> = unicode_ignorables()
            .into_iter()
            .filter(|&c| !is_ignorable(c))
            .map(|c| format!("U+{:04X}", u32::from(c)))
            .collect();
        assert!(
            missing.is_empty(),
            "not in src/azure/ignorable.rs (run scripts/gen-ignorable.mjs with a newer Node.js): {missing:?}"
        );
    }

    #[test]
    fn every_ignorable_at_every_place_of_a_marker_is_defused() {
        let mut skippable = unicode_ignorables();
        skippable.extend(
            IGNORABLE
                .iter()
                .flat_map(|&(first, last)| (first..=last).filter_map(char::from_u32)),
        );
        let unicode: std::collections::HashSet<char> = unicode_ignorables().into_iter().collect();
        let skipped = |c: char| unicode.contains(&c) || is_ignorable(c);
        let mut checked = 0;
        for marker in ["##vso[", "##["] {
            for at in 0..=marker.len() {
                for &c in &skippable {
                    let hostile = format!(
                        "name {}{c}{}task.setvariable variable=pwned]1",
                        &marker[..at],
                        &marker[at..]
                    );
                    let safe = neutralize(&hostile);
                    let seen = skeleton(&safe, &skipped);
                    assert!(
                        !seen.contains("##vso[") && !seen.contains("##["),
                        "U+{:04X} at {at} of {marker}: {safe:?}",
                        u32::from(c)
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 2 * 4 * 4_000, "{checked}");
    }

    #[test]
    fn markers_hidden_by_ignorable_characters_are_defused_too() {
        for hostile in [
            "##\u{AD}vso[task.setvariable variable=x]1",
            "#\u{200B}#vso[task.complete result=Failed]",
            "##v\u{FEFF}so[task.debug]x",
            "###vso[task.debug]x",
            "##\u{2060}[error]x",
            "##\0vso[task.setvariable variable=x]1",
            "#\u{1b}#vso[task.complete result=Failed]",
            "##v\u{1b}so[task.debug]x",
            "##\u{7f}[error]x",
            "##\u{85}vso[task.debug]x",
            // Issue 18 item 10: format characters and what ICU ignores.
            "#\u{FFF9}#vso[task.setvariable variable=x]1",
            "#\u{600}#vso[task.setvariable variable=x]1",
            "#\u{70F}#vso[task.setvariable variable=x]1",
            "#\u{110BD}#vso[task.setvariable variable=x]1",
            "#\u{591}#vso[task.setvariable variable=x]1",
            "#\u{640}#\u{FE00}v\u{E0001}s\u{34F}o\u{180E}[task.debug]x",
            "\u{FFF9}#\u{591}#\u{FFF9}[error]x",
        ] {
            let safe = neutralize(hostile);
            let seen = skeleton(&safe, &is_ignorable);
            assert!(
                !seen.contains("##vso[") && !seen.contains("##["),
                "{hostile:?} → {safe:?}"
            );
            assert_ne!(safe, hostile);
        }
        assert_eq!(
            neutralize("a ##vso[x] b ##vso[y]"),
            "a ##_vso[x] b ##_vso[y]"
        );
        assert_eq!(
            neutralize("#\u{FFF9}#vso[x] ###[y] ##\u{591}[z]"),
            "#\u{FFF9}#_vso[x] ###_[y] ##_\u{591}[z]"
        );
        // Text that only looks close stays as it was.
        for plain in ["# #vso[x]", "#a#vso[x]", "##vs[x]", "##VSO[x]", "#\t"] {
            assert!(matches!(neutralize(plain), Cow::Borrowed(_)), "{plain:?}");
        }
    }

    #[test]
    fn embedded_text_stays_on_one_line() {
        assert_eq!(single_line("a\r##vso[x.y]z\nb"), "a ##_vso[x.y]z b");
        assert_eq!(group_start("Run\n1"), "##[group]Run 1");
    }
}
