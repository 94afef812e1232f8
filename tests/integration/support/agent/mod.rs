//! Runs the task the way the Azure Pipelines agent does and reads its output
//! the way the agent does. [`AgentJob`] lays out an agent work folder, installs
//! the task folder as the agent leaves it after unzipping a .vsix (binary
//! without its run bit), builds the environment `TaskRunner` and the Node
//! `Handler` build from task.json, variables, endpoints and the step's `env:`
//! block, and starts `node <taskdir>/launcher.js`. [`TaskRun`] holds the
//! result: the agent lines, and the task result, variables, issues and
//! published files the agent would derive from them.
//!
//! Sources: microsoft/azure-pipelines-agent `src/Agent.Worker/TaskRunner.cs`,
//! `Handlers/Handler.cs`, `Handlers/NodeHandler.cs`, `Agent.Sdk/ProcessInvoker.cs`,
//! `Util/VarUtil.cs`, `Build/BuildJobExtension.cs`, `TaskCommandExtension.cs`,
//! `TestResults/ResultsCommandExtension.cs`, `StepsRunner.cs` and `Util/TaskResultUtil.cs`.

//! By concern: [`job`] builds the job (agent folders, task folder, inputs,
//! variables, endpoints); [`environment`] is the environment the agent
//! builds for the step; [`process`] starts `node launcher.js` and collects
//! its output; [`run`] reads that output as the agent does; [`masker`]
//! masks the log as the agent's secret masker does; [`tests_tab`]
//! reads each published JUnit file as Azure's reader does, and checks it
//! against what the step did, for every step.

mod environment;
mod job;
mod masker;
mod process;
mod run;
mod tests_tab;

pub use environment::node_platform;
pub use job::{AgentJob, SYSTEM_ACCESS_TOKEN};
pub use masker::Masker;
pub use process::RunningTask;
pub use run::{Issue, IssueKind, Publish, SetVariable, TaskResult, TaskRun};
pub use tests_tab::{MAX_FULL_NAME, PublishedRun};
