//! Bad input to the directory's admin API is refused with a problem
//! document (404, 409, 422, never 500) and changes nothing.

use serde_json::{Value, json};

use super::{CHARTER, publish_charter};
use crate::mock_peer::{MockPeer, new_key};
use crate::on_both_backends;
use crate::rig::federation::admin;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(bad_directory_input_changes_nothing);

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.unwrap()
}

async fn bad_directory_input_changes_nothing(db: TestDatabase) {
    let a = TestNode::start(&db).await;
    publish_charter(&a).await;
    let token = admin(&a).await;
    let stranger = MockPeer::with_actor(&new_key(), None).await;
    let admit = |body: Value| {
        let (a, token) = (&a, token.clone());
        async move { a.post_json("/api/v1/network/members", &token, &body).await }
    };
    let unknown = admit(json!({"charter": "nope", "actor": stranger.url("/actor")})).await;
    problem(unknown, 404).await;
    let not_actor = admit(json!({"charter": CHARTER, "actor": "not an actor"})).await;
    let body = problem(not_actor, 422).await;
    assert_eq!(body["errors"][0]["pointer"], "/actor", "{body}");
    let uncommitted = admit(json!({"charter": CHARTER, "actor": stranger.url("/actor")})).await;
    let body = problem(uncommitted, 422).await;
    assert!(body.to_string().contains("no commitment"), "{body}");
    let extra = admit(json!({"charter": CHARTER, "actor": stranger.url("/actor"), "x": 1})).await;
    problem(extra, 422).await;

    for path in [
        format!("/api/v1/network/members/999?charter={CHARTER}"),
        "/api/v1/network/members/abc?charter=x".to_owned(),
        "/api/v1/network/overrides/42".to_owned(),
    ] {
        problem(a.delete_with(&path, &token).await, 404).await;
    }
    problem(
        a.delete_with("/api/v1/network/members/1", &token).await,
        400,
    )
    .await;
    for (body, pointer) in [
        (
            json!({"actor": "https://b.example/actor", "decision": "ignore", "reason": "r"}),
            "/decision",
        ),
        (
            json!({"actor": "b.example", "decision": "keep", "reason": "r"}),
            "/actor",
        ),
        (
            json!({"actor": "https://b.example/actor", "decision": "keep", "reason": " "}),
            "/reason",
        ),
    ] {
        let response = a.put_json("/api/v1/network/overrides", &token, &body).await;
        let body = problem(response, 422).await;
        assert_eq!(body["errors"][0]["pointer"], pointer, "{body}");
    }
    let (status, _) = a.get_activity_json("/charters/nope/members").await;
    assert_eq!(status, 404);

    let view = a.api("/api/v1/network/directory", &token).await;
    assert_eq!(view["hosted"][0]["charter"], CHARTER, "{view}");
    assert_eq!(view["hosted"][0]["members"], json!([]), "{view}");
    assert_eq!(view["hosted"][0]["left"], json!([]), "{view}");
    assert_eq!(view["overrides"], json!([]), "{view}");
    let (_, directory) = a
        .get_activity_json(&format!("/charters/{CHARTER}/members"))
        .await;
    assert_eq!(directory["totalItems"], 0);
    a.stop().await;
}
