//! The report stage: what the run stage left behind, read into results.
//! It reads what the Postman CLI wrote and printed, and decides nothing by
//! itself about what to show.
//!
//! Every run reader is a parser that gives the same [`model::ReadRun`], or
//! [`model::Unreadable`] when what it read does not add up to the CLI's own
//! totals; [`run`] applies the rules every reader shares (how the CLI
//! ended, what a run that did not complete says) to make a
//! [`model::RunResult`]. The readers:
//!
//! - [`json`]: a v2.1 run's native JSON report, streamed, through
//!   [`js_json`] so that what JavaScript writes is read.
//! - [`cli_report`]: a v3 run's console report (the `cli` reporter).
//! - [`yaml`]: a v3 run's YAML run report (`--output`, Enterprise teams
//!   only).
//!
//! Each hands its requests and their cases to [`collect`], which shares
//! response times, builds each request's detail for the Postman tab and
//! keeps headers and bodies as `requestDetails` asks ([`detail`] reads
//! them). So a new report source is a parser beside these, returning
//! [`model::ReadRun`], and the one line in [`run`] that calls it.
//!
//! Lint: [`lint`] reads what `api lint` and `spec lint` print, and
//! [`collection_lint`] the JSON of collection, environment and globals
//! lint, into the same findings.

pub(crate) mod cli_report;
pub(crate) mod collect;
pub(crate) mod collection_lint;
pub(crate) mod detail;
pub(crate) mod js_json;
pub(crate) mod json;
pub(crate) mod lint;
pub(crate) mod model;
pub(crate) mod run;
pub(crate) mod yaml;
