//! Publishing through the platform API: the lifecycle of each kind, the
//! activities it records, audiences, schema violations and tokens.

use ed25519_dalek::VerifyingKey;
use passerelle::apub::proof;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(
    offer_lifecycle,
    member_lifecycle,
    charter_lifecycle_keeps_versions,
    commitment_lifecycle,
    followers_only_member_is_hidden,
    schema_violations_store_nothing,
    malformed_requests_store_nothing,
    tokens_are_enforced,
    commitment_must_match_the_charter,
);

fn node_key(node: &TestNode) -> VerifyingKey {
    node.context.keys().ed25519.verifying_key()
}

pub async fn outbox_items(node: &TestNode) -> Vec<Value> {
    let mut items = Vec::new();
    let (_, mut page) = node.get_activity_json("/outbox?page=true").await;
    loop {
        items.extend(page["orderedItems"].as_array().cloned().unwrap_or_default());
        let Some(next) = page["next"].as_str().map(str::to_owned) else {
            break;
        };
        page = node.get_activity_json(&next).await.1;
    }
    items
}

async fn outbox_total(node: &TestNode) -> u64 {
    node.get_activity_json("/outbox").await.1["totalItems"]
        .as_u64()
        .unwrap()
}

/// Create, read, no-op, update, delete, and what each leaves in the outbox
/// and at the object's URL.
async fn lifecycle(
    node: &TestNode,
    collection: &str,
    kind: &str,
    first: Value,
    changed: Value,
    ap_type: Value,
) {
    let token = node.token(Scope::Platform).await;
    let api = format!("/api/v1/{collection}/item-1");
    let before = outbox_total(node).await;

    let response = node.put_json(&api, &token, &first).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["change"], "created");
    assert_eq!(view["version"], 1);
    assert_eq!(view["kind"], kind);
    let uri = node.url(&format!("/{collection}/item-1"));
    assert_eq!(view["uri"], uri);
    assert_eq!(location, uri);
    proof::verify(&view["object"], &node_key(node)).expect("object proof verifies");

    // The object at its URL, signed, with the three contexts.
    let (status, object) = node.get_activity_json(&uri).await;
    assert_eq!(status, 200);
    assert_eq!(object["id"], uri);
    assert_eq!(object["type"], ap_type);
    assert_eq!(view["object"]["type"], ap_type);
    assert_eq!(object["attributedTo"], node.url("/actor"));
    assert_eq!(
        object["@context"][0],
        "https://www.w3.org/ns/activitystreams"
    );
    assert_eq!(
        object["@context"][1],
        "https://w3id.org/security/data-integrity/v2"
    );
    assert_eq!(object["@context"][2], node.url("/ns"));
    assert_eq!(object["proof"]["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(
        object["proof"]["verificationMethod"],
        node.url("/actor#ed25519-key")
    );
    proof::verify(&object, &node_key(node)).expect("served object verifies");

    // The same content again: nothing new.
    let response = node.put_json(&api, &token, &first).await;
    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["change"], "unchanged");
    assert!(view.get("activity").is_none());
    assert_eq!(outbox_total(node).await, before + 1);

    let response = node.put_json(&api, &token, &changed).await;
    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["change"], "updated");
    assert_eq!(view["version"], 2);
    let (_, object) = node.get_activity_json(&uri).await;
    proof::verify(&object, &node_key(node)).expect("updated object verifies");

    let api_view: Value = node.get_with(&api, &token).await.json().await.unwrap();
    assert_eq!(api_view["payload"], changed);

    assert_eq!(node.delete_with(&api, &token).await.status(), 204);
    let (status, tombstone) = node.get_activity_json(&uri).await;
    assert_eq!(status, 410);
    assert_eq!(tombstone["type"], "Tombstone");
    assert_eq!(tombstone["formerType"], ap_type);
    proof::verify(&tombstone, &node_key(node)).expect("tombstone verifies");
    assert_eq!(node.get_with(&api, &token).await.status(), 410);
    // Deleting again changes nothing; the id is not reused.
    assert_eq!(node.delete_with(&api, &token).await.status(), 204);
    assert_eq!(node.put_json(&api, &token, &first).await.status(), 409);

    // Outbox, newest first: the Delete, then the Update and the Create
    // withdrawn (tombstones: the content is gone) — each signed.
    let items = outbox_items(node).await;
    let ours = &items[..3];
    let types: Vec<&str> = ours.iter().map(|a| a["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["Delete", "Tombstone", "Tombstone"]);
    assert_eq!(ours[0]["object"]["id"], uri);
    assert_eq!(ours[0]["actor"], node.url("/actor"));
    assert_eq!(
        [&ours[1]["formerType"], &ours[2]["formerType"]],
        ["Update", "Create"]
    );
    for (n, activity) in ours.iter().enumerate() {
        proof::verify(activity, &node_key(node)).expect("activity proof verifies");
        let (status, fetched) = node
            .get_activity_json(activity["id"].as_str().unwrap())
            .await;
        assert_eq!(status, if n == 0 { 200 } else { 410 });
        assert_eq!(&fetched, activity);
    }
    assert_eq!(outbox_total(node).await, before + 3);
}

async fn offer_lifecycle(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let first = node.example("offer");
    let mut changed = first.clone();
    changed["available"]["value"] = json!(80);
    lifecycle(
        &node,
        "offers",
        "offer",
        first,
        changed,
        json!(["Proposal", "Object"]),
    )
    .await;

    // FEP-0837 shape of a fresh offer.
    let token = node.token(Scope::Platform).await;
    node.put_json("/api/v1/offers/apples", &token, &node.example("offer"))
        .await;
    let (_, proposal) = node.get_activity_json("/offers/apples").await;
    let uri = node.url("/offers/apples");
    assert_eq!(proposal["purpose"], "offer");
    assert_eq!(proposal["publishes"]["id"], format!("{uri}#primary"));
    assert_eq!(proposal["publishes"]["type"], "Intent");
    // The platform wrote `kg`; the wire carries the OM 2 name.
    assert_eq!(
        proposal["publishes"]["resourceQuantity"]["hasUnit"],
        "kilogram"
    );
    let (status, platform_view) = (
        node.get_with("/api/v1/offers/apples", &token)
            .await
            .status(),
        node.api("/api/v1/offers/apples", &token).await,
    );
    assert_eq!(status, 200);
    assert_eq!(
        platform_view["payload"]["quantity"]["unit"], "kg",
        "the platform's own data is kept as written: {platform_view}"
    );
    assert_eq!(
        proposal["publishes"]["resourceQuantity"]["hasNumericalValue"],
        "1"
    );
    assert_eq!(
        proposal["publishes"]["availableQuantity"]["hasNumericalValue"],
        "120"
    );
    assert_eq!(proposal["reciprocal"]["id"], format!("{uri}#reciprocal"));
    assert_eq!(
        proposal["reciprocal"]["resourceQuantity"]["hasNumericalValue"],
        "3.2"
    );
    assert_eq!(proposal["unitBased"], true);
    assert_eq!(proposal["location"]["type"], "Place");
    assert_eq!(
        proposal["url"],
        "https://ofn.example.org/coteaux/products/apples-reinette"
    );
    assert_eq!(
        proposal["to"][0],
        "https://www.w3.org/ns/activitystreams#Public"
    );
    node.stop().await;
}

async fn member_lifecycle(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let first = node.example("member");
    let mut changed = first.clone();
    changed["region"] = json!("Occitanie");
    lifecycle(
        &node,
        "members",
        "member",
        first,
        changed,
        json!("Organization"),
    )
    .await;
    node.stop().await;
}

async fn charter_lifecycle_keeps_versions(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let first = node.example("charter");
    let mut changed = first.clone();
    changed["principles"][0]["content"] = json!("Members decide together, one member one vote.");
    node.put_json("/api/v1/charters/pec", &token, &first).await;
    let response = node
        .put_json("/api/v1/charters/pec", &token, &changed)
        .await;
    assert_eq!(response.status(), 200);

    let (_, charter) = node.get_activity_json("/charters/pec").await;
    assert_eq!(charter["version"], 2);
    let v1 = node.url("/charters/pec/versions/1");
    let v2 = node.url("/charters/pec/versions/2");
    assert_eq!(charter["currentVersion"], v2);
    assert_eq!(charter["previousVersion"], v1);
    assert_eq!(charter["principles"][0]["id"], format!("{v2}#governance"));
    assert_eq!(charter["principles"].as_array().unwrap().len(), 5);

    let (status, old) = node.get_activity_json(&v1).await;
    assert_eq!(status, 200);
    assert_eq!(old["id"], v1);
    assert_eq!(old["versionOf"], node.url("/charters/pec"));
    assert_eq!(
        old["principles"][0]["content"],
        "Members take part in the decisions that concern them."
    );
    proof::verify(&old, &node_key(&node)).expect("version proof");
    let (_, new) = node.get_activity_json(&v2).await;
    assert_eq!(
        new["principles"][0]["content"],
        "Members decide together, one member one vote."
    );
    assert_eq!(
        node.get_activity_json("/charters/pec/versions/3").await.0,
        404
    );

    let versions: Value = node
        .get_with("/api/v1/charters/pec/versions", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["uri"], v2);

    let mut third = changed.clone();
    third["name"] = json!("Charte v3");
    lifecycle(
        &node,
        "charters",
        "charter",
        first,
        third,
        json!(["Charter", "Document"]),
    )
    .await;
    node.stop().await;
}

async fn commitment_lifecycle(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    assert_eq!(
        node.put_json(
            "/api/v1/charters/pec-charter",
            &token,
            &node.example("charter")
        )
        .await
        .status(),
        201
    );
    let first = node.example("commitment");
    let mut changed = first.clone();
    changed["statements"][1]["statement"] = json!("All our data is open.");
    lifecycle(
        &node,
        "commitments",
        "commitment",
        first.clone(),
        changed,
        json!(["CharterCommitment", "Object"]),
    )
    .await;

    node.put_json("/api/v1/commitments/ours", &token, &first)
        .await;
    let (_, commitment) = node.get_activity_json("/commitments/ours").await;
    assert_eq!(
        commitment["charter"],
        node.url("/charters/pec-charter/versions/1")
    );
    assert_eq!(commitment["statements"][0]["type"], "PrincipleStatement");
    assert_eq!(
        commitment["statements"][0]["principle"],
        node.url("/charters/pec-charter/versions/1#governance")
    );
    node.stop().await;
}

async fn commitment_must_match_the_charter(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    // No such charter version here yet.
    let response = node
        .put_json("/api/v1/commitments/c", &token, &node.example("commitment"))
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["pointer"], "/charter");

    node.put_json(
        "/api/v1/charters/pec-charter",
        &token,
        &node.example("charter"),
    )
    .await;
    let mut missing_one = node.example("commitment");
    missing_one["statements"].as_array_mut().unwrap().pop();
    let response = node
        .put_json("/api/v1/commitments/c", &token, &missing_one)
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("#cooperation"),
        "{problem}"
    );

    let mut foreign = node.example("commitment");
    foreign["statements"][0]["principle"] =
        json!("https://elsewhere.example/charters/x/versions/1#governance");
    let response = node
        .put_json("/api/v1/commitments/c", &token, &foreign)
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["pointer"] == "/statements/0/principle")
    );
    assert_eq!(
        node.get_with("/api/v1/commitments/c", &token)
            .await
            .status(),
        404
    );
    node.stop().await;
}

