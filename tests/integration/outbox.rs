//! The outbox: client-to-server publishing through `POST /outbox`, and
//! paging that stays stable while the platform keeps publishing.

use std::collections::HashSet;

use passerelle::apub::proof;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::publishing::outbox_items;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(
    client_to_server_lifecycle,
    client_to_server_refusals,
    outbox_pages_are_stable
);

async fn post_outbox(node: &TestNode, token: &str, activity: &Value) -> reqwest::Response {
    node.client
        .post(node.url("/outbox"))
        .bearer_auth(token)
        .header("content-type", "application/activity+json")
        .body(serde_json::to_vec(activity).unwrap())
        .send()
        .await
        .unwrap()
}

async fn client_to_server_lifecycle(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let proposal = json!({
        "type": "Proposal",
        "name": "Cargo bike delivery, city centre",
        "content": "Same-day delivery by bike.",
        "purpose": "offer",
        "publishes": {
            "type": "Intent", "action": "deliverService", "name": "Delivery",
            "resourceQuantity": {"hasUnit": "delivery", "hasNumericalValue": "1"}
        },
        "reciprocal": {
            "type": "Intent", "action": "transfer",
            "resourceConformsTo": "urn:iso:std:iso:4217:EUR",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "6.5"}
        },
        "url": "https://coopcycle.example.org/deliveries",
        "to": ["https://www.w3.org/ns/activitystreams#Public"]
    });
    let response = post_outbox(
        &node,
        &token,
        &json!({"type": "Create", "object": proposal}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let activity_id = response.headers()["location"].to_str().unwrap().to_owned();
    let view: Value = response.json().await.unwrap();
    let uri = view["uri"].as_str().unwrap().to_owned();
    assert_eq!(
        view["payload"]["price"],
        json!({"currency": "EUR", "value": 6.5})
    );
    assert_eq!(view["payload"]["action"], "deliverService");

    // The same object the REST API would have made, signed, and its Create.
    let (status, object) = node.get_activity_json(&uri).await;
    assert_eq!(status, 200);
    assert_eq!(object["type"], json!(["Proposal", "Object"]));
    assert_eq!(
        object["reciprocal"]["resourceQuantity"]["hasNumericalValue"],
        "6.5"
    );
    proof::verify(&object, &node.context.keys().ed25519.verifying_key()).unwrap();
    let (status, create) = node.get_activity_json(&activity_id).await;
    assert_eq!(status, 200);
    assert_eq!(create["type"], "Create");
    assert_eq!(create["object"]["id"], uri);
    // ... and visible to the platform through the REST door.
    let local_id = uri.rsplit('/').next().unwrap();
    let rest: Value = node
        .get_with(&format!("/api/v1/offers/{local_id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["version"], 1);

    let mut updated = object.clone();
    updated["name"] = json!("Cargo bike delivery, whole city");
    let response = post_outbox(&node, &token, &json!({"type": "Update", "object": updated})).await;
    assert_eq!(response.status(), 201);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["change"], "updated");
    assert_eq!(
        node.get_activity_json(&uri).await.1["name"],
        "Cargo bike delivery, whole city"
    );

    // Posting the same Update again changes nothing.
    let response = post_outbox(&node, &token, &json!({"type": "Update", "object": updated})).await;
    assert_eq!(response.status(), 200);

    let response = post_outbox(&node, &token, &json!({"type": "Delete", "object": uri})).await;
    assert_eq!(response.status(), 201);
    assert_eq!(node.get_activity_json(&uri).await.0, 410);
    let types: Vec<String> = outbox_items(&node)
        .await
        .iter()
        .map(|a| a["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, ["Delete", "Tombstone", "Tombstone"]);

    // A member and a charter through the same door.
    let member = json!({"type": "Organization", "name": "Vélo Coop", "role": "partner",
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    let response = post_outbox(&node, &token, &json!({"type": "Create", "object": member})).await;
    assert_eq!(response.status(), 201);
    let person =
        json!({"type": "Person", "name": "Sam", "role": "worker", "to": [node.url("/followers")]});
    let response = post_outbox(&node, &token, &json!({"type": "Create", "object": person})).await;
    assert_eq!(response.status(), 201);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["audience"], "followers");
    assert_eq!(
        node.get_activity_json(view["uri"].as_str().unwrap())
            .await
            .0,
        404
    );
    node.stop().await;
}

async fn client_to_server_refusals(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let offer_token = node.token(Scope::Platform).await;
    node.put_json("/api/v1/offers/kept", &offer_token, &node.example("offer"))
        .await;

    let status_of = |activity: Value| {
        let node = &node;
        let token = token.clone();
        async move { post_outbox(node, &token, &activity).await.status().as_u16() }
    };
    assert_eq!(
        status_of(json!({"type": "Like", "object": node.url("/offers/kept")})).await,
        422
    );
    assert_eq!(
        status_of(json!({"type": "Create", "object": {"type": "Note", "content": "hi"}})).await,
        422
    );
    assert_eq!(
        status_of(json!({"type": "Create", "object": {"type": "Proposal", "name": "no intent"}}))
            .await,
        422
    );
    assert_eq!(status_of(json!({"type": "Create", "object": {"type": "Proposal", "id": node.url("/offers/kept")}})).await, 409);
    assert_eq!(status_of(json!({"type": "Update", "object": {"type": "Proposal", "id": node.url("/offers/none")}})).await, 404);
    assert_eq!(
        status_of(json!({"type": "Delete", "object": "https://elsewhere.example/offers/kept"}))
            .await,
        422
    );
    assert_eq!(
        status_of(json!({"type": "Delete", "object": 42})).await,
        400
    );
    assert_eq!(status_of(json!({"object": {}})).await, 400);

    let response = node
        .client
        .post(node.url("/outbox"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let response = node
        .client
        .post(node.url("/outbox"))
        .bearer_auth(&token)
        .header("content-type", "application/activity+json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = node
        .client
        .post(node.url("/outbox"))
        .header("content-type", "application/activity+json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // Only the REST Create happened.
    assert_eq!(node.get_activity_json("/outbox").await.1["totalItems"], 1);
    node.stop().await;
}

/// 250 offers, then a walk through the outbox pages while more are
/// published: every original activity appears exactly once, newest first,
/// and later publications only ever appear on the first page.
async fn outbox_pages_are_stable(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let publish = |n: usize| {
        let node = &node;
        let token = token.clone();
        async move {
            let mut offer = node.example("offer");
            offer["name"] = json!(format!("Offer {n}"));
            let response = node
                .put_json(&format!("/api/v1/offers/o{n}"), &token, &offer)
                .await;
            assert_eq!(response.status(), 201);
        }
    };
    for chunk in (0..250).collect::<Vec<_>>().chunks(10) {
        futures::future::join_all(chunk.iter().map(|n| publish(*n))).await;
    }
    let (_, collection) = node.get_activity_json("/outbox").await;
    assert_eq!(collection["totalItems"], 250);

    let mut seen = Vec::new();
    let mut url = collection["first"].as_str().unwrap().to_owned();
    let mut extra = 250;
    loop {
        let (status, page) = node.get_activity_json(&url).await;
        assert_eq!(status, 200);
        assert_eq!(page["type"], "OrderedCollectionPage");
        assert!(page["orderedItems"].as_array().unwrap().len() <= 20);
        seen.extend(
            page["orderedItems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["object"]["name"].as_str().unwrap().to_owned()),
        );
        // Keep publishing while the walk goes on.
        publish(extra).await;
        extra += 1;
        match page["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    let expected: Vec<String> = (0..250).rev().map(|n| format!("Offer {n}")).collect();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no activity twice");
    assert_eq!(seen.len(), 250);
    // Publication order: each batch of 10 ran concurrently, so compare sets
    // per batch and order across batches.
    for (got, want) in seen.chunks(10).zip(expected.chunks(10)) {
        let got: HashSet<&String> = got.iter().collect();
        let want: HashSet<&String> = want.iter().collect();
        assert_eq!(got, want);
    }
    assert_eq!(
        node.get_activity_json("/outbox").await.1["totalItems"],
        extra as u64
    );
    node.stop().await;
}
