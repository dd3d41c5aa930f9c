//! Agreements, read as an attacker would (issue 24, items 4 to 6): an
//! owner that rewrites the terms in its `Accept` (the asker refuses it and
//! never signs them), a stranger that asks for an offer (refused before
//! anything is stored), and amounts that only look right (exact decimals,
//! money to the cent, the offer's minimum).

use serde_json::{Value, json};

use crate::agreements::{agreement_in_state, pair, post};
use crate::on_both_backends;
use crate::rig::federation::node_named;
use crate::rig::{TestDatabase, TestNode, eventually};
use crate::signing::SignedPost;

on_both_backends!(a_rewritten_price_in_accept_is_refused_and_never_signed);
on_both_backends!(an_agreement_offer_from_a_stranger_leaves_nothing);
on_both_backends!(agreement_amounts_are_exact_decimals);

fn fresh_id(node: &TestNode) -> String {
    node.url(&format!("/activities/{}", rand::random::<u64>()))
}

fn commitment(proposal: &str, intent: &str, unit: &str, value: &str) -> Value {
    json!({"type": "Commitment", "satisfies": format!("{proposal}#{intent}"),
        "resourceQuantity": {"hasUnit": unit, "hasNumericalValue": value}})
}

/// An `Offer(Agreement)` from `from` to `to` for `kg` of `proposal`, for
/// `eur` in return, as a peer could send it whatever its own node checks.
fn offer_from(from: &TestNode, to: &TestNode, proposal: &str, kg: &str, eur: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
        "id": fresh_id(from),
        "type": "Offer",
        "actor": from.actor(),
        "object": {
            "type": "Agreement",
            "stipulates": commitment(proposal, "primary", "kilogram", kg),
            "stipulatesReciprocal": commitment(proposal, "reciprocal", "one", eur),
        },
        "to": [to.actor()]
    })
}

/// Signs `activity` with `node`'s integrity proof (FEP-8b32).
fn signed(node: &TestNode, activity: &Value) -> Value {
    passerelle::domain::outgoing::sign(&node.context, activity).unwrap()
}

