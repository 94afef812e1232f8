//! Reads what `postman api lint` and `postman spec lint` print into
//! findings. `api lint` prints a table, so it is read strictly: the findings
//! read must add up to the CLI's own "✖ N problems" line, or the lint counts
//! as failed. Collection lint's JSON is read by
//! [`super::collection_lint`] and its findings become the same
//! [`Violation`]s.

use std::path::{Path, PathBuf};

use crate::plan::{LintGate, Severity};
use crate::resolve::LintTarget;
use crate::run::lint::LintOutput;
use crate::run::observed::Observed;
use crate::text::strip_ansi;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Violation {
    /// `Governance` or `Security`.
    pub(crate) kind: String,
    pub(crate) severity: Severity,
    pub(crate) message: String,
    /// Where in the definition, as a dotted path (`paths./orders.get`).
    pub(crate) path: String,
    /// 1-based.
    pub(crate) line: Option<u32>,
    pub(crate) column: Option<u32>,
    /// The file the finding is in, when it is not the target itself (a
    /// collection's request file).
    pub(crate) file: Option<PathBuf>,
}

/// What became of the lint report to Postman (API ID mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LintReport {
    NotExpected,
    Sent { url: Option<String> },
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParsedLint {
    /// The API's name, when the CLI printed one.
    pub(crate) name: Option<String>,
    pub(crate) violations: Vec<Violation>,
    pub(crate) report: LintReport,
}

/// The outcome of linting, for the sinks.
#[derive(Clone, Debug)]
pub(crate) struct LintOutcome {
    pub(crate) target: LintTarget,
    /// The findings, or why the lint did not run.
    pub(crate) result: Result<ParsedLint, String>,
    /// Which findings fail the step.
    pub(crate) fail_severity: LintGate,
    /// When the lint ran, as the task saw it: its suite's time.
    pub(crate) observed: Observed,
}

impl LintOutcome {
    /// Whether a finding fails the lint: it is at or above the fail
    /// severity, if the lint has one.
    pub(crate) fn fails(&self, v: &Violation) -> bool {
        self.fail_severity.fails(v.severity)
    }

    /// How many findings fail the lint.
    pub(crate) fn failing(&self) -> usize {
        self.result
            .as_ref()
            .map(|p| p.violations.iter().filter(|v| self.fails(v)).count())
            .unwrap_or(0)
    }

    pub(crate) fn total(&self) -> usize {
        self.result
            .as_ref()
            .map(|p| p.violations.len())
            .unwrap_or(0)
    }

    /// What kind of lint this is, as the summary and the log head it.
    pub(crate) fn what(&self) -> &'static str {
        match self.target {
            LintTarget::Api(_) | LintTarget::Definition { .. } => "API governance",
            LintTarget::Collection { .. } => "Collection lint",
            LintTarget::Environment { .. } => "Environment lint",
            LintTarget::Globals { .. } => "Globals lint",
        }
    }

    /// Where a finding is: its own file, or the target's.
    pub(crate) fn file_of<'a>(&'a self, v: &'a Violation) -> Option<&'a Path> {
        v.file.as_deref().or(match &self.target {
            LintTarget::Definition { path, .. } => Some(path.as_path()),
            _ => None,
        })
    }

    /// The suite's name: the API's name as the CLI printed it, or the target.
    pub(crate) fn name(&self) -> String {
        match (
            &self.target,
            self.result.as_ref().ok().and_then(|p| p.name.clone()),
        ) {
            (LintTarget::Api(_), Some(name)) => name,
            (target, _) => target.display(),
        }
    }
}

/// What a lint run amounts to: its findings, or why it did not run.
pub(crate) fn outcome(
    target: &LintTarget,
    fail_severity: LintGate,
    output: LintOutput,
) -> LintOutcome {
    let result = match output.exit {
        Err(reason) => Err(reason),
        Ok(_) if !target.is_api() => read_collection_lint(target, &output.text),
        Ok(_) if output.structured => parse_spec_lint_json(&output.text),
        Ok(_) => parse_api_lint(&output.text),
    };
    LintOutcome {
        target: target.clone(),
        result,
        fail_severity,
        observed: output.observed,
    }
}

