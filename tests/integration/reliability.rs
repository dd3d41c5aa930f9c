//! Faults on the way to a peer: the node waits longer after each failure,
//! as the README's retry schedule says.

use std::time::Duration;

use axum::http::StatusCode;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::mock_peer::{Documents, MockPeer, actor_document, follow, new_key};
use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode, eventually};
use crate::signing::SignedPost;

on_both_backends!(failing_peer_is_retried_on_the_documented_schedule);

/// A follower whose inbox always answers 503: the `Accept` it is owed is
/// retried after about 2 s, then 4 s, then 8 s (±20 %): four attempts in
/// the first 20 s, not one every few seconds.
async fn failing_peer_is_retried_on_the_documented_schedule(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let node_admin = node.token(Scope::Admin).await;
    let key = new_key();
    let mut peer = MockPeer::bind().await;
    peer.post_status = StatusCode::SERVICE_UNAVAILABLE;
    let mut documents = Documents::new();
    documents.insert(
        "/actor".into(),
        (
            "application/activity+json",
            actor_document(&peer, &key, None),
        ),
    );
    peer.serve(documents);
    let actor = peer.url("/actor");
    let response = SignedPost::new(
        &node.url("/inbox"),
        follow(&actor, &node.actor()),
        &format!("{actor}#main-key"),
        &key,
    )
    .send(&reqwest::Client::new())
    .await;
    assert_eq!(response.status(), 202);
    let requests = node.api("/api/v1/admin/follow-requests", &node_admin).await;
    let approved = node
        .post_json(
            &format!(
                "/api/v1/admin/follow-requests/{}/approve",
                requests[0]["id"]
            ),
            &node_admin,
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);

    let first = eventually("the first attempt", 20, || async {
        peer.times("POST", "/inbox").first().copied()
    })
    .await;
    tokio::time::sleep_until((first + Duration::from_secs(20)).into()).await;
    let attempts: Vec<Duration> = peer
        .times("POST", "/inbox")
        .into_iter()
        .map(|at| at - first)
        .filter(|since| *since < Duration::from_secs(20))
        .collect();
    let gaps: Vec<f64> = attempts
        .windows(2)
        .map(|pair| (pair[1] - pair[0]).as_secs_f64())
        .collect();
    assert_eq!(attempts.len(), 4, "gaps between attempts: {gaps:?}");
    for (n, gap) in gaps.iter().enumerate() {
        let expected = 2.0 * f64::from(1 << n);
        // ±20 % jitter, plus the time the worker takes to notice.
        assert!(
            *gap >= expected * 0.8 - 0.1 && *gap <= expected * 1.2 + 1.5,
            "gap {n} is {gap:.1} s, expected about {expected} s: {gaps:?}"
        );
    }
    let deliveries: Value = node
        .api("/api/v1/admin/deliveries?state=failing", &node_admin)
        .await;
    assert_eq!(deliveries[0]["failures"], 4, "{deliveries}");
    node.stop().await;
}
