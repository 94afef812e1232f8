//! Every input error in words: the setting as the user named it (an
//! input or a flag), what is wrong with it, and what to do. Kept apart from
//! the checks so the wording can be read, and changed, in one place.

use super::parse::{MAX_COUNT, MAX_MILLIS, MAX_MINUTES, MAX_PARALLEL, MAX_RETRIES, MAX_SHARDS};
use super::{InputError, InputErrorKind};
use crate::inputs::{Field, Naming};

impl InputError {
    /// The message a user sees: the setting in their own words, what is wrong
    /// with it, and what to do.
    #[expect(
        clippy::too_many_lines,
        reason = "one linear table: an arm per kind of input error, each its words"
    )]
    pub(crate) fn render(&self, naming: Naming) -> String {
        use InputErrorKind::*;
        let name = naming.name(self.field);
        let (what, how): (String, String) = match &self.kind {
            Missing => (
                "is required".into(),
                match self.field {
                    Field::Collection => "Give one or more collection files, glob patterns or Postman collection UIDs, one per line.".into(),
                    _ => "Give it a value.".into(),
                },
            ),
            NotANumber { value } => (
                format!("`{value}` is not a whole number"),
                number_hint(self.field),
            ),
            TooSmall { value, min } => (
                format!("`{value}` is less than {min}"),
                number_hint(self.field),
            ),
            TooLarge { value, max } => (
                format!("`{value}` is more than {max}, the most it can be"),
                number_hint(self.field),
            ),
            NotABoolean { value } => (
                format!("`{value}` is not true or false"),
                "Set it to true or false.".into(),
            ),
            NotKeyValue { line, text } => (
                format!("line {line} (`{text}`) is not key=value"),
                "Write one variable per line as key=value, e.g. baseUrl=https://staging.example.com.".into(),
            ),
            UnmatchedQuote => (
                "has a quote that is never closed".into(),
                "Close every \" or ' quote; quote arguments that contain spaces.".into(),
            ),
            Reserved { arg } => (
                format!("contains `{arg}`, which the task sets itself"),
                "Remove it: the task chooses the reporters and report paths so it can publish results. Its JUnit and summary files are in the output variables junitFile and summaryFile.".into(),
            ),
            SecretArgument { arg } => (
                format!("contains `{arg}`, which would put a secret on the command line"),
                match arg.as_str() {
                    "--ssl-client-passphrase" => format!("Use {} instead.", naming.name(Field::SslClientPassphrase)),
                    _ => "Remove it; the task passes credentials to the Postman CLI through its environment.".into(),
                },
            ),
            BadVersion { value } => (
                format!("`{value}` is neither `latest` nor a version"),
                "Use `latest`, an exact version such as 1.62.0, or a range such as 1.x.".into(),
            ),
            BadUrl { value } => (
                format!("`{value}` is not an http:// or https:// URL"),
                "Give the registry's full URL, e.g. https://pkgs.dev.azure.com/contoso/_packaging/feed/npm/registry/.".into(),
            ),
            BadSha256 { value } => (
                format!("`{value}` is not a SHA-256 digest"),
                "Give the 64 hexadecimal characters of the file's SHA-256, e.g. from `sha256sum`.".into(),
            ),
            NotAnAge { value } => (
                format!("`{value}` is not a duration"),
                "Give a duration with a unit, such as 3d, 48h or 90m, up to 365d, or 0 to take new versions at once.".into(),
            ),
            NotMinutes { value } => (
                format!("`{value}` is not a number of minutes"),
                "Give a number of minutes such as 30 (decimals are fine), or leave it empty for no limit.".into(),
            ),
            NotAnId { value } => (
                format!("`{value}` is not an integration ID"),
                "Copy the ID from the API's Azure Pipelines integration in Postman (API › Test and Automation); it is a number, without the build suffix.".into(),
            ),
            Conflicts { other } => (
                format!("is set, and so is {}", naming.name(*other)),
                match self.field {
                    Field::ApiKey => format!("Give the key one way only: clear {} or {}.", name, naming.name(*other)),
                    _ => format!("Use one or the other: clear {} or {}.", name, naming.name(*other)),
                },
            ),
            NotParallel { value } => (
                format!("`{value}` is neither a number of runs nor `auto`"),
                "Give how many collection runs may go at once (1 or more), or `auto` for one per CPU.".into(),
            ),
            NotShard { value } => (
                format!("`{value}` is not `none`, `auto`, or a shard such as 2/4"),
                "Use `auto` in a job with `strategy: parallel: N`, or `i/n` with 1 ≤ i ≤ n, or `none`.".into(),
            ),
            ShardPosition { detail } => (
                detail.clone(),
                "Use `auto` only in a job with `strategy: parallel: N`, or give the shard as `i/n`.".into(),
            ),
            NeedsSwitch { switch } => (
                format!("is only used when {} is true", naming.name(*switch)),
                format!("Set {} to true, or clear {}.", naming.name(*switch), name),
            ),
            KeyNeeded { why } => (
                format!("no Postman API key is given, but {why}"),
                match naming {
                    Naming::Task => "Choose a Postman API service connection in postmanConnection, or set apiKey from a secret variable.".into(),
                    Naming::Cli => "Set the environment variable POSTMAN_API_KEY.".into(),
                },
            ),
            NoKeyInConnection { id } => (
                format!("the service connection `{id}` gave the task no API key"),
                "Choose a connection of the type Postman API, and check that this pipeline is allowed to use it.".into(),
            ),
            NotOneOf { value } => (
                format!("`{value}` is not one of {}", self.field.choices()),
                format!("Use one of {}.", self.field.choices()),
            ),
            RequiredBy { other, value } => (
                format!("is needed because {} is `{value}`", naming.name(*other)),
                match self.field {
                    Field::ApiDefinition => format!(
                        "Give the definition file to lint in {name}, or a Postman API ID in {}.",
                        naming.name(Field::ApiId)
                    ),
                    _ => format!("Set {} too, or change {}.", name, naming.name(*other)),
                },
            ),
            OtherSource { value, belongs } => (
                format!("is only used when {} is {belongs}, but it is `{value}`", naming.name(Field::InstallSource)),
                format!("Set {} to {belongs}, or clear {}.", naming.name(Field::InstallSource), name),
            ),
            KeyInUrl => (
                "contains a Postman API key (`apikey=`)".into(),
                "Give the collection or environment UID instead; a key in a URL ends up in logs and process listings.".into(),
            ),
            SecretWithCloudEnvironment { line, key } => (
                format!("line {line} (`{key}`) holds a secret, and with an environment given by UID it could only reach the Postman CLI on its command line"),
                "Use a local environment file, or keep the value in the Postman environment itself.".into(),
            ),
            SecretInArguments { word } => (
                format!(
                    "{} {word} holds the value of a secret, which would put it on the Postman CLI's command line, where the log and every process listing show it",
                    if self.field == Field::AdditionalArguments { "word" } else { "line" }
                ),
                format!(
                    "Pass the value with {} instead (key=value, one per line), which reaches the Postman CLI through a private file.",
                    naming.name(Field::EnvVars)
                ),
            ),
            Requires { other } => (
                format!("is set but {} is not", naming.name(*other)),
                format!("Set {} too, or clear {}.", naming.name(*other), name),
            ),
            BadPattern { value, detail } => (
                format!("`{value}` is not a regular expression: {detail}"),
                "Give a regular expression with one group for the test case ID, e.g. `\\bTC(\\d+)\\b` for `Get user [TC101]`.".into(),
            ),
            PatternGroups { value, groups } => (
                format!("`{value}` has {groups} capturing groups, and needs exactly one: the test case ID"),
                "Keep one group around the digits of the ID and make the others non-capturing with `(?:…)`, e.g. `\\b(?:TC|Test)(\\d+)\\b`.".into(),
            ),
            BadTestCaseMap { path, detail } => (
                format!("`{path}` is not a test case map: {detail}"),
                "Write one entry per test case ID, its paths a list: in YAML `101: [\"Shop/Orders/*\"]`, in JSON `{\"101\": [\"Shop/Orders/*\"]}`.".into(),
            ),
            NotFound { path } => (
                format!("file `{path}` does not exist"),
                "Check the path; relative paths are resolved against the working directory.".into(),
            ),
            NoMatch { pattern, base } => (
                format!("pattern `{pattern}` matches no files in `{base}`"),
                "Check the pattern and the working directory; `**` matches any number of folders.".into(),
            ),
            NotADirectory { path } => (
                format!("`{path}` is not a directory"),
                "Give an existing directory.".into(),
            ),
            Unreadable { path, detail } => (
                format!("cannot read `{path}`: {detail}"),
                "Check that the file exists and the agent's user may read it.".into(),
            ),
            BadJson { path, detail } => (
                format!("`{path}` is not valid JSON: {detail}"),
                "Fix the file, or export it again from Postman.".into(),
            ),
            NotACollection { path } => (
                format!("`{path}` is not a Postman collection (it has no `item` holding requests and folders, as a list or one object)"),
                "Export the collection from Postman as Collection v2.1, or give its UID.".into(),
            ),
            BadVariables { path, detail } => (
                format!("`{path}` cannot be read as an environment or globals file: {detail}"),
                "Give Postman's JSON export or a `*.environment.yaml` file, or the environment's UID.".into(),
            ),
            FileRefused { path, problem, fix } => (format!("`{path}` {problem}"), fix.clone()),
            NotV3Collection { path, detail } => (
                format!("`{path}` is a folder but not a Postman collection: {detail}"),
                "Give a v3 collection folder (what `postman collection migrate` writes, with `.resources/definition.yaml` and `*.request.yaml` files), or a collection file.".into(),
            ),
            NotAnEnvironment { path } => (
                format!("`{path}` is not a Postman environment or globals file (it has no `values` list)"),
                "Export it again from Postman, or give the environment's UID.".into(),
            ),
            UnknownFolder { name, collection, available } => (
                format!("`{name}` is not a folder or request in collection `{collection}`"),
                if available.is_empty() {
                    "The collection has no folders or requests.".into()
                } else {
                    format!("Use a name, ID or path (Folder/Request) from the collection; its top level has: {}.", list_some(available, 10))
                },
            ),
        };
        format!("{name}: {what}. {how}")
    }
}

