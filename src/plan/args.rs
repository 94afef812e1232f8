//! `additionalArguments`: the words a user adds to `postman collection
//! run`, split as they wrote them, and the options among them the task owns
//! (its reporters and report paths) or that would put a secret on a command
//! line.

use super::InputErrorKind;
use super::parse::Errors;
use crate::inputs::{ExtraArgs, Field, RawInputs};

/// The words of `additionalArguments`, with every option the task owns
/// reported.
pub(super) fn extra_args(raw: &RawInputs, err: &mut impl Errors) -> Vec<String> {
    let words = match &raw.additional_arguments {
        ExtraArgs::Split(words) => words.clone(),
        ExtraArgs::Quoted(text) => split_args(text).unwrap_or_else(|| {
            err(Field::AdditionalArguments, InputErrorKind::UnmatchedQuote);
            Vec::new()
        }),
    };
    for kind in reserved_arguments(&words) {
        err(Field::AdditionalArguments, kind);
    }
    words
}

/// Short options of `postman collection run` that take no value, so more
/// letters may follow them in one word (`-kx`), as commander reads them.
const SHORT_SWITCHES: &[char] = &['k', 'x'];
/// Short options that take a value, which may be glued on (`-rcli`).
const SHORT_WITH_VALUE: &[char] = &['e', 'g', 'r', 'n', 'd', 'i'];

/// Options the task owns, in every spelling the Postman CLI (commander)
/// accepts: `--reporters cli`, `--reporters=cli`, `-r cli`, `-rcli`, and
/// `-r` at the end of a cluster of switches (`-kr cli`). The CLI takes no
/// abbreviation of a long option (`--report` is an unknown option), so none
/// is looked for. Reporters and their export paths are how the task reads
/// results; secrets must not appear on a command line.
fn reserved_arguments(args: &[String]) -> Vec<InputErrorKind> {
    let mut found = Vec::new();
    for arg in args {
        if let Some(long) = arg.strip_prefix("--") {
            let name = format!("--{}", long.split_once('=').map_or(long, |(n, _)| n));
            match name.as_str() {
                "--reporters" | "--output" => found.push(InputErrorKind::Reserved { arg: name }),
                n if n.starts_with("--reporter-") => {
                    found.push(InputErrorKind::Reserved { arg: name })
                }
                "--postman-api-key" | "--ssl-client-passphrase" => {
                    found.push(InputErrorKind::SecretArgument { arg: name })
                }
                _ => {}
            }
        } else if let Some(cluster) = arg.strip_prefix('-') {
            for letter in cluster.chars() {
                if letter == 'r' {
                    found.push(InputErrorKind::Reserved {
                        arg: if arg.len() == 2 {
                            "-r".into()
                        } else {
                            format!("-r (in `{arg}`)")
                        },
                    });
                    break;
                }
                if SHORT_WITH_VALUE.contains(&letter) || !SHORT_SWITCHES.contains(&letter) {
                    // The rest of the word is this option's value (or the
                    // CLI refuses the word as an unknown option).
                    break;
                }
            }
        }
    }
    found
}

/// Splits a command line the way users write one in a YAML field: words
/// separated by spaces, `"…"` and `'…'` group words, and inside double
/// quotes `\"` and `\\` escape. A backslash elsewhere is an ordinary
/// character, so Windows paths such as `C:\data\rows.csv` survive (POSIX
/// shell splitting, as the `shlex` crate does it, would eat them).
fn split_args(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\')) => {
                            word.push(chars.next()?);
                        }
                        c => word.push(c),
                    }
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::build;
    use crate::plan::build::tests::{errors, raw};

    #[test]
    fn options_the_task_owns_are_refused_in_every_spelling() {
        let refused = |args: &str| {
            let mut r = raw();
            r.additional_arguments = ExtraArgs::Quoted(args.into());
            errors(&r)
        };
        for args in [
            "-r json",
            "-rcli",
            "-kr json",
            "-xkrjson",
            "--reporters=json",
            "--reporters cli",
            "--reporter-junit-export=x.xml",
            "--output out",
        ] {
            assert!(
                refused(args).contains("which the task sets itself"),
                "{args}: {}",
                refused(args)
            );
        }
        assert!(refused("--postman-api-key=PMAK-1").contains("secret on the command line"));
        // A value glued to another short option is that option's value
        // (`-ir` is `-i r`, a folder named r).
        for fine in ["-i regression", "-ir", "-e staging.json", "--verbose", "-k"] {
            let mut r = raw();
            r.additional_arguments = ExtraArgs::Quoted(fine.into());
            assert!(build(&r).is_ok(), "{fine}");
        }
    }

    #[test]
    fn splitting_arguments() {
        assert_eq!(
            split_args("  a  'b c' \"d \\\" e\" f\\g "),
            Some(vec![
                "a".into(),
                "b c".into(),
                "d \" e".into(),
                "f\\g".into()
            ])
        );
        assert_eq!(split_args("''"), Some(vec![String::new()]));
        assert_eq!(split_args("'open"), None);
        assert_eq!(split_args(""), Some(vec![]));
    }
}
