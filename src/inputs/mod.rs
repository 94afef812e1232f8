//! What the user said, before anything is checked: the task's inputs in a
//! pipeline, or the flags of `postman-cli-task run` on a laptop.
//!
//! Every input is written once, as a row of the table in [`table`]: its
//! task input name, its `run` flag, its kind, its group in the task editor,
//! its default and the first sentence of its help. The row makes the
//! [`Field`], the [`RawInputs`] field and how the agent's value is read; a
//! test holds `task/task.json` and the README's input tables to it. The
//! names are a public contract: pipelines break when an input or flag is
//! renamed.
//!
//! Both front ends fill the same [`RawInputs`], so one validation
//! ([`crate::plan`]) serves both and its errors read the same, naming the
//! input (`iterationCount`) or the flag (`--iteration-count`) as the user
//! wrote it.

use std::fmt;

use crate::azure::agent::AgentEnv;

pub(crate) use table::{Field, RawInputs};

/// What an input holds, which decides its type in task.json and its field
/// in [`RawInputs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One entry per line (`multiLine`): a list.
    Lines,
    /// One value (`string`).
    Text,
    /// One value that is a secret (`string`): from a secret variable in a
    /// pipeline, from the environment on a laptop, never from a flag.
    Secret,
    /// `true` or `false` (`boolean`).
    Bool,
    /// One of these values (`pickList`).
    Pick(&'static [&'static str]),
    /// A Postman API service connection (`connectedService:postmanapi`).
    Connection,
    /// Command-line words, shell-quoted in one `string`.
    Args,
}

/// The task editor's sections (task.json's `groups`), which the README's
/// input tables follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Group {
    /// The inputs shown first, outside any section.
    Main,
    Cloud,
    Lint,
    Run,
    Tls,
    Results,
    TestPlans,
    Scale,
    Cli,
    Advanced,
}

impl Group {
    /// The group's `name` in task.json; the main inputs have none.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the test that checks task.json")
    )]
    pub(crate) fn name(self) -> Option<&'static str> {
        Some(match self {
            Group::Main => return None,
            Group::Cloud => "cloud",
            Group::Lint => "lint",
            Group::Run => "run",
            Group::Tls => "tls",
            Group::Results => "results",
            Group::TestPlans => "testplans",
            Group::Scale => "scale",
            Group::Cli => "cli",
            Group::Advanced => "advanced",
        })
    }

    /// Its title: task.json's `displayName`, and the README table's heading.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the test that checks task.json")
    )]
    pub(crate) fn title(self) -> &'static str {
        match self {
            Group::Main => "Collections",
            Group::Cloud => "Postman cloud",
            Group::Lint => "Collection lint and API governance",
            Group::Run => "Run options",
            Group::Tls => "TLS and client certificates",
            Group::Results => "Test results",
            Group::TestPlans => "Azure Test Plans",
            Group::Scale => "Parallel runs and sharding",
            Group::Cli => "Postman CLI installation",
            Group::Advanced => "Advanced",
        }
    }
}

/// What an input is when the user leaves it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DefaultValue {
    /// It must be given.
    Required,
    /// Nothing: the setting is off, or the Postman CLI's own default holds.
    Empty,
    /// This value: task.json's `defaultValue`, and what [`crate::plan`]
    /// reads when a flag is not given.
    Is(&'static str),
    /// Empty in task.json, where it means this (which the README shows).
    EmptyMeans(&'static str),
}

/// One row of the table: everything said about an input.
#[derive(Debug)]
pub(crate) struct Spec {
    /// The task input name, as declared in task.json.
    pub(crate) input: &'static str,
    /// How `postman-cli-task run` spells it. Settings that only mean
    /// something to the agent have none; secrets come from the environment
    /// (`$NAME`) so they never sit on a command line.
    pub(crate) flag: Option<&'static str>,
    pub(crate) kind: Kind,
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the test that checks task.json")
    )]
    pub(crate) group: Group,
    pub(crate) default: DefaultValue,
    /// task.json's `visibleRule`.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the test that checks task.json")
    )]
    pub(crate) visible: Option<&'static str>,
    /// The first sentence of its help, which task.json's `helpMarkDown` and
    /// the README's row both start with.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the test that checks task.json")
    )]
    pub(crate) help: &'static str,
}

impl Field {
    /// The task input name, as declared in task.json.
    pub(crate) fn input(self) -> &'static str {
        self.spec().input
    }

    /// How `postman-cli-task run` spells it, if it can.
    pub(crate) fn flag(self) -> Option<&'static str> {
        self.spec().flag
    }

    /// The value a setting takes when it is not given, if it has one.
    pub(crate) fn default_value(self) -> Option<&'static str> {
        match self.spec().default {
            DefaultValue::Is(value) => Some(value),
            _ => None,
        }
    }

    /// The values a pick list takes, as a message lists them.
    pub(crate) fn choices(self) -> String {
        match self.spec().kind {
            Kind::Pick(values) => values.join(", "),
            _ => String::new(),
        }
    }
}