fn number_hint(field: Field) -> String {
    match field {
        Field::IterationCount => format!(
            "Set it to a whole number from 1 to {MAX_COUNT}, or leave it empty to run once (or once per row of the iteration data)."
        ),
        Field::TimeoutMinutes => format!(
            "Give a number of minutes up to {MAX_MINUTES} (about 24 days; decimals are fine), or leave it empty for no limit."
        ),
        Field::Parallel => format!(
            "Give how many collection runs may go at once, from 1 to {MAX_PARALLEL}, or `auto` for one per CPU."
        ),
        Field::RetryFailedRuns => format!(
            "Give how many times a failed collection run is run again, from 0 (the default) to {MAX_RETRIES}."
        ),
        Field::Shard => {
            format!("Give the shard as `i/n` with 1 ≤ i ≤ n ≤ {MAX_SHARDS}, or `auto` or `none`.")
        }
        _ => format!(
            "Give a whole number of milliseconds up to {MAX_MILLIS} (the longest a Node.js timer can wait), or leave it empty for the default."
        ),
    }
}

fn list_some(items: &[String], max: usize) -> String {
    let shown: Vec<String> = items.iter().take(max).map(|s| format!("`{s}`")).collect();
    if items.len() > max {
        format!("{} and {} more", shown.join(", "), items.len() - max)
    } else {
        shown.join(", ")
    }
}
