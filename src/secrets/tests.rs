//! Tests of masking as a whole: each form a secret takes, one by one, and
//! property tests that put random secrets through every form at once (see
//! [`properties`]).

use std::borrow::Cow;

use base64::Engine as _;

use super::*;
use crate::secrets::matcher::base64_cores;

mod properties;

/// Secrets holding `values`, each masked wherever it shows.
pub(crate) fn secrets(values: &[&str]) -> Secrets {
    let mut s = Secrets::default();
    for v in values {
        s.add(v);
    }
    s
}

#[test]
fn redacts_known_secrets() {
    let env = AgentEnv::from_pairs([
        ("SECRET_TOKEN", "s3cr3t-token"),
        ("SECRET_SHORT", "ab"),
        ("ENDPOINT_AUTH_PARAMETER_id_APITOKEN", "PMAK-123456"),
        ("PUBLIC", "visible"),
    ]);
    let s = Secrets::from_env(&env);
    assert_eq!(
        s.redact("GET /x?t=s3cr3t-token&k=PMAK-123456&ab&visible"),
        "GET /x?t=***&k=***&ab&visible"
    );
    assert!(matches!(s.redact("nothing"), Cow::Borrowed(_)));
    assert!(matches!(
        s.redact("100% &amp; \\n escapes+more"),
        Cow::Borrowed(_)
    ));
}

#[test]
fn debug_output_holds_no_value() {
    let s = secrets(&["s3cr3t-token"]);
    assert!(!format!("{s:?}").contains("s3cr3t"));
}

#[test]
fn url_encoded_forms() {
    let s = secrets(&["pass word1&<>\"é"]);
    for text in [
        "q=pass%20word1%26%3C%3E%22%C3%A9&x=1",
        "q=pass%20word1%26%3c%3e%22%c3%a9&x=1",
        "q=pass+word1%26%3C%3E%22%C3%A9&x=1",
        // Postman escapes only some characters.
        "q=pass%20word1%26<>%22é&x=1",
    ] {
        assert_eq!(s.redact(text), "q=***&x=1", "{text}");
    }
    // A `+` that is itself, next to `%20`.
    let s = secrets(&["a+b c!"]);
    assert_eq!(s.redact("x=a+b%20c%21"), "x=***");
    assert_eq!(s.redact("x=a%2Bb+c%21"), "x=***");
}

#[test]
fn xml_and_html_escaped_forms() {
    let s = secrets(&["it's <a&b> \"x\""]);
    for text in [
        "<f m=\"it&apos;s &lt;a&amp;b&gt; &quot;x&quot;\"/>",
        "<f m=\"it&#39;s &lt;a&amp;b&gt; &quot;x&quot;\"/>",
        "<f m=\"it&#x27;s &lt;a&amp;b&gt; &quot;x&quot;\"/>",
        "<f m=\"it&#X27;s &#60;a&#38;b&#62; &#34;x&#34;\"/>",
        "<f>it's &lt;a&amp;b&gt; \"x\"</f>",
    ] {
        let out = s.redact(text);
        assert!(
            out.contains("***") && !out.contains("it"),
            "{text} -> {out}"
        );
    }
}

