//! Reads the JSON of `postman collection lint <path> -r json`, `postman
//! environment lint <path> -o json` and `postman globals lint <path>
//! --output json`.
//!
//! Measured with Postman CLI 1.62.0 (`lib/postman-entities/collection/lint/`;
//! fixtures in `tests/fixtures/v3/`, the capturing machine's folder
//! redacted as `[CAPTURED]`):
//! - No login is needed. All three print the same shape on stdout:
//!   `{"diagnostics": [{"ruleId", "severity", "message", "filePath",
//!   "range"?: {"start": {"line", "column"}, "end": …}}], "errorCount",
//!   "warningCount", "filesScanned", "elapsedMs"}`. `filePath` is absolute;
//!   `range` is missing for schema findings (`FMT015 Invalid input: expected
//!   string, received number (path: /url)`), present for YAML errors
//!   (`FMT018 YAML parse error: …`, `ENV001`) and most environment findings.
//!   Lines and columns are 1-based.
//! - Collection rules are `FMT014`–`FMT019` (the CLI filters the linter's
//!   others out); environments give `ENV001`–`ENV004`. Severities are
//!   `error` and `warning`; only those two are counted.
//! - Exit code 1 when a finding at or above `-f error|warning` (default
//!   `error`) is present, else 0. `collection lint` takes `-r cli|json`;
//!   `environment lint` and `globals lint` take `-o cli|table|json|csv`.
//!   A clean run is `{"diagnostics": [], "errorCount": 0, …}`.
//! - The findings must add up to `errorCount` and `warningCount`, or the
//!   output is not trusted.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum LintError {
    #[error("the lint output is not the JSON report: {0}")]
    NotJson(String),
    #[error(
        "the lint output does not add up: {errors} errors and {warnings} warnings listed, \
         but it counts {error_count} and {warning_count}"
    )]
    Mismatch {
        errors: u64,
        warnings: u64,
        error_count: u64,
        warning_count: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Severity {
    Error,
    Warning,
    /// A severity this CLI version does not count (kept as written).
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) rule_id: String,
    pub(crate) severity: Severity,
    pub(crate) message: String,
    pub(crate) file: PathBuf,
    /// 1-based; `None` when the CLI gives no range.
    pub(crate) line: Option<u64>,
    pub(crate) column: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LintReport {
    pub(crate) findings: Vec<Finding>,
    pub(crate) error_count: u64,
    pub(crate) warning_count: u64,
    pub(crate) files_scanned: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    diagnostics: Vec<RawDiagnostic>,
    error_count: u64,
    warning_count: u64,
    files_scanned: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDiagnostic {
    #[serde(default)]
    rule_id: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    file_path: String,
    range: Option<RawRange>,
}

#[derive(Deserialize)]
struct RawRange {
    start: Option<RawPosition>,
}

#[derive(Deserialize)]
struct RawPosition {
    line: Option<u64>,
    column: Option<u64>,
}

/// Reads the lint's stdout. Text around the JSON object (a notice line
/// before it) is skipped; the object itself must be complete.
pub(crate) fn parse(stdout: &str) -> Result<LintReport, LintError> {
    let start = stdout
        .find("{\n")
        .or_else(|| stdout.find('{'))
        .ok_or_else(|| LintError::NotJson("no JSON object".to_owned()))?;
    let end = stdout
        .rfind('}')
        .filter(|&e| e > start)
        .ok_or_else(|| LintError::NotJson("no JSON object".to_owned()))?;
    let raw: Raw = serde_json::from_str(&stdout[start..=end])
        .map_err(|e| LintError::NotJson(e.to_string()))?;
    let findings: Vec<Finding> = raw
        .diagnostics
        .into_iter()
        .map(|d| {
            let start = d.range.and_then(|r| r.start);
            Finding {
                severity: match d.severity.as_str() {
                    "error" => Severity::Error,
                    "warning" => Severity::Warning,
                    _ => Severity::Other(d.severity),
                },
                rule_id: d.rule_id,
                message: d.message,
                file: PathBuf::from(d.file_path),
                line: start.as_ref().and_then(|p| p.line),
                column: start.as_ref().and_then(|p| p.column),
            }
        })
        .collect();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count() as u64;
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    if errors != raw.error_count || warnings != raw.warning_count {
        return Err(LintError::Mismatch {
            errors,
            warnings,
            error_count: raw.error_count,
            warning_count: raw.warning_count,
        });
    }
    Ok(LintReport {
        findings,
        error_count: raw.error_count,
        warning_count: raw.warning_count,
        files_scanned: raw.files_scanned,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/v3")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn reads_a_broken_request_file_and_schema_findings() {
        let r = parse(&fixture("collection-lint-broken.json")).unwrap();
        assert_eq!(
            (r.error_count, r.warning_count, r.files_scanned),
            (3, 0, Some(9))
        );
        let broken = &r.findings[0];
        assert_eq!(broken.rule_id, "FMT018");
        assert_eq!(broken.severity, Severity::Error);
        assert_eq!(
            broken.file,
            Path::new("[CAPTURED]/lintc/Broken ✓.request.yaml")
        );
        assert_eq!((broken.line, broken.column), (Some(5), Some(1)));
        assert!(
            broken
                .message
                .starts_with("YAML parse error: Missing closing")
        );
        let schema = &r.findings[1];
        assert_eq!(schema.rule_id, "FMT015");
        assert_eq!((schema.line, schema.column), (None, None));
        assert_eq!(
            schema.file,
            Path::new("[CAPTURED]/lintc/Cart ›/Odd.request.yaml")
        );
    }

    #[test]
    fn reads_a_clean_lint_and_environment_lint() {
        let clean = parse(&fixture("collection-lint-clean.json")).unwrap();
        assert!(clean.findings.is_empty());
        assert_eq!(clean.files_scanned, Some(7));
        let env = parse(&fixture("environment-lint-bad.json")).unwrap();
        assert_eq!(env.error_count, 4);
        let ids: Vec<_> = env.findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, ["ENV004", "ENV004", "ENV003", "ENV001"]);
        assert_eq!(
            (env.findings[1].line, env.findings[1].column),
            (Some(5), Some(14))
        );
    }

    #[test]
    fn counts_must_add_up() {
        let text = fixture("collection-lint-broken.json")
            .replace("\"errorCount\": 3", "\"errorCount\": 2");
        assert!(matches!(
            parse(&text),
            Err(LintError::Mismatch { errors: 3, .. })
        ));
        // A warning the counts leave out.
        let text = fixture("collection-lint-broken.json").replacen(
            "\"severity\": \"error\"",
            "\"severity\": \"warning\"",
            1,
        );
        assert!(parse(&text).is_err());
        let text = text
            .replace("\"warningCount\": 0", "\"warningCount\": 1")
            .replace("\"errorCount\": 3", "\"errorCount\": 2");
        let r = parse(&text).unwrap();
        assert_eq!(r.findings[0].severity, Severity::Warning);
    }

    #[test]
    fn refuses_what_is_not_the_report() {
        assert!(matches!(
            parse("No issues found."),
            Err(LintError::NotJson(_))
        ));
        assert!(matches!(
            parse("{\"diagnostics\": ["),
            Err(LintError::NotJson(_))
        ));
    }
}
