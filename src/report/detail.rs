//! A request's detail as the CLI's reports hold it, read for the Postman
//! tab: headers as `[name, value]` pairs, the request body from the
//! collection SDK's shapes, the response body from a Node buffer (an array
//! of byte values), decoded and cut. Bodies are kept as they came: the tab
//! pretty-prints JSON itself.
//!
//! A response body can be megabytes; its bytes are read past a cap without
//! being kept, so one execution costs at most [`BODY_READ`] bytes of body
//! however large the response.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::collect::Body;

/// The most of a body the results keep (64 KiB): enough to see what an API
/// said, small enough for thousands of failed requests in one attachment.
pub(crate) const BODY_CAP: usize = 64 * 1024;

/// What is read of a body before it is cut at [`BODY_CAP`]: the cut comes
/// after secrets are masked (in the results stage), so a secret that
/// straddles [`BODY_CAP`] is masked whole, and one that straddles this
/// bound is cut off with the margin.
pub(crate) const BODY_READ: usize = BODY_CAP + 4 * 1024;

/// A header as the report gives it (`{"key", "value"}`).
#[derive(Debug, Deserialize)]
pub(crate) struct HeaderEntry {
    key: Option<String>,
    value: Option<serde_json::Value>,
}

/// Headers as pairs; the values of credential headers go to `secrets`.
pub(super) fn headers(
    entries: Vec<HeaderEntry>,
    secrets: &mut Vec<String>,
) -> Vec<(String, String)> {
    entries
        .into_iter()
        .filter_map(|h| {
            let key = h.key?;
            let value = match h.value {
                Some(serde_json::Value::String(s)) => s,
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            if crate::secrets::is_credential_header(&key) {
                for part in crate::secrets::credential_parts(&key, &value) {
                    if !secrets.contains(&part) {
                        secrets.push(part);
                    }
                }
            }
            Some((key, value))
        })
        .collect()
}

/// The `Content-Type` a response declares, if any.
pub(super) fn content_type(headers: &[HeaderEntry]) -> Option<String> {
    headers
        .iter()
        .filter(|h| {
            h.key
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("content-type"))
        })
        .find_map(|h| match &h.value {
            Some(serde_json::Value::String(v)) => Some(v.clone()),
            _ => None,
        })
}

