//! What strangers and bad input cannot do to a network's membership: a
//! `Join` for a charter not hosted here, or one that skips principles, or
//! a stranger's exclusion proposal or reply, is refused and stores
//! nothing; the admin API answers problem documents and changes nothing.

use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::membership::helpers::answers;
use crate::mock_peer::{MockPeer, stranger_posts};
use crate::on_both_backends;
use crate::rig::TestDatabase;
use crate::rig::federation::{admin, node_named};

on_both_backends!(strangers_and_bad_input_change_no_membership);

async fn strangers_and_bad_input_change_no_membership(db: TestDatabase) {
    let (a, a_db) = node_named(&db, "pec", |_| {}).await;
    let a_admin = admin(&a).await;
    let platform = a.token(Scope::Platform).await;
    let charter = a.example("charter");
    let put = a
        .put_json("/api/v1/charters/pec-charter", &platform, &charter)
        .await;
    assert_eq!(put.status(), 201);
    let network = a.url("/charters/pec-charter");
    let principle = |key: &str| format!("{network}/versions/1#{key}");

    let join = |network: String, answers: Value| {
        move |actor: &str, peer: &MockPeer| {
            json!({"id": peer.url("/activities/join"), "type": "Join", "actor": actor,
                "object": network, "commitment": peer.url("/commitments/pec"), "answers": answers})
        }
    };
    let all: Vec<Value> = charter["principles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!({"principle": principle(p["key"].as_str().unwrap()), "content": "yes"}))
        .collect();
    // Not a charter hosted here; a principle left unanswered; one invented.
    let elsewhere = join(a.url("/charters/other"), json!(all));
    assert_eq!(stranger_posts(&a, elsewhere).await, 404);
    let partial = join(network.clone(), json!(all[..2]));
    assert_eq!(stranger_posts(&a, partial).await, 422);
    let mut invented = all.clone();
    invented.push(json!({"principle": principle("invented"), "content": "yes"}));
    assert_eq!(
        stranger_posts(&a, join(network.clone(), json!(invented))).await,
        422
    );
    // A stranger proposes an exclusion, or replies to a vote.
    let proposal = |actor: &str, peer: &MockPeer| {
        json!({"id": peer.url("/activities/offer"), "type": "Offer", "actor": actor,
            "object": {"type": "Remove", "object": "https://elsewhere.example/actor",
                "target": format!("{}/members", a.url("/charters/pec-charter"))},
            "content": "because"})
    };
    assert_eq!(stranger_posts(&a, proposal).await, 403);
    assert_eq!(
        a_db.query_i64("SELECT COUNT(*) FROM network_requests")
            .await,
        0
    );
    assert_eq!(a_db.query_i64("SELECT COUNT(*) FROM amendments").await, 0);

    // The admin API: problem documents, nothing changed.
    for (path, body, status) in [
        (
            "/api/v1/network/join",
            json!({"network": "not a url", "answers": answers(&charter)}),
            422,
        ),
        (
            "/api/v1/network/join",
            json!({"network": network, "answers": answers(&charter)}),
            422,
        ),
        (
            "/api/v1/network/join",
            json!({"network": "https://x.example/charters/c", "answers": {}}),
            422,
        ),
        (
            "/api/v1/network/requests/999/refuse",
            json!({"reason": "no"}),
            404,
        ),
        ("/api/v1/network/requests/999/vote", json!({}), 404),
        ("/api/v1/network/requests/abc/vote", json!({}), 404),
        (
            "/api/v1/network/votes/999/vote",
            json!({"choice": "approve"}),
            404,
        ),
        (
            "/api/v1/network/exclusions",
            json!({"network": "pec-charter", "member": "https://x.example/actor", "reasons": "r"}),
            404,
        ),
        (
            "/api/v1/network/exclusions",
            json!({"network": "pec-charter", "member": "x", "reasons": ""}),
            422,
        ),
    ] {
        let response = a.post_json(path, &a_admin, &body).await;
        assert_eq!(response.status().as_u16(), status, "{path} {body}");
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(kind, "application/problem+json", "{path}");
    }
    let requests = a.api("/api/v1/network/requests", &a_admin).await;
    assert_eq!(requests, json!({"received": [], "sent": []}));
    assert_eq!(a.api("/api/v1/network/votes", &a_admin).await, json!([]));
}