/// The table's syntax: a row per input, `Variant raw_field { input, flag,
/// kind, group, default, visible, help }`, with `flag` and `visible`
/// optional. It writes the [`Field`] enum, the rows as [`Spec`]s, the
/// [`RawInputs`] struct (a list for [`Kind::Lines`], [`ExtraArgs`] for
/// [`Kind::Args`], text for the rest) and [`RawInputs::from_agent`].
macro_rules! inputs {
    ($(
        $variant:ident $raw:ident {
            input: $input:literal,
            $(flag: $flag:literal,)?
            kind: $kind:ident $([$($choice:literal),+ $(,)?])?,
            group: $group:ident,
            default: $default:ident $(($value:literal))?,
            $(visible: $visible:literal,)?
            help: $help:literal $(,)?
        }
    )*) => {
        /// Every setting a user can give, in the order of task.json.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) enum Field {
            $(#[doc = $help] $variant,)*
        }

        impl Field {
            #[cfg(test)]
            pub(crate) const ALL: &'static [Field] = &[$(Field::$variant,)*];

            /// This input's row of the table.
            pub(crate) fn spec(self) -> &'static Spec {
                &SPECS[self as usize]
            }
        }

        /// The rows, in [`Field`]'s order.
        const SPECS: &[Spec] = &[$(Spec {
            input: $input,
            flag: inputs!(@option $($flag)?),
            kind: Kind::$kind $((&[$($choice),+]))?,
            group: Group::$group,
            default: DefaultValue::$default $(($value))?,
            visible: inputs!(@option $($visible)?),
            help: $help,
        },)*];

        /// Settings exactly as given. Text stays text here; [`crate::plan`]
        /// decides what it means and says what is wrong with it.
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub(crate) struct RawInputs {
            pub(crate) naming: Option<Naming>,
            $(pub(crate) $raw: inputs!(@raw $kind),)*
        }

        impl RawInputs {
            /// Reads every input the way the agent passes them
            /// (`INPUT_<NAME>`).
            pub(crate) fn from_agent(env: &AgentEnv) -> RawInputs {
                RawInputs {
                    naming: Some(Naming::Task),
                    $($raw: inputs!(@read $kind, env.input($input)),)*
                }
            }
        }
    };
    (@option) => { None };
    (@option $value:literal) => { Some($value) };
    (@raw Lines) => { Vec<String> };
    (@raw Args) => { ExtraArgs };
    (@raw $kind:ident) => { Option<String> };
    (@read Lines, $value:expr) => { $value.map(split_lines).unwrap_or_default() };
    (@read Args, $value:expr) => {
        $value.map(|v| ExtraArgs::Quoted(v.to_owned())).unwrap_or_default()
    };
    (@read $kind:ident, $value:expr) => { $value.map(str::to_owned) };
}

// After the macro, which they use.
#[cfg(test)]
mod contract;
mod table;

/// Which front end the user is talking to, so messages use their words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Naming {
    Task,
    Cli,
}

impl Naming {
    pub(crate) fn name(self, field: Field) -> String {
        match (self, field.flag()) {
            (Naming::Cli, Some(flag)) => format!("`{flag}`"),
            _ => format!("input `{}`", field.input()),
        }
    }
}

/// Extra `postman collection run` arguments: one shell-quoted string from
/// the task input, or already-split words after `--` on our command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ExtraArgs {
    Quoted(String),
    Split(Vec<String>),
}

impl Default for ExtraArgs {
    fn default() -> Self {
        ExtraArgs::Split(Vec::new())
    }
}

impl RawInputs {
    pub(crate) fn naming(&self) -> Naming {
        self.naming.unwrap_or(Naming::Cli)
    }
}

/// Splits a multi-line input: one entry per line, trimmed, blank lines and
/// `#` comments skipped.
pub(crate) fn split_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// An input that holds a secret: kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_distinct_input_name_and_flag() {
        let mut names: Vec<_> = Field::ALL.iter().map(|f| f.input()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Field::ALL.len());
        let mut flags: Vec<_> = Field::ALL.iter().filter_map(|f| f.flag()).collect();
        let count = flags.len();
        flags.sort();
        flags.dedup();
        assert_eq!(flags.len(), count);
    }

    /// A secret never has a flag: it comes from the environment.
    #[test]
    fn secrets_come_from_the_environment() {
        for field in Field::ALL {
            if field.spec().kind == Kind::Secret {
                assert!(
                    field.flag().is_some_and(|f| f.starts_with('$')),
                    "{field:?}"
                );
            }
        }
    }

    #[test]
    fn multi_line_inputs_skip_blanks_and_comments() {
        assert_eq!(
            split_lines("a.json\n\n  # skipped\r\n  b/*.json  \n"),
            ["a.json", "b/*.json"]
        );
    }

    #[test]
    fn agent_inputs_are_read_by_their_task_json_names() {
        let env = AgentEnv::from_pairs([
            ("INPUT_COLLECTION", "a.json\nb.json"),
            ("INPUT_ITERATIONCOUNT", "2"),
            ("INPUT_ADDITIONALARGUMENTS", "--verbose"),
            ("INPUT_COLLECTIONLINTFAILSEVERITY", "warn"),
        ]);
        let raw = RawInputs::from_agent(&env);
        assert_eq!(raw.collection, ["a.json", "b.json"]);
        assert_eq!(raw.iteration_count.as_deref(), Some("2"));
        assert_eq!(
            raw.additional_arguments,
            ExtraArgs::Quoted("--verbose".into())
        );
        assert_eq!(raw.collection_lint_fail_severity.as_deref(), Some("warn"));
        assert_eq!(raw.naming(), Naming::Task);
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }
}