/// Reads collection, environment or globals lint JSON into findings. A
/// finding's `path` is its file, shown from the collection's folder (or by
/// its name), and `kind` its rule.
fn read_collection_lint(target: &LintTarget, output: &str) -> Result<ParsedLint, String> {
    use super::collection_lint::{self as cl, parse};
    let report = parse(output).map_err(|e| e.to_string())?;
    let root = match target {
        LintTarget::Collection { path, .. } => Some(path.as_path()),
        _ => None,
    };
    // The CLI lists findings in the order it reads the files; sorted, the
    // same findings read the same in every build.
    let mut findings = report.findings;
    findings.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    let violations = findings
        .into_iter()
        .map(|f| {
            let shown = root
                .and_then(|r| f.file.strip_prefix(r).ok())
                .filter(|p| !p.as_os_str().is_empty())
                .or_else(|| f.file.file_name().map(Path::new))
                .unwrap_or(&f.file)
                .display()
                .to_string();
            Violation {
                kind: f.rule_id,
                severity: match f.severity {
                    cl::Severity::Error => Severity::Error,
                    cl::Severity::Warning => Severity::Warn,
                    cl::Severity::Other(s) => Severity::parse(&s).unwrap_or(Severity::Info),
                },
                message: f.message.trim_end().to_owned(),
                path: shown,
                line: f.line.and_then(|l| u32::try_from(l).ok()),
                column: f.column.and_then(|c| u32::try_from(c).ok()),
                file: (!f.file.as_os_str().is_empty()).then_some(f.file),
            }
        })
        .collect();
    Ok(ParsedLint {
        name: None,
        violations,
        report: LintReport::NotExpected,
    })
}

/// Reads `postman api lint` output. `Err` means the lint did not run (or its
/// output could not be read); the text says why.
pub(crate) fn parse_api_lint(output: &str) -> Result<ParsedLint, String> {
    let mut reader = ApiLint::default();
    for raw in output.lines() {
        reader.line(strip_ansi(raw).trim())?;
    }
    reader.finish(output)
}

/// `api lint`'s output as it is read, line by line: its name, the tables of
/// each validation type (a row's cells may wrap over several lines), its
/// count line and what became of its report.
#[derive(Default)]
struct ApiLint {
    name: Option<String>,
    /// The validation type of the table being read (`Governance`).
    kind: Option<String>,
    violations: Vec<Violation>,
    /// The CLI's own count of problems.
    expected: Option<usize>,
    report: Option<LintReport>,
    /// The cells of the row being read, joined over its lines.
    row: Vec<String>,
    /// The table's header row has been read.
    header_seen: bool,
}

impl ApiLint {
    fn line(&mut self, line: &str) -> Result<(), String> {
        if let Some(rest) = line.strip_prefix("Name:") {
            // The CLI prints the name first, as it is: a name with a line
            // break in it could fake the lines after, so the first wins.
            if self.name.is_none() {
                self.name = Some(rest.trim().to_owned()).filter(|n| !n.is_empty());
            }
        } else if let Some(rest) = line.strip_prefix("Validation Type:") {
            self.kind = Some(rest.trim().to_owned());
        } else if line.starts_with('┌') {
            self.header_seen = false;
            self.row.clear();
        } else if line.starts_with('├') || line.starts_with('└') {
            self.end_row()?;
        } else if line.starts_with('│') {
            self.cells(line);
        } else {
            self.report_line(line);
        }
        Ok(())
    }

    /// A line of a row: each cell's text added to the row's.
    fn cells(&mut self, line: &str) {
        let cells: Vec<&str> = line.trim_matches('│').split('│').collect();
        if self.row.is_empty() {
            self.row = vec![String::new(); cells.len()];
        }
        for (slot, cell) in self.row.iter_mut().zip(&cells) {
            slot.push(' ');
            slot.push_str(cell.trim());
        }
    }

