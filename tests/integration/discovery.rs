//! WebFinger and NodeInfo, as a fediverse server discovering the node would use them.

use serde_json::Value;

use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(
    webfinger_finds_the_node,
    webfinger_refuses_bad_resources,
    nodeinfo_is_discoverable
);

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = response.json().await.expect("problem JSON");
    assert_eq!(body["status"], status);
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

async fn webfinger_finds_the_node(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let host = node.base.authority().to_owned();
    let actor = node.url("/actor");
    for resource in [
        format!("acct:foodhub@{host}"),
        format!("acct:FoodHub@{host}"),
        actor.clone(),
    ] {
        let response = node
            .client
            .get(node.url("/.well-known/webfinger"))
            .query(&[("resource", &resource)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{resource}");
        assert_eq!(response.headers()["content-type"], "application/jrd+json");
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        let jrd: Value = response.json().await.unwrap();
        assert_eq!(jrd["subject"], format!("acct:foodhub@{host}"));
        let links = jrd["links"].as_array().unwrap();
        let self_link = links
            .iter()
            .find(|l| l["rel"] == "self")
            .expect("self link");
        assert_eq!(self_link["type"], "application/activity+json");
        assert_eq!(self_link["href"], actor);
        // The link leads to the actor.
        let fetched: Value = node
            .client
            .get(self_link["href"].as_str().unwrap())
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(fetched["id"], actor);
    }
    node.stop().await;
}

async fn webfinger_refuses_bad_resources(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let host = node.base.authority().to_owned();
    problem(node.get("/.well-known/webfinger").await, 400).await;
    problem(node.get("/.well-known/webfinger?resource=").await, 400).await;
    for malformed in ["acct:foodhub", "acct:@", "mailto:a@b", "foodhub"] {
        let response = node
            .client
            .get(node.url("/.well-known/webfinger"))
            .query(&[("resource", malformed)])
            .send()
            .await
            .unwrap();
        problem(response, 400).await;
    }
    // A query string that is not UTF-8 is malformed, not a server error.
    problem(
        node.get("/.well-known/webfinger?resource=%FF%FE").await,
        400,
    )
    .await;
    problem(
        node.get("/.well-known/webfinger?resource=a&resource=b")
            .await,
        400,
    )
    .await;
    for unknown in [
        format!("acct:someone@{host}"),
        "acct:foodhub@elsewhere.example".to_owned(),
        node.url("/actor/other"),
    ] {
        let response = node
            .client
            .get(node.url("/.well-known/webfinger"))
            .query(&[("resource", &unknown)])
            .send()
            .await
            .unwrap();
        problem(response, 404).await;
    }
    node.stop().await;
}

async fn nodeinfo_is_discoverable(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let links: Value = node
        .get("/.well-known/nodeinfo")
        .await
        .json()
        .await
        .unwrap();
    let link = links["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1")
        .expect("2.1 link");
    let response = node
        .client
        .get(link["href"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("nodeinfo.diaspora.software/ns/schema/2.1")
    );
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["version"], "2.1");
    assert_eq!(info["software"]["name"], "passerelle");
    assert_eq!(info["software"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["protocols"], serde_json::json!(["activitypub"]));
    assert_eq!(info["openRegistrations"], false);
    assert_eq!(info["usage"]["users"]["total"], 1);
    assert!(info["usage"]["localPosts"].is_u64());
    assert_eq!(info["metadata"]["nodeName"], "Food Hub Cooperative");
    // FEP-844e: what the node implements, as its actor says too.
    let implements: Vec<&str> = info["metadata"]["implements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["href"].as_str().unwrap())
        .collect();
    assert!(
        implements.contains(&"https://datatracker.ietf.org/doc/html/rfc9421"),
        "{implements:?}"
    );
    node.stop().await;
}