async fn followers_only_member_is_hidden(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let person =
        json!({"type": "Person", "name": "Camille Martin", "role": "producer", "region": "Drôme"});
    let response = node
        .put_json("/api/v1/members/camille", &token, &person)
        .await;
    assert_eq!(response.status(), 201);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["audience"], "followers");
    assert_eq!(view["object"]["to"], json!([node.url("/followers")]));

    let mut named = node.example("member");
    named["audience"] = json!(["https://peer.example/actor"]);
    node.put_json("/api/v1/members/named", &token, &named).await;

    for path in ["/members/camille", "/members/named"] {
        let (status, body) = node.get_activity_json(path).await;
        assert_eq!(status, 404, "{path}: {body}");
        let html = node.get_accept(path, "text/html").await;
        assert_eq!(html.status(), 404);
    }
    // Neither in the public outbox nor in the public collection.
    let items = outbox_items(&node).await;
    assert!(
        items
            .iter()
            .all(|a| a["object"]["id"] != node.url("/members/camille"))
    );
    assert_eq!(node.get_activity_json("/members").await.1["totalItems"], 0);
    // A person made public by the platform is readable.
    let mut public_person = person.clone();
    public_person["audience"] = json!("public");
    node.put_json("/api/v1/members/camille", &token, &public_person)
        .await;
    assert_eq!(node.get_activity_json("/members/camille").await.0, 200);
    node.stop().await;
}

