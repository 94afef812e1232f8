//! The one door for running tools (cargo, rustup, python, npm, tfx): a
//! command that cannot start, or ends with a failure, becomes an error that
//! names it.

use std::process::{Command, Output, Stdio};

use crate::error::Error;

/// The command as it would be typed, for messages.
pub(crate) fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `command` with its output going where ours goes.
pub(crate) fn run(command: &mut Command) -> Result<(), Error> {
    run_with_hint(command, "")
}

/// Runs `command`; `hint` follows the failure's message.
pub(crate) fn run_with_hint(command: &mut Command, hint: &'static str) -> Result<(), Error> {
    let status = command.status().map_err(|error| Error::Spawn {
        command: describe(command),
        error,
    })?;
    if !status.success() {
        return Err(Error::Command {
            command: describe(command),
            status,
            hint,
        });
    }
    Ok(())
}

/// Runs `command` and returns what it printed on stdout (its stderr goes
/// where ours goes).
pub(crate) fn stdout(command: &mut Command) -> Result<String, Error> {
    let Output { status, stdout, .. } =
        command
            .stderr(Stdio::inherit())
            .output()
            .map_err(|error| Error::Spawn {
                command: describe(command),
                error,
            })?;
    if !status.success() {
        return Err(Error::Command {
            command: describe(command),
            status,
            hint: "",
        });
    }
    Ok(String::from_utf8_lossy(&stdout).into_owned())
}

/// Whether `program` can be started (it answers `--version`).
pub(crate) fn exists(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_command_is_named_with_its_status_and_hint() {
        let err =
            run_with_hint(Command::new("sh").args(["-c", "exit 3"]), "; try again").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`sh -c exit 3` failed (exit status: 3); try again"
        );
    }

    #[test]
    fn a_command_that_cannot_start_says_so() {
        let err = run(&mut Command::new("no-such-tool-xtask")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("could not start `no-such-tool-xtask`: "),
            "{err}"
        );
        assert!(!exists("no-such-tool-xtask"));
    }

    #[test]
    fn stdout_is_returned() {
        let out = stdout(Command::new("sh").args(["-c", "echo hi"])).expect("sh runs");
        assert_eq!(out, "hi\n");
    }
}
