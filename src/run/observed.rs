//! When the task started a Postman CLI command and how long it ran, as the
//! task saw it. The time of a run whose report gives none (a run cut off
//! before it wrote one, a v3 run, a lint): Azure times a test run from its
//! suites' start and length, and without them falls back to adding up its
//! test cases' times.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A command's start (milliseconds since the Unix epoch, by the wall clock)
/// and how long it ran (by a steady clock).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Observed {
    pub(crate) started_ms: i64,
    pub(crate) duration_ms: u64,
}

/// Started when the task starts a command; [`Stopwatch::stop`] says what
/// was observed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stopwatch {
    started_ms: i64,
    steady: Instant,
}

impl Stopwatch {
    pub(crate) fn start() -> Stopwatch {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Stopwatch {
            started_ms: i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX),
            steady: Instant::now(),
        }
    }

    pub(crate) fn stop(&self) -> Observed {
        Observed {
            started_ms: self.started_ms,
            duration_ms: u64::try_from(self.steady.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopwatch_says_when_it_started() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let watch = Stopwatch::start();
        let seen = watch.stop();
        assert!(seen.started_ms >= before, "{seen:?}");
        assert!(watch.stop().duration_ms >= seen.duration_ms);
    }
}
