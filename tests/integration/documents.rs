//! Published documents as other software reads them: the OpenAPI
//! description (and that it describes exactly the routes) and the network
//! vocabulary's JSON-LD context.

use passerelle::domain::tokens::Scope;
use serde_json::Value;

use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(
    openapi_describes_the_api,
    openapi_paths_are_the_routes,
    vocabulary_context_is_served
);

const COLLECTIONS: [&str; 4] = ["offers", "members", "charters", "commitments"];

async fn openapi_describes_the_api(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let (status, document) = node.get_activity_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    // One path per route, as the router has it: `{collection}` is a
    // parameter naming each collection.
    let item = &paths["/api/v1/{collection}/{local_id}"];
    for method in ["put", "get", "delete"] {
        assert!(item[method].is_object(), "{method}");
        assert_eq!(collections_of(&item[method]), COLLECTIONS, "{method}");
    }
    assert_eq!(
        collections_of(&paths["/api/v1/{collection}"]["get"]),
        COLLECTIONS
    );
    assert_eq!(
        collections_of(&paths["/{collection}/{local_id}"]["get"]),
        COLLECTIONS
    );
    assert!(paths["/outbox"]["post"].is_object());
    assert!(paths["/outbox"]["get"].is_object());
    for admin in [
        "/api/v1/admin/follows",
        "/api/v1/admin/follow-requests",
        "/api/v1/admin/peers",
        "/api/v1/admin/audit",
    ] {
        assert!(paths.contains_key(admin), "{admin}");
    }
    // The payload schema is the one enforced: an example validates, and
    // every $ref resolves inside the document.
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for name in [
        "Offer",
        "Member",
        "Charter",
        "Commitment",
        "Problem",
        "ObjectView",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
    let text = serde_json::to_string(&document).unwrap();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
    let validator = jsonschema::options()
        .with_retriever(NoRetrieval)
        .build(&serde_json::json!({"$ref": "#/components/schemas/Offer", "components": document["components"]}))
        .unwrap();
    assert!(validator.is_valid(&node.example("offer")));
    let mut bad = node.example("offer");
    bad["purpose"] = "barter".into();
    assert!(!validator.is_valid(&bad));

    // Every documented API path answers (a 401 without a token: it exists).
    for path in paths
        .keys()
        .filter(|p| p.starts_with("/api/v1/") && !p.ends_with("openapi.json"))
    {
        let concrete = path
            .replace("{local_id}", "x")
            .replace("{id}", "1")
            .replace("{collection}", "offers");
        for (method, _) in paths[path]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(m, _)| *m != "parameters")
        {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let status = node
                .client
                .request(method.clone(), node.url(&concrete))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 401, "{method} {concrete}");
        }
    }
    node.stop().await;
}

/// The values an operation's `collection` path parameter takes.
fn collections_of(operation: &Value) -> Vec<&str> {
    operation["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "collection" && p["in"] == "path")
        .and_then(|p| p["schema"]["enum"].as_array())
        .expect("collection parameter")
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect()
}

/// Every documented (method, path) is routed: a request with the token of
/// the documented scope reaches a handler (neither the router's 404 nor its
/// 405) whose route template, as the metrics label it, is the documented
/// path; a token of the other scope is refused with 403. Every route
/// of a documented path is documented: the methods the document leaves out
/// get the router's 405. And every `/api/v1` route is documented: the node
/// serves `/api/v1` with `api::routes()`, the router half of
/// `described_routes()`, which only takes handlers with their description
/// (`DocumentedRoutes` has no `route`); its other half is what is served.
async fn openapi_paths_are_the_routes(db: TestDatabase) {
    // Every path is tried without a token, more often than the default
    // per-address limit of unauthenticated API calls allows: this test is
    // about routing, so that limit is set out of the way (0 turns it off).
    let node = TestNode::start_with(&db.url, |s| {
        s.rate_limits.api_per_address = passerelle::config::Rate {
            per_minute: 0,
            burst: 0,
        };
    })
    .await;
    let (_, document) = node.get_activity_json("/api/v1/openapi.json").await;
    let (_, routed) = passerelle::http::api::described_routes().into_parts();
    let routed = serde_json::to_value(routed).unwrap();
    assert_eq!(operations(&document), operations(&routed));
    let api: Vec<_> = operations(&document)
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/v1/"))
        .collect();
    assert!(api.len() > 20, "{api:?}");

    let platform = node.token(Scope::Platform).await;
    let admin = node.token(Scope::Admin).await;
    let mut operation_ids = std::collections::HashSet::new();
    for (method, path) in operations(&document) {
        let operation = &document["paths"][&path][method.as_str().to_lowercase()];
        let id = operation["operationId"].as_str().unwrap();
        assert!(
            operation_ids.insert(id.to_owned()),
            "operationId {id} twice"
        );
        let scope = operation["security"][0]["bearer"][0].as_str();
        let (token, other) = match scope {
            Some("platform") => (Some(&platform), Some(&admin)),
            Some("admin") => (Some(&admin), Some(&platform)),
            None => (None, None),
            Some(other) => panic!("{method} {path}: unknown scope {other}"),
        };
        let concrete = concrete(&path);
        let (status, detail) = request(&node, &method, &concrete, token).await;
        assert_ne!(status, 405, "{method} {path} is not routed: {detail}");
        assert_ne!(
            detail,
            format!("nothing at {concrete}"),
            "{method} {path} is not routed"
        );
        if let Some(other) = other {
            let (status, _) = request(&node, &method, &concrete, Some(other)).await;
            assert_eq!(status, 403, "{method} {path} with a token of another scope");
        }
    }
    let metrics = node.get("/metrics").await.text().await.unwrap();
    for (method, path) in operations(&document) {
        let series = format!("method=\"{method}\",route=\"{path}\"");
        assert!(metrics.contains(&series), "{method} {path} is no route");
    }
    for path in document["paths"].as_object().unwrap().keys() {
        for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
            if document["paths"][path][method.to_lowercase()].is_object() {
                continue;
            }
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let (status, detail) = request(&node, &method, &concrete(path), None).await;
            assert_eq!(status, 405, "undocumented {method} {path}: {detail}");
        }
    }
    node.stop().await;
}

/// The (method, path) pairs a document describes, sorted.
fn operations(document: &Value) -> Vec<(reqwest::Method, String)> {
    let mut operations: Vec<_> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|key| *key != "parameters")
                .map(|method| {
                    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes());
                    (method.unwrap(), path.clone())
                })
        })
        .collect();
    operations.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    operations
}

/// A path template with its parameters filled in.
fn concrete(template: &str) -> String {
    template
        .replace("{collection}", "offers")
        .replace("{local_id}", "x")
        .replace("{id}", "1")
        .replace("{version}", "1")
}

/// The status of a bodiless request and its problem's detail, if any.
async fn request(
    node: &TestNode,
    method: &reqwest::Method,
    path: &str,
    token: Option<&String>,
) -> (u16, String) {
    let mut request = node.client.request(method.clone(), node.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

struct NoRetrieval;
impl jsonschema::Retrieve for NoRetrieval {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("no retrieval in tests: {uri}").into())
    }
}

async fn vocabulary_context_is_served(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let response = node.get("/ns").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    let context: Value = response.json().await.unwrap();
    let shipped: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/context.jsonld"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(context, shipped);
    assert_eq!(
        context["@context"]["pec"], "https://w3id.org/plateformes-en-communs/ns#",
        "one namespace for every node"
    );
    let _ = node.token(Scope::Platform).await;
    node.stop().await;
}
