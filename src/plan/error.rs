//! What is wrong with a setting, as data: the setting and the kind of
//! mistake. [`super::messages`] says it in the user's words.

use crate::inputs::Field;

/// A problem with one setting: what is wrong, and with [`InputError::render`],
/// where and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InputError {
    pub(crate) field: Field,
    pub(crate) kind: InputErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum InputErrorKind {
    Missing,
    NotANumber {
        value: String,
    },
    TooSmall {
        value: String,
        min: u64,
    },
    TooLarge {
        value: String,
        max: u64,
    },
    NotABoolean {
        value: String,
    },
    NotKeyValue {
        line: usize,
        text: String,
    },
    UnmatchedQuote,
    Reserved {
        arg: String,
    },
    SecretArgument {
        arg: String,
    },
    BadVersion {
        value: String,
    },
    BadUrl {
        value: String,
    },
    BadSha256 {
        value: String,
    },
    NotAnAge {
        value: String,
    },
    NotMinutes {
        value: String,
    },
    NotAnId {
        value: String,
    },
    Conflicts {
        other: Field,
    },
    NotParallel {
        value: String,
    },
    NotShard {
        value: String,
    },
    ShardPosition {
        detail: String,
    },
    /// Set, but only used when a boolean input is on.
    NeedsSwitch {
        switch: Field,
    },
    /// A Postman API key is needed and none was given; says why.
    KeyNeeded {
        why: String,
    },
    NoKeyInConnection {
        id: String,
    },
    /// Not one of the values of the input's pick list.
    NotOneOf {
        value: String,
    },
    /// Needed because another input has this value.
    RequiredBy {
        other: Field,
        value: String,
    },
    /// Set, but only used with another `installSource`.
    OtherSource {
        value: String,
        belongs: &'static str,
    },
    KeyInUrl,
    SecretWithCloudEnvironment {
        line: usize,
        key: String,
    },
    /// A word of `additionalArguments` holds a secret's value (never shown).
    SecretInArguments {
        word: usize,
    },
    Requires {
        other: Field,
    },
    NotFound {
        path: String,
    },
    NoMatch {
        pattern: String,
        base: String,
    },
    NotADirectory {
        path: String,
    },
    Unreadable {
        path: String,
        detail: String,
    },
    BadJson {
        path: String,
        detail: String,
    },
    NotACollection {
        path: String,
    },
    NotAnEnvironment {
        path: String,
    },
    /// An environment or globals file that is neither JSON nor YAML.
    BadVariables {
        path: String,
        detail: String,
    },
    /// A file the task does not read (see `crate::files`): a link out of
    /// the working directory, a pipe or a device, one over its size limit.
    /// `problem` completes "`path` …"; `fix` says what to do.
    FileRefused {
        path: String,
        problem: String,
        fix: String,
    },
    /// A folder that is not a git-native (v3) collection.
    NotV3Collection {
        path: String,
        detail: String,
    },
    UnknownFolder {
        name: String,
        collection: String,
        available: Vec<String>,
    },
    /// Not a regular expression the task can run.
    BadPattern {
        value: String,
        detail: String,
    },
    /// A test case pattern without exactly one group for the ID.
    PatternGroups {
        value: String,
        groups: usize,
    },
    /// A test case map that is neither a map of IDs to paths in YAML nor in JSON.
    BadTestCaseMap {
        path: String,
        detail: String,
    },
}

impl InputError {
    pub(crate) fn new(field: Field, kind: InputErrorKind) -> InputError {
        InputError { field, kind }
    }
}
