//! `postman-cli-task`: the Azure Pipelines task's logic, and the same work
//! as a command line tool. See [`postman_cli_task::cli`].

fn main() -> std::process::ExitCode {
    postman_cli_task::cli::main()
}
