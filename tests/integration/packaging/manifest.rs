//! The manifest (vss-extension.json): complete, and in step with the task:
//! the task folder, the Postman tab and the service connection type.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use super::{read_json, root};

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is a PNG",
        path.display()
    );
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (be(16), be(20))
}

#[test]
fn the_manifest_is_complete_and_matches_the_task() {
    let m = read_json("vss-extension.json");
    let task = read_json("task/task.json");
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let is_id = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };

    assert_eq!(m["manifestVersion"], json!(1));
    assert!(
        is_id(&s(&m["id"])) && is_id(&s(&m["publisher"])),
        "id and publisher"
    );
    assert!(!s(&m["name"]).is_empty());
    let description = s(&m["description"]);
    assert!(
        !description.is_empty() && description.chars().count() < 200,
        "tfx needs a description under 200 characters ({})",
        description.chars().count()
    );
    assert_eq!(m["categories"], json!(["Azure Pipelines"]));
    assert_eq!(
        m["targets"],
        json!([{"id": "Microsoft.VisualStudio.Services"}])
    );
    assert!(m["tags"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        png_size(&root().join(s(&m["icons"]["default"]))),
        (128, 128)
    );
    assert_eq!(png_size(&root().join("task/icon.png")), (32, 32));
    let details = s(&m["content"]["details"]["path"]);
    assert!(
        root().join(&details).is_file(),
        "content.details {details:?}"
    );
    assert_eq!(m["repository"]["type"], json!("git"));
    assert!(s(&m["repository"]["uri"]).starts_with("https://"));
    assert!(s(&m["links"]["support"]["uri"]).starts_with("https://"));

    let contributions = m["contributions"].as_array().expect("contributions");
    let ids: BTreeSet<String> = contributions.iter().map(|c| s(&c["id"])).collect();
    assert_eq!(
        ids.len(),
        contributions.len(),
        "contribution ids are unique"
    );

    // The task contribution points at the folder holding task.json, and
    // that folder is packaged.
    let tasks: Vec<&Value> = contributions
        .iter()
        .filter(|c| c["type"] == json!("ms.vss-distributed-task.task"))
        .collect();
    assert_eq!(tasks.len(), 1, "one task contribution");
    assert_eq!(
        tasks[0]["targets"],
        json!(["ms.vss-distributed-task.tasks"])
    );
    let folder = s(&tasks[0]["properties"]["name"]);
    assert_eq!(folder, "task");
    let files: Vec<String> = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| s(&f["path"]))
        .collect();
    assert!(
        files.contains(&folder),
        "files {files:?} package the task folder"
    );

    // The Postman tab: on the results page of builds that ran the task,
    // served from packaged, addressable files, reading builds and nothing more.
    assert_eq!(
        m["scopes"],
        json!(["vso.build"]),
        "the smallest scope that reads build attachments"
    );
    let tabs: Vec<&Value> = contributions
        .iter()
        .filter(|c| c["type"] == json!("ms.vss-build-web.build-results-tab"))
        .collect();
    assert_eq!(tabs.len(), 1, "one build results tab");
    assert_eq!(
        tabs[0]["targets"],
        json!(["ms.vss-build-web.build-results-view"])
    );
    assert_eq!(tabs[0]["properties"]["name"], json!("Postman"));
    assert_eq!(
        tabs[0]["properties"]["supportsTasks"],
        json!([task["id"]]),
        "shown only on builds that ran the task"
    );
    let uri = s(&tabs[0]["properties"]["uri"]);
    assert_eq!(uri, "web/dist/postman-tab.html");
    assert!(
        m["files"].as_array().expect("files").iter().any(|f| {
            f["addressable"] == json!(true) && uri.starts_with(&format!("{}/", s(&f["path"])))
        }),
        "{uri} is in an addressable files entry"
    );
    assert!(
        root().join("web/src/postman-tab.html").is_file(),
        "web/build.mjs builds the page from web/src/postman-tab.html"
    );

    // The service connection type every connectedService input names.
    let endpoints: Vec<&Value> = contributions
        .iter()
        .filter(|c| c["type"] == json!("ms.vss-endpoint.service-endpoint-type"))
        .collect();
    assert_eq!(endpoints.len(), 1, "one service connection type");
    let endpoint = &endpoints[0]["properties"];
    assert_eq!(
        endpoints[0]["targets"],
        json!(["ms.vss-endpoint.endpoint-types"])
    );
    assert_eq!(endpoint["name"], json!("postmanapi"));
    assert_eq!(
        endpoint["url"]["value"],
        json!("https://api.getpostman.com")
    );
    assert_eq!(endpoint["url"]["isVisible"], json!("true"));
    let schemes = endpoint["authenticationSchemes"]
        .as_array()
        .expect("schemes");
    assert_eq!(schemes.len(), 1);
    assert_eq!(
        schemes[0]["type"],
        json!("ms.vss-endpoint.endpoint-auth-scheme-token")
    );
    let token = &schemes[0]["inputDescriptors"][0];
    assert_eq!(
        token["id"],
        json!("apitoken"),
        "the agent passes ..._APITOKEN"
    );
    assert_eq!(token["name"], json!("API key"));
    assert_eq!(token["isConfidential"], json!(true));
    for input in task["inputs"].as_array().expect("inputs") {
        if let Some(kind) = input["type"]
            .as_str()
            .and_then(|t| t.strip_prefix("connectedService:"))
        {
            assert!(
                kind.eq_ignore_ascii_case(&s(&endpoint["name"])),
                "{} uses a connection type the extension does not contribute: {kind}",
                input["name"]
            );
        }
    }
}
