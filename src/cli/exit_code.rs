//! Exit codes of `postman-cli-task run` and `install`, kept apart so a
//! script can tell "the tests failed" from "we could not test".
//!
//! In a pipeline (`postman-cli-task task`) the exit code is always 0 and the
//! result travels in `task.complete`; a non-zero code there means the binary
//! itself crashed, which the agent reports as an infrastructure failure.

/// Every collection ran and every test passed.
pub(crate) const SUCCESS: i32 = 0;
/// The collections ran, and some tests (assertions, request or script
/// errors) failed. The same code the Postman CLI uses.
pub(crate) const TESTS_FAILED: i32 = 1;
/// An input or flag is wrong; nothing, or not everything, ran. Also used by
/// the argument parser for unknown flags.
pub(crate) const INPUT_ERROR: i32 = 2;
/// The Postman CLI could not be installed.
pub(crate) const INSTALL_FAILED: i32 = 3;
/// A collection run did not complete: the CLI failed before writing its
/// report, ran no requests, or stopped on a fatal error.
pub(crate) const RUN_FAILED: i32 = 4;
/// Interrupted (Ctrl+C or SIGTERM); what finished was still reported.
/// The shell convention for SIGINT.
pub(crate) const CANCELLED: i32 = 130;
/// A bug in postman-cli-task.
pub(crate) const INTERNAL_ERROR: i32 = 101;
