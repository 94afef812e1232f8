//! Integration tests: the task run the way the Azure Pipelines agent runs it
//! (`node launcher.js` with the agent's environment), its output read with the
//! agent's logging-command grammar. `support` holds the agent emulation and
//! test servers; `harness` tests that emulation itself; `e2e` sets up jobs
//! that run the real Postman CLI.

mod api_lint;
mod attachments;
mod azure_devops_emulator;
mod bad_inputs;
mod cli_mode;
mod cli_starts;
mod collection_lint;
mod collection_runs;
mod credentials;
mod defuser;
mod e2e;
mod encodings;
mod file_shapes;
mod harness;
#[cfg(target_os = "linux")]
mod hostile_files;
mod install;
mod network;
#[cfg(target_os = "linux")]
mod orphans;
mod packaging;
mod postman_cloud;
mod redaction;
mod reports;
mod retries;
mod scale;
mod security;
mod support;
mod test_plans;
mod tests_tab;
mod v3_runs;
mod web_tab;
