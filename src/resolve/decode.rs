//! Text from the user's files, decoded as the Postman CLI decodes them, so
//! that a file the CLI runs is never refused for its encoding.
//!
//! Read from Postman CLI 1.62.0 (`lib/util.js` `fetchJson` and
//! `detectEncoding`, `lib/postman-entities/environment/environment.js`,
//! `lib/run/v3-loader.js`) and checked against it:
//! - **JSON files** (collections, environments, globals, data files) go
//!   through `chardet`, and are decoded as UTF-8, UTF-16 LE or ISO-8859-1
//!   (Latin-1) when it names one of those. `Montréal` saved in Latin-1 by a
//!   Windows editor runs as `Montréal`. So a JSON file that is not UTF-8
//!   (and has no byte-order mark) is read as Latin-1, with a warning: for
//!   such files `chardet` is a guess, and the CLI's guess may differ.
//! - **YAML files** (`*.environment.yaml`, v3 request files and
//!   definitions) are read with `readFile(path, 'utf8')`: each invalid byte
//!   becomes U+FFFD, and the run goes on (`Montr�al`). The task decodes
//!   them the same way, and warns.
//!
//! A byte-order mark (UTF-8, or UTF-16 in either order) is honoured in both.

/// How a file's bytes became text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    /// Not UTF-8, read as ISO-8859-1 (JSON files).
    Latin1,
    /// Not UTF-8, its invalid bytes replaced by U+FFFD (YAML files).
    Utf8Replaced,
}

/// A UTF-16 file whose length is odd, or with a lone surrogate: neither
/// the CLI nor the task can read it as text.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the file starts with a UTF-16 byte-order mark but is not valid UTF-16")]
pub(crate) struct BadUtf16;

/// A JSON file's text.
pub(crate) fn json(bytes: &[u8]) -> Result<(String, Encoding), BadUtf16> {
    if let Some(found) = with_bom(bytes) {
        return found;
    }
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), Encoding::Utf8),
        // Every byte is a Latin-1 character of the same number.
        Err(_) => (
            bytes.iter().map(|&b| char::from(b)).collect(),
            Encoding::Latin1,
        ),
    })
}

/// A YAML file's text.
pub(crate) fn yaml(bytes: &[u8]) -> Result<(String, Encoding), BadUtf16> {
    if let Some(found) = with_bom(bytes) {
        return found;
    }
    Ok(match String::from_utf8_lossy(bytes) {
        std::borrow::Cow::Borrowed(text) => (text.to_owned(), Encoding::Utf8),
        std::borrow::Cow::Owned(text) => (text, Encoding::Utf8Replaced),
    })
}

fn with_bom(bytes: &[u8]) -> Option<Result<(String, Encoding), BadUtf16>> {
    let utf16 = |rest: &[u8], le: bool| -> Result<String, BadUtf16> {
        if !rest.len().is_multiple_of(2) {
            return Err(BadUtf16);
        }
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| BadUtf16)
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => Some(Ok(match std::str::from_utf8(rest) {
            Ok(text) => (text.to_owned(), Encoding::Utf8Bom),
            Err(_) => (
                String::from_utf8_lossy(rest).into_owned(),
                Encoding::Utf8Replaced,
            ),
        })),
        [0xFF, 0xFE, rest @ ..] => Some(utf16(rest, true).map(|t| (t, Encoding::Utf16Le))),
        [0xFE, 0xFF, rest @ ..] => Some(utf16(rest, false).map(|t| (t, Encoding::Utf16Be))),
        _ => None,
    }
}

/// The warning for a file that was not UTF-8, or `None`.
pub(crate) fn warning(shown: &str, encoding: Encoding) -> Option<String> {
    match encoding {
        Encoding::Latin1 => Some(format!(
            "`{shown}` is not UTF-8 text; the task read it as Latin-1 (ISO-8859-1), as the \
             Postman CLI reads most such files. Save it as UTF-8 to be sure of every character."
        )),
        Encoding::Utf8Replaced => Some(format!(
            "`{shown}` is not UTF-8 text; the Postman CLI reads each invalid byte as `\u{FFFD}`, \
             and so does the task. Save it as UTF-8 to keep those characters."
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_as_the_cli_does() {
        // `Montréal` saved by a Windows editor.
        let latin1 = b"{\"city\":\"Montr\xE9al\"}";
        assert_eq!(
            json(latin1).unwrap(),
            ("{\"city\":\"Montréal\"}".to_owned(), Encoding::Latin1)
        );
        assert_eq!(
            yaml(b"city: Montr\xE9al\n").unwrap(),
            ("city: Montr\u{FFFD}al\n".to_owned(), Encoding::Utf8Replaced)
        );
        assert_eq!(
            json("{\"city\":\"Montréal\"}".as_bytes()).unwrap().1,
            Encoding::Utf8
        );
        assert_eq!(
            json(b"\xEF\xBB\xBF{}").unwrap(),
            ("{}".into(), Encoding::Utf8Bom)
        );
        assert_eq!(
            yaml(&[0xFF, 0xFE, b'a', 0]).unwrap(),
            ("a".into(), Encoding::Utf16Le)
        );
        assert_eq!(json(&[0xFF, 0xFE, 0x00]), Err(BadUtf16));
    }

    #[test]
    fn warns_only_about_files_that_are_not_utf8() {
        assert!(warning("e.json", Encoding::Utf16Le).is_none());
        assert!(
            warning("e.json", Encoding::Latin1)
                .unwrap()
                .contains("`e.json` is not UTF-8 text")
        );
    }
}
