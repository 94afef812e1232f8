//! The agent's logging-command grammar, as the agent reads it: how process
//! output becomes lines (`ProcessInvoker`, .NET `StreamReader.ReadLine`), how a
//! line becomes a `##vso[area.event k=v;…]data` command (`Command.TryParse`),
//! and how values are unescaped (`CommandStringConvertor.Unescape`). It is a
//! reading of microsoft/azure-pipelines-agent, not of task-lib's writer, so
//! tests see exactly what the agent would act on, quirks included.
//!
//! The agent finds `##vso[` with `string.IndexOf(string)`, which is
//! culture-sensitive: on its Linux and macOS hosts, ICU's collation search,
//! which skips every character the collation gives no weight. Which those
//! are is asked of ICU itself, through Node.js ([`icu_ignores`]).

use std::sync::OnceLock;

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
        // `input.IndexOf("##vso") >= 0`, culture-sensitive too.
        None if culture_index_of(line, "##vso").is_some() => LineKind::Malformed(line.to_string()),
        None => LineKind::Plain(line.to_string()),
    }
}

/// Mirrors `Command.TryParse`: the prefix may sit anywhere in the line, the
/// header starts the prefix's length (in UTF-16 units) after where the
/// match starts, whatever the match skipped, and ends at the first `]`
/// after the match's start.
fn parse_command(line: &str, stream: Stream) -> Option<VsoCommand> {
    let units: Vec<u16> = line.encode_utf16().collect();
    let start = culture_index_of(line, PREFIX)?;
    let header_end = start + units[start..].iter().position(|&u| u == u16::from(b']'))?;
    let header_start = start + PREFIX.len();
    // `Substring` with a negative length throws, and TryParse catches it.
    let header = String::from_utf16_lossy(units.get(header_start..header_end)?);
    let data = String::from_utf16_lossy(&units[header_end + 1..]);

    let (name, properties) = match header.find(' ') {
        Some(space) => (&header[..space], Some(&header[space + 1..])),
        None => (header.as_str(), None),
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
        data: unescape(&data),
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

/// `line.IndexOf(pattern)` under the current culture, as .NET does it with
/// ICU: the first place where `pattern` starts, skipping inside the match
/// every character ICU's collation ignores. In UTF-16 units, as .NET counts.
fn culture_index_of(line: &str, pattern: &str) -> Option<usize> {
    let mut pattern = pattern.chars();
    let first = pattern.next()?;
    if !line.contains(first) {
        return None;
    }
    let chars: Vec<char> = line.chars().collect();
    let rest: Vec<char> = pattern.collect();
    let mut utf16_at = 0;
    'start: for (i, &c) in chars.iter().enumerate() {
        let here = utf16_at;
        utf16_at += c.len_utf16();
        if c != first {
            continue;
        }
        let mut k = i + 1;
        for &want in &rest {
            while chars.get(k).is_some_and(|&c| icu_ignores(c)) {
                k += 1;
            }
            if chars.get(k) != Some(&want) {
                continue 'start;
            }
            k += 1;
        }
        return Some(here);
    }
    None
}

/// Whether ICU's root collation gives `c` no weight at all, so that a
/// culture-sensitive search skips it. Printable ASCII never is; for the
/// rest, ICU is asked once per test process, through Node.js's
/// `Intl.Collator`, for every code point.
pub fn icu_ignores(c: char) -> bool {
    if (' '..='~').contains(&c) {
        return false;
    }
    static RANGES: OnceLock<Vec<(u32, u32)>> = OnceLock::new();
    let ranges = RANGES.get_or_init(|| {
        const SCRIPT: &str = r#"
            const collator = new Intl.Collator('und');
            const out = [];
            for (let cp = 0; cp <= 0x10ffff; cp++) {
              if (cp >= 0xd800 && cp <= 0xdfff) continue;
              if (collator.compare('#' + String.fromCodePoint(cp) + '#', '##') !== 0) continue;
              const last = out[out.length - 1];
              if (last && last[1] === cp - 1) last[1] = cp; else out.push([cp, cp]);
            }
            console.log(JSON.stringify(out));
        "#;
        let output = std::process::Command::new("node")
            .args(["-e", SCRIPT])
            .output()
            .expect("run node to ask ICU which characters it ignores");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("ICU's ignorable ranges as JSON")
    });
    let c = u32::from(c);
    ranges
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
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
