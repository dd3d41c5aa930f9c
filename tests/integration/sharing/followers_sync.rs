//! Followers synchronisation (FEP-8fcf) between real nodes: A's
//! deliveries to its followers carry a signed `Collection-Synchronization`
//! header that B checks; the partial followers collection answers only a
//! signed GET and lists only the signer's origin; a follow B lost behind
//! A's back is reconciled by the next delivery; a header pointing off the
//! sender's origin is never fetched.

use serde_json::{Value, json};

use crate::fedify::FedifyPeer;
use crate::mock_peer::{self, Documents, MockPeer};
use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually, get_json, metric_value};
use crate::signing::SignedPost;

on_both_backends!(
    deliveries_carry_a_header_that_verifies,
    a_lost_follow_is_reconciled_by_the_next_delivery,
    a_header_off_the_senders_origin_is_not_fetched,
    a_follow_the_peer_does_not_list_ends_here,
    with_a_fedify_peer_headers_go_both_ways,
);

const PARTIAL: &str = "/followers_synchronization";

/// B follows A, approved by A's admin.
async fn b_follows_a(a: &TestNode, a_admin: &str, b: &TestNode, b_admin: &str) {
    let request = ask_to_follow(b, b_admin, a, a_admin).await;
    let id = request["id"].as_i64().unwrap();
    let approved = a
        .post_json(
            &format!("/api/v1/admin/follow-requests/{id}/approve"),
            a_admin,
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    wait_follow_state(b, b_admin, a, "active").await;
}

async fn publish_offer(node: &TestNode, local_id: &str) {
    let platform = node
        .token(passerelle::domain::tokens::Scope::Platform)
        .await;
    let response = node
        .put_json(
            &format!("/api/v1/offers/{local_id}"),
            &platform,
            &node.example("offer"),
        )
        .await;
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
}

async fn sync_count(node: &TestNode, outcome: &str) -> u64 {
    let metrics = node.get("/metrics").await.text().await.unwrap();
    metric_value(
        &metrics,
        &format!("passerelle_followers_sync_total{{outcome=\"{outcome}\"}}"),
    )
}

async fn audit_actions(node: &TestNode, token: &str) -> Vec<String> {
    let page = node.api("/api/v1/admin/audit", token).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn followers_of(node: &TestNode) -> Vec<String> {
    let (_, collection) = node.get_activity_json("/followers").await;
    let (_, page) = node
        .get_activity_json(collection["first"].as_str().unwrap())
        .await;
    page["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect()
}

/// The partial collection `url` as the holder of `key` (whose actor is
/// `actor`) reads it: status and document.
async fn signed_get(url: &str, actor: &str, key: &rsa::RsaPrivateKey) -> (u16, Value) {
    let response = SignedPost::get(url, &format!("{actor}#main-key"), key)
        .send(&reqwest::Client::new())
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn deliveries_carry_a_header_that_verifies(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    b_follows_a(&a, &a_admin, &b, &b_admin).await;

    publish_offer(&a, "bikes").await;
    // B received the offer with a header its signature covered, and the
    // digest matched what B believes: its follow of A, active.
    eventually("B to find A's header in sync", 20, || async {
        (sync_count(&b, "in_sync").await >= 1).then_some(())
    })
    .await;
    for outcome in ["ignored", "mismatch", "failed"] {
        assert_eq!(sync_count(&b, outcome).await, 0, "{outcome}");
    }

    // The partial collection: B (signed) reads itself; no one else does.
    let (status, partial) =
        signed_get(&a.url(PARTIAL), &b.actor(), &b.context.keys().rsa_private).await;
    assert_eq!(status, 200, "{partial}");
    assert_eq!(partial["type"], "OrderedCollection");
    assert_eq!(partial["orderedItems"], json!([b.actor()]));
    assert_eq!(a.get(PARTIAL).await.status(), 401);
    let key = mock_peer::new_key();
    let stranger = MockPeer::with_actor(&key, None).await;
    let (status, partial) = signed_get(&a.url(PARTIAL), &stranger.url("/actor"), &key).await;
    assert_eq!(status, 200, "{partial}");
    assert_eq!(partial["orderedItems"], json!([]));
    a.stop().await;
    b.stop().await;
}

async fn a_lost_follow_is_reconciled_by_the_next_delivery(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    b_follows_a(&a, &a_admin, &b, &b_admin).await;

    // B's record says its follow still waits for an answer (an Accept lost
    // to a rollback): A lists B, so the next delivery settles it.
    b_db.execute("UPDATE follows_out SET state = 'pending'")
        .await;
    publish_offer(&a, "bikes").await;
    wait_follow_state(&b, &b_admin, &a, "active").await;

    // B's record of following A is gone, behind A's back: A's next
    // delivery tells B it is listed, B says Undo, A drops it.
    b_db.execute("DELETE FROM follows_out").await;
    assert_eq!(followers_of(&a).await, [b.actor()]);
    publish_offer(&a, "tools").await;
    eventually("A to drop the follower B no longer is", 20, || async {
        followers_of(&a).await.is_empty().then_some(())
    })
    .await;
    assert!(
        audit_actions(&b, &b_admin)
            .await
            .contains(&"follow.sync_undone".to_owned())
    );
    assert!(
        audit_actions(&a, &a_admin)
            .await
            .contains(&"follower.undone".to_owned())
    );
    a.stop().await;
    b.stop().await;
}

/// A mock peer whose actor names a followers collection, serving
/// `partial` as its partial followers collection.
async fn peer_with_followers(key: &rsa::RsaPrivateKey, partial: Value) -> MockPeer {
    let mut peer = MockPeer::bind().await;
    let mut actor: Value =
        serde_json::from_str(&mock_peer::actor_document(&peer, key, None)).unwrap();
    actor["followers"] = json!(peer.url("/followers"));
    let mut documents = Documents::new();
    documents.insert(
        "/actor".into(),
        ("application/activity+json", actor.to_string()),
    );
    documents.insert(
        PARTIAL.into(),
        ("application/activity+json", partial.to_string()),
    );
    peer.serve(documents);
    peer
}

/// A signed `Follow` from the mock peer to `node`, carrying a signed
/// `Collection-Synchronization` header with `url` and `digest`.
async fn deliver_with_header(
    peer: &MockPeer,
    key: &rsa::RsaPrivateKey,
    node: &TestNode,
    url: &str,
    digest: &str,
) {
    let actor = peer.url("/actor");
    let header = format!(
        "collectionId=\"{}\", url=\"{url}\", digest=\"{digest}\"",
        peer.url("/followers")
    );
    let post = SignedPost {
        signed_headers: "(request-target) host date digest collection-synchronization",
        extra: Some(("collection-synchronization", header)),
        ..SignedPost::new(
            &node.url("/inbox"),
            mock_peer::follow(&actor, &node.actor()),
            &format!("{actor}#main-key"),
            key,
        )
    };
    let response = post.send(&reqwest::Client::new()).await;
    assert_eq!(response.status(), 202);
}

async fn a_header_off_the_senders_origin_is_not_fetched(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let key = mock_peer::new_key();
    let peer = peer_with_followers(
        &key,
        json!({"type": "OrderedCollection", "orderedItems": []}),
    )
    .await;
    let elsewhere = MockPeer::with_actor(&mock_peer::new_key(), None).await;
    let digest = "1".repeat(64);

    // Its url is on another origin: the header is ignored, nothing fetched.
    deliver_with_header(&peer, &key, &node, &elsewhere.url(PARTIAL), &digest).await;
    eventually("the foreign header to be ignored", 20, || async {
        (sync_count(&node, "ignored").await >= 1).then_some(())
    })
    .await;
    // The same header on the sender's origin is acted on: fetched there.
    deliver_with_header(&peer, &key, &node, &peer.url(PARTIAL), &digest).await;
    eventually(
        "the sender's partial collection to be fetched",
        20,
        || async { (peer.hits("GET", PARTIAL) >= 1).then_some(()) },
    )
    .await;
    assert_eq!(elsewhere.hits("GET", PARTIAL), 0);
    assert_eq!(elsewhere.total(), 0);
    node.stop().await;
}

async fn a_follow_the_peer_does_not_list_ends_here(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let token = admin(&node).await;
    let key = mock_peer::new_key();
    let peer = peer_with_followers(
        &key,
        json!({"type": "OrderedCollection", "orderedItems": []}),
    )
    .await;
    let actor = peer.url("/actor");
    crate::rig::federation::request_follow(&node, &token, &actor).await;
    let follow_uri = crate::rig::federation::follow_uri(&node, &actor).await;
    let accept = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.url("/activities/accept-1"),
        "type": "Accept",
        "actor": actor,
        "object": follow_uri,
    });
    let response = SignedPost::new(
        &node.url("/inbox"),
        serde_json::to_vec(&accept).unwrap(),
        &format!("{actor}#main-key"),
        &key,
    )
    .send(&reqwest::Client::new())
    .await;
    assert_eq!(response.status(), 202);
    let follows = node.api("/api/v1/admin/follows", &token).await;
    assert_eq!(follows[0]["state"], "active");

    // The peer says no one of ours follows it (the digest of nobody), and
    // its partial collection agrees: our follow ends here.
    deliver_with_header(&peer, &key, &node, &peer.url(PARTIAL), &"0".repeat(64)).await;
    eventually("our follow to end", 20, || async {
        let follows = node.api("/api/v1/admin/follows", &token).await;
        follows.as_array().unwrap().is_empty().then_some(())
    })
    .await;
    assert!(
        audit_actions(&node, &token)
            .await
            .contains(&"follow.sync_ended".to_owned())
    );
    node.stop().await;
}

/// The real Fedify peer (`tests/interop`): it receives our header without
/// error, and its own header (sent with `syncCollection`) is honoured: a
/// follow the node lost is undone at Fedify's end.
async fn with_a_fedify_peer_headers_go_both_ways(db: TestDatabase) {
    let Some(fedify) = FedifyPeer::start().await else {
        return;
    };
    let node = TestNode::start(&db).await;
    let token = admin(&node).await;

    // Fedify follows the node, approved; an offer to followers reaches it
    // with our header, and Fedify records no error.
    fedify
        .control("follow", json!({"target": node.actor()}))
        .await;
    let request = eventually("Fedify's follow request", 30, || async {
        let requests = node.api("/api/v1/admin/follow-requests", &token).await;
        requests.as_array().unwrap().first().cloned()
    })
    .await;
    let approve = format!("/api/v1/admin/follow-requests/{}/approve", request["id"]);
    assert_eq!(
        node.post_json(&approve, &token, &json!({})).await.status(),
        200
    );
    publish_offer(&node, "apples").await;
    let offer = node.url("/offers/apples");
    let received = eventually("Fedify to receive the offer", 30, || async {
        let received = fedify.received().await;
        received
            .iter()
            .any(|r| r["type"] == "Create" && r["objectId"] == offer)
            .then_some(received)
    })
    .await;
    assert!(
        !received.iter().any(|r| r["type"] == "error"),
        "{received:?}"
    );

    // The node follows Fedify; Fedify's posts to its followers carry its
    // header, which matches what the node believes.
    crate::rig::federation::request_follow(&node, &token, &fedify.actor()).await;
    let following = || async {
        let follows = node.api("/api/v1/admin/follows", &token).await;
        follows
            .as_array()
            .unwrap()
            .first()
            .map(|f| f["state"].clone())
    };
    eventually("Fedify to accept the node's follow", 30, || async {
        (following().await == Some(json!("active"))).then_some(())
    })
    .await;
    let fedify_followers =
        || async { get_json(&format!("{}/control/followers", fedify.base), None).await };
    assert!(
        fedify_followers()
            .await
            .as_array()
            .unwrap()
            .contains(&json!(node.actor()))
    );
    fedify.control("publish", json!({})).await;
    eventually("the node to find Fedify's header in sync", 30, || async {
        (sync_count(&node, "in_sync").await >= 1).then_some(())
    })
    .await;

    // The node loses its follow behind Fedify's back: Fedify's next post
    // makes the node fetch Fedify's partial collection and undo the follow.
    db.execute("DELETE FROM follows_out").await;
    fedify.control("publish", json!({})).await;
    eventually("Fedify to drop the node from its followers", 30, || async {
        let followers = fedify_followers().await;
        (!followers.as_array().unwrap().contains(&json!(node.actor()))).then_some(())
    })
    .await;
    assert!(sync_count(&node, "undone").await >= 1);
    node.stop().await;
}
