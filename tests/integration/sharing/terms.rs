//! Issue 26, "both sides hold the same signed terms": A sets the scope of
//! B (its approved follower) and B holds the terms A sent (API, console),
//! A shows them accepted; B enforces their retention on its catalog (the
//! clock is moved by rewriting `catalog.updated_at` in B's own database to
//! two days ago, and B's `federation.retention_check_every` is one second);
//! a stub follower that never answers is shown "not acknowledged" and keeps
//! receiving (and a fault recording the terms leaves its scope unset); terms from a peer B does not follow, and an `Accept` of
//! terms sent to another peer, are refused and stored nowhere.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::console::{page, sign_in};
use crate::mock_peer::{MockPeer, new_key};
use crate::on_both_backends;
use crate::rig::federation::{
    admin, approve_follower, ask_to_follow, node_named, wait_follow_state,
};
use crate::rig::{TestDatabase, TestNode, eventually};
use passerelle::apub::activities::{self, sharing_terms, sharing_terms::SharingTerms};

on_both_backends!(
    both_sides_hold_the_terms_and_the_receiver_enforces_retention,
    a_follower_that_never_answers_is_not_acknowledged,
    wrong_senders_of_terms_and_acceptances_are_refused
);

const PURPOSE: &str = "A shared catalog of local food";

/// The id `node` knows the peer `actor` by.
async fn peer_id(node: &TestNode, actor: &str) -> i64 {
    node.context
        .store
        .peer_by_uri(actor)
        .await
        .unwrap()
        .expect("a known peer")
        .id
        .0
}

