//! Bad input to the amendment API and inbox: problem documents, and
//! nothing changed.

use passerelle::domain::tokens::Scope;
use serde_json::json;

use super::{open_amendment, proposed, uncommitted_vote, vote};
use crate::on_both_backends;
use crate::rig::TestDatabase;
use crate::rig::federation::{admin, node_named};

on_both_backends!(bad_amendment_input_changes_nothing);

async fn bad_amendment_input_changes_nothing(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "pec", |_| {}).await;
    let a_admin = admin(&a).await;
    let a_platform = a.token(Scope::Platform).await;
    a.put_json(
        "/api/v1/charters/pec-charter",
        &a_platform,
        &a.example("charter"),
    )
    .await;
    let problems = [
        // Unknown charter.
        (
            json!({"charter": "nope", "summary": "s", "proposed": proposed(&a)}),
            404,
        ),
        // The same text as now.
        (
            json!({"charter": "pec-charter", "summary": "s", "proposed": a.example("charter")}),
            422,
        ),
        // Too short a vote, a quorum above 100, an unknown majority rule.
        (
            json!({"charter": "pec-charter", "summary": "s", "proposed": proposed(&a), "duration_seconds": 1}),
            422,
        ),
        (
            json!({"charter": "pec-charter", "summary": "s", "proposed": proposed(&a), "quorum_percent": 101}),
            422,
        ),
        (
            json!({"charter": "pec-charter", "summary": "s", "proposed": proposed(&a), "majority": "most"}),
            422,
        ),
        // A proposed version that is not a charter.
        (
            json!({"charter": "pec-charter", "summary": "s", "proposed": {"name": 3}}),
            422,
        ),
        (
            json!({"charter": "pec-charter", "summary": "s", "proposed": proposed(&a), "extra": 1}),
            422,
        ),
    ];
    for (body, status) in problems {
        let response = a.post_json("/api/v1/amendments", &a_admin, &body).await;
        assert_eq!(response.status(), status, "{body}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    let malformed = reqwest::Client::new()
        .post(a.url("/api/v1/amendments"))
        .bearer_auth(&a_admin)
        .header("content-type", "application/json")
        .body("{\"charter\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(a.api("/api/v1/amendments", &a_admin).await, json!([]));

    let opened = open_amendment(&a, &a_admin).await;
    // One open amendment per charter.
    let again = a
        .post_json(
            "/api/v1/amendments",
            &a_admin,
            &json!({"charter": "pec-charter", "summary": "again", "proposed": proposed(&a)}),
        )
        .await;
    assert_eq!(again.status(), 409);
    // Unknown ids, a bad choice, a malformed vote, the host voting.
    assert_eq!(
        vote(&a, &a_admin, &json!(999), "approve").await.status(),
        404
    );
    assert_eq!(
        vote(&a, &a_admin, &json!("x"), "approve").await.status(),
        404
    );
    assert_eq!(
        vote(&a, &a_admin, &opened["id"], "maybe").await.status(),
        422
    );
    assert_eq!(
        vote(&a, &a_admin, &opened["id"], "approve").await.status(),
        409
    );
    let malformed = reqwest::Client::new()
        .post(a.url(&format!("/api/v1/amendments/{}/vote", opened["id"])))
        .bearer_auth(&a_admin)
        .header("content-type", "application/json")
        .body("{choice")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        a.get_with("/api/v1/amendments/12345", &a_admin)
            .await
            .status(),
        404
    );
    let view = a
        .api(&format!("/api/v1/amendments/{}", opened["id"]), &a_admin)
        .await;
    assert_eq!(view["tally"]["voters"], 0);
    assert_eq!(view["tally"]["eligible"], 0);
    assert_eq!(
        a.api("/api/v1/amendments", &a_admin)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Votes are published once tallied; unknown amendments are not found.
    let question = opened["uri"].as_str().unwrap();
    assert_eq!(
        a.get_activity_json(&format!("{question}/votes")).await.0,
        404
    );
    assert_eq!(a.get_activity_json(question).await.0, 200);
    assert_eq!(a.get_activity_json("/amendments/unknown").await.0, 404);
    // A vote for an unknown amendment, from a node without commitment.
    assert_eq!(
        uncommitted_vote(&a, &a.url("/amendments/unknown")).await,
        404
    );
    a.stop().await;
}
