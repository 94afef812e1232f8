//! The secret values a task run knows about, and their removal from
//! everything we write and print.
//!
//! The agent masks registered secrets in the log, but the JUnit file, the
//! summary and the copied CLI reports are uploaded as they are, and a request
//! URL, a header or an error message can carry a secret the collection used.
//! There a secret is seldom written as it was typed: a URL holds it
//! percent-encoded (`%20` or `+` for a space), XML and HTML hold it escaped,
//! JSON and JavaScript hold it with backslash escapes, a Basic authorization
//! header holds it in base64, a script may print it in hex or upper case, a
//! UTF-16 body holds it NUL-interleaved, a multi-line secret may show up one
//! line at a time, a URL parser splits one put unencoded in a query at `&`,
//! and an assertion message cuts a long one short with `…`.
//!
//! By concern: [`matcher`] finds every form of every secret in one pass of
//! an automaton (forms that are not escapes: case, hex, UTF-16, Latin-1,
//! base64, cut short); [`decode`] undoes escapes into views that map back to
//! the text; [`json`] masks a JSON document in place; [`credentials`] says
//! which headers and auth fields hold credentials; [`wrapped`] masks across
//! the places a tool wrapped its lines.
//!
//! So [`Secrets::redact`] looks for every secret in the text as written and
//! in the text as each escape decodes it, maps what it finds back to the
//! original bytes, and masks those. Decoding the text, rather than listing
//! escaped forms of each secret, also catches encoders that escape only
//! some characters, upper- or lower-case hex, and mixtures (a URL with a
//! JSON-escaped quote in it). Every text goes through it before it is
//! escaped for XML or markdown, and every line the task prints goes through
//! it (see [`crate::console::Console::set_masker`]); the CLI's own JSON
//! report, which we copy as it is, goes through [`Secrets::redact_json`].
//! Every cost is linear in the text.
//!
//! **The length rule.** A secret of at least [`MIN_LEN`] characters is
//! masked wherever it shows. A credential the task learns (a credential
//! header's value, the token after `Bearer`, a secret field of an auth
//! block) is masked whatever its length, but when shorter than that only
//! where it stands as a whole value, between characters that cannot be part
//! of a token. A secret variable shorter than [`MIN_LEN`] is named in a
//! warning and not masked in free text.

mod credentials;
mod decode;
mod json;
mod matcher;
#[cfg(test)]
pub(crate) mod tests;
mod wrapped;

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

pub(crate) use credentials::{credential_parts, is_auth_secret, is_credential_header};
use decode::{Escapes, View, decode};
use matcher::{Mask, Matcher};
pub(crate) use wrapped::Wrapped;

use crate::azure::agent::{AgentEnv, env_name};

/// Secrets shorter than this (in characters) are not masked in free text:
/// masking every `1` in a report would make it unreadable and protect
/// nothing. Secret variables that short are named instead (see
/// [`Secrets::unmasked_warning`]); credentials that short are masked as
/// whole values only.
pub(crate) const MIN_LEN: usize = 4;

/// What a secret is replaced with.
const MASK: &str = "***";

#[derive(Clone, Default)]
pub(crate) struct Secrets {
    /// Whole values, trimmed, masked wherever they show.
    values: Vec<String>,
    /// Credentials shorter than [`MIN_LEN`], masked as whole values.
    whole: Vec<String>,
    /// Names of secret variables too short to mask; never their values.
    unmasked: Vec<String>,
    matcher: Matcher,
}

/// A derived `Debug` would print the values.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("values", &self.values.len())
            .field("whole", &self.whole.len())
            .field("unmasked", &self.unmasked)
            .finish()
    }
}