    /// A row is complete: the header is skipped, any other is a finding.
    fn end_row(&mut self) -> Result<(), String> {
        let row = std::mem::take(&mut self.row);
        if row.iter().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        let cells: Vec<String> = row
            .iter()
            .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        if !self.header_seen {
            self.header_seen = true;
            if cells
                .first()
                .is_some_and(|c| c.eq_ignore_ascii_case("Range"))
            {
                return Ok(());
            }
        }
        let kind = self.kind.as_deref().unwrap_or("Governance");
        self.violations.push(violation(&cells, kind)?);
        Ok(())
    }

    /// The count line, and what became of the report to Postman.
    fn report_line(&mut self, line: &str) {
        if line == "No issues found." {
            self.expected = Some(0);
            // What the definition or the API's name put before the real
            // count can look like a report line; only what the CLI prints
            // after its last count line is its own.
            self.report = None;
        } else if let Some(rest) = line.strip_prefix('✖') {
            self.expected = rest.split_whitespace().next().and_then(|n| n.parse().ok());
            self.report = None;
        } else if line == "Report sent." {
            self.report = Some(LintReport::Sent { url: None });
        } else if let Some(idx) = line.find("build information here ") {
            let url = line[idx + "build information here ".len()..].trim();
            self.report = Some(LintReport::Sent {
                url: Some(url.to_owned()).filter(|u| u.starts_with("http")),
            });
        } else if line.contains("Couldn't send the report") {
            self.report = Some(LintReport::Failed(line.to_owned()));
        }
    }

    /// The findings, when they add up to the CLI's own count.
    fn finish(self, output: &str) -> Result<ParsedLint, String> {
        match self.expected {
            None => Err(failure_text(output)),
            Some(n) if n != self.violations.len() => Err(format!(
                "the Postman CLI reported {n} problems but its table shows {}; the lint output could not be read reliably",
                self.violations.len()
            )),
            Some(_) => Ok(ParsedLint {
                name: self.name,
                violations: self.violations,
                report: self.report.unwrap_or(LintReport::NotExpected),
            }),
        }
    }
}

/// A finding from a row's four cells: range, severity, message, path.
fn violation(cells: &[String], kind: &str) -> Result<Violation, String> {
    let [range, severity, message, path] = cells else {
        return Err(format!(
            "a row of the lint table has {} columns, not 4: {cells:?}",
            cells.len()
        ));
    };
    let severity = Severity::parse(severity)
        .ok_or_else(|| format!("unknown severity `{severity}` in the lint table"))?;
    let mut position = range.split(':').map(|n| n.trim().parse::<u32>().ok());
    Ok(Violation {
        kind: kind.to_owned(),
        severity,
        message: message.clone(),
        path: path.clone(),
        line: position.next().flatten(),
        column: position.next().flatten(),
        file: None,
    })
}

/// Reads `postman spec lint -o json` output: `{"violations": [...]}`.
pub(crate) fn parse_spec_lint_json(output: &str) -> Result<ParsedLint, String> {
    let start = output.find('{').ok_or_else(|| failure_text(output))?;
    let mut de =
        serde_json::Deserializer::from_str(&output[start..]).into_iter::<serde_json::Value>();
    let doc = de
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| failure_text(output))?;
    let list = doc
        .get("violations")
        .and_then(|v| v.as_array())
        .ok_or_else(|| "the Postman CLI's JSON lint output has no `violations` list".to_owned())?;
    let text = |v: &serde_json::Value, k: &str| {
        v.get(k).map(|x| {
            x.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| x.to_string())
        })
    };
    let violations = list
        .iter()
        .map(|v| {
            Ok(Violation {
                kind: text(v, "issue type").unwrap_or_else(|| "Governance".into()),
                severity: text(v, "severity")
                    .as_deref()
                    .and_then(Severity::parse)
                    .ok_or("a violation without a known severity")?,
                message: text(v, "issue").unwrap_or_default(),
                path: text(v, "path").unwrap_or_default(),
                line: text(v, "line number").and_then(|l| l.trim().parse().ok()),
                column: None,
                file: None,
            })
        })
        .collect::<Result<Vec<_>, &str>>()?;
    if output.contains("Governance rules were not applied") {
        return Err(failure_text(output));
    }
    Ok(ParsedLint {
        name: None,
        violations,
        report: LintReport::NotExpected,
    })
}