async fn set_scope(node: &TestNode, admin: &str, peer: i64, scope: &Value) {
    let response = node
        .put_json(&format!("/api/v1/admin/peers/{peer}/scope"), admin, scope)
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

async fn terms(node: &TestNode, admin: &str, peer: i64) -> Value {
    node.api(&format!("/api/v1/admin/peers/{peer}/terms"), admin)
        .await
}

/// A webhook endpoint on loopback that keeps the events it receives.
async fn webhook_receiver() -> (Arc<Mutex<Vec<Value>>>, String) {
    let events: Arc<Mutex<Vec<Value>>> = Arc::default();
    let kept = events.clone();
    let app = Router::new().route(
        "/hook",
        post(move |body: String| {
            let kept = kept.clone();
            async move {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_str(&body).unwrap());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (events, url)
}

/// The activity of `kind` `node` recorded for delivery (the last one).
async fn stored(node: &TestNode, kind: &str) -> Value {
    node.context
        .store
        .activities_after(0, 100)
        .await
        .unwrap()
        .iter()
        .map(|a| serde_json::from_str::<Value>(&a.document).unwrap())
        .rfind(|a| a["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} recorded"))
}

async fn catalog_offers(node: &TestNode, token: &str) -> Vec<Value> {
    node.api("/api/v1/catalog/offers", token).await["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn both_sides_hold_the_terms_and_the_receiver_enforces_retention(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |s| {
        s.federation.admission = Admission::Open;
    })
    .await;
    let (b, b_db) = node_named(&db, "velocoop", |s| {
        s.federation.retention_check_every = Duration::from_secs(1);
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let (a_platform, b_platform) = (
        a.token(Scope::Platform).await,
        b.token(Scope::Platform).await,
    );
    let (events, hook) = webhook_receiver().await;
    let created = b
        .post_json(
            "/api/v1/webhooks",
            &b_platform,
            &json!({"url": hook, "events": ["catalog.deleted"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let published = a
        .put_json("/api/v1/offers/apples", &a_platform, &a.example("offer"))
        .await;
    assert_eq!(published.status(), 201);
    ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    wait_follow_state(&b, &b_admin, &a, "active").await;
    eventually("A's offer in B's catalog", 20, || async {
        (catalog_offers(&b, &b_platform).await.len() == 1).then_some(())
    })
    .await;

    // A sets B's scope: B holds the terms, A shows them accepted.
    let (b_on_a, a_on_b) = (peer_id(&a, &b.actor()).await, peer_id(&b, &a.actor()).await);
    set_scope(
        &a,
        &a_admin,
        b_on_a,
        &json!({"kinds": ["offer"], "purpose": PURPOSE, "retentionDays": 1}),
    )
    .await;
    let held = eventually("B to hold A's terms", 20, || async {
        let terms = terms(&b, &b_admin, a_on_b).await;
        terms["received"].is_object().then_some(terms)
    })
    .await;
    assert_eq!(held["peer"], a.actor());
    assert_eq!(held["received"]["terms"]["purpose"], PURPOSE);
    assert_eq!(held["received"]["terms"]["retentionDays"], 1);
    assert_eq!(held["received"]["terms"]["kinds"], json!(["offer"]));
    assert!(held["sent"].is_null(), "B set no scope for A: {held}");
    let sent = eventually("A to see its terms accepted", 20, || async {
        let terms = terms(&a, &a_admin, b_on_a).await;
        (terms["sent"]["state"] == "accepted").then_some(terms)
    })
    .await;
    assert_eq!(sent["sent"]["offer"], held["received"]["offer"]);
    assert_eq!(sent["sent"]["terms"], held["received"]["terms"]);
    assert!(sent["sent"]["acceptedAt"].is_string());
    assert!(sent["received"].is_null());
    // As sent: every term defined by its contexts, an ActivityStreams type.
    let (offer, accept) = (stored(&a, "Offer").await, stored(&b, "Accept").await);
    assert_eq!(offer["object"]["type"], json!(["Document", "SharingTerms"]));
    assert_eq!(offer["to"], json!([b.actor()]));
    assert!(offer["proof"].is_object(), "{offer}");
    assert_eq!(accept["object"], held["received"]["offer"]);
    crate::jsonld::assert_terms_defined(&a, "the terms' Offer", &offer);
    crate::jsonld::assert_terms_defined(&b, "the terms' Accept", &accept);

    let session = sign_in(&b, &b_admin).await;
    let (status, html) = page(&b, &session.cookie, "/admin/peers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("What they share with us"), "{html}");
    assert!(html.contains(PURPOSE), "{html}");
    assert!(html.contains("kept at most: 1 days"), "{html}");
    let session = sign_in(&a, &a_admin).await;
    let (_, html) = page(&a, &session.cookie, "/admin/peers").await;
    assert!(html.contains("Terms we share under"), "{html}");
    assert!(html.contains("accepted"), "{html}");

    // Within the retention, the offer stays; two days past its last
    // update (the clock moved in B's database), it leaves B's catalog.
    assert_eq!(catalog_offers(&b, &b_platform).await.len(), 1);
    let two_days = 2 * 24 * 3600 * 1000;
    let last_update = b_db.query_i64("SELECT MAX(updated_at) FROM catalog").await;
    b_db.execute(&format!(
        "UPDATE catalog SET updated_at = {}",
        last_update - two_days
    ))
    .await;
    eventually("the expired offer to leave B's catalog", 20, || async {
        catalog_offers(&b, &b_platform)
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    let deleted = eventually("the catalog.deleted webhook", 20, || async {
        events
            .lock()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "catalog.deleted")
            .cloned()
    })
    .await;
    assert_eq!(deleted["data"]["object"]["id"], a.url("/offers/apples"));
    assert_eq!(deleted["data"]["peer"], a.actor());

    // B unfollows A: with nothing of A held, A's terms are gone too.
    let follows = b.api("/api/v1/admin/follows", &b_admin).await;
    let unfollowed = b
        .delete_with(
            &format!("/api/v1/admin/follows/{}", follows[0]["id"]),
            &b_admin,
        )
        .await;
    assert!(unfollowed.status().is_success(), "{}", unfollowed.status());
    assert!(terms(&b, &b_admin, a_on_b).await["received"].is_null());
    a.stop().await;
    b.stop().await;
}

async fn a_follower_that_never_answers_is_not_acknowledged(db: TestDatabase) {
    let a = TestNode::start(&db).await;
    let a_admin = admin(&a).await;
    let a_platform = a.token(Scope::Platform).await;
    let key = new_key();
    let stub = MockPeer::with_actor(&key, None).await;
    approve_follower(&a, &a_admin, &stub.url("/actor"), &key).await;
    let stub_id = peer_id(&a, &stub.url("/actor")).await;
    // The scope and its terms commit together: a fault recording the terms
    // leaves the scope unset and nothing to deliver.
    db.inject_insert_fault("sent_terms").await;
    let failed = a
        .put_json(
            &format!("/api/v1/admin/peers/{stub_id}/scope"),
            &a_admin,
            &json!({"kinds": ["offer"], "purpose": PURPOSE}),
        )
        .await;
    assert!(failed.status().is_server_error(), "{}", failed.status());
    db.lift_insert_fault("sent_terms").await;
    let scope = a
        .api(&format!("/api/v1/admin/peers/{stub_id}/scope"), &a_admin)
        .await;
    assert_eq!(scope["default"], true, "{scope}");
    assert!(terms(&a, &a_admin, stub_id).await["sent"].is_null());
    assert_eq!(
        db.query_i64("SELECT COUNT(*) FROM activities WHERE kind = 'Offer'")
            .await,
        0
    );
    set_scope(
        &a,
        &a_admin,
        stub_id,
        &json!({"kinds": ["offer"], "purpose": PURPOSE}),
    )
    .await;
    a.wait_until_delivered().await;
    let before = stub.hits("POST", "/inbox");
    assert!(before >= 1, "the terms were delivered");
    let terms = terms(&a, &a_admin, stub_id).await;
    assert_eq!(terms["sent"]["state"], "sent", "{terms}");
    assert!(terms["sent"]["acceptedAt"].is_null());
    assert_eq!(terms["sent"]["terms"]["purpose"], PURPOSE);

    let session = sign_in(&a, &a_admin).await;
    let (_, html) = page(&a, &session.cookie, "/admin/peers").await;
    assert!(html.contains("not acknowledged"), "{html}");

    // It keeps receiving under the terms.
    let published = a
        .put_json("/api/v1/offers/apples", &a_platform, &a.example("offer"))
        .await;
    assert_eq!(published.status(), 201);
    a.wait_until_delivered().await;
    assert!(stub.hits("POST", "/inbox") > before);
    a.stop().await;
}

async fn wrong_senders_of_terms_and_acceptances_are_refused(db: TestDatabase) {
    let (b, b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (c, _c_db) = node_named(&db, "stranger", |_| {}).await;
    let (b_admin, c_admin) = (admin(&b).await, admin(&c).await);
    // B shares with a stub follower under terms the stub never answers.
    let key = new_key();
    let stub = MockPeer::with_actor(&key, None).await;
    approve_follower(&b, &b_admin, &stub.url("/actor"), &key).await;
    let stub_on_b = peer_id(&b, &stub.url("/actor")).await;
    set_scope(&b, &b_admin, stub_on_b, &json!({"kinds": ["offer"]})).await;
    let sent = terms(&b, &b_admin, stub_on_b).await["sent"]["offer"]
        .as_str()
        .unwrap()
        .to_owned();
    // C follows B (so each knows the other), B does not follow C.
    let request = ask_to_follow(&c, &c_admin, &b, &b_admin).await;
    let approved = b
        .post_json(
            &format!("/api/v1/admin/follow-requests/{}/approve", request["id"]),
            &b_admin,
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    wait_follow_state(&c, &c_admin, &b, "active").await;

    // C sends B signed terms anyway (with its integrity proof), and an
    // `Accept` of the terms B sent the stub.
    let settings = &c.context.settings;
    let b_actor = url::Url::parse(&b.actor()).unwrap();
    let forged = SharingTerms::of(
        settings,
        &passerelle::model::SharingScope::default(),
        &b_actor,
        &passerelle::model::time::now(),
    );
    let offer_id = activities::new_activity_id(settings);
    let offer = sharing_terms::offer(settings, &offer_id, &forged).unwrap();
    let accept_id = activities::new_activity_id(settings);
    let accept = sharing_terms::accept(
        settings,
        &accept_id,
        &url::Url::parse(&sent).unwrap(),
        &b_actor,
    );
    let b_on_c = passerelle::model::PeerId(peer_id(&c, &b.actor()).await);
    for (kind, id, document) in [
        (sharing_terms::OFFER, &offer_id, &offer),
        (passerelle::model::ActivityKind::Accept, &accept_id, &accept),
    ] {
        passerelle::domain::outgoing::send_to_peer(&c.context, b_on_c, kind, id, document)
            .await
            .unwrap();
    }
    for kind in ["Offer", "Accept"] {
        eventually(&format!("B to refuse the {kind}"), 40, || async {
            let metrics = b.get("/metrics").await.text().await.ok()?;
            metrics
                .contains(&format!(
                    r#"passerelle_inbox_activities_total{{outcome="refused",type="{kind}"}}"#
                ))
                .then_some(())
        })
        .await;
    }
    // Both refused, the `Accept` for who sent it (403), not for its proof;
    // C's node gave up on both.
    let streams = c.api("/api/v1/admin/deliveries?state=all", &c_admin).await;
    assert_eq!(streams[0]["skipped"], 2, "{streams}");
    assert_eq!(
        streams[0]["last_skipped"],
        format!("{accept_id} refused with 403 Forbidden"),
    );

    let c_on_b = peer_id(&b, &c.actor()).await;
    let held = terms(&b, &b_admin, c_on_b).await;
    assert!(held["received"].is_null(), "{held}");
    assert_eq!(
        b_db.query_i64("SELECT COUNT(*) FROM received_terms").await,
        0
    );
    assert_eq!(
        b_db.query_i64("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'sharing.terms_%'")
            .await,
        0
    );
    let stub_terms = terms(&b, &b_admin, stub_on_b).await;
    assert_eq!(stub_terms["sent"]["state"], "sent", "{stub_terms}");
    b.stop().await;
    c.stop().await;
}
