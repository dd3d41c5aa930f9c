//! More than one node: a node of its own next to the test's, and the
//! steps of following between nodes (and from a mock peer) that many
//! tests take before what they are about.

use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use super::{TestDatabase, TestNode, eventually};
use crate::signing::SignedPost;

/// A node of its own, on a database next to `db`'s.
pub async fn node_named(
    db: &TestDatabase,
    slug: &str,
    adjust: impl FnOnce(&mut passerelle::Settings),
) -> (TestNode, TestDatabase) {
    let own = TestDatabase::new(db.backend)
        .await
        .expect("same backend as the test's");
    let slug = slug.to_owned();
    let node = TestNode::start_with(&own.url, |s| {
        s.platform.slug = slug.clone();
        s.platform.name = format!("{slug} cooperative");
        s.platform.summary = format!("The {slug} platform.");
        adjust(s);
    })
    .await;
    (node, own)
}

pub async fn admin(node: &TestNode) -> String {
    node.token(Scope::Admin).await
}

/// `node` asks to follow `target` (a handle or an actor URL); the request
/// is accepted for sending (202).
pub async fn request_follow(node: &TestNode, admin: &str, target: &str) {
    let response = node
        .post_json("/api/v1/admin/follows", admin, &json!({"target": target}))
        .await;
    assert_eq!(response.status(), 202, "{:?}", response.text().await);
}

/// `a` asks to follow `b`; returns `b`'s pending request once it arrived.
pub async fn ask_to_follow(a: &TestNode, a_admin: &str, b: &TestNode, b_admin: &str) -> Value {
    request_follow(a, a_admin, &b.handle()).await;
    let a_actor = a.actor();
    eventually("the follow request to arrive", 20, || async {
        let requests = b
            .api("/api/v1/admin/follow-requests?state=all", b_admin)
            .await;
        requests
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["peer"]["actor"] == a_actor)
            .cloned()
    })
    .await
}

/// State of `a`'s follow of `b`, as `a` sees it.
pub async fn follow_state(a: &TestNode, a_admin: &str, b: &TestNode) -> Option<String> {
    let follows = a.api("/api/v1/admin/follows", a_admin).await;
    follows
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["peer"]["actor"] == b.actor())
        .map(|f| f["state"].as_str().unwrap().to_owned())
}

pub async fn wait_follow_state(a: &TestNode, a_admin: &str, b: &TestNode, state: &str) {
    eventually(&format!("the follow to become {state}"), 20, || async {
        (follow_state(a, a_admin, b).await.as_deref() == Some(state)).then_some(())
    })
    .await;
}

/// The id of the `Follow` `node` sent to `actor`: what an `Accept` of it
/// names.
pub async fn follow_uri(node: &TestNode, actor: &str) -> String {
    let peer = node
        .context
        .store
        .peer_by_uri(actor)
        .await
        .expect("the store")
        .expect("the followed peer is known");
    node.context
        .store
        .follow_out_by_peer(peer.id)
        .await
        .expect("the store")
        .expect("a follow of the peer")
        .follow_uri
}

/// The remote `actor` (whose key is `key`, a mock peer's) follows `node`,
/// and `node`'s admin approves: the first request waiting is this one.
pub async fn approve_follower(
    node: &TestNode,
    node_admin: &str,
    actor: &str,
    key: &rsa::RsaPrivateKey,
) {
    let response = SignedPost::new(
        &node.url("/inbox"),
        crate::mock_peer::follow(actor, &node.actor()),
        &format!("{actor}#main-key"),
        key,
    )
    .send(&reqwest::Client::new())
    .await;
    assert_eq!(response.status(), 202);
    let requests = node.api("/api/v1/admin/follow-requests", node_admin).await;
    let approved = node
        .post_json(
            &format!(
                "/api/v1/admin/follow-requests/{}/approve",
                requests[0]["id"]
            ),
            node_admin,
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
}

/// `member` publishes its commitment to version 1 of `host`'s charter.
pub async fn commit_to_charter(host: &TestNode, member: &TestNode) {
    let platform = member.token(Scope::Platform).await;
    let text = serde_json::to_string(&member.example("commitment"))
        .unwrap()
        .replace(
            &member.url("/charters/pec-charter/versions/1"),
            &host.url("/charters/pec-charter/versions/1"),
        );
    let commitment: Value = serde_json::from_str(&text).unwrap();
    let response = member
        .put_json("/api/v1/commitments/pec", &platform, &commitment)
        .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
}

/// `node`'s view of the peer whose actor is `actor` (admin API), if known.
pub async fn peer_view(node: &TestNode, admin: &str, actor: &str) -> Option<Value> {
    let peers = node.api("/api/v1/admin/peers", admin).await;
    peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["actor"] == actor)
        .cloned()
}

/// The names of the objects of `kind` (`offers`, `members`…) in `node`'s
/// catalog (its first 100), sorted.
pub async fn catalog_names(node: &TestNode, token: &str, kind: &str) -> Vec<String> {
    let page = node
        .api(&format!("/api/v1/catalog/{kind}?limit=100"), token)
        .await;
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["object"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}
