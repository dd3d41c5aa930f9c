//! Published documents as other software reads them: the OpenAPI
//! description and the network vocabulary's JSON-LD context.

use passerelle::domain::tokens::Scope;
use serde_json::Value;

use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(openapi_describes_the_api, vocabulary_context_is_served);

async fn openapi_describes_the_api(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let (status, document) = node.get_activity_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    for collection in ["offers", "members", "charters", "commitments"] {
        let item = &paths[&format!("/api/v1/{collection}/{{local_id}}")];
        for method in ["put", "get", "delete"] {
            assert!(item[method].is_object(), "{collection} {method}");
        }
        assert!(paths[&format!("/api/v1/{collection}")]["get"].is_object());
        assert!(paths[&format!("/{collection}/{{local_id}}")]["get"].is_object());
    }
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
            .replace("{kind}", "offers");
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
