//! The tree of a collection given by UID, fetched as the Postman CLI fetches
//! it: the CLI's report names a request but not its folders, and test names
//! keep them (`Orders / Create › status is 201`).

use reqwest::header::HeaderName;

use crate::azure::agent::AgentEnv;
use crate::http::fetch::{Get, Quiet, get_bytes};
use crate::inputs::Secret;
use crate::plan::Region;
use crate::resolve::collection::Collection;

/// Postman's gateway, where the Postman CLI fetches a collection given by
/// UID (`POSTMAN_GATEWAY_BASE_URL` overrides it, for the CLI as for us).
fn gateway(ctx: &AgentEnv, region: Region) -> String {
    match ctx
        .get("POSTMAN_GATEWAY_BASE_URL")
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => match region {
            Region::Us => "https://gateway.postman.com".into(),
            Region::Eu => "https://gateway.eu.postman.com".into(),
        },
    }
}

/// The most of a collection fetched for its tree: a larger one keeps its
/// requests named without their folders, and runs as it would anyway.
const COLLECTION_LIMIT: u64 = 64 * 1024 * 1024;

/// A collection given by UID, fetched as the Postman CLI fetches it, for
/// its tree alone: the CLI's report names a request but not its folders,
/// and test names keep them (`Orders / Create › status is 201`).
pub(crate) async fn fetch_collection(
    client: &reqwest::Client,
    env: &AgentEnv,
    region: Region,
    uid: &str,
    key: &Secret,
) -> Result<Collection, String> {
    let url = format!(
        "{}/collection/{uid}?format=2.1.0&populate=true",
        gateway(env, region)
    );
    let get = Get::new(&url, "a collection", COLLECTION_LIMIT)
        .secret_header(HeaderName::from_static("x-api-key"), key.expose())
        .header(HeaderName::from_static("x-pstmn-req-service"), "sync");
    let body = get_bytes(client, &get, &Quiet).await.map_err(|e| {
        format!("{e} (the gateway's URL follows the region, or POSTMAN_GATEWAY_BASE_URL)")
    })?;
    let doc: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| format!("{url} did not answer JSON: {e}"))?;
    let collection = doc.get("data").unwrap_or(&doc);
    Collection::parse(collection.to_string().as_bytes())
        .map_err(|_| format!("{url} did not answer a collection"))
}
