//! The run stage: the Postman CLI at work. Each run returns what happened
//! (how the CLI ended, what it wrote, whether it reported to Postman) and
//! tells the conductor as it goes through [`crate::events`]; reading the
//! results is [`crate::report`]'s job.
//!
//! - [`capabilities`]: what the installed CLI can be asked, read from its
//!   files (the CLI is started only to run a collection or a lint).
//! - [`collection`]: one collection run, v2.1 or git-native (v3), in its
//!   own private folder: its JSON report, or a v3 run's captured console
//!   output and YAML run report.
//! - [`upload`]: the upload's outcome, from the lines only the CLI prints.
//! - [`lint`]: API lint, and the one way every lint command is run.
//! - [`collection_lint`]: collection lint of v3 collections and YAML
//!   environments and globals.
//! - [`tree`]: the folders of a collection given by UID.
//! - [`observed`]: when a command started and how long it ran, as the task
//!   saw it.
//!
//! A new runner is a sibling here, returning what its command left behind
//! for a reader in `report`.

pub(crate) mod capabilities;
pub(crate) mod collection;
pub(crate) mod collection_lint;
pub(crate) mod lint;
pub(crate) mod observed;
pub(crate) mod tree;
pub(crate) mod upload;
