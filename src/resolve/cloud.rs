//! Talking to Postman's cloud: which API key the runs use (a service
//! connection or a secret), why they need one, and the settings that tie
//! runs to an integration, with warnings for settings that would silently
//! do nothing.

use std::time::Duration;

use reqwest::header::HeaderName;

use crate::azure::agent::AgentEnv;
use crate::http::fetch::{Get, Quiet, get_bytes};
use crate::inputs::{Field, Secret};
use crate::knobs::Knobs;
use crate::plan::{CloudPlan, InputError, InputErrorKind, Plan, Region};
use crate::resolve::{self, Resource};

/// How the runs talk to Postman's cloud.
#[derive(Clone, Debug)]
pub(crate) struct CloudContext {
    /// The Postman API key, given to the CLI as `POSTMAN_API_KEY` only.
    pub(crate) api_key: Option<Secret>,
    /// `--integration-id`: the integration ID, with this build's ID.
    pub(crate) integration: Option<String>,
    pub(crate) region: Region,
    /// `timeoutMinutes`.
    pub(crate) run_limit: Option<Duration>,
    /// How long the CLI may take to exit once its reports are written (it
    /// is uploading then, and its upload has no timeout of its own).
    pub(crate) upload_grace: Duration,
    /// v3 runs write the CLI's YAML run report (`--output`): the key's team
    /// is allowed it (see [`output_allowed`]).
    pub(crate) yaml_report: bool,
}

/// The Postman API key: from the service connection, or given directly.
pub(crate) fn postman_key(cloud: &CloudPlan, env: &AgentEnv) -> Result<Option<Secret>, InputError> {
    if let Some(key) = &cloud.api_key {
        return Ok(Some(key.clone()));
    }
    let Some(id) = &cloud.connection else {
        return Ok(None);
    };
    // The agent names the variables after the endpoint's GUID in its own
    // (lower-case) spelling, whatever the input's.
    let id = id.trim();
    let key = env
        .endpoint_auth_parameter(&id.to_ascii_lowercase(), "apitoken")
        .or_else(|| env.endpoint_auth_parameter(id, "apitoken"))
        .filter(|k| !k.trim().is_empty());
    match key {
        Some(k) => Ok(Some(Secret::new(k.trim()))),
        None => Err(InputError::new(
            Field::PostmanConnection,
            InputErrorKind::NoKeyInConnection { id: id.to_owned() },
        )),
    }
}

/// Why the runs need a Postman API key, if they do.
pub(crate) fn key_needed(plan: &Plan, resolved: &resolve::Resolved) -> Option<String> {
    if let Some(run) = resolved
        .runs
        .iter()
        .find(|r| matches!(r.source, resolve::CollectionSource::Uid(_)))
    {
        return Some(format!(
            "collection `{}` is a Postman UID, which the Postman CLI fetches with a key",
            run.display
        ));
    }
    if let Some(env) = resolved
        .environments
        .iter()
        .find(|e| matches!(e.resource, Resource::Uid(_)))
    {
        return Some(format!(
            "environment `{}` is a Postman UID, which the Postman CLI fetches with a key",
            env.display
        ));
    }
    if plan.cloud.integration_id.is_some() {
        return Some("integrationId asks for the runs to be reported to Postman".into());
    }
    if plan.lint.is_some() {
        return Some("apiLint needs one to fetch your team's governance and security rules".into());
    }
    None
}

