//! Runs Postman collections with the real Postman CLI and reports the
//! results to Azure Pipelines (or a terminal).
//!
//! Data flows through the modules in this order:
//! [`inputs`] (what the user said) → [`plan`] (checked, no I/O) →
//! [`resolve`] (checked against the file system; [`shard`] picks this job's
//! share) → [`install`] (the Postman CLI, cached) → [`runner`] (one
//! collection run, through [`process`], with [`cloud`] credentials, its
//! [`upload`] watched) and [`lint`] → [`report`] (the CLI's JSON) →
//! [`results`] → [`publish`] into [`sinks`] (JUnit, summary, terminal) and
//! [`console`] (the log, via [`azure::vso`]). [`app`] drives a whole task
//! run; [`cli`] is the entry point.

pub mod app;
pub mod azure;
pub mod cli;
pub mod cloud;
pub mod collection;
pub mod console;
pub mod exit_code;
pub mod http;
pub mod inputs;
pub mod install;
pub mod lint;
pub mod plan;
pub mod process;
pub mod publish;
pub mod report;
pub mod resolve;
pub mod results;
pub mod runner;
pub mod secrets;
pub mod shard;
pub mod sinks;
pub mod upload;
pub mod v3;
