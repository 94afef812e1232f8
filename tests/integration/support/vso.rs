//! The agent's logging-command grammar, as the agent reads it: how process
//! output becomes lines (`ProcessInvoker`, .NET `StreamReader.ReadLine`), how a
//! line becomes a `##vso[area.event k=v;…]data` command (`Command.TryParse`),
//! and how values are unescaped (`CommandStringConvertor.Unescape`). It is a
//! reading of microsoft/azure-pipelines-agent, not of task-lib's writer, so
//! tests see exactly what the agent would act on, quirks included.

/// Which output stream a line came from; the agent honours commands on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One parsed logging command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VsoCommand {
    pub area: String,
    pub event: String,
    /// Unescaped property values in first-seen order. A key repeated in any
    /// case keeps its first spelling and takes the last value, as the agent's
    /// case-insensitive dictionary does.
    pub properties: Vec<(String, String)>,
    /// The unescaped message: everything after the header's `]`.
    pub data: String,
    pub stream: Stream,
}

impl VsoCommand {
    /// Looks a property up case-insensitively, as the agent does. Keys are not
    /// trimmed, so `" sourcepath"` does not match `sourcepath`.
    pub fn prop(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// `area.event` lower-cased; the agent resolves both case-insensitively.
    pub fn name(&self) -> String {
        format!("{}.{}", self.area, self.event).to_lowercase()
    }
}

/// What the agent makes of one output line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    Command(VsoCommand),
    /// Contains `##vso` but does not parse: the agent logs the
    /// `CommandKeywordDetected` warning and prints the line.
    Malformed(String),
    Plain(String),
}

const PREFIX: &str = "##vso[";

/// Classifies one agent line (see [`split_agent_lines`]).
pub fn parse_line(line: &str, stream: Stream) -> LineKind {
    match parse_command(line, stream) {
        Some(command) => LineKind::Command(command),
        None if line.contains("##vso") => LineKind::Malformed(line.to_string()),
        None => LineKind::Plain(line.to_string()),
    }
}

/// Mirrors `Command.TryParse`: the prefix may sit anywhere in the line and
/// the header ends at the first `]` after it.
fn parse_command(line: &str, stream: Stream) -> Option<VsoCommand> {
    let after_prefix = &line[line.find(PREFIX)? + PREFIX.len()..];
    let header_end = after_prefix.find(']')?;
    let header = &after_prefix[..header_end];
    let data = &after_prefix[header_end + 1..];

    let (name, properties) = match header.find(' ') {
        Some(space) => (&header[..space], Some(&header[space + 1..])),
        None => (header, None),
    };
    // `Split('.', RemoveEmptyEntries)` must give exactly two parts, so
    // `task..complete` is accepted and `task` or `a.b.c` are not.
    let parts: Vec<&str> = name.split('.').filter(|p| !p.is_empty()).collect();
    let [area, event] = parts.as_slice() else {
        return None;
    };

    let mut command = VsoCommand {
        area: area.to_string(),
        event: event.to_string(),
        properties: Vec::new(),
        data: unescape(data),
        stream,
    };
    for entry in properties.into_iter().flat_map(|p| p.split(';')) {
        if let Some((key, value)) = split_property(entry) {
            let value = unescape(value);
            match command
                .properties
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
            {
                Some(existing) => existing.1 = value,
                None => command.properties.push((key.to_string(), value)),
            }
        }
    }
    Some(command)
}

/// Mirrors `entry.Split('=', 2, RemoveEmptyEntries)` followed by the agent's
/// "exactly two parts" check. .NET skips empty pieces on both sides of the
/// first separator, so leading `=` are dropped from the key and from the
/// value (`a==b` gives `b`), and an entry whose value is empty is dropped.
fn split_property(entry: &str) -> Option<(&str, &str)> {
    let (key, value) = entry.trim_start_matches('=').split_once('=')?;
    let value = value.trim_start_matches('=');
    (!value.is_empty()).then_some((key, value))
}

/// `CommandStringConvertor.Unescape` with `DECODE_PERCENTS` at its default
/// (true): the table in the agent's order, then `%AZP25`. Each step is a
/// whole-string ordinal replace, so nothing decodes twice.
pub fn unescape(escaped: &str) -> String {
    escaped
        .replace("%3B", ";")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%5D", "]")
        .replace("%AZP25", "%")
}

/// Splits output the way the agent reads it: `ProcessInvoker` calls
/// `StreamReader.ReadLine` until end of stream, and a line ends at `\n`, `\r`
/// or `\r\n`. A final line without a terminator still counts; a terminator at
/// the very end does not start another line.
pub fn split_agent_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\r', '\n']) {
            Some(end) => {
                lines.push(&rest[..end]);
                let terminator = if rest[end..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = &rest[end + terminator..];
            }
            None => {
                lines.push(rest);
                rest = "";
            }
        }
    }
    lines
}
