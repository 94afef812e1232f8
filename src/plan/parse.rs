//! One parser per kind of setting: each reads the text given (or the
//! input's default from [`crate::inputs`]' table), reports what is wrong
//! through `err`, and returns what the plan holds, falling back to the
//! default so every other setting is still checked.

use super::{
    InputErrorKind, KeyValue, LintGate, Parallel, Region, RequestDetails, Severity, ShardSpec,
};
use crate::inputs::{Field, RawInputs};

/// The most milliseconds a timeout or delay may be: the Postman CLI waits
/// with Node.js timers, which treat any longer delay as 1 ms.
pub(super) const MAX_MILLIS: u64 = 2_147_483_647;
/// Iterations: the same bound, as a count the CLI takes as a 32-bit number.
pub(super) const MAX_COUNT: u64 = 2_147_483_647;
/// `timeoutMinutes`: the same span as [`MAX_MILLIS`], in whole minutes.
pub(super) const MAX_MINUTES: u64 = MAX_MILLIS / 60_000;
pub(super) const MAX_PARALLEL: u64 = 256;
pub(super) const MAX_SHARDS: u64 = 1000;
/// `retryFailedRuns`: more than a few retries hides a broken API rather
/// than a flaky one.
pub(super) const MAX_RETRIES: u64 = 10;

/// Where a parser says what is wrong.
pub(super) trait Errors: FnMut(Field, InputErrorKind) {}
impl<F: FnMut(Field, InputErrorKind)> Errors for F {}

/// The text of a setting: as given, else its default in the table.
pub(super) fn given_or_default(field: Field, value: &Option<String>) -> Option<&str> {
    value.as_deref().or(field.default_value())
}

/// A boolean input: `true` or `false` in any case; unset, or not a
/// boolean (which is reported), gives its default.
pub(super) fn boolean(field: Field, value: &Option<String>, err: &mut impl Errors) -> bool {
    let default = field.default_value() == Some("true");
    match value.as_deref() {
        None => default,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            err(field, InputErrorKind::NotABoolean { value: v.into() });
            default
        }
    }
}

pub(super) fn parse_number(text: &str, min: u64, max: u64) -> Result<u64, InputErrorKind> {
    let text = text.trim();
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(InputErrorKind::NotANumber {
            value: text.to_owned(),
        });
    }
    // All digits: a parse failure can only mean too many of them.
    let n: u64 = text.parse().unwrap_or(u64::MAX);
    if n < min {
        return Err(InputErrorKind::TooSmall {
            value: text.to_owned(),
            min,
        });
    }
    if n > max {
        return Err(InputErrorKind::TooLarge {
            value: text.to_owned(),
            max,
        });
    }
    Ok(n)
}

/// `iterationCount`: unset leaves it to the CLI (once, or once per row of
/// the data file).
pub(super) fn iteration_count(raw: &RawInputs, err: &mut impl Errors) -> Option<u32> {
    let text = raw.iteration_count.as_deref()?;
    match parse_number(text, 1, MAX_COUNT) {
        Ok(n) => u32::try_from(n).ok(),
        Err(kind) => {
            err(Field::IterationCount, kind);
            None
        }
    }
}

/// A timeout or delay in milliseconds; 0 is the same as unset (no limit).
pub(super) fn millis(field: Field, value: &Option<String>, err: &mut impl Errors) -> Option<u64> {
    match parse_number(value.as_deref()?, 0, MAX_MILLIS) {
        Ok(0) => None,
        Ok(n) => Some(n),
        Err(kind) => {
            err(field, kind);
            None
        }
    }
}

/// `envVars`, `globalVars`: one `key=value` a line; the value may hold `=`.
pub(super) fn key_values(field: Field, lines: &[String], err: &mut impl Errors) -> Vec<KeyValue> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => out.push(KeyValue {
                key: k.trim().to_owned(),
                value: v.to_owned(),
            }),
            _ => err(
                field,
                InputErrorKind::NotKeyValue {
                    line: i + 1,
                    text: line.clone(),
                },
            ),
        }
    }
    out
}

/// `parallel`: a number of runs at once, or `auto`.
pub(super) fn parallel(raw: &RawInputs, err: &mut impl Errors) -> Parallel {
    let Some(v) = given_or_default(Field::Parallel, &raw.parallel).map(str::trim) else {
        return Parallel::Runs(1);
    };
    if v.eq_ignore_ascii_case("auto") {
        return Parallel::Auto;
    }
    match parse_number(v, 1, MAX_PARALLEL) {
        Ok(n) => Parallel::Runs(n as usize),
        Err(kind @ (InputErrorKind::TooSmall { .. } | InputErrorKind::TooLarge { .. })) => {
            err(Field::Parallel, kind);
            Parallel::Runs(1)
        }
        Err(_) => {
            err(
                Field::Parallel,
                InputErrorKind::NotParallel { value: v.into() },
            );
            Parallel::Runs(1)
        }
    }
}

