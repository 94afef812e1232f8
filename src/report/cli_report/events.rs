//! The running output of a v3 run's console report, line by line: which
//! lines carry a result (a request, an assertion, an error, an iteration),
//! as [`Event`]s. See [`super`] for the grammar.

/// A line of the running output that carries a result.
#[derive(Debug)]
pub(super) enum Event {
    Iteration {
        index: u64,
        of: u64,
    },
    Request {
        id: String,
    },
    Sent {
        method: String,
        url: String,
        status: Option<String>,
        time_ms: Option<u64>,
    },
    RequestError {
        message: String,
    },
    Pass(String),
    Skip(String),
    Fail {
        number: u64,
        name: String,
    },
    ScriptError {
        number: u64,
        name: String,
        script: Script,
    },
}

/// Which script an error came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Script {
    Test,
    Prerequest,
    Unknown,
}

/// The events of `lines`, in order; every other line is left alone.
pub(super) fn read_events(lines: &[&str]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if let Some(rest) = line.strip_prefix("Iteration ") {
            if let Some((a, b)) = rest.split_once('/')
                && let (Ok(index), Ok(of)) = (a.parse(), b.parse())
            {
                events.push(Event::Iteration { index, of });
            }
            continue;
        }
        if let Some(id) = line
            .strip_prefix("Root ")
            .or_else(|| line.strip_prefix("Sub-folder "))
        {
            events.push(Event::Request { id: id.to_owned() });
            continue;
        }
        if line == "[errored]" || (line.starts_with("  ") && line.ends_with(" [errored]")) {
            if line != "[errored]" {
                events.push(Event::Sent {
                    method: first_word(line),
                    url: url_of(&line[..line.len() - " [errored]".len()]),
                    status: None,
                    time_ms: None,
                });
            }
            let message = lines
                .get(i)
                .and_then(|l| l.strip_prefix("     "))
                .map(str::to_owned);
            if message.is_some() {
                i += 1;
            }
            events.push(Event::RequestError {
                message: message.unwrap_or_default(),
            });
            continue;
        }
        if let Some(name) = line.strip_prefix("  Pass  ") {
            events.push(Event::Pass(name.to_owned()));
            continue;
        }
        if let Some(name) = line.strip_prefix("  -  [skipped] ") {
            events.push(Event::Skip(name.to_owned()));
            continue;
        }
        if let Some((number, rest)) = numbered(line, '.') {
            if let Some(name) = rest.strip_prefix(' ') {
                events.push(Event::Fail {
                    number,
                    name: name.to_owned(),
                });
            }
            continue;
        }
        if let Some((number, rest)) = numbered(line, '\u{2804}') {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let (name, script) = if let Some(n) = rest.strip_suffix(" in test-script") {
                (n, Script::Test)
            } else if let Some(n) = rest.strip_suffix(" in prerequest-script") {
                (n, Script::Prerequest)
            } else if let Some(n) = rest.strip_suffix(" in unknown-script") {
                (n, Script::Unknown)
            } else {
                continue;
            };
            events.push(Event::ScriptError {
                number,
                name: name.to_owned(),
                script,
            });
            continue;
        }
        if let Some(sent) = request_line(line) {
            events.push(sent);
        }
        // Anything else (console boxes, blank lines, `Folder` lines, the
        // banner, warnings) carries no result.
    }
    events
}

/// `  1. name` / ` 12⠄ …` / `123. name`: the number right-aligned in three
/// columns, then the marker.
fn numbered(line: &str, marker: char) -> Option<(u64, &str)> {
    let pos = line.find(marker)?;
    let head = &line[..pos];
    let digits = head.trim_start_matches(' ');
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || head.len() != digits.len().max(3)
    {
        return None;
    }
    Some((digits.parse().ok()?, &line[pos + marker.len_utf8()..]))
}

/// `  GET http://host/path [200 OK, 186 B, 5 ms]`.
fn request_line(line: &str) -> Option<Event> {
    let body = line.strip_prefix("  ")?;
    if body.starts_with(' ') || !body.ends_with(']') {
        return None;
    }
    let open = body.rfind(" [")?;
    let inner = &body[open + 2..body.len() - 1];
    let parts: Vec<&str> = inner.split(", ").collect();
    if parts.len() != 3 {
        return None;
    }
    let (code, _) = parts[0].split_once(' ').unwrap_or((parts[0], ""));
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Event::Sent {
        method: first_word(line),
        url: url_of(&line[..open + 2]),
        status: Some(parts[0].to_owned()),
        time_ms: duration_ms(parts[2]),
    })
}

/// The URL of `  GET http://host/path ` (the request line without its
/// bracket).
fn url_of(line: &str) -> String {
    let body = line.trim();
    body.split_once(' ')
        .map(|(_, url)| url.to_owned())
        .unwrap_or_default()
}

fn first_word(line: &str) -> String {
    line.split_whitespace().next().unwrap_or("").to_owned()
}

/// The reporter's `prettyms`: `990 us`, `5 ms`, `1.2 s`, `1m 5s`…
pub(super) fn duration_ms(text: &str) -> Option<u64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let n: f64 = number.parse().ok()?;
    let ms = match unit {
        "us" | "µs" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    };
    Some(ms.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_grammar() {
        assert_eq!(numbered("  1. a", '.'), Some((1, " a")));
        assert_eq!(numbered(" 12. a", '.'), Some((12, " a")));
        assert_eq!(numbered("123. a", '.'), Some((123, " a")));
        assert_eq!(numbered("1234. a", '.'), Some((1234, " a")));
        assert_eq!(numbered("   1. a", '.'), None);
        assert_eq!(numbered(" 1. a", '.'), None);
        assert_eq!(
            numbered("  3\u{2804} JSONError in test-script", '\u{2804}')
                .unwrap()
                .0,
            3
        );
        assert_eq!(duration_ms("990 us"), Some(1));
        assert_eq!(duration_ms("5 ms"), Some(5));
        assert_eq!(duration_ms("1.5 s"), Some(1500));
        assert!(matches!(
            request_line("  GET http://h/x [200 OK, 186 B, 5 ms]"),
            Some(Event::Sent { .. })
        ));
        assert!(request_line("  | 'GET x [200 OK, 1 B, 5 ms]'").is_none());
    }
}
