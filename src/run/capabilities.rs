//! What the installed Postman CLI can do, read from its files rather than
//! asked: starting the CLI costs seconds (a packaged Node.js program, most
//! of whose time is start-up), reading two of its files well under a
//! millisecond.
//!
//! The CLI ships its commands as JavaScript under `bin/lib/commands/`
//! beside the executable, each command's options defined as text
//! (`.option('--no-report-events', …)` in `collection/index.js`,
//! `.command('lint [api]')` with `--fail-severity` in `api/index.js`).
//! Measured on 1.62.0 (a debug build): both files read and searched in
//! 0.1 ms, 0.9 ms the first time, less than reading a kept answer would
//! save; so the answer is not kept anywhere, it is read once per task run.
//!
//! A wrong answer must not pass silently: [`refusal`] recognises the CLI
//! refusing an option or command the task gave it on this answer, and the
//! runners then fail the run with words that say so.

use std::path::{Path, PathBuf};

use crate::files::{Bounds, Limit};

/// The most of one command file read: 1.62.0's `collection/index.js`
/// weighs 29 KiB.
const COMMAND_FILE_LIMIT: Limit = Limit(1024 * 1024);

/// What the task may ask of this CLI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Capabilities {
    /// `collection run --no-report-events` (1.62.0 has it).
    pub(crate) no_report_events: bool,
    /// `api lint` with `--fail-severity` (else `spec lint -o json`).
    pub(crate) api_lint: bool,
    /// Where the answer came from, for the message of a refusal.
    pub(crate) told_by: Told,
}

/// Where [`Capabilities`] came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Told {
    /// The CLI's command definitions, in this folder.
    Commands(PathBuf),
    /// No command definitions beside the executable: the cautious answer.
    Assumed,
}

impl std::fmt::Display for Told {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Told::Commands(dir) => write!(f, "its command definitions in {}", dir.display()),
            Told::Assumed => f.write_str("no command definitions beside it"),
        }
    }
}

