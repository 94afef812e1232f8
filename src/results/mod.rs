//! The results stage: the runs of a task run, read one by one in
//! [`crate::report`], made into the task's results, ready for every sink:
//! each named apart from the others, and with no known secret left in
//! them. Counting them is here too, so every sink counts alike.

pub(crate) mod attempts;
mod detail;
pub(crate) mod test_cases;

use crate::report::model::{Counts, RunEnd, RunResult, Status};
use crate::secrets::Secrets;

/// Makes the runs ready to publish: unique names, secrets masked.
pub(crate) fn ready(runs: &mut [RunResult], secrets: &Secrets) {
    make_names_unique(runs);
    for run in runs.iter_mut() {
        redact(run, secrets);
    }
}

/// Runs that passed only on a retry.
pub(crate) fn flaky_runs(runs: &[RunResult]) -> usize {
    runs.iter().filter(|r| r.flaky()).count()
}

/// The tests of all runs, as published.
pub(crate) fn totals(runs: &[RunResult]) -> Counts {
    runs.iter()
        .fold(Counts::default(), |acc, r| acc.plus(r.counts()))
}

/// Runs named after what the CLI fetched (collections given by UID) may
/// share a name; the Tests tab needs them apart.
fn make_names_unique(runs: &mut [RunResult]) {
    crate::text::disambiguate(runs, |r| &mut r.name, |r| r.collection.clone());
}

/// Masks every known secret in what a sink will show of a run. The sinks
/// escape afterwards (XML, markdown), so the secrets are found in their
/// plain form here. The values of the credential headers the run sent or
/// received are secrets of this run too.
fn redact(run: &mut RunResult, secrets: &Secrets) {
    let with_headers;
    let secrets = if run.header_secrets.is_empty() {
        secrets
    } else {
        let mut s = secrets.clone();
        s.extend_credentials(run.header_secrets.iter().map(String::as_str));
        with_headers = s;
        &with_headers
    };
    detail::redact(&mut run.details, secrets);
    let r = |s: &mut String| {
        if let std::borrow::Cow::Owned(clean) = secrets.redact(s) {
            *s = clean;
        }
    };
    r(&mut run.name);
    let earlier = run.retries.earlier.iter_mut();
    let cases = run
        .cases
        .iter_mut()
        .chain(earlier.flat_map(|a| a.failures.iter_mut()));
    for case in cases {
        r(&mut case.request);
        r(&mut case.folder);
        r(&mut case.name);
        if let Status::Failed(f) = &mut case.status {
            r(&mut f.message);
            r(&mut f.detail);
        }
    }
    let ends =
        std::iter::once(&mut run.end).chain(run.retries.earlier.iter_mut().map(|a| &mut a.end));
    for end in ends {
        if let RunEnd::Failed(why) = end {
            r(&mut why.message);
            r(&mut why.detail);
        }
    }
}
