//! Git-native (v3) collections and the files around them, as the Postman CLI
//! 1.62.0 reads and reports them (issue 12).
//!
//! These modules are pure apart from reading the files they are given: they
//! read a v3 collection folder ([`collection`]), environments and globals in
//! every shape the CLI runs ([`environment`]), the `cli` reporter's console
//! output of a v3 run ([`console`]), and the JSON of `collection lint` and
//! `environment lint` ([`lint`]). What was measured with the real CLI is
//! written down in each module's documentation.

// Nothing outside the tests calls these until the stages of the new source
// tree use them; remove this once they do.
#![allow(dead_code)]

pub(crate) mod collection;
pub(crate) mod console;
pub(crate) mod environment;
pub(crate) mod lint;
