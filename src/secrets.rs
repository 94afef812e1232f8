//! The secret values a task run knows about, and their removal from
//! everything we write.
//!
//! The agent masks registered secrets in the log, but the JUnit file and the
//! summary are uploaded as they are, and a request URL or an error message
//! can carry a secret the collection used. So every text that goes into
//! those files passes through [`Secrets::redact`].

use std::borrow::Cow;

use crate::azure::agent::AgentEnv;

/// Secrets shorter than this are not redacted: masking every `1` in a
/// report would make it unreadable and protect nothing.
const MIN_LEN: usize = 4;

#[derive(Clone, Debug, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// Secret pipeline variables (`SECRET_*`) and service connection
    /// credentials (`ENDPOINT_AUTH_PARAMETER_*`), as the agent passes them.
    pub fn from_env(env: &AgentEnv) -> Secrets {
        let mut s = Secrets::default();
        for (_, v) in env
            .with_prefix("SECRET_")
            .chain(env.with_prefix("ENDPOINT_AUTH_PARAMETER_"))
        {
            s.add(v);
        }
        s
    }

    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.len() >= MIN_LEN && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_owned());
            // Longest first, so a secret containing another is masked whole.
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    pub fn contains_secret(&self, text: &str) -> bool {
        self.values.iter().any(|v| text.contains(v.as_str()))
    }

    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.contains_secret(text) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_owned();
        for v in &self.values {
            out = out.replace(v.as_str(), "***");
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
