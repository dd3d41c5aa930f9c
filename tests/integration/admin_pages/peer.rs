//! One peer's page: its profile, the relationship both ways, its delivery
//! stream and what it received; exclusion only with the confirmation box.

use passerelle::domain::tokens::Scope;
use reqwest::StatusCode;
use serde_json::json;

use super::{audit_actions, post_form};
use crate::console::{page, sign_in};
use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(a_peer_page_shows_what_it_received_and_excludes_it_once_confirmed);

/// `b` follows `a` (approved) and `a` publishes an offer: `b`'s peer id
/// on `a`, once the offer was delivered.
pub async fn follower_with_a_delivery(
    a: &TestNode,
    a_admin: &str,
    b: &TestNode,
    b_admin: &str,
) -> i64 {
    let request = ask_to_follow(b, b_admin, a, a_admin).await;
    let path = format!("/api/v1/admin/follow-requests/{}/approve", request["id"]);
    assert_eq!(a.post_json(&path, a_admin, &json!({})).await.status(), 200);
    wait_follow_state(b, b_admin, a, "active").await;
    let platform = a.token(Scope::Platform).await;
    let mut offer = a.example("offer");
    offer["name"] = json!("Peer page apples");
    let response = a.put_json("/api/v1/offers/apples", &platform, &offer).await;
    assert!(response.status().is_success());
    let peers = a.api("/api/v1/admin/peers", a_admin).await;
    let id = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["actor"] == b.actor())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    eventually("the offer to be delivered", 20, || async {
        let received = a
            .api(&format!("/api/v1/admin/peers/{id}/received"), a_admin)
            .await;
        (!received.as_array().unwrap().is_empty()).then_some(())
    })
    .await;
    id
}

async fn a_peer_page_shows_what_it_received_and_excludes_it_once_confirmed(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let id = follower_with_a_delivery(&a, &a_admin, &b, &b_admin).await;
    let session = sign_in(&a, &a_admin).await;
    let path = format!("/admin/peers/{id}");

    let (_, list) = page(&a, &session.cookie, "/admin/peers").await;
    assert!(
        list.contains(&format!("href=\"{path}\"")),
        "linked from Peers"
    );
    let (status, html) = page(&a, &session.cookie, &path).await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "velocoop cooperative",
        &super::escaped(&b.actor()),
        "They follow us",
        "approved",
        "healthy",
        "&#x2f;offers&#x2f;apples",
        "Create",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }

    // Exclusion without the confirmation box: refused, nothing changed.
    let exclude = format!("{path}/exclude");
    let (_, location) = post_form(&a, &session, &exclude, &[("reason", "spam")]).await;
    assert!(location.starts_with("/admin/peers?error="), "{location}");
    let peers = a.api("/api/v1/admin/peers", &a_admin).await;
    let peer = peers.as_array().unwrap().iter().find(|p| p["id"] == id);
    assert!(peer.unwrap()["excluded"].is_null(), "{peers}");
    assert!(
        !audit_actions(&a, &a_admin)
            .await
            .contains(&"peer.excluded".to_owned())
    );

    // Confirmed: excluded, audited, and the page says so.
    let (_, location) = post_form(
        &a,
        &session,
        &exclude,
        &[("reason", "spam"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(location, "/admin/peers?done=excluded");
    assert_eq!(audit_actions(&a, &a_admin).await[0], "peer.excluded");
    let (_, html) = page(&a, &session.cookie, &path).await;
    assert!(html.contains("Re-include") && html.contains("spam"));

    // Ids that are not a peer's.
    assert_eq!(
        page(&a, &session.cookie, "/admin/peers/999").await.0,
        StatusCode::NOT_FOUND
    );
    assert!(
        page(&a, &session.cookie, "/admin/peers/abc")
            .await
            .0
            .is_client_error()
    );
    assert!(
        page(&a, &session.cookie, &format!("{path}?received=x"))
            .await
            .0
            .is_client_error()
    );
    a.stop().await;
    b.stop().await;
}
