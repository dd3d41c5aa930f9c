//! A member's draft: offered to the host, which opens the vote on one and
//! rejects another (the member hears both); the member votes from its
//! console.

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{Value, json};

use super::{commit_and_follow, proposed, the_amendment};
use crate::console::{client, page, sign_in};
use crate::on_both_backends;
use crate::rig::federation::{admin, node_named};
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(a_members_draft_opens_a_vote_and_the_console_votes);

async fn offer(
    member: &TestNode,
    token: &str,
    host: &TestNode,
    summary: &str,
) -> reqwest::Response {
    member
        .post_json(
            "/api/v1/amendments/drafts",
            token,
            &json!({"amends": host.url("/charters/pec-charter/versions/1"),
                "summary": summary, "proposed": proposed(host)}),
        )
        .await
}

/// The audit actions `node` logged.
async fn actions(node: &TestNode, token: &str) -> Vec<String> {
    let audit = node.api("/api/v1/admin/audit", token).await;
    audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_members_draft_opens_a_vote_and_the_console_votes(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "pec", |s| s.federation.admission = Admission::Open).await;
    let (b, _b_db) = node_named(&db, "foodhub", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let a_platform = a.token(Scope::Platform).await;
    a.put_json(
        "/api/v1/charters/pec-charter",
        &a_platform,
        &a.example("charter"),
    )
    .await;
    commit_and_follow(&a, &b).await;

    for summary in ["Openness for all.", "A draft the host declines."] {
        assert_eq!(offer(&b, &b_admin, &a, summary).await.status(), 202);
    }
    // A version of a host this node does not know.
    let unknown = b
        .post_json(
            "/api/v1/amendments/drafts",
            &b_admin,
            &json!({"amends": "https://nowhere.example/charters/c/versions/1",
                "summary": "s", "proposed": proposed(&a)}),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let drafts = eventually("both drafts on the host", 20, || async {
        let drafts = a.api("/api/v1/amendments/drafts", &a_admin).await;
        (drafts.as_array().unwrap().len() == 2).then_some(drafts)
    })
    .await;
    let by_summary = |summary: &str| -> Value {
        drafts
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["summary"] == summary)
            .unwrap()
            .clone()
    };
    let (accepted, declined) = (
        by_summary("Openness for all."),
        by_summary("A draft the host declines."),
    );
    assert_eq!(accepted["state"], "pending");
    assert_eq!(accepted["proposer"], b.actor());

    let rejected = a
        .post_json(
            &format!("/api/v1/amendments/drafts/{}/reject", declined["id"]),
            &a_admin,
            &json!({"reason": "covered by the other draft"}),
        )
        .await;
    assert_eq!(rejected.status(), 204);
    let opened = a
        .post_json(
            &format!("/api/v1/amendments/drafts/{}/accept", accepted["id"]),
            &a_admin,
            &json!({"duration_seconds": 3600}),
        )
        .await;
    assert_eq!(opened.status(), 201);
    let opened: Value = opened.json().await.unwrap();
    assert_eq!(opened["summary"], "Openness for all.");
    assert_eq!(opened["tally"]["eligible"], 1);
    let again = a
        .post_json(
            &format!("/api/v1/amendments/drafts/{}/accept", accepted["id"]),
            &a_admin,
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 409);

    // B hears both answers, and the vote opens on B.
    eventually("B to hear both answers", 20, || async {
        let actions = actions(&b, &b_admin).await;
        (actions.iter().any(|a| a == "amendment.draft_accepted")
            && actions.iter().any(|a| a == "amendment.draft_rejected"))
        .then_some(())
    })
    .await;
    let on_b = the_amendment(&b, &b_admin).await;
    assert_eq!(on_b["uri"], opened["uri"]);

    // B votes from its console.
    let session = sign_in(&b, &b_admin).await;
    let (status, html) = page(&b, &session.cookie, "/admin/amendments").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Openness for all."), "{html}");
    let voted = client()
        .post(b.url(&format!("/admin/amendments/{}/vote", on_b["id"])))
        .header(COOKIE, &session.cookie)
        .form(&[("csrf", session.csrf.as_str()), ("choice", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(voted.status(), StatusCode::SEE_OTHER);
    assert_eq!(voted.headers()[LOCATION], "/admin/amendments?done=voted");
    let id = opened["id"].clone();
    eventually("the host to count B's vote", 20, || async {
        let view = a.api(&format!("/api/v1/amendments/{id}"), &a_admin).await;
        (view["tally"]["approve"] == 1).then_some(())
    })
    .await;
    let (_, html) = page(&a, &sign_in(&a, &a_admin).await.cookie, "/admin/amendments").await;
    assert!(html.contains("Openness for all."));
    a.stop().await;
    b.stop().await;
}
