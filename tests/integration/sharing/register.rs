//! The sharing register (issue 26, part 5): the admin's view of whom we
//! share with, its signed copy an auditor verifies offline, and each
//! peer's own entry by signed GET.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::console::{page, sign_in};
use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually, verify_offline};
use crate::signing::SignedPost;

/// `peer`'s entry in `node`'s register, if it has one.
async fn entry_of(node: &TestNode, admin: &str, peer: &TestNode) -> Option<Value> {
    let register = node.api("/api/v1/admin/sharing", admin).await;
    register["peers"]
        .as_array()?
        .iter()
        .find(|e| e["peer"]["actor"] == peer.actor())
        .cloned()
}

async fn sharing_register(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "alpha", |_| {}).await;
    let (b, _b_db) = node_named(&db, "beta", |_| {}).await;
    let (c, _c_db) = node_named(&db, "gamma", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let request = ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    let approved = a
        .post_json(
            &format!("/api/v1/admin/follow-requests/{}/approve", request["id"]),
            &a_admin,
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    wait_follow_state(&b, &b_admin, &a, "active").await;
    let b_id = request["peer"]["id"].clone();

    let platform = a.token(passerelle::domain::tokens::Scope::Platform).await;
    let created = a
        .put_json("/api/v1/offers/apples", &platform, &a.example("offer"))
        .await;
    assert_eq!(created.status(), 201);
    let scope =
        json!({"kinds": ["offer"], "purpose": "the regional catalogue", "retentionDays": 30});
    let set = a
        .put_json(
            &format!("/api/v1/admin/peers/{b_id}/scope"),
            &a_admin,
            &scope,
        )
        .await;
    assert_eq!(set.status(), 200, "{:?}", set.text().await);

    // The register lists B with its scope and, once delivered, the offer.
    let entry = eventually("the offer to be delivered to B", 20, || async {
        let entry = entry_of(&a, &a_admin, &b).await?;
        (entry["counts"]["delivered"] == 1).then_some(entry)
    })
    .await;
    assert_eq!(entry["scope"]["kinds"], json!(["offer"]));
    assert_eq!(entry["scope"]["purpose"], "the regional catalogue");
    assert_eq!(entry["scope"]["retentionDays"], 30);
    assert_eq!(entry["scopeDefault"], false);
    assert!(entry["since"].is_string());
    assert_eq!(entry["follower"], "approved");
    assert_eq!(entry["counts"]["withdrawn"], 0);
    // B is a Passerelle node: it accepts the terms and acknowledges what
    // it holds with a signed receipt.
    let entry = eventually(
        "B to accept the terms and acknowledge the offer",
        20,
        || async {
            let entry = entry_of(&a, &a_admin, &b).await?;
            (entry["terms"]["state"] == "accepted" && entry["counts"]["acknowledged"] == 1)
                .then_some(entry)
        },
    )
    .await;
    assert_eq!(entry["terms"]["terms"]["purpose"], "the regional catalogue");

    // The signed copy verifies offline against A's published key; altered,
    // it does not.
    let signed = a.api("/api/v1/admin/sharing?format=signed", &a_admin).await;
    assert_eq!(signed["attributedTo"], a.actor());
    assert!(signed["proof"].is_object());
    let (valid, said) = verify_offline(&a, &signed);
    assert!(valid, "{said}");
    let mut altered = signed.clone();
    altered["peers"][0]["counts"]["delivered"] = json!(0);
    let (valid, said) = verify_offline(&a, &altered);
    assert!(!valid, "an altered register verified: {said}");
    let bad = a
        .get_with("/api/v1/admin/sharing?format=xml", &a_admin)
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // B reads its own entry, and only its own, with a signed GET.
    let client = reqwest::Client::new();
    let read_as = |node: &TestNode| {
        SignedPost::get(
            &a.url("/sharing"),
            &format!("{}#main-key", node.actor()),
            &node.context.keys().rsa_private,
        )
    };
    let response = read_as(&b).send(&client).await;
    assert_eq!(response.status(), StatusCode::OK);
    let own: Value = response.json().await.unwrap();
    assert_eq!(own["peers"].as_array().unwrap().len(), 1);
    assert_eq!(own["peers"][0]["peer"]["actor"], b.actor());
    assert_eq!(
        own["peers"][0]["scope"]["purpose"],
        "the regional catalogue"
    );
    assert!(verify_offline(&a, &own).0);
    // A stranger to A finds nothing; an unsigned request is refused.
    assert_eq!(
        read_as(&c).send(&client).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(a.get("/sharing").await.status(), StatusCode::UNAUTHORIZED);

    // The console shows the same register.
    let session = sign_in(&a, &a_admin).await;
    let (status, html) = page(&a, &session.cookie, "/admin/sharing").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&b.handle()), "{html}");
    assert!(html.contains("the regional catalogue"));
    assert!(html.contains(">accepted<"), "{html}");

    for node in [a, b, c] {
        node.stop().await;
    }
}

on_both_backends!(sharing_register);
