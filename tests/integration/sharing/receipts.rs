//! Signed receipts (issue 26): a Passerelle peer confirms what it holds and
//! what it removed, the origin's ledger says so (and keeps the receipt,
//! whose proof verifies against the peer's key); a peer that sends no
//! receipts stays "delivered", and its withdrawals become overdue; a
//! receipt from a peer we never delivered to, or naming an object not
//! delivered to its signer, is refused and changes nothing.

use std::time::Duration;

use ed25519_dalek::VerifyingKey;
use passerelle::Context;
use passerelle::apub::activities::{self, receipt};
use passerelle::apub::actor::actor_id;
use passerelle::apub::proof;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::console::{page, sign_in};
use crate::mock_peer::{Documents, MockPeer, new_key};
use crate::on_both_backends;
use crate::rig::federation::{
    admin, approve_follower, ask_to_follow, node_named, wait_follow_state,
};
use crate::rig::{TestDatabase, TestNode, eventually, metric_value};
use crate::signing::SignedPost;

on_both_backends!(
    a_passerelle_peer_confirms_what_it_holds_and_removed,
    receipts_from_others_or_naming_undelivered_objects_are_refused,
    a_peer_without_receipts_stays_delivered_then_overdue,
    a_receipt_owed_survives_a_restart,
    a_receipt_overtaking_a_failed_pass_waits_for_the_next
);

/// The peer id `node` knows `actor` by.
async fn peer_id(node: &TestNode, admin: &str, actor: &str) -> Value {
    crate::rig::federation::peer_view(node, admin, actor)
        .await
        .unwrap_or_else(|| panic!("{actor} is not a peer"))["id"]
        .clone()
}

/// `node`'s view of peer `id`, as the admin API lists it.
async fn peer_view(node: &TestNode, admin: &str, id: &Value) -> Value {
    let peers = node.api("/api/v1/admin/peers", admin).await;
    peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == *id)
        .cloned()
        .unwrap()
}

/// `node`'s ledger entry for `object` as delivered to peer `peer`.
async fn ledger_entry(node: &TestNode, admin: &str, peer: &Value, object: &str) -> Option<Value> {
    let received = node
        .api(&format!("/api/v1/admin/peers/{peer}/received"), admin)
        .await;
    received
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["object"] == object)
        .cloned()
}

/// Waits until `node`'s ledger shows `object` in `state` for `peer`.
async fn wait_state(
    node: &TestNode,
    admin: &str,
    peer: &Value,
    object: &str,
    state: &str,
) -> Value {
    eventually(&format!("{object} to be {state}"), 30, || async {
        ledger_entry(node, admin, peer, object)
            .await
            .filter(|entry| entry["state"] == state)
    })
    .await
}

