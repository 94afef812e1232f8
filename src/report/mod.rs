//! The report stage: what the run stage left behind, read into results.
//! It reads what the Postman CLI wrote and printed, and decides nothing by
//! itself about what to show.
//!
//! - [`json`]: the CLI's native JSON report, streamed into test cases, which
//!   must add up to the CLI's own totals.
//! - [`detail`]: a request's headers and bodies, read for the Postman tab.
//! - [`run`]: one collection run's result, from how the CLI ended and its
//!   report.
//! - [`lint`]: what `api lint` and `spec lint` printed, as findings.
//! - [`model`]: what a read run is: its test cases, how it ended.
//! - [`console`] and [`yaml`]: a v3 run's console report, and its YAML run
//!   report (`--output`, Enterprise teams only).
//!
//! A new report source (the YAML run report, or the console report of a
//! git-native collection) is a sibling of [`json`] that yields the same
//! [`json::ReportSummary`].

pub(crate) mod collection_lint;
pub(crate) mod console;
pub(crate) mod detail;
pub(crate) mod json;
pub(crate) mod lint;
pub(crate) mod model;
pub(crate) mod run;
pub(crate) mod yaml;