/// A 422 with a violation at `pointer`, and nothing stored.
async fn assert_violation(node: &TestNode, token: &str, path: &str, body: &Value, pointer: &str) {
    let response = node.put_json(path, token, body).await;
    assert_eq!(response.status(), 422, "{path} {body}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    let errors = problem["errors"].as_array().expect("errors listed");
    assert!(
        errors.iter().any(|e| e["pointer"] == pointer && e["detail"].as_str().is_some_and(|d| !d.is_empty())),
        "no violation at {pointer}: {problem}"
    );
    assert_eq!(node.get_with(path, token).await.status(), 404);
}

async fn schema_violations_store_nothing(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let offer = node.example("offer");
    let path = "/api/v1/offers/bad";

    let mut missing = offer.clone();
    missing.as_object_mut().unwrap().remove("purpose");
    assert_violation(&node, &token, path, &missing, "").await;

    let mut wrong_type = offer.clone();
    wrong_type["quantity"]["value"] = json!("twelve");
    assert_violation(&node, &token, path, &wrong_type, "/quantity/value").await;

    let mut bad_url = offer.clone();
    bad_url["url"] = json!("javascript:alert(1)");
    assert_violation(&node, &token, path, &bad_url, "/url").await;

    let mut negative = offer.clone();
    negative["available"]["value"] = json!(-5);
    assert_violation(&node, &token, path, &negative, "/available/value").await;

    let mut unknown_enum = offer.clone();
    unknown_enum["purpose"] = json!("barter");
    assert_violation(&node, &token, path, &unknown_enum, "/purpose").await;

    let mut oversized = offer.clone();
    oversized["name"] = json!("x".repeat(201));
    assert_violation(&node, &token, path, &oversized, "/name").await;

    let mut extra = offer.clone();
    extra["colour"] = json!("red");
    assert_violation(&node, &token, path, &extra, "").await;

    let mut member = node.example("member");
    member["joined"] = json!("last spring");
    assert_violation(&node, &token, "/api/v1/members/bad", &member, "/joined").await;

    let mut charter = node.example("charter");
    charter["principles"][1]["key"] = json!("governance");
    assert_violation(
        &node,
        &token,
        "/api/v1/charters/bad",
        &charter,
        "/principles/1/key",
    )
    .await;

    assert_violation(&node, &token, path, &json!([1, 2]), "").await;
    assert_eq!(node.get_activity_json("/outbox").await.1["totalItems"], 0);
    node.stop().await;
}

async fn malformed_requests_store_nothing(db: TestDatabase) {
    let node = TestNode::start_with(&db.url, |s| s.http.max_body_bytes = 64 * 1024).await;
    let token = node.token(Scope::Platform).await;
    let put_raw = |path: &str, content_type: &str, body: Vec<u8>| {
        node.client
            .put(node.url(path))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let problem = |response: reqwest::Response, status: u16| async move {
        assert_eq!(response.status(), status);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    };
    problem(
        put_raw(
            "/api/v1/offers/x",
            "application/json",
            b"{\"name\": ".to_vec(),
        )
        .await
        .unwrap(),
        400,
    )
    .await;
    problem(
        put_raw("/api/v1/offers/x", "text/plain", b"{}".to_vec())
            .await
            .unwrap(),
        415,
    )
    .await;
    let mut huge = node.example("offer");
    huge["summary"] = json!("x".repeat(100 * 1024));
    problem(
        put_raw(
            "/api/v1/offers/x",
            "application/json",
            serde_json::to_vec(&huge).unwrap(),
        )
        .await
        .unwrap(),
        413,
    )
    .await;
    problem(
        node.put_json("/api/v1/offers/bad%20id", &token, &node.example("offer"))
            .await,
        400,
    )
    .await;
    problem(
        node.put_json("/api/v1/widgets/x", &token, &node.example("offer"))
            .await,
        404,
    )
    .await;
    problem(
        node.get_with("/api/v1/offers?cursor=abc", &token).await,
        400,
    )
    .await;
    problem(
        node.get_with("/api/v1/offers?limit=100000", &token).await,
        400,
    )
    .await;
    problem(node.get_with("/api/v1/offers/none", &token).await, 404).await;
    problem(node.delete_with("/api/v1/offers/none", &token).await, 404).await;
    problem(node.get("/outbox?max_id=-3").await, 400).await;
    assert_eq!(node.get_activity_json("/outbox").await.1["totalItems"], 0);
    let list: Value = node
        .get_with("/api/v1/offers", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
    node.stop().await;
}

async fn tokens_are_enforced(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let offer = node.example("offer");
    let response = node
        .client
        .put(node.url("/api/v1/offers/o"))
        .json(&offer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        node.put_json("/api/v1/offers/o", "psl_not-a-token", &offer)
            .await
            .status(),
        401
    );

    let admin = node.token(Scope::Admin).await;
    let response = node.put_json("/api/v1/offers/o", &admin, &offer).await;
    assert_eq!(response.status(), 403);
    let problem: Value = response.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("platform"));

    let platform = node.token(Scope::Platform).await;
    assert_eq!(
        node.put_json("/api/v1/offers/o", &platform, &offer)
            .await
            .status(),
        201
    );
    let name = passerelle::domain::tokens::list(&node.context.store)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.scope == "platform")
        .unwrap()
        .name;
    passerelle::domain::tokens::revoke(&node.context.store, &name)
        .await
        .unwrap();
    assert_eq!(
        node.get_with("/api/v1/offers/o", &platform).await.status(),
        401
    );
    // Nothing changed by the refused calls: one Create only.
    assert_eq!(node.get_activity_json("/outbox").await.1["totalItems"], 1);
    node.stop().await;
}