/// A (manual admission) and B, B an approved follower of A.
async fn b_follows_a(db: &TestDatabase) -> (TestNode, TestDatabase, TestNode, TestDatabase) {
    let (a, a_db) = node_named(db, "foodhub", |_| {}).await;
    let (b, b_db) = node_named(db, "velocoop", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let request = ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    a.post_json(
        &format!("/api/v1/admin/follow-requests/{}/approve", request["id"]),
        &a_admin,
        &json!({}),
    )
    .await;
    wait_follow_state(&b, &b_admin, &a, "active").await;
    (a, a_db, b, b_db)
}

async fn publish_offer(node: &TestNode, slug: &str) -> String {
    let platform = node.token(Scope::Platform).await;
    let mut offer = node.example("offer");
    offer["name"] = json!(format!("Offer {slug}"));
    let response = node
        .put_json(&format!("/api/v1/offers/{slug}"), &platform, &offer)
        .await;
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
    node.url(&format!("/offers/{slug}"))
}

async fn delete_offer(node: &TestNode, slug: &str) {
    let platform = node.token(Scope::Platform).await;
    let response = node
        .delete_with(&format!("/api/v1/offers/{slug}"), &platform)
        .await;
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
}

/// The Ed25519 key `node` advertises on its actor (FEP-521a Multikey).
async fn advertised_key(node: &TestNode) -> VerifyingKey {
    let (_, actor) = node.get_activity_json("/actor").await;
    let multibase = actor["assertionMethod"][0]["publicKeyMultibase"]
        .as_str()
        .expect("a Multikey on the actor");
    let bytes = passerelle::model::keys::decode_ed25519_multibase(multibase).unwrap();
    VerifyingKey::from_bytes(&bytes).unwrap()
}

async fn a_passerelle_peer_confirms_what_it_holds_and_removed(db: TestDatabase) {
    let (a, _a_db, b, _b_db) = b_follows_a(&db).await;
    let a_admin = admin(&a).await;
    let b_on_a = peer_id(&a, &a_admin, &b.actor()).await;

    let offer = publish_offer(&a, "bread").await;
    let held = wait_state(&a, &a_admin, &b_on_a, &offer, "acknowledged").await;
    assert!(held["acknowledged_at"].is_string(), "{held}");
    assert_eq!(held["overdue"], false);

    delete_offer(&a, "bread").await;
    let removed = wait_state(&a, &a_admin, &b_on_a, &offer, "removal_acknowledged").await;
    assert_eq!(removed["activity"], "Delete");
    assert!(removed["withdrawn_at"].is_string(), "{removed}");
    assert!(removed["removal_acknowledged_at"].is_string(), "{removed}");
    let peer = peer_view(&a, &a_admin, &b_on_a).await;
    assert_eq!(peer["overdue_withdrawals"], 0, "{peer}");

    // The receipt is kept as B sent it, and its proof verifies with the
    // key B's actor advertises.
    let receipts = a
        .api(&format!("/api/v1/admin/peers/{b_on_a}/receipts"), &a_admin)
        .await;
    let kept = receipts
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == removed["receipt"])
        .unwrap_or_else(|| panic!("{} not in {receipts}", removed["receipt"]));
    assert_eq!(kept["type"], json!(["Read", "Receipt"]));
    assert_eq!(kept["actor"], b.actor());
    assert_eq!(kept["removed"], json!([offer]));
    proof::verify(kept, &advertised_key(&b).await).expect("the receipt's proof verifies");
}

/// A receipt from `from` to `to`, held `held` (id, version), with the
/// sender's proof, POSTed with its HTTP signature; the status.
async fn post_receipt(
    from: &TestNode,
    to: &TestNode,
    held: &[(String, String)],
    removed: &[String],
) -> u16 {
    post_receipt_as(&from.context, to, held, removed).await.0
}

/// The same, signed with the keys of the node `from` is the context of
/// (which need not be serving).
async fn post_receipt_as(
    from: &Context,
    to: &TestNode,
    held: &[(String, String)],
    removed: &[String],
) -> (u16, String) {
    let id = activities::new_activity_id(&from.settings);
    let origin = url::Url::parse(&to.actor()).unwrap();
    let document = receipt::document(
        &from.settings,
        &id,
        &origin,
        held,
        removed,
        "2026-01-01T00:00:00Z",
    );
    let signed = passerelle::domain::outgoing::sign(from, &document).unwrap();
    let status = SignedPost::new(
        &to.url("/inbox"),
        serde_json::to_vec(&signed).unwrap(),
        &format!("{}#main-key", actor_id(&from.settings)),
        &from.keys().rsa_private,
    )
    .send(&reqwest::Client::new())
    .await
    .status()
    .as_u16();
    (status, id.to_string())
}

