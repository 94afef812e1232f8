//! Property tests: random secrets full of reserved characters, in random
//! text, through every encoding and charset; a small seeded generator, so a
//! failure reproduces.

use base64::Engine as _;

use super::*;

/// A small deterministic generator, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn text(&mut self, alphabet: &[char], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
}

/// Letters, digits and every character some encoding changes; no `*`,
/// which the mask itself is made of.
const ALPHABET: &[char] = &[
    'a', 'b', 'c', 'x', 'Y', 'Z', '0', '1', '7', 'e', 'f', 'u', 'n', ' ', ' ', '&', '<', '>', '"',
    '\'', '%', '+', '/', '=', '?', '#', ':', ';', '\\', '-', '.', '_', '~', '!', '(', ')', '[',
    ']', '@', ',', 'é', '€', '😀', '\t',
];

fn percent_encode(text: &str, rng: &mut Rng, plus: bool, lower: bool, every: bool) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let unreserved = c.is_ascii_alphanumeric() || "-._~".contains(c);
        // Some encoders leave some reserved characters alone; none
        // leaves `%` alone, nor `+` when it means a space.
        let must = c == '%' || (plus && c == '+') || !c.is_ascii() || c.is_ascii_control();
        if unreserved || !(every || must || rng.chance(50)) {
            out.push(c);
        } else if plus && c == ' ' {
            out.push('+');
        } else {
            for b in c.to_string().bytes() {
                if lower {
                    out.push_str(&format!("%{b:02x}"));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

fn xml_escape_text(text: &str, apos: &str, numeric: bool) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            _ if numeric && !c.is_ascii_alphanumeric() => out.push_str(&format!("&#{};", c as u32)),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str(apos),
            c => out.push(c),
        }
    }
    out
}

