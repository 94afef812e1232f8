//! Azure Pipelines logging commands: the only place that writes `##vso[` or
//! `##[` text, and the only place that knows how to escape it.
//!
//! The agent recognises `##vso[` anywhere in any line of a task's stdout or
//! stderr. So this module has two jobs: format our own commands exactly as the
//! agent's task library does (so values survive the round trip), and
//! neutralise every line that comes from elsewhere (a Postman CLI child, a
//! response body, a collection name) so it can never become a command.

use std::fmt::Write as _;

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
/// `string.IndexOf`, which skips zero-width characters such as a soft
/// hyphen; so a marker with such characters between its letters counts too.
pub(crate) fn neutralize(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains('#') {
        return std::borrow::Cow::Borrowed(line);
    }
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    // Index of the next character the agent's match would not skip.
    let next = |from: usize| (from..chars.len()).find(|&k| !is_ignorable(chars[k].1));
    let spells = |from: usize, word: &str| {
        let mut at = from;
        for want in word.chars() {
            match next(at) {
                Some(k) if chars[k].1 == want => at = k + 1,
                _ => return false,
            }
        }
        true
    };
    let mut out = String::with_capacity(line.len() + 8);
    let mut copied = 0;
    for i in 0..chars.len() {
        if chars[i].1 != '#' {
            continue;
        }
        let Some(j) = next(i + 1).filter(|&j| chars[j].1 == '#') else {
            continue;
        };
        if spells(j + 1, "vso[") || spells(j + 1, "[") {
            let cut = chars[j].0 + 1;
            if cut > copied {
                out.push_str(&line[copied..cut]);
                out.push('_');
                copied = cut;
            }
        }
    }
    if copied == 0 {
        return std::borrow::Cow::Borrowed(line);
    }
    out.push_str(&line[copied..]);
    std::borrow::Cow::Owned(out)
}

/// Characters a culture-sensitive .NET comparison may skip: Unicode's
/// default-ignorable code points, and control characters (NUL, ESC and the
/// rest of C0 and C1), which ICU's collation on the agent's Linux and macOS
/// hosts gives no weight either. Treating too many characters as skippable
/// only defuses a little more; too few lets a marker through.
fn is_ignorable(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\r'
        || matches!(c as u32,
        0xAD | 0x34F | 0x61C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
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
        assert!(matches!(neutralize("plain"), std::borrow::Cow::Borrowed(_)));
        assert!(matches!(
            neutralize("# one #hash"),
            std::borrow::Cow::Borrowed(_)
        ));
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
        ] {
            let safe = neutralize(hostile);
            let skeleton: String = safe.chars().filter(|c| !is_ignorable(*c)).collect();
            assert!(
                !skeleton.contains("##vso[") && !skeleton.contains("##["),
                "{hostile:?} → {safe:?}"
            );
        }
        assert_eq!(
            neutralize("a ##vso[x] b ##vso[y]"),
            "a ##_vso[x] b ##_vso[y]"
        );
    }

    #[test]
    fn embedded_text_stays_on_one_line() {
        assert_eq!(single_line("a\r##vso[x.y]z\nb"), "a ##_vso[x.y]z b");
        assert_eq!(group_start("Run\n1"), "##[group]Run 1");
    }
}