async fn receipts_from_others_or_naming_undelivered_objects_are_refused(db: TestDatabase) {
    let (a, _a_db, b, _b_db) = b_follows_a(&db).await;
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;
    let a_admin = admin(&a).await;
    let b_on_a = peer_id(&a, &a_admin, &b.actor()).await;
    let offer = publish_offer(&a, "bread").await;
    let acknowledged = wait_state(&a, &a_admin, &b_on_a, &offer, "acknowledged").await;
    let served = a.get_activity_json(&offer).await.1;
    let version = receipt::version_of(&served).unwrap().to_owned();
    let ledger = a
        .api(&format!("/api/v1/admin/peers/{b_on_a}/received"), &a_admin)
        .await;
    let kept = a
        .api(&format!("/api/v1/admin/peers/{b_on_a}/receipts"), &a_admin)
        .await;

    // C, a node A never delivered to, claims to hold A's offer.
    let status = post_receipt(&c, &a, &[(offer.clone(), version.clone())], &[]).await;
    assert!((400..500).contains(&status), "{status}");
    // B names, beside the offer it holds, an object A never delivered to it.
    let never = (a.url("/offers/never-published"), version.clone());
    let status = post_receipt(&b, &a, &[(offer.clone(), version), never], &[]).await;
    assert!((400..500).contains(&status), "{status}");

    assert_eq!(
        a.api(&format!("/api/v1/admin/peers/{b_on_a}/received"), &a_admin)
            .await,
        ledger
    );
    assert_eq!(
        a.api(&format!("/api/v1/admin/peers/{b_on_a}/receipts"), &a_admin)
            .await,
        kept
    );
    assert_eq!(
        ledger_entry(&a, &a_admin, &b_on_a, &offer).await.unwrap()["receipt"],
        acknowledged["receipt"]
    );
    // B's own receipt, for a version A never delivered and a removal A
    // never asked for: kept, but it acknowledges nothing.
    let stale = (offer.clone(), "2000-01-01T00:00:00Z".to_owned());
    let status = post_receipt(&b, &a, &[stale], std::slice::from_ref(&offer)).await;
    assert_eq!(status, 202);
    let entry = ledger_entry(&a, &a_admin, &b_on_a, &offer).await.unwrap();
    assert_eq!(entry["receipt"], acknowledged["receipt"], "{entry}");
    assert_eq!(entry["state"], "acknowledged");
    assert_eq!(entry["removal_acknowledged_at"], Value::Null);
    if let Some(c_on_a) = a
        .api("/api/v1/admin/peers", &a_admin)
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["actor"] == c.actor())
    {
        let receipts = a
            .api(
                &format!("/api/v1/admin/peers/{}/receipts", c_on_a["id"]),
                &a_admin,
            )
            .await;
        assert_eq!(receipts, json!([]), "nothing of C's is stored");
    }
}

async fn a_peer_without_receipts_stays_delivered_then_overdue(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |s| {
        s.federation.removal_deadline = Duration::from_secs(1);
    })
    .await;
    let a_admin = admin(&a).await;
    let key = new_key();
    let stub = MockPeer::with_actor(&key, None).await;
    approve_follower(&a, &a_admin, &stub.url("/actor"), &key).await;
    let stub_on_a = peer_id(&a, &a_admin, &stub.url("/actor")).await;

    let offer = publish_offer(&a, "bread").await;
    let delivered = wait_state(&a, &a_admin, &stub_on_a, &offer, "delivered").await;
    assert_eq!(delivered["acknowledged_at"], Value::Null);

    delete_offer(&a, "bread").await;
    let overdue = wait_state(&a, &a_admin, &stub_on_a, &offer, "overdue").await;
    assert_eq!(overdue["overdue"], true);
    assert_eq!(overdue["removal_acknowledged_at"], Value::Null);
    let peer = peer_view(&a, &a_admin, &stub_on_a).await;
    assert_eq!(peer["overdue_withdrawals"], 1, "{peer}");

    let session = sign_in(&a, &a_admin).await;
    let (status, html) = page(&a, &session.cookie, "/admin/peers").await;
    assert_eq!(status, 200);
    assert!(html.contains("overdue: 1"), "the peers page flags it");

    let metrics = a.get("/metrics").await.text().await.unwrap();
    assert_eq!(metric_value(&metrics, "passerelle_withdrawals_overdue "), 1);
}