#[test]
fn json_escaped_forms() {
    let s = secrets(&["a\"b\\c/d\té€"]);
    for text in [
        r#"{"k":"a\"b\\c/d\té€"}"#,
        r#"{"k":"a\"b\\c\/d\t\u00e9\u20ac"}"#,
        r#"{"k":"a\u0022b\u005Cc\u002fd\u0009\u00E9\u20AC"}"#,
    ] {
        assert_eq!(s.redact(text), r#"{"k":"***"}"#, "{text}");
    }
    let s = secrets(&["smile😀now"]);
    assert_eq!(s.redact(r#""smile\ud83d\ude00now""#), r#""***""#);
    // A lone surrogate is left as it is.
    assert!(matches!(s.redact(r#""\ud83d x""#), Cow::Borrowed(_)));
}

#[test]
fn mixed_and_double_escapes() {
    let s = secrets(&["pass word\"1"]);
    // A URL encoder that leaves `"` alone, inside JSON.
    assert_eq!(s.redact(r#""q=pass%20word\"1""#), r#""q=***""#);
    // JSON inside XML.
    assert_eq!(s.redact("<x>pass word\\&quot;1</x>"), "<x>***</x>");
    // Percent-encoded twice.
    assert_eq!(s.redact("q=pass%2520word%25221"), "q=***");
    // A secret that looks like an escape of another encoding.
    let s = secrets(&["50%41\"x"]);
    assert_eq!(s.redact(r#"{"k":"50%41\"x"}"#), r#"{"k":"***"}"#);
}

#[test]
fn base64_in_a_basic_header_at_every_alignment() {
    use base64::engine::general_purpose::STANDARD;
    let secret = "pa:ss wörd";
    let s = secrets(&[secret]);
    for user in ["", "u", "us", "use", "user", "u:"] {
        let header = STANDARD.encode(format!("{user}:{secret}"));
        let text = format!("Authorization: Basic {header}\n");
        let out = s.redact(&text);
        assert!(out.contains("***"), "{user}: {out}");
        for core in base64_cores(secret.as_bytes()) {
            assert!(!out.contains(std::str::from_utf8(&core).unwrap()));
        }
    }
    // The secret as the user name, before the colon.
    let header = STANDARD.encode(format!("{secret}:x"));
    assert!(s.redact(&header).contains("***"));
}

#[test]
fn each_line_of_a_multi_line_secret() {
    let s = secrets(&["-----BEGIN KEY-----\r\nMIIEvQIBADAN\nab\n-----END KEY-----\n"]);
    assert_eq!(
        s.redact("first MIIEvQIBADAN then -----END KEY----- and ab"),
        "first *** then *** and ab"
    );
    assert_eq!(
        s.redact("-----BEGIN KEY-----\nMIIEvQIBADAN\nab\n-----END KEY-----"),
        "***\n***\nab\n***"
    );
    assert_eq!(s.redact(r#""MIIEvQIBADAN\nab""#), r#""***\nab""#);
}

#[test]
fn a_secret_cut_short_is_masked_up_to_the_cut() {
    let s = secrets(&["pass word1&<>\"'é and more to come"]);
    for (text, masked) in [
        (
            "expected 'pass word1&<>\"'é and…' to equal 'x'",
            "expected '***' to equal 'x'",
        ),
        (
            "expected '/echo?token=pass%20word1&%3C%3E%22%27%C3%A9…' to equal",
            "expected '/echo?token=***' to equal",
        ),
        // Cut inside an escape.
        (
            "expected 'pass%20word1%2…' to equal",
            "expected '***' to equal",
        ),
        (
            r#""expected 'pass word1&<>\"'\u00…'""#,
            r#""expected '***'""#,
        ),
        ("<f m=\"'pass word1&am…'\"/>", "<f m=\"'***'\"/>"),
        (r#""cut 'pass word1\u2026'""#, r#""cut '***'""#),
    ] {
        assert_eq!(s.redact(text), masked, "{text}");
    }
    // Too short a prefix to mask, and a prefix with no cut.
    assert_eq!(s.redact("pas… pass word"), "pas… pass word");
}

#[test]
fn pieces_a_url_parser_splits_off() {
    let s = secrets(&["pass word1&<>\"'é#frag", "a&bc"]);
    let report = r#"{"query":[{"key":"token","value":"pass%20word1"},{"key":"%3C%3E%22%27%C3%A9","value":null}],"hash":"frag"}"#;
    assert_eq!(
        s.redact(report),
        r#"{"query":[{"key":"token","value":"***"},{"key":"***","value":null}],"hash":"***"}"#
    );
    // Pieces too short to mask are left.
    assert_eq!(s.redact("a and bc"), "a and bc");
}

#[test]
fn overlapping_secrets_are_masked_whole() {
    let s = secrets(&["abcdef", "defghi", "cdXYZ-secret"]);
    assert_eq!(s.redact("..abcdefghi.."), "..***..");
    assert_eq!(s.redact("abcdXYZ-secret!"), "ab***!");
}

#[test]
fn short_secrets_are_named_not_masked() {
    let env = AgentEnv::from_pairs([
        ("SECRET_API_PIN", "12"),
        ("SECRET_OTHER", " 9 "),
        ("SECRET_EMPTY", ""),
        ("SECRET_LONG", "long-enough"),
        (
            "VSTS_SECRET_VARIABLES",
            r#"["api.pin","Other","long","empty"]"#,
        ),
    ]);
    let s = Secrets::from_env(&env);
    assert_eq!(s.unmasked_names(), ["api.pin", "Other"]);
    let warning = s.unmasked_warning().unwrap();
    assert!(
        !warning.contains("12") && !warning.contains('9'),
        "{warning}"
    );
    insta::assert_snapshot!(warning, @"Secret variables `api.pin` and `Other` are shorter than 4 characters, too short to mask: masking so short a value would garble every report and hide nothing. They are not removed from the JUnit file, the summary or the copied reports; use longer secrets.");
    assert_eq!(s.redact("pin 12"), "pin 12");
    let one = Secrets::from_env(&AgentEnv::from_pairs([("SECRET_X", "abc")]));
    assert_eq!(
        one.unmasked_warning().unwrap().split(',').next().unwrap(),
        "Secret variable `X` is shorter than 4 characters"
    );
    assert_eq!(Secrets::default().unmasked_warning(), None);
}

#[test]
fn short_credentials_are_masked_as_whole_values_only() {
    let mut s = Secrets::default();
    s.extend_credentials(["ab1", " long-credential ", ""]);
    assert_eq!(
        s.redact("Bearer ab1, tab1e, \"ab1\", long-credential"),
        "Bearer ***, tab1e, \"***\", ***"
    );
    assert!(s.contains_secret("x long%2Dcredential"));
    // Too short to refuse an input for.
    assert!(!s.contains_secret("ab1"));
}
