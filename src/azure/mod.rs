//! The Azure Pipelines agent's side of the contract: what it passes in
//! ([`agent`]) and the logging commands it reads back ([`vso`]), with the
//! characters its search for them skips (`ignorable`, generated).

pub(crate) mod agent;
mod ignorable;
pub(crate) mod vso;