async fn a_receipt_owed_survives_a_restart(db: TestDatabase) {
    let (a, _a_db, b, _b_db) = b_follows_a(&db).await;
    let a_admin = admin(&a).await;
    let b_on_a = peer_id(&a, &a_admin, &b.actor()).await;
    let b_platform = b.token(Scope::Platform).await;
    let offer = publish_offer(&a, "bread").await;
    // B is restarted as soon as its catalog holds the offer: its receipt
    // is then owed, or recorded in its delivery outbox, or sent.
    eventually("B to hold the offer", 30, || async {
        let held = b.api("/api/v1/catalog/offers", &b_platform).await;
        held["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["object"]["id"] == offer)
            .then_some(())
    })
    .await;
    let _b = b.restart().await;
    wait_state(&a, &a_admin, &b_on_a, &offer, "acknowledged").await;
}

/// A pass that stopped on a failure recorded nothing past its cursor: a
/// receipt naming what it may have delivered is kept waiting (202), not
/// refused nor put off, and applied when the next pass records the
/// delivery, with nothing from B in between.
async fn a_receipt_overtaking_a_failed_pass_waits_for_the_next(db: TestDatabase) {
    let (a, _a_db, b, _b_db) = b_follows_a(&db).await;
    let a_admin = admin(&a).await;
    let b_on_a = peer_id(&a, &a_admin, &b.actor()).await;
    let first = publish_offer(&a, "bread").await;
    wait_state(&a, &a_admin, &b_on_a, &first, "acknowledged").await;

    let (b_context, b_settings) = (b.context.clone(), b.settings.clone());
    b.stop().await;
    let offer = publish_offer(&a, "cheese").await;
    eventually("A's delivery to B to fail", 30, || async {
        let failing = a
            .api("/api/v1/admin/deliveries?state=failing", &a_admin)
            .await;
        (failing.as_array().unwrap().len() == 1).then_some(())
    })
    .await;
    let version = receipt::version_of(&a.get_activity_json(&offer).await.1)
        .unwrap()
        .to_owned();
    let receipts = format!("/api/v1/admin/peers/{b_on_a}/receipts");
    let kept_before = a.api(&receipts, &a_admin).await.as_array().unwrap().len();
    let held = [(offer.clone(), version)];
    let (status, waiting) = post_receipt_as(&b_context, &a, &held, &[]).await;
    assert_eq!(
        status, 202,
        "a receipt for a delivery not yet recorded is kept, not put off"
    );
    let kept = a.api(&receipts, &a_admin).await;
    assert_eq!(kept.as_array().unwrap().len(), kept_before + 1);
    assert_eq!(kept[0]["id"], waiting.as_str(), "{kept}");
    // What one peer can leave waiting is bounded: at 100, the next is put
    // off (503) and stored nowhere.
    let mut newest = waiting.clone();
    for _ in 1..passerelle::domain::sharing::receipts::MOST_WAITING {
        let (status, id) = post_receipt_as(&b_context, &a, &held, &[]).await;
        assert_eq!(status, 202);
        newest = id;
    }
    assert_eq!(post_receipt_as(&b_context, &a, &held, &[]).await.0, 503);
    assert_eq!(
        a.api(&receipts, &a_admin).await[0]["id"],
        newest.as_str(),
        "the receipt put off is stored nowhere"
    );
    assert_ne!(
        ledger_entry(&a, &a_admin, &b_on_a, &offer)
            .await
            .map(|entry| entry["state"].clone()),
        Some(json!("acknowledged")),
        "nothing is acknowledged before the delivery is recorded"
    );

    // In B's place, an inbox that takes A's delivery and sends no receipt
    // of its own: the acknowledgement can only be the waiting one's.
    let mut stand_in = MockPeer::bind_at(b_settings.listen).await;
    stand_in.serve(Documents::new());
    let entry = wait_state(&a, &a_admin, &b_on_a, &offer, "acknowledged").await;
    assert_eq!(entry["receipt"], waiting.as_str(), "{entry}");
}