/// A request body, as the collection SDK gives it, as text: raw text as
/// is, form fields one per line, GraphQL as its query and variables; cut
/// at [`BODY_READ`].
pub(super) fn request_body(body: &serde_json::Value) -> Option<Body> {
    let field = |v: &serde_json::Value, k: &str| {
        v.get(k)
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .unwrap_or_default()
    };
    let enabled =
        |v: &&serde_json::Value| v.get("disabled").and_then(|d| d.as_bool()) != Some(true);
    let text = match body.get("mode").and_then(|m| m.as_str()) {
        Some("raw") => field(body, "raw"),
        Some("urlencoded") => body
            .get("urlencoded")
            .and_then(|u| u.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter(enabled)
                    .map(|i| format!("{}={}", field(i, "key"), field(i, "value")))
                    .collect::<Vec<_>>()
                    .join("&")
            })
            .unwrap_or_default(),
        Some("formdata") => body
            .get("formdata")
            .and_then(|u| u.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter(enabled)
                    .map(|i| {
                        if i.get("type").and_then(|t| t.as_str()) == Some("file") {
                            format!("{}: (file {})", field(i, "key"), field(i, "src"))
                        } else {
                            format!("{}: {}", field(i, "key"), field(i, "value"))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        Some("graphql") => body
            .get("graphql")
            .map(|g| g.to_string())
            .unwrap_or_default(),
        Some("file") => format!(
            "(file {})",
            body.get("file")
                .map(|f| field(f, "src"))
                .unwrap_or_default()
        ),
        _ => return None,
    };
    if text.is_empty() {
        return None;
    }
    let size = text.len() as u64;
    Some(Body::of(text, size))
}

/// The text cut to at most `max` bytes, on a character boundary.
pub(crate) fn cut(mut text: String, max: usize) -> (String, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    (text, true)
}

/// A response body: the bytes kept (at most [`BODY_READ`]) and how many
/// there were.
#[derive(Debug, Default)]
pub(super) struct CappedBuffer {
    kept: Vec<u8>,
    total: u64,
}

impl CappedBuffer {
    /// The body as text, by the charset `content_type` declares (so a
    /// secret in a UTF-16 body is masked as the text it is); `None` when
    /// empty.
    pub(super) fn text(self, content_type: Option<&str>) -> Option<Body> {
        if self.total == 0 {
            return None;
        }
        Some(Body {
            cut: self.total > self.kept.len() as u64,
            text: crate::text::decode_body(&self.kept, content_type),
            size: self.total,
        })
    }
}

impl<'de> Deserialize<'de> for CappedBuffer {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut out = CappedBuffer::default();
        d.deserialize_any(BufferVisitor(&mut out))?;
        Ok(out)
    }
}

/// `{"type": "Buffer", "data": [..]}`, or the bare array.
struct BufferVisitor<'a>(&'a mut CappedBuffer);

impl<'de> Visitor<'de> for BufferVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Node buffer")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.total = v.len() as u64;
        self.0
            .kept
            .extend_from_slice(&v.as_bytes()[..v.len().min(BODY_READ)]);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        BytesSeed(self.0).visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "data" {
                map.next_value_seed(BytesSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct BytesSeed<'a>(&'a mut CappedBuffer);

impl<'de> DeserializeSeed<'de> for BytesSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BytesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of byte values")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(byte) = seq.next_element::<u8>()? {
            if self.0.kept.len() < BODY_READ {
                self.0.kept.push(byte);
            }
            self.0.total += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_is_read_up_to_its_cap() {
        let big = format!(
            r#"{{"type":"Buffer","data":[{}]}}"#,
            vec!["120"; BODY_READ + 10].join(",")
        );
        let b: CappedBuffer = serde_json::from_str(&big).unwrap();
        let body = b.text(None).unwrap();
        assert_eq!(
            (body.text.len(), body.cut, body.size),
            (BODY_READ, true, BODY_READ as u64 + 10)
        );
        let b: CappedBuffer =
            serde_json::from_str(r#"{"type":"Buffer","data":[123,125]}"#).unwrap();
        let body = b.text(None).unwrap();
        assert_eq!((body.text.as_str(), body.cut, body.size), ("{}", false, 2));
        let b: CappedBuffer = serde_json::from_str(r#"{"type":"Buffer","data":[]}"#).unwrap();
        assert!(b.text(None).is_none());
    }

    #[test]
    fn credential_headers_give_their_values_and_parts() {
        let entries: Vec<HeaderEntry> = serde_json::from_str(
            r#"[{"key":"Authorization","value":"Bearer tok-123456"},
                {"key":"Cookie","value":"sid=abc123456; theme=dark"},
                {"key":"set-cookie","value":"s2=zzz999zzz; Path=/; HttpOnly"},
                {"key":"Accept","value":"*/*"}]"#,
        )
        .unwrap();
        let mut secrets = Vec::new();
        let pairs = headers(entries, &mut secrets);
        assert_eq!(pairs.len(), 4);
        assert_eq!(
            secrets,
            [
                "Bearer tok-123456",
                "tok-123456",
                "sid=abc123456; theme=dark",
                "abc123456",
                "dark",
                "s2=zzz999zzz; Path=/; HttpOnly",
                "zzz999zzz"
            ]
        );
    }

    #[test]
    fn request_bodies_of_every_mode_read_as_text() {
        let body = |v: serde_json::Value| request_body(&v).map(|b| b.text);
        // As sent: the tab pretty-prints JSON itself.
        assert_eq!(
            body(serde_json::json!({"mode":"raw","raw":"{\"a\":1}"})).as_deref(),
            Some("{\"a\":1}")
        );
        assert_eq!(
            body(serde_json::json!({"mode":"urlencoded","urlencoded":[
                {"key":"a","value":"1"},{"key":"b","value":"2","disabled":true},{"key":"c","value":"3"}]}))
            .as_deref(),
            Some("a=1&c=3")
        );
        assert_eq!(
            body(serde_json::json!({"mode":"formdata","formdata":[
                {"key":"f","type":"file","src":"x.bin"},{"key":"t","value":"v","type":"text"}]}))
            .as_deref(),
            Some("f: (file x.bin)\nt: v")
        );
        assert_eq!(body(serde_json::json!({"mode":"raw","raw":""})), None);
        assert_eq!(body(serde_json::json!({})), None);
    }
}
