//! The run stage: the Postman CLI at work. Each run returns what happened
//! (how the CLI ended, what it wrote, whether it reported to Postman) and
//! tells the conductor as it goes through [`crate::events`]; reading the
//! results is [`crate::report`]'s job.
//!
//! - [`collection`]: one collection run, in its own private folder.
//! - [`upload`]: the upload's outcome, from the lines only the CLI prints.
//! - [`lint`]: API lint.
//! - [`collection_lint`]: collection lint of v3 collections and YAML
//!   environments and globals.
//! - [`tree`]: the folders of a collection given by UID.
//! - [`observed`]: when a command started and how long it ran, as the task
//!   saw it.
//!
//! A second runner (the console report of a git-native collection, a
//! collection linter) is a sibling here, returning its own output for a
//! sibling in `report`.

pub(crate) mod collection;
pub(crate) mod collection_lint;
pub(crate) mod lint;
pub(crate) mod observed;
pub(crate) mod tree;
pub(crate) mod upload;
