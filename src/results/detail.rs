//! The requests' detail made safe to attach: credential headers shown as
//! `***`, every known secret masked in URLs, messages, headers and bodies,
//! and each body cut to [`BODY_CAP`] after masking, so a secret the cut
//! would split is masked whole.

use std::borrow::Cow;

use crate::report::detail::{BODY_CAP, cut};
use crate::report::model::{Message, RequestDetail};
use crate::secrets::{Secrets, is_credential_header};

const MASK: &str = "***";

pub(super) fn redact(details: &mut [RequestDetail], secrets: &Secrets) {
    let r = |s: &mut String| {
        if let Cow::Owned(clean) = secrets.redact(s) {
            *s = clean;
        }
    };
    for d in details {
        r(&mut d.path);
        r(&mut d.url);
        if let Some(text) = &mut d.status_text {
            r(text);
        }
        for a in &mut d.assertions {
            r(&mut a.name);
            if let Some(m) = &mut a.message {
                r(m);
            }
        }
        for (_, message) in &mut d.errors {
            r(message);
        }
        for m in [&mut d.request, &mut d.response].into_iter().flatten() {
            message(m, secrets);
        }
    }
}

fn message(m: &mut Message, secrets: &Secrets) {
    for (name, value) in &mut m.headers {
        if is_credential_header(name) {
            if !value.is_empty() {
                *value = MASK.to_owned();
            }
        } else if let Cow::Owned(clean) = secrets.redact(value) {
            *value = clean;
        }
        if let Cow::Owned(clean) = secrets.redact(name) {
            *name = clean;
        }
    }
    if let Some(body) = m.body.take() {
        let body = match secrets.redact(&body) {
            Cow::Owned(clean) => clean,
            Cow::Borrowed(_) => body,
        };
        let (body, was_cut) = cut(body, BODY_CAP);
        m.body_truncated |= was_cut;
        m.body = Some(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Assertion, AssertionStatus};

    #[test]
    fn credential_headers_and_secrets_are_masked_and_bodies_cut_after() {
        let mut secrets = Secrets::default();
        secrets.extend(["s3cr3t-value", "tok-123456"]);
        let long = format!("{}s3cr3t-value tail", "x".repeat(BODY_CAP - 5));
        let mut details = vec![RequestDetail {
            url: "http://api/x?key=s3cr3t-value".into(),
            assertions: vec![Assertion {
                name: "t".into(),
                status: AssertionStatus::Failed,
                message: Some("expected 's3cr3t-value' to equal 1".into()),
            }],
            request: Some(Message {
                headers: vec![
                    ("Authorization".into(), "Bearer whatever".into()),
                    ("X-Trace".into(), "tok-123456".into()),
                ],
                body: Some(long),
                body_truncated: false,
                size: 1,
            }),
            ..RequestDetail::default()
        }];
        redact(&mut details, &secrets);
        let d = &details[0];
        assert_eq!(d.url, "http://api/x?key=***");
        assert_eq!(
            d.assertions[0].message.as_deref(),
            Some("expected '***' to equal 1")
        );
        let req = d.request.as_ref().unwrap();
        assert_eq!(req.headers[0].1, "***");
        assert_eq!(req.headers[1].1, "***");
        let body = req.body.as_deref().unwrap();
        assert!(req.body_truncated);
        assert_eq!(body.len(), BODY_CAP);
        // The secret straddled the cap: masked whole before the cut.
        assert!(!body.contains("s3cr"));
        assert!(body.ends_with("x*** t"), "{}", &body[body.len() - 10..]);
    }
}