/// The CLI's own words for why linting failed: its `Error:` lines, else
/// its last line of output.
fn failure_text(output: &str) -> String {
    let lines: Vec<String> = output
        .lines()
        .map(|l| strip_ansi(l).trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("Error:") || l.contains("Governance rules were not applied"))
        .collect();
    if !errors.is_empty() {
        return errors
            .iter()
            .map(|l| l.trim_start_matches("Error:").trim())
            .collect::<Vec<_>>()
            .join(" ");
    }
    match lines.last() {
        Some(last) => format!("the Postman CLI printed no lint results; its last line was: {last}"),
        None => "the Postman CLI printed nothing".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `postman api lint` 1.62 prints, captured from a real run.
    const TABLES: &str = "\u{1b}[2K\u{1b}[1G
API DETAILS
Name: api.yaml 
Type: OpenAPI 3.0
Language: yaml

Validation Type: Governance
┌────────────────────┬────────────────────┬──────────────────────────────────────────────────┬──────────────────────────────────────────────────┐
│ Range              │ Severity           │ Description                                      │ Path                                             │
├────────────────────┼────────────────────┼──────────────────────────────────────────────────┼──────────────────────────────────────────────────┤
│ 2:6                │ WARN               │ API info should have a contact                   │ info                                             │
├────────────────────┼────────────────────┼──────────────────────────────────────────────────┼──────────────────────────────────────────────────┤
│ 9:9                │ ERROR              │ Operations must have a summary, and this message │ paths./orders.get                                │
│                    │                    │ is long enough to wrap onto a second line        │                                                  │
└────────────────────┴────────────────────┴──────────────────────────────────────────────────┴──────────────────────────────────────────────────┘

Validation Type: Security
┌────────────────────┬────────────────────┬──────────────────────────────────────────────────┬──────────────────────────────────────────────────┐
│ Range              │ Severity           │ Description                                      │ Path                                             │
├────────────────────┼────────────────────┼──────────────────────────────────────────────────┼──────────────────────────────────────────────────┤
│ 6:10               │ ERROR              │ Servers must use https                           │ servers.0.url                                    │
└────────────────────┴────────────────────┴──────────────────────────────────────────────────┴──────────────────────────────────────────────────┘

✖ 3 problems (2 errors, 1 warnings, 0 infos, 0 hints)
";

    #[test]
    fn reads_the_tables_of_api_lint() {
        let parsed = parse_api_lint(TABLES).unwrap();
        assert_eq!(parsed.name.as_deref(), Some("api.yaml"));
        assert_eq!(parsed.violations.len(), 3);
        assert_eq!(
            parsed.violations[1],
            Violation {
                kind: "Governance".into(),
                severity: Severity::Error,
                message: "Operations must have a summary, and this message is long enough to wrap onto a second line".into(),
                path: "paths./orders.get".into(),
                line: Some(9),
                column: Some(9),
                file: None,
            }
        );
        assert_eq!(parsed.violations[2].kind, "Security");
        assert_eq!(parsed.report, LintReport::NotExpected);
    }

    #[test]
    fn a_table_that_does_not_add_up_is_not_trusted() {
        let short = TABLES.replace("✖ 3 problems", "✖ 4 problems");
        assert!(
            parse_api_lint(&short)
                .unwrap_err()
                .contains("reported 4 problems but its table shows 3")
        );
    }

    #[test]
    fn clean_runs_reports_and_failures() {
        let clean = parse_api_lint("\nNo issues found.\n\nReport sent.\nYou can view your schema warnings along with other build information here https://go.postman.co/r/1\n").unwrap();
        assert!(clean.violations.is_empty());
        assert_eq!(
            clean.report,
            LintReport::Sent {
                url: Some("https://go.postman.co/r/1".into())
            }
        );
        let failed =
            parse_api_lint("No issues found.\nStatus Code: [500] Couldn't send the report.\n")
                .unwrap();
        assert!(matches!(failed.report, LintReport::Failed(m) if m.contains("[500]")));
        assert_eq!(
            parse_api_lint("\u{1b}[2K\u{1b}[1GError: Status code:401 Something went wrong when fetching the ruleset. Try again.\n").unwrap_err(),
            "Status code:401 Something went wrong when fetching the ruleset. Try again."
        );
        assert_eq!(
            parse_api_lint("Error: Couldn't parse the API. The schema provided is not an OpenAPI/AsyncAPI schema.").unwrap_err(),
            "Couldn't parse the API. The schema provided is not an OpenAPI/AsyncAPI schema."
        );
    }

    #[test]
    fn report_lines_before_the_count_are_not_the_clis() {
        let forged = "Name: api\nReport sent.\nYou can view your schema warnings along with other build information here https://evil.example/x\nNo issues found.\nName: other\nType: OpenAPI 3.0\n\nNo issues found.\n";
        let parsed = parse_api_lint(forged).unwrap();
        assert_eq!(parsed.report, LintReport::NotExpected);
        assert_eq!(parsed.name.as_deref(), Some("api"));
    }

    #[test]
    fn collection_lint_findings_are_violations_at_their_files() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/v3/collection-lint-broken.json"),
        )
        .unwrap();
        let target = LintTarget::Collection {
            path: "[CAPTURED]/lintc".into(),
            display: "lintc".into(),
        };
        let out = outcome(
            &target,
            Severity::Error.into(),
            LintOutput {
                structured: true,
                text,
                exit: Ok(()),
                observed: Default::default(),
            },
        );
        let parsed = out.result.as_ref().unwrap();
        let broken = &parsed.violations[0];
        assert_eq!(
            (
                broken.kind.as_str(),
                broken.path.as_str(),
                broken.line,
                broken.column
            ),
            ("FMT018", "Broken ✓.request.yaml", Some(5), Some(1))
        );
        assert_eq!(
            out.file_of(broken),
            Some(std::path::Path::new(
                "[CAPTURED]/lintc/Broken ✓.request.yaml"
            ))
        );
        assert_eq!(parsed.violations[1].path, "Cart ›/Odd.request.yaml");
        assert_eq!((out.total(), out.failing()), (3, 3));
        assert_eq!(out.what(), "Collection lint");
        // Counts that do not add up are a lint that did not run.
        let bad = outcome(
            &target,
            Severity::Error.into(),
            LintOutput {
                structured: true,
                text: "{\"diagnostics\": [], \"errorCount\": 1, \"warningCount\": 0}".into(),
                exit: Ok(()),
                observed: Default::default(),
            },
        );
        assert!(bad.result.unwrap_err().contains("does not add up"));
    }

    #[test]
    fn reads_spec_lint_json() {
        let json = r#"{"violations":[{"file":"api.yaml","line number":"9","path":"paths./orders.get","severity":"WARNING","issue":"Operations must have a summary","issue type":"Governance"}]}"#;
        let parsed = parse_spec_lint_json(json).unwrap();
        assert_eq!(parsed.violations[0].severity, Severity::Warn);
        assert_eq!(parsed.violations[0].line, Some(9));
        let refused = "Governance rules were not applied: Unable to verify API Governance access. Try again.\n{\"violations\":[]}";
        assert!(
            parse_spec_lint_json(refused)
                .unwrap_err()
                .contains("not applied")
        );
    }
}
