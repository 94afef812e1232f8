//! Masking a JSON document in place: every string, key and number
//! redacted in decoded form and escaped again, byte arrays (Node buffers)
//! redacted as the bytes they hold, and the layout and key order kept, so
//! the copied report is still the report the CLI wrote, less the secrets.

use std::borrow::Cow;

use super::{MIN_LEN, Secrets};

impl Secrets {
    /// A JSON document with every secret masked, still valid JSON with its
    /// layout and key order kept.
    ///
    /// Each string (keys too) is redacted in decoded form and escaped again,
    /// so a secret split by escapes is found and the result stays valid. The
    /// CLI's report holds response bodies as Node buffers, arrays of byte
    /// values; such an array is redacted as the bytes it holds. A number
    /// that is a secret becomes the string `"***"`. Text that does not parse
    /// as JSON is redacted as text.
    pub(crate) fn redact_json<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.is_empty() {
            return Cow::Borrowed(text);
        }
        if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
            return self.redact(text);
        }
        let b = text.as_bytes();
        let mut out = String::new();
        let mut last = 0;
        let mut i = 0;
        while i < b.len() {
            let (end, replacement) = match b[i] {
                b'"' => {
                    let end = json_string_end(b, i);
                    let literal = &text[i..end];
                    let replacement = match serde_json::from_str::<String>(literal) {
                        Ok(value) => match self.redact(&value) {
                            Cow::Owned(clean) => serde_json::to_string(&clean).ok(),
                            Cow::Borrowed(_) => None,
                        },
                        // A lone surrogate escape: redact the escaped text.
                        Err(_) => match self.redact(literal) {
                            Cow::Owned(clean) => Some(clean),
                            Cow::Borrowed(_) => None,
                        },
                    };
                    (end, replacement)
                }
                b'[' => match json_byte_array(b, i) {
                    Some((end, bytes)) if bytes.len() >= MIN_LEN => {
                        let replacement = self.redact_bytes(&bytes).map(|clean| {
                            let items: Vec<String> = clean.iter().map(u8::to_string).collect();
                            format!("[{}]", items.join(","))
                        });
                        (end, replacement)
                    }
                    _ => (i + 1, None),
                },
                b'-' | b'0'..=b'9' => {
                    let mut end = i + 1;
                    while end < b.len()
                        && matches!(b[end], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                    {
                        end += 1;
                    }
                    let replacement = matches!(self.redact(&text[i..end]), Cow::Owned(_))
                        .then(|| format!("\"{}\"", super::MASK));
                    (end, replacement)
                }
                _ => (i + 1, None),
            };
            if let Some(replacement) = replacement {
                out.push_str(&text[last..i]);
                out.push_str(&replacement);
                last = end;
            }
            i = end;
        }
        if last == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[last..]);
        // Only the lone-surrogate path can break the document; a secret-free
        // text matters more than a valid one.
        if serde_json::from_str::<serde::de::IgnoredAny>(&out).is_err() {
            return Cow::Owned(self.redact(text).into_owned());
        }
        Cow::Owned(out)
    }
}

/// Where the JSON string starting at `start` (its opening quote) ends, just
/// after its closing quote, in a document known to be valid.
fn json_string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// An array of integers 0 to 255 starting at `start` (its `[`): where it
/// ends, just after its `]`, and the bytes.
fn json_byte_array(b: &[u8], start: usize) -> Option<(usize, Vec<u8>)> {
    let skip_ws = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut bytes = Vec::new();
    let mut i = skip_ws(start + 1);
    loop {
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 3 {
            return None;
        }
        let value: u16 = std::str::from_utf8(&b[i..i + digits]).ok()?.parse().ok()?;
        bytes.push(u8::try_from(value).ok()?);
        i = skip_ws(i + digits);
        match b.get(i)? {
            b',' => i = skip_ws(i + 1),
            b']' => return Some((i + 1, bytes)),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::tests::secrets;

    #[test]
    fn json_report_is_redacted_in_decoded_form() {
        let s = secrets(&["pass word1&<>\"", "424242"]);
        let secret_bytes: Vec<String> = "pass word1&<>\"".bytes().map(|b| b.to_string()).collect();
        let report = format!(
            r#"{{
  "url": {{"raw": "http://h/?t=pass%20word1%26%3C%3E%22", "query": [{{"key": "t", "value": "pass word1&<>\""}}]}},
  "pass word1&<>\"": "as a key",
  "header": [{{"key": "X-Token", "value": "pass word1\u0026\u003c\u003e\""}}],
  "stream": {{"type": "Buffer", "data": [123, {}, 125]}},
  "code": 424242,
  "other": [1, 2, 3, 4, 5],
  "kept": "visible"
}}"#,
            secret_bytes.join(", ")
        );
        let out = s.redact_json(&report);
        let value: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(value["url"]["raw"], "http://h/?t=***");
        assert_eq!(value["url"]["query"][0]["value"], "***");
        assert_eq!(value["***"], "as a key");
        assert_eq!(value["header"][0]["value"], "***");
        assert_eq!(
            value["stream"]["data"],
            serde_json::json!([123, 42, 42, 42, 125])
        );
        assert_eq!(value["code"], "***");
        assert_eq!(value["other"], serde_json::json!([1, 2, 3, 4, 5]));
        assert_eq!(value["kept"], "visible");
        // Layout and key order are kept.
        assert!(out.starts_with("{\n  \"url\": {\"raw\""), "{out}");
        assert!(out.find("\"kept\"") > out.find("\"other\""));

        let clean = r#"{"a": "nothing here", "b": [1,2,3,4]}"#;
        assert!(matches!(s.redact_json(clean), Cow::Borrowed(_)));
        // Not JSON: redacted as text.
        assert_eq!(s.redact_json("{ pass word1&<>\" "), "{ *** ");
    }
}