/// `shard`: `none`, `auto`, or `i/n`.
pub(super) fn shard(raw: &RawInputs, err: &mut impl Errors) -> ShardSpec {
    let Some(v) = given_or_default(Field::Shard, &raw.shard).map(str::trim) else {
        return ShardSpec::None;
    };
    if v.eq_ignore_ascii_case("none") {
        return ShardSpec::None;
    }
    if v.eq_ignore_ascii_case("auto") {
        return ShardSpec::Auto;
    }
    let parts = v.split_once('/').map(|(i, n)| {
        (
            parse_number(i, 1, MAX_SHARDS),
            parse_number(n, 1, MAX_SHARDS),
        )
    });
    match parts {
        Some((Ok(index), Ok(count))) if index <= count => ShardSpec::Explicit {
            index: index as usize,
            count: count as usize,
        },
        Some((_, Err(kind @ InputErrorKind::TooLarge { .. }))) => {
            err(Field::Shard, kind);
            ShardSpec::None
        }
        _ => {
            err(Field::Shard, InputErrorKind::NotShard { value: v.into() });
            ShardSpec::None
        }
    }
}

/// `retryFailedRuns`: a small count; empty is none.
pub(super) fn retry_failed_runs(raw: &RawInputs, err: &mut impl Errors) -> u32 {
    let text = given_or_default(Field::RetryFailedRuns, &raw.retry_failed_runs).map(str::trim);
    match text {
        None | Some("") => 0,
        Some(v) => match parse_number(v, 0, MAX_RETRIES) {
            Ok(n) => n as u32,
            Err(kind) => {
                err(Field::RetryFailedRuns, kind);
                0
            }
        },
    }
}

/// `requestDetails`: `failed`, `all` or `none`; empty is the default.
pub(super) fn request_details(raw: &RawInputs, err: &mut impl Errors) -> RequestDetails {
    let text = given_or_default(Field::RequestDetails, &raw.request_details).map(str::trim);
    match text.map(str::to_ascii_lowercase).as_deref() {
        None | Some("" | "failed") => RequestDetails::Failed,
        Some("all") => RequestDetails::All,
        Some("none") => RequestDetails::None,
        Some(_) => {
            err(
                Field::RequestDetails,
                InputErrorKind::NotOneOf {
                    value: text.unwrap_or_default().into(),
                },
            );
            RequestDetails::Failed
        }
    }
}

/// `lintFailSeverity`: where API lint findings start to fail.
pub(super) fn lint_fail_severity(raw: &RawInputs, err: &mut impl Errors) -> Severity {
    let field = Field::LintFailSeverity;
    let Some(v) = given_or_default(field, &raw.lint_fail_severity) else {
        return Severity::Error;
    };
    Severity::parse(v).unwrap_or_else(|| {
        err(field, InputErrorKind::NotOneOf { value: v.into() });
        Severity::Error
    })
}

/// `collectionLint` and `collectionLintFailSeverity`: whether collection
/// lint runs, and which of its findings fail the step (by default none: a
/// lint that is on by default reports, and gates only when asked).
pub(super) fn collection_lint(raw: &RawInputs, err: &mut impl Errors) -> Option<LintGate> {
    let on = boolean(Field::CollectionLint, &raw.collection_lint, err);
    let field = Field::CollectionLintFailSeverity;
    let gate = match given_or_default(field, &raw.collection_lint_fail_severity) {
        None => LintGate::Never,
        Some(v) if v.trim().eq_ignore_ascii_case("none") => LintGate::Never,
        Some(v) => Severity::parse(v).map_or_else(
            || {
                err(field, InputErrorKind::NotOneOf { value: v.into() });
                LintGate::Never
            },
            LintGate::AtLeast,
        ),
    };
    on.then_some(gate)
}

/// `region`: `us` or `eu`, in any case.
pub(super) fn region(raw: &RawInputs, err: &mut impl Errors) -> Region {
    let text = given_or_default(Field::Region, &raw.region).map(str::to_ascii_lowercase);
    match text.as_deref() {
        None | Some("us") => Region::Us,
        Some("eu") => Region::Eu,
        Some(other) => {
            err(
                Field::Region,
                InputErrorKind::NotOneOf {
                    value: other.into(),
                },
            );
            Region::Us
        }
    }
}

/// `timeoutMinutes`: minutes, decimals allowed; empty or 0 is no limit.
pub(super) fn run_limit(raw: &RawInputs, err: &mut impl Errors) -> Option<std::time::Duration> {
    let text = raw.timeout_minutes.as_deref()?;
    match text.trim().parse::<f64>() {
        Ok(m) if m > 0.0 && m <= MAX_MINUTES as f64 => {
            Some(std::time::Duration::from_secs_f64(m * 60.0))
        }
        Ok(0.0) => None,
        Ok(m) if m > MAX_MINUTES as f64 => {
            err(
                Field::TimeoutMinutes,
                InputErrorKind::TooLarge {
                    value: text.into(),
                    max: MAX_MINUTES,
                },
            );
            None
        }
        _ => {
            err(
                Field::TimeoutMinutes,
                InputErrorKind::NotMinutes { value: text.into() },
            );
            None
        }
    }
}
