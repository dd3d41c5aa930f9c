//! What the offer's owner refuses on its own, with an automatic `Reject`
//! and its reason: a quantity that is not a multiple of the proposal's, an
//! offer the asker may not see; and what it does not even store: an
//! agreement activity without a valid integrity proof, or from a peer
//! that is not an approved follower. The
//! asker's node refuses the same at once, sending nothing.

use serde_json::{Value, json};

use super::{agreement_in_state, pair, post};
use crate::on_both_backends;
use crate::rig::TestDatabase;
use crate::rig::TestNode;
use crate::rig::federation::node_named;
use crate::signing::SignedPost;

on_both_backends!(agreements_breaking_the_rules_are_refused);

/// An `Offer(Agreement)` from `from` to `to` for `kg` of `proposal`, for
/// `eur` in return, as a peer could send it whatever its own node checks.
fn offer_from(from: &TestNode, to: &TestNode, proposal: &str, kg: &str, eur: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
        "id": from.url(&format!("/activities/{}", rand::random::<u64>())),
        "type": "Offer",
        "actor": from.actor(),
        "object": {
            "type": "Agreement",
            "stipulates": {"type": "Commitment", "satisfies": format!("{proposal}#primary"),
                "resourceQuantity": {"hasUnit": "kilogram", "hasNumericalValue": kg}},
            "stipulatesReciprocal": {"type": "Commitment", "satisfies": format!("{proposal}#reciprocal"),
                "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": eur}}
        },
        "to": [to.actor()]
    })
}

async fn deliver(from: &TestNode, to: &TestNode, activity: &Value) -> u16 {
    SignedPost::by_node(
        from,
        &to.url("/inbox"),
        serde_json::to_vec(activity).unwrap(),
    )
    .send(&reqwest::Client::new())
    .await
    .status()
    .as_u16()
}

fn signed(node: &TestNode, activity: &Value) -> Value {
    passerelle::domain::outgoing::sign(&node.context, activity).unwrap()
}

async fn agreements_breaking_the_rules_are_refused(db: TestDatabase) {
    let p = pair(&db).await;
    let (a, b) = (&p.a, &p.b);
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;
    let c_platform = c.token(passerelle::domain::tokens::Scope::Platform).await;

    // The asker's node checks first: nothing is sent.
    for (quantity, words) in [
        (json!(2.5), "not a multiple"),
        (json!(500), "only 120 available"),
        (json!({"value": 5, "unit": "litre"}), "unit `kilogram`"),
        (json!(0), "positive"),
    ] {
        let (status, problem) = post(
            a,
            "/api/v1/agreements",
            &p.a_platform,
            &json!({"proposal": p.apples, "quantity": quantity}),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem.to_string().contains(words), "{words}: {problem}");
    }
    assert_eq!(
        a.api("/api/v1/agreements", &p.a_platform).await["items"],
        json!([])
    );
    // C follows no one: B's offer is not in its catalog.
    let (status, _) = post(
        &c,
        "/api/v1/agreements",
        &c_platform,
        &json!({"proposal": p.apples, "quantity": 5}),
    )
    .await;
    assert_eq!(status, 404);

    // Sent anyway, a non-multiple quantity is rejected by the owner, with
    // the reason.
    let half = signed(a, &offer_from(a, b, &p.apples, "2.5", "8"));
    assert_eq!(deliver(a, b, &half).await, 202);
    let refused = agreement_in_state(
        b,
        &p.b_platform,
        "offer",
        half["id"].as_str().unwrap(),
        "rejected",
    )
    .await;
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("not a multiple"),
        "{refused}"
    );

    // A peer that is not an approved follower, however good its terms, is
    // refused at the door: nothing stored, nothing sent
    // (`boundary_second::agreements` looks closer).
    let stranger = signed(&c, &offer_from(&c, b, &p.apples, "5", "16"));
    assert_eq!(deliver(&c, b, &stranger).await, 403);

    // An offer addressed to other peers is not the asker's to ask for.
    let mut named = b.example("offer");
    named["audience"] = json!(["https://elsewhere.example/actor"]);
    let response = b
        .put_json("/api/v1/offers/named", &p.b_platform, &named)
        .await;
    assert_eq!(response.status(), 201);
    let unseen = signed(a, &offer_from(a, b, &b.url("/offers/named"), "5", "16"));
    assert_eq!(deliver(a, b, &unseen).await, 202);
    let refused = agreement_in_state(
        b,
        &p.b_platform,
        "offer",
        unseen["id"].as_str().unwrap(),
        "rejected",
    )
    .await;
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("is not an offer of this node"),
        "{refused}"
    );

    // Without a valid integrity proof, nothing is stored.
    let unsigned = offer_from(a, b, &p.apples, "5", "16");
    assert_eq!(deliver(a, b, &unsigned).await, 401);
    let mut tampered = signed(a, &offer_from(a, b, &p.apples, "5", "16"));
    tampered["object"]["stipulates"]["resourceQuantity"]["hasNumericalValue"] = json!("50");
    assert_eq!(deliver(a, b, &tampered).await, 401);
    // An `Offer` of something else is none of this: acknowledged, ignored.
    let patch = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": a.url(&format!("/activities/{}", rand::random::<u64>())),
        "type": "Offer",
        "actor": a.actor(),
        "object": {"type": "Note", "content": "a patch"},
        "to": [b.actor()]
    });
    assert_eq!(deliver(a, b, &patch).await, 202);
    let on_b = b.api("/api/v1/agreements", &p.b_platform).await;
    assert_eq!(on_b["items"].as_array().unwrap().len(), 2, "{on_b}");

    // The owner's rejections went out, signed, and were audited as the
    // rules' decisions; the offer kept all it had.
    b.wait_until_delivered().await;
    let rejects = p
        .dbs
        .1
        .query_text("SELECT document FROM activities WHERE kind = 'Reject'")
        .await;
    assert_eq!(rejects.len(), 2);
    for reject in &rejects {
        let reject: Value = serde_json::from_str(reject).unwrap();
        assert!(reject["content"].is_string());
        assert_eq!(reject["proof"]["cryptosuite"], "eddsa-jcs-2022");
    }
    let audit = b.api("/api/v1/admin/audit", &p.b_admin).await;
    let by_rules = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "agreement.rejected" && e["decided_by"] == "agreement rules")
        .count();
    assert_eq!(by_rules, 2);
    let offer = b.api("/api/v1/offers/apples", &p.b_platform).await;
    assert_eq!(offer["payload"]["available"]["value"], json!(120));

    c.stop().await;
    p.a.stop().await;
    p.b.stop().await;
}