impl Secrets {
    /// Secret pipeline variables (`SECRET_*`) and service connection
    /// credentials (`ENDPOINT_AUTH_PARAMETER_*`), as the agent passes them.
    pub(crate) fn from_env(env: &AgentEnv) -> Secrets {
        let mut s = Secrets::default();
        // The agent lists the secret variables' own names; the environment
        // only has them upper-cased with `.` turned into `_`.
        let names: Vec<String> = env
            .get("VSTS_SECRET_VARIABLES")
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default();
        for (key, value) in env.with_prefix("SECRET_") {
            let len = value.trim().chars().count();
            if len > 0 && len < MIN_LEN {
                let key = &key["SECRET_".len()..];
                let name = names
                    .iter()
                    .find(|n| env_name(n) == key)
                    .cloned()
                    .unwrap_or_else(|| key.to_owned());
                if !s.unmasked.contains(&name) {
                    s.unmasked.push(name);
                }
            }
        }
        s.extend(
            env.with_prefix("SECRET_")
                .chain(env.with_prefix("ENDPOINT_AUTH_PARAMETER_"))
                .map(|(_, v)| v),
        );
        s
    }

    #[cfg(test)]
    pub(crate) fn add(&mut self, value: &str) {
        self.extend([value]);
    }

    /// Secrets masked wherever they show; those shorter than [`MIN_LEN`]
    /// are left out.
    pub(crate) fn extend<'v>(&mut self, values: impl IntoIterator<Item = &'v str>) {
        let before = self.values.len();
        let mut known: HashSet<String> = self.values.iter().cloned().collect();
        for value in values {
            let value = value.trim();
            if value.chars().count() >= MIN_LEN && known.insert(value.to_owned()) {
                self.values.push(value.to_owned());
            }
        }
        if self.values.len() != before {
            self.rebuild();
        }
    }

    /// Credentials: masked wherever they show, or as whole values only when
    /// shorter than [`MIN_LEN`].
    pub(crate) fn extend_credentials<'v>(&mut self, values: impl IntoIterator<Item = &'v str>) {
        let (long, short): (Vec<&str>, Vec<&str>) = values
            .into_iter()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .partition(|v| v.chars().count() >= MIN_LEN);
        let before = self.whole.len();
        let mut known: HashSet<&str> = self.whole.iter().map(String::as_str).collect();
        let short: Vec<&str> = short.into_iter().filter(|v| known.insert(v)).collect();
        self.whole.extend(short.into_iter().map(str::to_owned));
        if self.whole.len() != before {
            self.rebuild();
        }
        self.extend(long);
    }

    /// How far a secret may reach in a text, in bytes: its longest form,
    /// escaped (`\u0041` takes six bytes for one), bounded.
    pub(crate) fn reach(&self) -> usize {
        (self.matcher.longest() * 6 + 64).min(16 * 1024)
    }

    /// Whether there is nothing to mask.
    pub(crate) fn is_empty(&self) -> bool {
        self.matcher.is_empty()
    }

    /// Names of the secret variables too short to be masked.
    pub(crate) fn unmasked_names(&self) -> &[String] {
        &self.unmasked
    }

    /// The warning that names the secrets we cannot mask, if there are any.
    pub(crate) fn unmasked_warning(&self) -> Option<String> {
        let names: Vec<String> = self
            .unmasked_names()
            .iter()
            .map(|n| format!("`{n}`"))
            .collect();
        let (subject, verb, it, secret) = match names.as_slice() {
            [] => return None,
            [one] => (
                format!("Secret variable {one}"),
                "is",
                "It is",
                "a longer secret",
            ),
            [rest @ .., last] => (
                format!("Secret variables {} and {last}", rest.join(", ")),
                "are",
                "They are",
                "longer secrets",
            ),
        };
        Some(format!(
            "{subject} {verb} shorter than {MIN_LEN} characters, too short to mask: \
             masking so short a value would garble every report and hide nothing. \
             {it} not removed from the JUnit file, the summary or the copied reports; \
             use {secret}."
        ))
    }

    /// Whether `text` holds a secret in any form; a credential too short to
    /// mask in free text does not count.
    pub(crate) fn contains_secret(&self, text: &str) -> bool {
        !self.spans(text.as_bytes(), false).is_empty()
    }

    /// The text with every secret masked in every form we know; borrowed
    /// when there is none.
    pub(crate) fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let spans = self.text_spans(text);
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let out = apply(text.as_bytes(), spans);
        // Every mask is ASCII and every span whole characters.
        Cow::Owned(
            String::from_utf8(out)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )
    }

    /// Byte ranges of `text` that hold a secret in any form, on character
    /// boundaries; unsorted and possibly overlapping.
    pub(crate) fn ranges(&self, text: &str) -> Vec<Range<usize>> {
        self.text_spans(text).into_iter().map(|(r, _)| r).collect()
    }

    /// [`Secrets::spans`] of a text, widened to whole characters. A span
    /// found in a decoded view covers whole escapes, so it falls on
    /// character boundaries already; the widening is only a safety net.
    fn text_spans(&self, text: &str) -> Vec<(Range<usize>, Mask)> {
        self.spans(text.as_bytes(), true)
            .into_iter()
            .map(|(r, mask)| {
                let (mut start, mut end) = (r.start, r.end);
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                (start..end, mask)
            })
            .collect()
    }

    /// Bytes with every secret masked, or `None` when there is none.
    fn redact_bytes(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let spans = self.spans(bytes, true);
        (!spans.is_empty()).then(|| apply(bytes, spans))
    }

    fn rebuild(&mut self) {
        self.matcher = Matcher::new(&self.values, &self.whole);
    }

    /// Byte ranges of `text` that hold a secret, in any form, with the mask
    /// each takes; unsorted and possibly overlapping. Short credentials
    /// count only when `whole` says so.
    fn spans(&self, text: &[u8], whole: bool) -> Vec<(Range<usize>, Mask)> {
        let mut spans = Vec::new();
        if self.is_empty() {
            return spans;
        }
        self.matcher
            .find(text, whole, &mut |r, mask| spans.push((r, mask)));
        let has = |byte: u8| text.contains(&byte);
        let kinds: Vec<Escapes> = [
            (has(b'%'), Escapes::PERCENT),
            (has(b'&'), Escapes::XML),
            (has(b'\\'), Escapes::BACKSLASH),
        ]
        .into_iter()
        .filter_map(|(present, kind)| present.then_some(kind))
        .collect();
        // What a view decoded is masked as text: the escapes it came from
        // are text.
        let mut in_view = |view: &View, outer: Option<&View>| {
            self.matcher.find(&view.bytes, whole, &mut |r, _| {
                let r = view.source(r);
                spans.push((outer.map_or(r.clone(), |o| o.source(r)), Mask::Text));
            });
        };
        // Each encoding on its own: a secret that holds what looks like
        // another encoding's escape (`%41` in a JSON-escaped text) is only
        // found when that other escape is left alone.
        if kinds.len() > 1 {
            for kind in &kinds {
                let view = decode(text, *kind);
                if !view.units.is_empty() {
                    in_view(&view, None);
                }
            }
        }
        // All of them at once, for mixtures, and twice, for a text escaped
        // twice (JSON inside XML, `%2520`).
        if !kinds.is_empty() {
            let once = decode(text, Escapes::ALL);
            if !once.units.is_empty() {
                in_view(&once, None);
                let twice = decode(&once.bytes, Escapes::ALL);
                if !twice.units.is_empty() {
                    in_view(&twice, Some(&once));
                }
            }
        }
        // `+` for a space only where a form encoder put it: a `+` in a
        // `%20`-encoded URL is itself.
        if has(b'+') {
            let view = decode(text, Escapes::FORM);
            if !view.units.is_empty() {
                in_view(&view, None);
            }
        }
        spans
    }
}

/// `bytes` with each span replaced by its mask; overlapping and touching
/// spans are masked as one, with the first one's mask.
fn apply(bytes: &[u8], mut spans: Vec<(Range<usize>, Mask)>) -> Vec<u8> {
    spans.sort_by_key(|(r, _)| (r.start, r.end));
    let mut merged: Vec<(Range<usize>, Mask)> = Vec::with_capacity(spans.len());
    for (r, mask) in spans {
        match merged.last_mut() {
            Some((last, _)) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push((r, mask)),
        }
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut last = 0;
    for (mut r, mask) in merged {
        // A UTF-16 text stays whole code units: a span of the other byte
        // order, one byte off, may have joined this one.
        if mask != Mask::Text && r.len() % 2 == 1 && r.end < bytes.len() {
            r.end += 1;
        }
        let start = r.start.max(last);
        if r.end <= start {
            continue;
        }
        out.extend_from_slice(&bytes[last..start]);
        out.extend_from_slice(mask.bytes());
        last = r.end;
    }
    out.extend_from_slice(&bytes[last..]);
    out
}