/// The cloud settings the runs use, with warnings for settings that would
/// silently do nothing.
pub(crate) fn cloud_context(
    env: &AgentEnv,
    knobs: &Knobs,
    plan: &Plan,
    resolved: &resolve::Resolved,
    api_key: Option<Secret>,
) -> (CloudContext, Vec<String>) {
    let mut warnings = Vec::new();
    if let Some(key) = &api_key
        && !looks_like_postman_key(key.expose())
    {
        warnings.push("The Postman API key does not look like one (PMAK-…); the Postman CLI will not report runs with it. Check the service connection or the apiKey variable.".to_owned());
    }
    let rc = resolved.working_dir.join(".postmanrc");
    if rc.is_file() {
        warnings.push(format!(
            "{} is read by the Postman CLI and can change its options and credentials for every run in this folder; remove it, or run from another workingDirectory.",
            rc.display()
        ));
    }
    let integration =
        plan.cloud
            .integration_id
            .as_ref()
            .map(|id| match env.variable("build.buildId") {
                Some(build) if !id.ends_with(&format!("-{build}")) => format!("{id}-{build}"),
                _ => id.clone(),
            });
    if integration.is_some() {
        if plan.cloud.region == Region::Eu {
            warnings.push("Postman's CI integrations exist only in the US region, so with region `eu` the runs are not tied to the integration.".to_owned());
        }
        if api_key.is_some() {
            for run in &resolved.runs {
                let local_without_uid = matches!(run.source, resolve::CollectionSource::File(_))
                    && run.collection.as_ref().is_some_and(|c| c.uid.is_none());
                if local_without_uid {
                    warnings.push(format!(
                        "`{}` will not be reported to Postman: the Postman CLI uploads a local collection only when it carries its collection UID (info._uid). Run it by UID instead (collection: <owner>-<collection id>, as Postman's generated CI configuration does).",
                        run.display
                    ));
                }
            }
        }
    }
    let context = CloudContext {
        api_key,
        integration,
        region: plan.cloud.region,
        run_limit: plan.cloud.run_limit,
        upload_grace: knobs.upload_grace,
        yaml_report: false,
    };
    (context, warnings)
}

/// `PMAK-` + 24 hex + `-` + 34 hex, or 32 hex: what the CLI accepts.
fn looks_like_postman_key(key: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    match key
        .strip_prefix("PMAK-")
        .and_then(|rest| rest.split_once('-'))
    {
        Some((a, b)) => hex(a, 24) && hex(b, 34),
        None => hex(key, 32),
    }
}

/// Postman's runtime agent, which the Postman CLI asks whether a key's team
/// may use `--output` (`POSTMAN_RUNTIME_AGENT_BASE_URL` overrides it, for
/// the CLI as for us). The CLI has no EU host for it and asks the US one.
fn runtime_agent(env: &AgentEnv) -> String {
    match env
        .get("POSTMAN_RUNTIME_AGENT_BASE_URL")
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => "https://ra.gw.postman.com/v1".into(),
    }
}

/// The handshake answers a token of a few hundred bytes.
const HANDSHAKE_LIMIT: u64 = 1024 * 1024;

/// Whether the key's team may use the CLI's `--output` (the YAML run
/// report): asked as the CLI asks (`lib/user-type.js`), a GET of
/// `/handshake/token?source=packman` with the key in `x-api-key`, whose
/// `token` is a JWT with the team's `userType`; only `enterprise` may. An
/// error says why it could not be told.
pub(crate) async fn output_allowed(
    client: &reqwest::Client,
    env: &AgentEnv,
    key: &Secret,
) -> Result<bool, String> {
    let url = format!("{}/handshake/token?source=packman", runtime_agent(env));
    let get = Get::new(&url, "a handshake token", HANDSHAKE_LIMIT)
        .secret_header(HeaderName::from_static("x-api-key"), key.expose());
    let body = get_bytes(client, &get, &Quiet)
        .await
        .map_err(|e| format!("{e} (the runtime agent's URL is POSTMAN_RUNTIME_AGENT_BASE_URL)"))?;
    Ok(user_type(&body).ok_or_else(|| format!("{url} did not answer a token"))? == "enterprise")
}

/// The `userType` in the payload of the JWT in `{"token": …}` (not
/// verified: it only decides which report the task reads, and the CLI
/// checks it again), or `""` when it has none.
fn user_type(body: &[u8]) -> Option<String> {
    use base64::Engine as _;
    let doc: serde_json::Value = serde_json::from_slice(body).ok()?;
    let token = doc.get("token")?.as_str()?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(
        claims
            .get("userType")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: &str) -> Vec<u8> {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            r#"{{"token":"{}.{}."}}"#,
            b64(r#"{"alg":"none"}"#),
            b64(claims)
        )
        .into_bytes()
    }

    #[test]
    fn the_handshake_token_tells_the_user_type() {
        assert_eq!(
            user_type(&token(r#"{"userType":"enterprise"}"#)).as_deref(),
            Some("enterprise")
        );
        assert_eq!(
            user_type(&token(r#"{"userType":"free"}"#)).as_deref(),
            Some("free")
        );
        assert_eq!(user_type(&token("{}")).as_deref(), Some(""));
        assert_eq!(user_type(b"{}"), None);
        assert_eq!(user_type(br#"{"token":"not a jwt"}"#), None);
    }
}