fn json_escape(text: &str, ascii: bool) -> String {
    let quoted = serde_json::to_string(text).unwrap();
    let inner = &quoted[1..quoted.len() - 1];
    if !ascii {
        return inner.to_owned();
    }
    let mut out = String::new();
    for c in inner.chars() {
        if c == '/' {
            out.push_str("\\/");
        } else if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// JavaScript's escapes: `\xNN` for what fits in two hex digits and
/// `\u{…}` for the rest, or `\u{…}` for all.
fn js_escape(text: &str, braces: bool) -> String {
    text.chars()
        .map(|c| match u32::from(c) {
            n if n <= 0xFF && !braces => format!("\\x{n:02x}"),
            n => format!("\\u{{{n:X}}}"),
        })
        .collect()
}

/// The encodings the property tests put text through: the first
/// [`ESCAPES`] are escapes a decoded view undoes, the rest forms a
/// secret's automaton knows.
const ENCODINGS: usize = 17;
const ESCAPES: usize = 11;

fn encode_as(encoding: usize, text: &str, rng: &mut Rng) -> String {
    match encoding {
        0 => text.to_owned(),
        1 => percent_encode(text, rng, false, false, true),
        2 => percent_encode(text, rng, false, true, true),
        3 => percent_encode(text, rng, true, false, true),
        4 => {
            let lower = rng.chance(50);
            percent_encode(text, rng, false, lower, false)
        }
        5 => xml_escape_text(text, "&apos;", false),
        6 => xml_escape_text(text, "&#39;", false),
        7 => xml_escape_text(text, "&#x27;", false),
        8 => xml_escape_text(text, "", true),
        9 => json_escape(text, false),
        10 => json_escape(text, true),
        11 => text.to_uppercase(),
        12 => text.to_lowercase(),
        13 => hex::encode(text),
        14 => hex::encode_upper(text),
        15 => js_escape(text, false),
        _ => js_escape(text, true),
    }
}

/// Random secrets full of reserved characters, in random text, through
/// every encoding: after redaction neither the secret nor its encoded
/// form is left.
#[test]
fn no_encoded_form_of_a_secret_survives() {
    use base64::engine::general_purpose::STANDARD;
    let mut rng = Rng(0x5EC2_E75E_ED00_0010);
    let mut cases = 0;
    for case in 0..300 {
        let len = 4 + rng.below(37);
        let mut secret = rng.text(ALPHABET, len);
        // Redaction trims a secret; keep the test's copy the same.
        secret = secret.trim().to_owned();
        if secret.chars().count() < MIN_LEN {
            continue;
        }
        let s = secrets(&[&secret]);
        // Every encoding, each time in new random text.
        for encoding in 0..ENCODINGS {
            let len = rng.below(30);
            let before = rng.text(ALPHABET, len);
            let len = rng.below(30);
            let after = rng.text(ALPHABET, len);
            let encode = |text: &str, rng: &mut Rng| encode_as(encoding, text, rng);
            // Each encoding works a character at a time, so the secret's
            // part of the text is its encoded form.
            let encoded_secret = encode(&secret, &mut rng);
            let text = format!(
                "{}{encoded_secret}{}",
                encode(&before, &mut rng),
                encode(&after, &mut rng)
            );
            let out = s.redact(&text);
            assert!(
                !out.contains(&secret) && !out.contains(&encoded_secret),
                "case {case}, encoding {encoding}: {secret:?} as {encoded_secret:?} in {text:?} -> {out:?}"
            );
            cases += 1;
        }

        // Cut short with `…` after at least MIN_LEN characters, as an
        // assertion message shows a long value, the cut falling inside
        // the next character's escape half the time.
        let starts: Vec<usize> = secret.char_indices().map(|(i, _)| i).collect();
        for encoding in (starts.len() > MIN_LEN)
            .then_some(0..ESCAPES)
            .into_iter()
            .flatten()
        {
            let cut = starts[MIN_LEN + rng.below(starts.len() - MIN_LEN)];
            let mut shown = encode_as(encoding, &secret[..cut], &mut rng);
            let next_char = secret[cut..].chars().next().unwrap().to_string();
            let next = encode_as(encoding, &next_char, &mut rng);
            if next.len() > 1 && next.is_ascii() && rng.chance(50) {
                shown.push_str(&next[..1 + rng.below(next.len() - 1)]);
            }
            let len = rng.below(30);
            let before = rng.text(ALPHABET, len);
            let text = format!(
                "expected '{}{shown}…' to deeply equal 'x'",
                encode_as(encoding, &before, &mut rng)
            );
            let out = s.redact(&text);
            assert!(
                !out.contains(&format!("{shown}…")) && !out.contains(&secret[..cut]),
                "case {case}, encoding {encoding}, cut short: {secret:?} as {shown:?} in {text:?} -> {out:?}"
            );
            cases += 1;
        }

        // Base64 in a Basic header, user names of every alignment.
        for _ in 0..4 {
            let len = rng.below(9);
            let user = rng.text(&['u', 's', 'r', '1', '.', '-'], len);
            let header = format!("Basic {}", STANDARD.encode(format!("{user}:{secret}")));
            let out = s.redact(&header);
            assert!(!out.contains(&secret), "case {case}: {header} -> {out}");
            for core in base64_cores(secret.as_bytes()) {
                let core = std::str::from_utf8(&core).unwrap();
                assert!(!out.contains(core), "case {case}: {header} -> {out}");
            }
            cases += 1;
        }
    }
    assert!(cases > 5000, "{cases}");
}

/// Multi-line secrets: each line long enough to mask is gone, wherever
/// it appears and however it is encoded.
#[test]
fn no_line_of_a_multi_line_secret_survives() {
    let mut rng = Rng(0x0D0C_0A0B_0001_0002);
    let letters: Vec<char> = ALPHABET.iter().copied().filter(|c| *c != ' ').collect();
    let mut cases = 0;
    for case in 0..400 {
        let lines: Vec<String> = (0..2 + rng.below(3))
            .map(|_| {
                let len = 1 + rng.below(12);
                rng.text(&letters, len)
            })
            .collect();
        let secret = lines.join(if rng.chance(50) { "\n" } else { "\r\n" });
        let s = secrets(&[&secret]);
        // One line at a time, raw and in each encoding.
        for encoding in 0..4 {
            let line = &lines[rng.below(lines.len())];
            let len = rng.below(20);
            let context = rng.text(ALPHABET, len);
            let (text, form) = match encoding {
                0 => (format!("{context}{line}{context}"), line.clone()),
                1 => {
                    let e = json_escape(line, false);
                    (format!("\"{}{e}\"", json_escape(&context, false)), e)
                }
                2 => {
                    let e = xml_escape_text(line, "&apos;", false);
                    (format!("<a>{e}</a>"), e)
                }
                _ => {
                    let e = percent_encode(line, &mut rng, false, false, true);
                    (format!("?q={e}&x"), e)
                }
            };
            let out = s.redact(&text);
            if line.trim().chars().count() >= MIN_LEN {
                assert!(
                    !out.contains(line.as_str()) && !out.contains(&form),
                    "case {case}: {secret:?} {text:?} -> {out:?}"
                );
                cases += 1;
            }
        }
        // The whole secret, as JSON escapes it.
        if secret.trim().chars().count() >= MIN_LEN {
            let whole = json_escape(&secret, false);
            let quoted = format!("\"{whole}\"");
            let out = s.redact(&quoted);
            assert!(!out.contains(&whole), "case {case}: {out}");
            cases += 1;
        }
    }
    assert!(cases > 1000, "{cases}");
}

/// Random secrets in a text of another charset (UTF-16 either way round,
/// Latin-1), as a body's bytes: nothing of them is left in the bytes, and
/// what is left still decodes.
#[test]
fn no_secret_survives_in_another_charset() {
    let mut rng = Rng(0xC4A2_5E75_0016_0001);
    let mut cases = 0;
    for case in 0..300 {
        let len = 4 + rng.below(30);
        let secret = rng.text(ALPHABET, len).trim().to_owned();
        if secret.chars().count() < MIN_LEN {
            continue;
        }
        let s = secrets(&[&secret]);
        let len = rng.below(30);
        let before = rng.text(ALPHABET, len);
        let len = rng.below(30);
        let after = rng.text(ALPHABET, len);
        let text = format!("{before}{secret}{after}");
        let latin1 =
            |t: &str| -> Option<Vec<u8>> { t.chars().map(|c| u8::try_from(c).ok()).collect() };
        type Encode = fn(&str) -> Option<Vec<u8>>;
        let charsets: [(&str, Encode); 3] = [
            ("utf-16le", |t| {
                Some(t.encode_utf16().flat_map(u16::to_le_bytes).collect())
            }),
            ("utf-16be", |t| {
                Some(t.encode_utf16().flat_map(u16::to_be_bytes).collect())
            }),
            ("latin-1", latin1),
        ];
        for (name, encode) in charsets {
            let (Some(bytes), Some(form)) = (encode(&text), encode(&secret)) else {
                continue;
            };
            let out = s.redact_bytes(&bytes).unwrap_or_else(|| bytes.clone());
            assert!(
                !out.windows(form.len()).any(|w| w == form.as_slice()),
                "case {case}, {name}: {secret:?} in {text:?}"
            );
            if name.starts_with("utf-16") {
                assert!(
                    out.len().is_multiple_of(2),
                    "case {case}, {name}: still UTF-16"
                );
            }
            cases += 1;
        }
    }
    assert!(cases > 500, "{cases}");
}

/// Random credential headers, named by every word of the rule in any case,
/// whose values (a token, a scheme and a token, a cookie, a signature) the
/// task learns from the collection: nothing recognisable of the token is
/// left in any encoding, and a token too short to mask in free text is
/// masked where it stands alone.
#[test]
fn no_credential_header_survives() {
    use crate::secrets::credentials::CREDENTIAL_WORDS;
    let mut rng = Rng(0x0C2E_D1A7_1A15_0019);
    let token_chars: Vec<char> = "abcXYZ0189-_.~+/=".chars().collect();
    let mut cases = 0;
    for case in 0..400 {
        let word = CREDENTIAL_WORDS[rng.below(CREDENTIAL_WORDS.len())];
        let word: String = word
            .chars()
            .map(|c| {
                if rng.chance(50) {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        let prefix = [
            "",
            "X-",
            "Ocp-Apim-Subscription-",
            "X-Amz-Security-",
            "Proxy-",
        ][rng.below(5)];
        let suffix = ["", "-Id", "-256", "s"][rng.below(4)];
        let name = format!("{prefix}{word}{suffix}");
        assert!(is_credential_header(&name), "{name}");
        let len = 1 + rng.below(30);
        let token = rng.text(&token_chars, len);
        let value = match rng.below(4) {
            0 => token.clone(),
            1 => format!("{} {token}", ["Bearer", "Token", "Basic"][rng.below(3)]),
            2 if name.to_ascii_lowercase().contains("cookie") => format!("sid={token}; lang=en"),
            2 => format!("Digest realm=\"r\", response=\"{token}\""),
            _ => format!("sha256={token}"),
        };
        let mut s = Secrets::default();
        s.extend_credentials(credential_parts(&name, &value).iter().map(String::as_str));
        if token.chars().count() < MIN_LEN {
            // A part too short to mask holds no secret by the rule.
            if value.contains('=') {
                continue;
            }
            let out = s.redact(&format!("got {token} here")).into_owned();
            assert_eq!(out, "got *** here", "case {case}: {name}: {value:?}");
            cases += 1;
            continue;
        }
        for encoding in 0..ENCODINGS {
            let len = rng.below(20);
            let context = rng.text(ALPHABET, len);
            let form = encode_as(encoding, &token, &mut rng);
            let text = format!(
                "{} {form} {}",
                encode_as(encoding, &context, &mut rng),
                context
            );
            let out = s.redact(&text);
            assert!(
                !out.contains(&form) && !out.contains(&token),
                "case {case}, encoding {encoding}: {name}: {value:?} as {form:?} in {text:?} -> {out:?}"
            );
            cases += 1;
        }
    }
    assert!(cases > 3000, "{cases}");
    for name in ["Content-Type", "Accept", "X-Request-Id", "Postman-Token"] {
        assert!(!is_credential_header(name), "{name}");
    }
}
