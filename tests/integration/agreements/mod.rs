//! FEP-0837 agreements between real nodes: A's platform asks B for some of
//! B's offer, B accepts (the offer's available quantity drops, on B's API
//! and in A's catalog after B's `Update`), A completes; two accepts do not
//! oversell; a cancellation gives the quantity back. `rules.rs`: what the
//! owner refuses on its own; `bad_input.rs`: each endpoint's problems.

mod bad_input;
mod console;
mod rules;

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(an_agreement_is_asked_accepted_and_completed);

/// Two nodes: A follows B (approved at once); B publishes `apples` (the
/// example offer: 1 kg units, 120 kg available, 3.20 EUR the kg).
pub(super) struct Pair {
    pub a: TestNode,
    pub b: TestNode,
    pub a_platform: String,
    pub b_platform: String,
    pub b_admin: String,
    pub apples: String,
    pub dbs: (TestDatabase, TestDatabase),
}

pub(super) async fn pair(db: &TestDatabase) -> Pair {
    let (a, a_db) = node_named(db, "foodhub", |_| {}).await;
    let (b, b_db) = node_named(db, "velocoop", |s| {
        s.federation.admission = Admission::Open;
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let (a_platform, b_platform) = (
        a.token(Scope::Platform).await,
        b.token(Scope::Platform).await,
    );
    let published = b
        .put_json("/api/v1/offers/apples", &b_platform, &b.example("offer"))
        .await;
    assert_eq!(published.status(), 201, "{:?}", published.text().await);
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    let apples = b.url("/offers/apples");
    catalog_available(&a, &a_platform, &apples, "120").await;
    Pair {
        a,
        b,
        a_platform,
        b_platform,
        b_admin,
        apples,
        dbs: (a_db, b_db),
    }
}

/// Waits until `node`'s catalog holds `offer` with `available` left.
pub(super) async fn catalog_available(node: &TestNode, token: &str, offer: &str, available: &str) {
    let path = format!(
        "/api/v1/catalog/offers/{}",
        url::form_urlencoded::byte_serialize(offer.as_bytes()).collect::<String>()
    );
    eventually(&format!("{available} left in the catalog"), 20, || async {
        let response = node.get_with(&path, token).await;
        if !response.status().is_success() {
            return None;
        }
        let item: Value = response.json().await.ok()?;
        (item["object"]["publishes"]["availableQuantity"]["hasNumericalValue"] == available)
            .then_some(())
    })
    .await;
}

/// The agreement on `node` whose `field` is `value`, once it is `state`.
pub(super) async fn agreement_in_state(
    node: &TestNode,
    token: &str,
    field: &str,
    value: &str,
    state: &str,
) -> Value {
    eventually(&format!("an agreement {state}"), 20, || async {
        let page = node.api("/api/v1/agreements", token).await;
        page["items"]
            .as_array()?
            .iter()
            .find(|a| a[field] == value && a["state"] == state)
            .cloned()
    })
    .await
}

pub(super) async fn post(node: &TestNode, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let response = node.post_json(path, token, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn offer_available(node: &TestNode, token: &str, local_id: &str) -> Value {
    node.api(&format!("/api/v1/offers/{local_id}"), token).await["payload"]["available"]["value"]
        .clone()
}

async fn an_agreement_is_asked_accepted_and_completed(db: TestDatabase) {
    let p = pair(&db).await;
    let (a, b) = (&p.a, &p.b);
    let hook = json!({"url": "http://127.0.0.1:9/hook", "events": ["agreement.offered", "agreement.accepted", "agreement.completed", "agreement.cancelled"]});
    assert_eq!(
        b.post_json("/api/v1/webhooks", &p.b_platform, &hook)
            .await
            .status(),
        201
    );

    // A asks for 5 kg: 16 EUR in return, computed from the price.
    let (status, asked) = post(
        a,
        "/api/v1/agreements",
        &p.a_platform,
        &json!({"proposal": p.apples, "quantity": 5, "note": "For Saturday's market"}),
    )
    .await;
    assert_eq!(status, 202, "{asked}");
    assert_eq!(
        (asked["side"].as_str(), asked["state"].as_str()),
        (Some("asker"), Some("pending"))
    );
    assert_eq!(asked["quantity"], json!({"value": 5.0, "unit": "kilogram"}));
    assert_eq!(
        asked["reciprocal"],
        json!({"value": 16.0, "unit": "one", "currency": "EUR"})
    );
    let offer_id = asked["offer"].as_str().unwrap().to_owned();

    // B holds it pending: the owner decides.
    let pending = agreement_in_state(b, &p.b_platform, "offer", &offer_id, "pending").await;
    assert_eq!(pending["side"], "owner");
    assert_eq!(pending["note"], "For Saturday's market");
    assert_eq!(pending["peer"]["actor"], a.actor());
    assert_eq!(
        offer_available(b, &p.b_platform, "apples").await,
        json!(120)
    );

    let (status, accepted) = post(
        b,
        &format!("/api/v1/agreements/{}/accept", pending["id"]),
        &p.b_platform,
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["state"], "accepted");
    let agreement = accepted["agreement"].as_str().unwrap().to_owned();
    assert!(agreement.starts_with(&b.url("/agreements/")), "{agreement}");
    // The offer's available quantity dropped, on B and, after B's
    // Update, in A's catalog.
    assert_eq!(
        offer_available(b, &p.b_platform, "apples").await,
        json!(115)
    );
    catalog_available(a, &p.a_platform, &p.apples, "115").await;
    let on_a = agreement_in_state(a, &p.a_platform, "offer", &offer_id, "accepted").await;
    assert_eq!(on_a["agreement"], agreement.as_str());

    // A completes it; B hears of it (Update(Agreement)).
    let (status, completed) = post(
        a,
        &format!("/api/v1/agreements/{}/complete", on_a["id"]),
        &p.a_platform,
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{completed}");
    agreement_in_state(b, &p.b_platform, "offer", &offer_id, "completed").await;

    // Every step is in B's audit log, and raised B's webhooks; every
    // agreement activity B sent carries an integrity proof.
    let audit = b.api("/api/v1/admin/audit", &p.b_admin).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "agreement.offered",
        "agreement.accepted",
        "agreement.completed",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let events = p
        .dbs
        .1
        .query_text("SELECT event FROM webhook_events ORDER BY id")
        .await;
    assert_eq!(
        events,
        [
            "agreement.offered",
            "agreement.accepted",
            "agreement.completed"
        ]
    );
    let accepts = p
        .dbs
        .1
        .query_text(
            "SELECT document FROM activities WHERE kind = 'Accept' AND document LIKE '%Agreement%'",
        )
        .await;
    assert_eq!(accepts.len(), 1);
    let accept: Value = serde_json::from_str(&accepts[0]).unwrap();
    assert_eq!(accept["object"], offer_id.as_str());
    assert_eq!(accept["result"]["id"], agreement.as_str());
    assert_eq!(
        accept["result"]["stipulates"]["id"],
        format!("{agreement}#primary")
    );
    assert_eq!(accept["proof"]["cryptosuite"], "eddsa-jcs-2022");

    // Two accepts of what only one can have: one wins, nothing oversold.
    let mut pears = b.example("offer");
    pears["name"] = json!("Pears");
    pears["available"] = json!({"unit": "kg", "value": 6});
    assert_eq!(
        b.put_json("/api/v1/offers/pears", &p.b_platform, &pears)
            .await
            .status(),
        201
    );
    let pears_uri = b.url("/offers/pears");
    catalog_available(a, &p.a_platform, &pears_uri, "6").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (status, asked) = post(
            a,
            "/api/v1/agreements",
            &p.a_platform,
            &json!({"proposal": pears_uri, "quantity": {"value": 5, "unit": "kg"}}),
        )
        .await;
        assert_eq!(status, 202, "{asked}");
        let on_b = agreement_in_state(
            b,
            &p.b_platform,
            "offer",
            asked["offer"].as_str().unwrap(),
            "pending",
        )
        .await;
        ids.push(on_b["id"].clone());
    }
    let paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/api/v1/agreements/{id}/accept"))
        .collect();
    let empty = json!({});
    let (first, second) = tokio::join!(
        b.post_json(&paths[0], &p.b_platform, &empty),
        b.post_json(&paths[1], &p.b_platform, &empty)
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    assert_eq!(offer_available(b, &p.b_platform, "pears").await, json!(1));

    // Cancelled by A: B gives the 5 kg back.
    let won = b
        .api(
            "/api/v1/agreements?state=accepted&side=owner",
            &p.b_platform,
        )
        .await;
    let won = won["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["proposal"] == pears_uri.as_str())
        .unwrap()
        .clone();
    let on_a = agreement_in_state(
        a,
        &p.a_platform,
        "offer",
        won["offer"].as_str().unwrap(),
        "accepted",
    )
    .await;
    let (status, cancelled) = post(
        a,
        &format!("/api/v1/agreements/{}/cancel", on_a["id"]),
        &p.a_platform,
        &json!({"reason": "the van broke down"}),
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["reason"], "the van broke down");
    agreement_in_state(
        b,
        &p.b_platform,
        "offer",
        won["offer"].as_str().unwrap(),
        "cancelled",
    )
    .await;
    assert_eq!(offer_available(b, &p.b_platform, "pears").await, json!(6));
    catalog_available(a, &p.a_platform, &pears_uri, "6").await;

    a.wait_until_delivered().await;
    b.wait_until_delivered().await;
    // Every agreement activity either side sent defines its terms (in
    // `/ns`) and carries its proof.
    let mut checked = 0;
    for node in [a, b] {
        for activity in node.context.store.activities_after(0, 200).await.unwrap() {
            if activity.document.contains("Agreement") {
                let document: Value = serde_json::from_str(&activity.document).unwrap();
                crate::jsonld::assert_terms_defined(node, &activity.uri, &document);
                assert_eq!(document["proof"]["cryptosuite"], "eddsa-jcs-2022");
                checked += 1;
            }
        }
    }
    // A: 3 Offers and 2 Updates (completed, cancelled); B: 2 Accepts.
    assert_eq!(checked, 7);
    p.a.stop().await;
    p.b.stop().await;
}
