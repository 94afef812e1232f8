//! Which headers and auth fields hold credentials, and the parts of a
//! credential header's value that show up on their own.
//!
//! A header is a credential when its name holds one of [`CREDENTIAL_WORDS`],
//! in any case (`Authorization`, `X-Auth-Token`, `Ocp-Apim-Subscription-Key`,
//! `X-Amz-Security-Token`, `Set-Cookie`, `X-Hub-Signature-256`), except
//! `Postman-Token`, a random request id the Postman runtime adds to every
//! request. An auth block's secret fields are named per type in
//! [`AUTH_SECRET_FIELDS`]; a type not listed there has its fields judged by
//! the same words.

use super::MIN_LEN;

/// Words whose presence in a header's name makes it a credential header.
pub(crate) const CREDENTIAL_WORDS: &[&str] = &[
    "authorization",
    "token",
    "key",
    "secret",
    "password",
    "cookie",
    "session",
    "signature",
];

/// Headers whose names hold a credential word but whose values are not
/// credentials.
const NOT_CREDENTIALS: &[&str] = &["postman-token"];

/// The fields of each auth type (Postman's v2.1 `auth.<type>` arrays, v3's
/// `auth.credentials`) that hold secrets. Names, URLs, algorithms and where
/// a key goes are not secrets; a user name is not one either, and it shows
/// in every report.
pub(crate) const AUTH_SECRET_FIELDS: &[(&str, &[&str])] = &[
    ("apikey", &["value"]),
    ("asap", &["privateKey"]),
    ("awsv4", &["accessKey", "secretKey", "sessionToken"]),
    ("basic", &["password"]),
    ("bearer", &["token"]),
    ("digest", &["password"]),
    ("edgegrid", &["accessToken", "clientToken", "clientSecret"]),
    ("hawk", &["authKey"]),
    ("jwt", &["secret", "privateKey"]),
    ("ntlm", &["password"]),
    (
        "oauth1",
        &["consumerSecret", "token", "tokenSecret", "privateKey"],
    ),
    (
        "oauth2",
        &[
            "accessToken",
            "refreshToken",
            "idToken",
            "clientSecret",
            "password",
        ],
    ),
];

/// Whether a header of this name carries a credential.
pub(crate) fn is_credential_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    !NOT_CREDENTIALS.contains(&name.as_str()) && CREDENTIAL_WORDS.iter().any(|w| name.contains(w))
}

/// Whether the field `key` of an auth block of type `kind` holds a secret.
pub(crate) fn is_auth_secret(kind: &str, key: &str) -> bool {
    match AUTH_SECRET_FIELDS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(kind.trim()))
    {
        Some((_, fields)) => fields.iter().any(|f| f.eq_ignore_ascii_case(key)),
        None => {
            // An auth type this table does not know: a field named like a
            // credential, unless it names where or how one is used.
            let key = key.to_ascii_lowercase();
            let about = ["url", "type", "name", "to", "prefix", "in", "algorithm"];
            CREDENTIAL_WORDS.iter().any(|w| key.contains(w))
                && !about.iter().any(|a| key.ends_with(a))
        }
    }
}

/// Keys of a credential header's `name=value` parts whose values are
/// secrets, besides those named with a credential word: a hash naming a
/// signature (`X-Hub-Signature: sha256=…`, `Stripe-Signature: t=…,v1=…`),
/// Digest's `response`, Hawk's `mac`.
const SECRET_PART_KEYS: &[&str] = &["sha1", "sha256", "sha512", "md5", "v1", "response", "mac"];

/// A credential header's value and the parts of it that show up alone: the
/// token after a scheme (`Bearer`, `Basic`, `Token`…), each cookie's value,
/// and the values of secret `name=value` parts (see [`SECRET_PART_KEYS`]).
/// Parts shorter than [`MIN_LEN`] are left out: `theme=a` holds no secret,
/// and masking every `a` would garble the run.
pub(crate) fn credential_parts(name: &str, value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |v: &str| {
        let v = v.trim();
        if !v.is_empty() && !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    };
    push(value);
    let lower = name.trim().to_ascii_lowercase();
    let cookie = lower.contains("cookie");
    if let Some((scheme, token)) = value.trim().split_once(' ')
        && !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        push(token);
    }
    // Attributes (`Path=/`) after a set cookie's first `;` are not secret.
    let parts = match lower.starts_with("set-") {
        true => value.split(';').next().unwrap_or_default(),
        false => value,
    };
    for part in parts.split([';', ',', ' ']) {
        if let Some((key, v)) = part.split_once('=') {
            let key = key.trim().to_ascii_lowercase();
            let v = v.trim().trim_matches('"');
            let secret = cookie
                || SECRET_PART_KEYS.contains(&key.as_str())
                || CREDENTIAL_WORDS.iter().any(|w| key.contains(w));
            if secret && v.chars().count() >= MIN_LEN {
                push(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_by_rule() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "x-Api-Key",
            "X-Auth-Token",
            "Ocp-Apim-Subscription-Key",
            "X-Amz-Security-Token",
            "Cookie",
            "Set-Cookie",
            "X-Session-Id",
            "X-Hub-Signature-256",
            "X-Client-Secret",
            "DB-PASSWORD",
        ] {
            assert!(is_credential_header(name), "{name}");
        }
        for name in [
            "Content-Type",
            "Accept",
            "Postman-Token",
            "Keep-Alive",
            "Host",
        ] {
            assert!(!is_credential_header(name), "{name}");
        }
    }

    #[test]
    fn auth_fields_by_type() {
        assert!(is_auth_secret("basic", "password"));
        assert!(!is_auth_secret("basic", "username"));
        assert!(is_auth_secret("apikey", "value"));
        assert!(!is_auth_secret("apikey", "key"));
        assert!(is_auth_secret("oauth2", "accessToken"));
        assert!(!is_auth_secret("oauth2", "accessTokenUrl"));
        assert!(!is_auth_secret("oauth2", "addTokenTo"));
        // A type the table does not know.
        assert!(is_auth_secret("futureauth", "apiSecret"));
        assert!(!is_auth_secret("futureauth", "tokenUrl"));
    }

    #[test]
    fn parts_of_a_credential_header() {
        assert_eq!(
            credential_parts("Authorization", "Bearer tok-1"),
            ["Bearer tok-1", "tok-1"]
        );
        assert_eq!(credential_parts("X-Api-Key", "abc"), ["abc"]);
        assert_eq!(
            credential_parts("Cookie", "sid=abcdef; theme=a"),
            ["sid=abcdef; theme=a", "abcdef"]
        );
        assert_eq!(
            credential_parts("Set-Cookie", "sid=s3ss10n; Path=/; HttpOnly"),
            ["sid=s3ss10n; Path=/; HttpOnly", "s3ss10n"]
        );
        // A value with spaces that is not a scheme and a token.
        assert_eq!(credential_parts("X-Key", "a, b c"), ["a, b c"]);
        assert_eq!(
            credential_parts("X-Hub-Signature", "sha256=5d4c3b2a"),
            ["sha256=5d4c3b2a", "5d4c3b2a"]
        );
        let digest = r#"Digest username="u", uri="/echo", response="6629fae49393""#;
        assert_eq!(
            credential_parts("Authorization", digest),
            [digest, &digest[7..], "6629fae49393"]
        );
    }
}
