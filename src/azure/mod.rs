//! The Azure Pipelines agent's side of the contract: what it passes in
//! ([`agent`]) and the logging commands it reads back ([`vso`]), with the
//! characters its search for them skips (`ignorable`, generated); and the
//! job's own connection to Azure DevOps' REST API ([`devops`]).

pub(crate) mod agent;
pub(crate) mod devops;
mod ignorable;
pub(crate) mod vso;