/// Posts `activity` to `to`'s inbox, HTTP-signed as `from`: the status
/// and the problem document of a refusal.
async fn deliver(from: &TestNode, to: &TestNode, activity: &Value) -> (u16, Value) {
    let response = SignedPost::by_node(
        from,
        &to.url("/inbox"),
        serde_json::to_vec(activity).unwrap(),
    )
    .send(&reqwest::Client::new())
    .await;
    let status = response.status().as_u16();
    if status >= 400 {
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The value of `passerelle_agreements_refused_total{reason}` on `node`.
async fn refused(node: &TestNode, reason: &str) -> u64 {
    let metrics = node.get("/metrics").await.text().await.unwrap();
    let series = format!("passerelle_agreements_refused_total{{reason=\"{reason}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0, |value| value.trim().parse().unwrap())
}

/// The owner's `Accept` of `offer` with a finalised agreement whose terms
/// `rewrite` changes from the asked ones (5 kg of apples for 16 EUR).
fn accept_rewritten(
    b: &TestNode,
    a: &TestNode,
    apples: &str,
    offer: &str,
    rewrite: fn(&mut Value),
) -> Value {
    let id = b.url(&format!("/agreements/{}", rand::random::<u64>()));
    let mut primary = commitment(apples, "primary", "kilogram", "5");
    primary["id"] = json!(format!("{id}#primary"));
    let mut reciprocal = commitment(apples, "reciprocal", "one", "16");
    reciprocal["id"] = json!(format!("{id}#reciprocal"));
    let mut agreement = json!({"type": "Agreement", "id": id, "attributedTo": b.actor(),
        "stipulates": primary, "stipulatesReciprocal": reciprocal});
    rewrite(&mut agreement);
    signed(
        b,
        &json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
            "id": fresh_id(b),
            "type": "Accept",
            "actor": b.actor(),
            "object": offer,
            "result": agreement,
            "to": [a.actor()]
        }),
    )
}

async fn a_rewritten_price_in_accept_is_refused_and_never_signed(db: TestDatabase) {
    let p = pair(&db).await;
    let (a, b) = (&p.a, &p.b);
    let (status, asked) = post(
        a,
        "/api/v1/agreements",
        &p.a_platform,
        &json!({"proposal": p.apples, "quantity": 5}),
    )
    .await;
    assert_eq!(status, 202, "{asked}");
    let offer = asked["offer"].as_str().unwrap().to_owned();
    agreement_in_state(b, &p.b_platform, "offer", &offer, "pending").await;

    // B (its keys, its proofs) answers with terms A did not ask for.
    let rewrites: [fn(&mut Value); 6] = [
        |a| a["stipulatesReciprocal"]["resourceQuantity"]["hasNumericalValue"] = json!("1"),
        |a| a["stipulatesReciprocal"]["resourceQuantity"]["hasNumericalValue"] = json!("15.995"),
        |a| a["stipulatesReciprocal"]["resourceConformsTo"] = json!("urn:iso:std:iso:4217:USD"),
        |a| a["stipulates"]["resourceQuantity"]["hasNumericalValue"] = json!("50"),
        |a| {
            let other = a["stipulates"]["satisfies"]
                .as_str()
                .unwrap()
                .replace("apples", "pears");
            a["stipulates"]["satisfies"] = json!(other);
        },
        |a| {
            a.as_object_mut().unwrap().remove("stipulatesReciprocal");
        },
    ];
    for (n, rewrite) in rewrites.iter().enumerate() {
        let accept = accept_rewritten(b, a, &p.apples, &offer, *rewrite);
        let (status, problem) = deliver(b, a, &accept).await;
        assert_eq!(status, 422, "rewrite {n}: {problem}");
        assert!(
            problem.to_string().contains("finalised agreement must"),
            "rewrite {n}: {problem}"
        );
    }
    assert_eq!(refused(a, "rewritten").await, 6);
    // Nothing was stored: A's agreement is pending at the price asked,
    // and cannot be completed (so no Update goes out).
    let on_a = a
        .api(
            &format!("/api/v1/agreements/{}", asked["id"]),
            &p.a_platform,
        )
        .await;
    assert_eq!(on_a["state"], "pending");
    assert_eq!(on_a["reciprocal"]["value"], json!(16.0));
    let (status, _) = post(
        a,
        &format!("/api/v1/agreements/{}/complete", asked["id"]),
        &p.a_platform,
        &json!({}),
    )
    .await;
    assert_eq!(status, 409);

    // The honest Accept (16, written 16.00 by an owner's software) stands,
    // and what A signs later is what it asked.
    let honest = accept_rewritten(b, a, &p.apples, &offer, |a| {
        a["stipulatesReciprocal"]["resourceQuantity"]["hasNumericalValue"] = json!("16.00");
    });
    assert_eq!(deliver(b, a, &honest).await.0, 202);
    let on_a = agreement_in_state(a, &p.a_platform, "offer", &offer, "accepted").await;
    let (status, completed) = post(
        a,
        &format!("/api/v1/agreements/{}/complete", on_a["id"]),
        &p.a_platform,
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{completed}");
    let updates = p
        .dbs
        .0
        .query_text(
            "SELECT document FROM activities WHERE kind = 'Update' AND document LIKE '%Agreement%'",
        )
        .await;
    assert_eq!(updates.len(), 1);
    let update: Value = serde_json::from_str(&updates[0]).unwrap();
    let reciprocal = &update["object"]["stipulatesReciprocal"];
    assert_eq!(reciprocal["resourceQuantity"]["hasNumericalValue"], "16");
    assert_eq!(reciprocal["resourceConformsTo"], "urn:iso:std:iso:4217:EUR");
    assert_eq!(
        update["object"]["stipulates"]["resourceQuantity"]["hasNumericalValue"],
        "5"
    );
    assert_eq!(update["object"]["id"], honest["result"]["id"]);
    p.a.stop().await;
    p.b.stop().await;
}

/// Rows a refused stranger must not have left on the owner's database.
async fn traces_of(db: &TestDatabase, actor: &str) -> [i64; 5] {
    let peer = format!("(SELECT id FROM peers WHERE actor_uri = '{actor}')");
    [
        db.query_i64(&format!(
            "SELECT COUNT(*) FROM agreements WHERE peer_id = {peer}"
        ))
        .await,
        db.query_i64("SELECT COUNT(*) FROM webhook_events").await,
        db.query_i64("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'agreement%'")
            .await,
        db.query_i64(&format!(
            "SELECT COUNT(*) FROM delivery_streams WHERE peer_id = {peer}"
        ))
        .await,
        db.query_i64(&format!(
            "SELECT COUNT(*) FROM activities WHERE target_peer_id = {peer}"
        ))
        .await,
    ]
}

async fn an_agreement_offer_from_a_stranger_leaves_nothing(db: TestDatabase) {
    let p = pair(&db).await;
    let (a, b) = (&p.a, &p.b);
    let hook = json!({"url": "http://127.0.0.1:9/hook",
        "events": ["agreement.offered", "agreement.rejected", "agreement.accepted"]});
    let created = b.post_json("/api/v1/webhooks", &p.b_platform, &hook).await;
    assert_eq!(created.status(), 201);
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;

    // C follows no one here: its well-signed request, with good terms, and
    // its retries, are refused and leave nothing behind.
    let stranger = signed(&c, &offer_from(&c, b, &p.apples, "5", "16"));
    for _ in 0..3 {
        let (status, problem) = deliver(&c, b, &stranger).await;
        assert_eq!(status, 403, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("approved followers"),
            "{problem}"
        );
    }
    assert_eq!(traces_of(&p.dbs.1, &c.actor()).await, [0, 0, 0, 0, 0]);
    assert_eq!(refused(b, "stranger").await, 3);
    let seen = p
        .dbs
        .1
        .query_i64(&format!(
            "SELECT COUNT(*) FROM inbox_seen WHERE activity_uri = '{}'",
            stranger["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(seen, 0);

    // The same request from A, an approved follower, is taken.
    let follower = signed(a, &offer_from(a, b, &p.apples, "5", "16"));
    assert_eq!(deliver(a, b, &follower).await.0, 202);
    agreement_in_state(
        b,
        &p.b_platform,
        "offer",
        follower["id"].as_str().unwrap(),
        "pending",
    )
    .await;
    let [rows, events, audit, _, _] = traces_of(&p.dbs.1, &a.actor()).await;
    assert_eq!([rows, events, audit], [1, 1, 1]);
    c.stop().await;
    p.a.stop().await;
    p.b.stop().await;
}

/// Publishes on `b` an offer of 1 kg units at `price` EUR the kg, with no
/// minimum, and returns its id.
async fn priced_offer(b: &TestNode, token: &str, local_id: &str, price: f64) -> String {
    let mut offer = b.example("offer");
    offer["price"] = json!({"currency": "EUR", "value": price});
    offer.as_object_mut().unwrap().remove("minimum");
    let published = b
        .put_json(&format!("/api/v1/offers/{local_id}"), token, &offer)
        .await;
    assert_eq!(published.status(), 201);
    b.url(&format!("/offers/{local_id}"))
}

async fn agreement_amounts_are_exact_decimals(db: TestDatabase) {
    let p = pair(&db).await;
    let (a, b) = (&p.a, &p.b);
    let crumbs = priced_offer(b, &p.b_platform, "crumbs", 0.001).await;
    let pennies = priced_offer(b, &p.b_platform, "pennies", 0.01).await;

    // What the owner rejects, with its reason, each from A (a follower).
    for (proposal, kg, eur, words) in [
        (
            &crumbs,
            "1",
            "0.004",
            "must be exactly 0 one EUR, rounded to 2 decimals",
        ),
        (&pennies, "1", "0.005", "must be exactly 0.01 one EUR"),
        (&p.apples, "0", "0", "must be a positive number, not 0"),
        (&p.apples, "-5", "-16", "must be a positive number, not -5"),
        (
            &p.apples,
            "1",
            "3.2",
            "1 kilogram asked, the offer's minimum is 2 kilogram",
        ),
    ] {
        let offer = signed(a, &offer_from(a, b, proposal, kg, eur));
        assert_eq!(deliver(a, b, &offer).await.0, 202);
        let rejected = agreement_in_state(
            b,
            &p.b_platform,
            "offer",
            offer["id"].as_str().unwrap(),
            "rejected",
        )
        .await;
        let reason = rejected["reason"].as_str().unwrap();
        assert!(reason.contains(words), "{kg} for {eur}: {reason}");
    }
    // The asker's node refuses the same at once.
    let (status, problem) = post(
        a,
        "/api/v1/agreements",
        &p.a_platform,
        &json!({"proposal": p.apples, "quantity": 1}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem.to_string().contains("minimum is 2"), "{problem}");

    // Not decimals at all: refused at the door, nothing stored.
    let before = p.dbs.1.query_i64("SELECT COUNT(*) FROM agreements").await;
    for (kg, eur) in [("5kg", "16"), ("1e1", "32"), ("5", "16,00")] {
        let offer = signed(a, &offer_from(a, b, &p.apples, kg, eur));
        let (status, problem) = deliver(a, b, &offer).await;
        assert_eq!(status, 422, "{kg} for {eur}: {problem}");
    }
    assert_eq!(
        p.dbs.1.query_i64("SELECT COUNT(*) FROM agreements").await,
        before
    );
    assert_eq!(refused(b, "malformed").await, 3);

    // Stored as validated: ` 5` for `16.00` is kept as 5 and 16, and its
    // acceptance takes 5 kg (no 500 on the stored text).
    let spaced = signed(a, &offer_from(a, b, &p.apples, " 5", "16.00"));
    assert_eq!(deliver(a, b, &spaced).await.0, 202);
    let pending = agreement_in_state(
        b,
        &p.b_platform,
        "offer",
        spaced["id"].as_str().unwrap(),
        "pending",
    )
    .await;
    let stored = p
        .dbs
        .1
        .query_text(&format!(
            "SELECT quantity_value || '|' || reciprocal_value FROM agreements WHERE id = {}",
            pending["id"]
        ))
        .await;
    assert_eq!(stored, ["5|16"]);
    let (status, accepted) = post(
        b,
        &format!("/api/v1/agreements/{}/accept", pending["id"]),
        &p.b_platform,
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{accepted}");
    eventually("115 kg left", 10, || async {
        let offer = b.api("/api/v1/offers/apples", &p.b_platform).await;
        (offer["payload"]["available"]["value"] == json!(115)).then_some(())
    })
    .await;
    p.a.stop().await;
    p.b.stop().await;
}