impl Capabilities {
    /// Reads what the CLI at `executable` can do from the command
    /// definitions beside it. Without them (a layout the task does not
    /// know), the cautious answer: no `--no-report-events` (a CLI that
    /// lacks it refuses to run), and `api lint`, which every CLI before
    /// these definitions had.
    pub(crate) fn of(executable: &Path) -> Capabilities {
        let exe = std::fs::canonicalize(executable).unwrap_or_else(|_| executable.to_path_buf());
        let Some(bin) = exe.parent() else {
            return Capabilities::assumed();
        };
        let commands = bin.join("lib").join("commands");
        if !commands.is_dir() {
            return Capabilities::assumed();
        }
        let bounds = Bounds::new(bin);
        let read = |rel: &str| -> String {
            bounds
                .read_up_to(&commands.join(rel), COMMAND_FILE_LIMIT)
                .ok()
                .flatten()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        Capabilities {
            no_report_events: defines_option(&read("collection/index.js"), "--no-report-events"),
            api_lint: defines_api_lint(&read("api/index.js")),
            told_by: Told::Commands(commands),
        }
    }

    fn assumed() -> Capabilities {
        Capabilities {
            no_report_events: false,
            api_lint: true,
            told_by: Told::Assumed,
        }
    }
}

/// Whether `js` defines the option `flag`: the flag inside a string
/// literal, as a whole word (`'--no-report-events'`, or `'-x, --flag
/// <value>'`), not as the prefix of a longer flag.
pub(crate) fn defines_option(js: &str, flag: &str) -> bool {
    js.match_indices(flag).any(|(at, _)| {
        let before = js[..at].chars().next_back();
        let after = js[at + flag.len()..].chars().next();
        matches!(before, Some('\'' | '"' | '`' | ' ' | ','))
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// Whether `js` (the `api` command's file) defines a `lint` subcommand
/// taking `--fail-severity`.
pub(crate) fn defines_api_lint(js: &str) -> bool {
    ["command('lint", "command(\"lint", "command(`lint"]
        .iter()
        .filter_map(|c| js.find(c))
        .any(|at| {
            let rest = &js[at..];
            // Its options come before the next command's definition.
            let own = rest[1..]
                .find(".command(")
                .map_or(rest, |end| &rest[..=end]);
            defines_option(own, "--fail-severity")
        })
}

/// What the CLI printed when it refused an option or command it was
/// given, as commander words it (`error: unknown option '--x'`, `error:
/// unknown command 'lint'`): the option or command, when it is one of
/// `expected`.
pub(crate) fn refusal<'a>(line: &str, expected: &[&'a str]) -> Option<&'a str> {
    let line = crate::text::strip_ansi(line);
    let lower = line.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("error: unknown option '")
        .or_else(|| lower.strip_prefix("error: unknown command '"))?;
    let word = rest.split('\'').next()?;
    expected.iter().copied().find(|e| *e == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLLECTION_JS: &str = r#"
        .option('--simulate <path>', 'Start mock servers with fault-injection scenarios')
        .option('--report-events', 'Upload results for git-native v3 collection runs.')
        .option('--no-report-events', 'Do not send analytics to Postman')
        .action((collection, command) => {"#;

    const API_JS: &str = r#"
    api
        .command('lint [api]')
        .description('Run linting on the schema of the given API ID')
        .option('--integration-id <integration-id>', 'Specify the integration ID for the report.')
        .option('-f, --fail-severity <value>', 'Results of this level or above', cast, 'ERROR')
        .action(function (args, command) {});
    api
        .command('publish <apiId>')
        .option('--release-notes <notes>', 'notes')"#;

    #[test]
    fn reads_the_option_from_its_definition() {
        assert!(defines_option(COLLECTION_JS, "--no-report-events"));
        assert!(defines_option(COLLECTION_JS, "--report-events"));
        assert!(!defines_option(COLLECTION_JS, "--no-report"));
        assert!(!defines_option(
            ".option('--report-events', 'x')",
            "--no-report-events"
        ));
        // A mention in prose is no definition of a longer flag.
        assert!(!defines_option(
            "'use --no-report-events-please'",
            "--no-report-events"
        ));
        assert!(defines_option(
            ".option(\"-n, --no-report-events\")",
            "--no-report-events"
        ));
    }

    #[test]
    fn api_lint_needs_its_command_and_its_option() {
        assert!(defines_api_lint(API_JS));
        // `--fail-severity` of another command is not lint's.
        let other = "api.command('lint [api]').option('-x')\napi.command('gate').option('--fail-severity <v>')";
        assert!(!defines_api_lint(other));
        assert!(!defines_api_lint("api.command('publish <id>')"));
        assert!(!defines_api_lint(""));
    }

    #[test]
    fn tells_a_refusal_of_what_it_was_given() {
        let given = ["--no-report-events", "lint"];
        assert_eq!(
            refusal("error: unknown option '--no-report-events'", &given),
            Some("--no-report-events")
        );
        assert_eq!(
            refusal("Error: unknown command 'lint'", &given),
            Some("lint")
        );
        // A user's own option (additionalArguments) is left to the reader.
        assert_eq!(refusal("error: unknown option '--verbos'", &given), None);
        assert_eq!(refusal("a test named error: unknown option", &given), None);
    }

    #[test]
    fn reads_an_installed_layout_and_assumes_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(bin.join("lib/commands/collection")).unwrap();
        std::fs::create_dir_all(bin.join("lib/commands/api")).unwrap();
        std::fs::write(bin.join("postman"), "").unwrap();
        std::fs::write(bin.join("lib/commands/collection/index.js"), COLLECTION_JS).unwrap();
        let caps = Capabilities::of(&bin.join("postman"));
        assert!(caps.no_report_events);
        // No `api/index.js`: this CLI has no `api lint`.
        assert!(!caps.api_lint);
        std::fs::write(bin.join("lib/commands/api/index.js"), API_JS).unwrap();
        assert!(Capabilities::of(&bin.join("postman")).api_lint);

        let bare = tempfile::tempdir().unwrap();
        std::fs::write(bare.path().join("postman"), "").unwrap();
        let caps = Capabilities::of(&bare.path().join("postman"));
        assert_eq!(caps, Capabilities::assumed());
    }
}
