//! Text for the build summary's markdown: escaped so a name from a
//! collection or a server cannot break a table or inject HTML into the
//! build page, cut short so a huge one cannot make a huge summary, and
//! links that can only be http(s).

/// A URL for a markdown link: only http(s), with the characters that would
/// end the link escaped.
pub(crate) fn link(url: &str) -> String {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return "about:blank".into();
    }
    url.replace('(', "%28")
        .replace(')', "%29")
        .replace(' ', "%20")
        .replace('<', "%3C")
        .replace('>', "%3E")
}

/// How much of one name (a collection, a request, a test) the summary
/// shows; the JUnit has the whole of it. Names come from collections and
/// servers, and a megabyte of one must not make a summary of megabytes.
pub(crate) const MAX_NAME_CHARS: usize = 200;
/// The same for a message or reason, which may quote several lines.
const MAX_TEXT_CHARS: usize = 2000;

/// A name for the summary: escaped, and cut short when it is long.
pub(crate) fn name(text: &str) -> String {
    escape_at_most(text, MAX_NAME_CHARS)
}

/// Escapes text for a markdown table cell or list item: markdown's
/// punctuation gets a backslash, HTML's angle brackets become entities, and
/// line breaks become spaces. Long text is cut short, with an ellipsis.
pub(crate) fn escape(text: &str) -> String {
    escape_at_most(text, MAX_TEXT_CHARS)
}

fn escape_at_most(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 2));
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_stay_inside_their_cell() {
        assert_eq!(escape("a|b\n<script>*x*"), "a\\|b &lt;script&gt;\\*x\\*");
    }

    #[test]
    fn links_are_http_only() {
        assert_eq!(link("javascript:alert(1)"), "about:blank");
        assert_eq!(link("https://x.test/a (b)"), "https://x.test/a%20%28b%29");
    }
}
