//! The Azure Pipelines agent's side of the contract: what it passes in
//! ([`agent`]) and the logging commands it reads back ([`vso`]).

pub(crate) mod agent;
pub(crate) mod vso;
