//! Data flowing between nodes: what B publishes reaches its approved
//! followers' catalogs (live and by backfill), updates and deletions
//! follow, the platform hears about it through signed webhooks, and forged
//! objects are refused.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually};
use crate::signing::SignedPost;

on_both_backends!(
    published_objects_reach_followers,
    forged_objects_are_refused,
    a_peer_down_gets_everything_back,
    a_hanging_peer_holds_no_one_up
);

/// A webhook endpoint that records what it receives.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    pub(crate) calls: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

impl Receiver {
    pub(crate) async fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        let calls = receiver.calls.clone();
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: String| {
                let calls = calls.clone();
                async move {
                    calls.lock().unwrap().push((headers, body));
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    /// The events received so far, each checked against `secret`.
    fn events(&self, secret: &str) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(headers, body)| {
                let header = |name: &str| headers[name].to_str().unwrap().to_owned();
                let expected = passerelle::domain::webhooks::signature(
                    secret,
                    &header("webhook-id"),
                    header("webhook-timestamp").parse().unwrap(),
                    body,
                )
                .unwrap();
                assert_eq!(
                    header("webhook-signature"),
                    expected,
                    "signed per Standard Webhooks"
                );
                serde_json::from_str(body).unwrap()
            })
            .collect()
    }
}

async fn catalog(node: &TestNode, token: &str, path: &str) -> Vec<Value> {
    node.api(path, token).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn names(items: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = items
        .iter()
        .map(|i| i["object"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn offer(node: &TestNode, name: &str, purpose: &str) -> Value {
    let mut offer = node.example("offer");
    offer["name"] = json!(name);
    offer["purpose"] = json!(purpose);
    offer
}

async fn published_objects_reach_followers(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Manual
    })
    .await;
    let (a_admin, b_admin, c_admin) = (admin(&a).await, admin(&b).await, admin(&c).await);
    let (a_platform, b_platform, c_platform) = (
        a.token(Scope::Platform).await,
        b.token(Scope::Platform).await,
        c.token(Scope::Platform).await,
    );

    // A's platform listens.
    let (receiver, hook) = Receiver::start().await;
    let response = a
        .post_json("/api/v1/webhooks", &a_platform, &json!({"url": hook, "events": ["catalog.created", "catalog.updated", "catalog.deleted", "follow.accepted"]}))
        .await;
    assert_eq!(response.status(), 201);
    let secret = response.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    let listed = a.api("/api/v1/webhooks", &a_platform).await;
    assert!(
        listed[0].get("secret").is_none(),
        "the secret is shown once"
    );

    // Published before A follows: arrives by backfill.
    b.put_json(
        "/api/v1/offers/early",
        &b_platform,
        &offer(&b, "Bike repair", "offer"),
    )
    .await;
    // Followers-only: backfill fetches it with a signed request.
    let early_member = json!({"type": "Person", "name": "Early Member", "role": "founder"});
    b.put_json("/api/v1/members/early", &b_platform, &early_member)
        .await;
    let request = ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    ask_to_follow(&c, &c_admin, &b, &b_admin).await; // C stays pending
    b.post_json(
        &format!("/api/v1/admin/follow-requests/{}/approve", request["id"]),
        &b_admin,
        &json!({}),
    )
    .await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    eventually("the backfill", 20, || async {
        let offers = names(&catalog(&a, &a_platform, "/api/v1/catalog/offers").await);
        let members = names(&catalog(&a, &a_platform, "/api/v1/catalog/members").await);
        (offers == ["Bike repair"] && members == ["Early Member"]).then_some(())
    })
    .await;

    // Published after: delivered.
    b.put_json(
        "/api/v1/offers/late",
        &b_platform,
        &offer(&b, "Cargo bike hire", "offer"),
    )
    .await;
    b.put_json(
        "/api/v1/offers/wanted",
        &b_platform,
        &offer(&b, "Courier wanted", "request"),
    )
    .await;
    let person = json!({"type": "Person", "name": "Sam Courier", "role": "worker"});
    b.put_json("/api/v1/members/sam", &b_platform, &person)
        .await;
    eventually("the live deliveries", 20, || async {
        let offers = catalog(&a, &a_platform, "/api/v1/catalog/offers").await;
        let members = catalog(&a, &a_platform, "/api/v1/catalog/members").await;
        (offers.len() == 3 && members.len() == 2).then_some(())
    })
    .await;
    let offers = catalog(&a, &a_platform, "/api/v1/catalog/offers").await;
    for item in &offers {
        assert_eq!(item["verified"], true);
        assert_eq!(item["peer"]["actor"], b.actor());
        assert!(item["received_at"].is_string());
    }
    // The followers-only member reached the approved follower only.
    assert_eq!(
        names(&catalog(&a, &a_platform, "/api/v1/catalog/members").await),
        ["Early Member", "Sam Courier"]
    );
    assert_eq!(
        catalog(&c, &c_platform, "/api/v1/catalog/members").await,
        Vec::<Value>::new()
    );
    assert_eq!(
        catalog(&c, &c_platform, "/api/v1/catalog/offers").await,
        Vec::<Value>::new()
    );

    // Filters.
    assert_eq!(
        names(&catalog(&a, &a_platform, "/api/v1/catalog/offers?purpose=request").await),
        ["Courier wanted"]
    );
    assert_eq!(
        names(&catalog(&a, &a_platform, "/api/v1/catalog/offers?q=CARGO").await),
        ["Cargo bike hire"]
    );
    let by_peer = format!("/api/v1/catalog/offers?peer={}", urlencode(&b.handle()));
    assert_eq!(catalog(&a, &a_platform, &by_peer).await.len(), 3);
    assert_eq!(
        catalog(
            &a,
            &a_platform,
            "/api/v1/catalog/offers?updated_since=2999-01-01T00:00:00Z"
        )
        .await
        .len(),
        0
    );
    let page = a.api("/api/v1/catalog/offers?limit=2", &a_platform).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let rest = a
        .api(
            &format!(
                "/api/v1/catalog/offers?limit=2&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
            &a_platform,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    let one = a
        .api(
            &format!(
                "/api/v1/catalog/offers/{}",
                urlencode(&b.url("/offers/late"))
            ),
            &a_platform,
        )
        .await;
    assert_eq!(one["object"]["name"], "Cargo bike hire");
    assert_eq!(
        a.get_with("/api/v1/catalog/offers/nope", &a_platform)
            .await
            .status(),
        404
    );
    assert_eq!(
        a.get_with(
            "/api/v1/catalog/offers?updated_since=yesterday",
            &a_platform
        )
        .await
        .status(),
        400
    );

    // Update and delete propagate.
    b.put_json(
        "/api/v1/offers/late",
        &b_platform,
        &offer(&b, "Cargo bike hire, weekends too", "offer"),
    )
    .await;
    b.delete_with("/api/v1/offers/early", &b_platform).await;
    eventually("the update and the deletion", 20, || async {
        (names(&catalog(&a, &a_platform, "/api/v1/catalog/offers").await)
            == ["Cargo bike hire, weekends too", "Courier wanted"])
        .then_some(())
    })
    .await;

    // B's admin can tell who received what.
    let peers = b.api("/api/v1/admin/peers", &b_admin).await;
    let peer_id = |node: &TestNode| {
        peers
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["actor"] == node.actor())
            .unwrap()["id"]
            .clone()
    };
    let received = b
        .api(
            &format!("/api/v1/admin/peers/{}/received", peer_id(&a)),
            &b_admin,
        )
        .await;
    let objects: Vec<&str> = received
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["object"].as_str().unwrap())
        .collect();
    assert!(
        objects.contains(&b.url("/offers/late").as_str()),
        "{received}"
    );
    assert!(
        objects.contains(&b.url("/members/sam").as_str()),
        "{received}"
    );
    let late = received
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["object"] == b.url("/offers/late"))
        .unwrap();
    assert!(late["delivered_at"].is_string());
    let to_c = b
        .api(
            &format!("/api/v1/admin/peers/{}/received", peer_id(&c)),
            &b_admin,
        )
        .await;
    assert_eq!(to_c, json!([]));
    let deliveries = b.api("/api/v1/admin/deliveries?state=all", &b_admin).await;
    assert!(
        deliveries
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["peer"]["actor"] == a.actor() && d["backlog"] == 0),
        "{deliveries}"
    );
    assert_eq!(
        b.get_with("/api/v1/admin/deliveries?state=weird", &b_admin)
            .await
            .status(),
        400
    );

    // The platform heard about all of it, correctly signed.
    let events = eventually("the webhook events", 20, || async {
        let events = receiver.events(&secret);
        events
            .iter()
            .any(|e| e["type"] == "catalog.deleted")
            .then_some(events)
    })
    .await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(types.contains(&"follow.accepted"), "{types:?}");
    assert_eq!(
        types.iter().filter(|t| **t == "catalog.created").count(),
        5,
        "{types:?}"
    );
    assert!(types.contains(&"catalog.updated"), "{types:?}");
    let created = events
        .iter()
        .find(|e| {
            e["type"] == "catalog.created" && e["data"]["object"]["name"] == "Cargo bike hire"
        })
        .unwrap();
    assert_eq!(created["data"]["kind"], "offer");
    assert_eq!(created["data"]["peer"], b.actor());

    // A stops following B: B's objects leave A's catalog, and the platform
    // is told of each one.
    let held = catalog(&a, &a_platform, "/api/v1/catalog/offers")
        .await
        .len()
        + catalog(&a, &a_platform, "/api/v1/catalog/members")
            .await
            .len();
    assert_eq!(held, 4);
    let follows = a.api("/api/v1/admin/follows", &a_admin).await;
    let unfollowed = a
        .delete_with(
            &format!("/api/v1/admin/follows/{}", follows[0]["id"]),
            &a_admin,
        )
        .await;
    assert_eq!(unfollowed.status(), 204);
    assert_eq!(
        catalog(&a, &a_platform, "/api/v1/catalog/offers")
            .await
            .len(),
        0
    );
    let purged = eventually("an event per purged object", 20, || async {
        let purged: Vec<Value> = receiver
            .events(&secret)
            .into_iter()
            .filter(|e| e["type"] == "catalog.deleted" && e["data"]["reason"] == "unfollowed")
            .collect();
        (purged.len() == held).then_some(purged)
    })
    .await;
    assert!(purged.iter().all(|e| e["data"]["peer"] == b.actor()));
    for node in [a, b, c] {
        node.stop().await;
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Objects that do not verify are refused, stored nowhere, and counted.
async fn forged_objects_are_refused(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open
    })
    .await;
    let (x, _x_db) = node_named(&db, "stranger", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let a_platform = a.token(Scope::Platform).await;
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;

    let client = reqwest::Client::new();
    let sign_object = |node: &TestNode, object: Value| {
        passerelle::apub::proof::sign(
            &object,
            &node.context.keys().ed25519,
            &passerelle::apub::proof::ProofOptions {
                verification_method: &format!("{}#ed25519-key", node.actor()),
                created: "2026-01-01T00:00:00Z",
            },
        )
        .unwrap()
    };
    let proposal = |node: &TestNode, id: &str, name: &str| {
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2", node.url("/ns")],
            "id": id, "type": "Proposal", "attributedTo": node.actor(), "name": name, "purpose": "offer",
            "publishes": {"type": "Intent", "action": "transfer", "name": "x", "resourceQuantity": {"hasUnit": "kg", "hasNumericalValue": "1"}},
            "url": "https://velo.example/x", "updated": "2026-01-01T00:00:00Z"
        })
    };
    let send = |from: &TestNode, object: Value| {
        let activity = json!({"id": from.url(&format!("/activities/{}", uuid::Uuid::new_v4())), "type": "Create", "actor": from.actor(), "object": object});
        SignedPost::new(
            &a.url("/inbox"),
            serde_json::to_vec(&activity).unwrap(),
            &format!("{}#main-key", from.actor()),
            &from.context.keys().rsa_private,
        )
    };
    // An id on another host.
    let foreign = sign_object(&b, proposal(&b, &x.url("/offers/1"), "Elsewhere"));
    assert_eq!(send(&b, foreign).send(&client).await.status(), 422);
    // Ids that are not http(s) URLs on the sender's origin.
    let b_other_port = format!(
        "http://{}:{}/offers/1",
        b.base.host_str().unwrap(),
        b.base.port().unwrap() + 1
    );
    for id in [
        "javascript:alert(1)",
        "data:text/html,x",
        b_other_port.as_str(),
    ] {
        let hostile = sign_object(&b, proposal(&b, id, "Hostile id"));
        assert_eq!(send(&b, hostile).send(&client).await.status(), 422, "{id}");
    }
    // A proof that does not verify (signed with another key).
    let mut bad_proof = sign_object(&x, proposal(&b, &b.url("/offers/2"), "Bad proof"));
    bad_proof["proof"]["verificationMethod"] = json!(format!("{}#ed25519-key", b.actor()));
    assert_eq!(send(&b, bad_proof).send(&client).await.status(), 422);
    // No proof at all.
    assert_eq!(
        send(&b, proposal(&b, &b.url("/offers/3"), "Unsigned"))
            .send(&client)
            .await
            .status(),
        422
    );
    // A schema violation, properly signed.
    let mut invalid = proposal(&b, &b.url("/offers/4"), "Invalid");
    invalid["purpose"] = json!("barter");
    assert_eq!(
        send(&b, sign_object(&b, invalid))
            .send(&client)
            .await
            .status(),
        422
    );
    // A valid object from a peer A does not follow.
    let stranger = sign_object(&x, proposal(&x, &x.url("/offers/5"), "Stranger"));
    assert_eq!(send(&x, stranger).send(&client).await.status(), 403);
    // ... while a valid one from B is kept.
    let good = sign_object(&b, proposal(&b, &b.url("/offers/6"), "Good"));
    assert_eq!(send(&b, good).send(&client).await.status(), 202);

    assert_eq!(
        names(&catalog(&a, &a_platform, "/api/v1/catalog/offers").await),
        ["Good"]
    );
    let metrics = a.get("/metrics").await.text().await.unwrap();
    for reason in ["foreign_id", "proof", "schema"] {
        assert!(
            metrics.contains(&format!(
                "passerelle_catalog_refused_total{{reason=\"{reason}\"}}"
            )),
            "{reason}: {metrics}"
        );
    }
    assert!(
        metrics.contains(r#"passerelle_inbox_activities_total{outcome="refused",type="Create"} 8"#),
        "{metrics}"
    );
    for node in [a, b, x] {
        node.stop().await;
    }
}

/// A follower that is down while B publishes receives everything, in
/// order, once it is back.
async fn a_peer_down_gets_everything_back(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let b_platform = b.token(Scope::Platform).await;
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;

    let a_settings = a.settings.clone();
    a.stop().await;
    for n in 0..3 {
        b.put_json(
            &format!("/api/v1/offers/o{n}"),
            &b_platform,
            &offer(&b, &format!("Offer {n}"), "offer"),
        )
        .await;
    }
    b.put_json(
        "/api/v1/offers/o1",
        &b_platform,
        &offer(&b, "Offer 1, updated", "offer"),
    )
    .await;
    b.delete_with("/api/v1/offers/o2", &b_platform).await;
    eventually("B to notice A is down", 20, || async {
        let peers = b.api("/api/v1/admin/peers", &b_admin).await;
        (peers[0]["delivery"]["failures"].as_i64().unwrap_or(0) > 0).then_some(())
    })
    .await;

    let a = TestNode::start_on(a_settings).await;
    let a_platform = a.token(Scope::Platform).await;
    eventually("A to catch up", 40, || async {
        (names(&catalog(&a, &a_platform, "/api/v1/catalog/offers").await)
            == ["Offer 0", "Offer 1, updated"])
        .then_some(())
    })
    .await;
    // A has everything once the last delivery is stored; B records its
    // cursor when the answer comes back, a moment later.
    b.wait_until_delivered().await;
    let peers = b.api("/api/v1/admin/peers", &b_admin).await;
    assert_eq!(peers[0]["delivery"]["backlog"], 0);
    let metrics = b.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("passerelle_delivery_queue_depth 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"passerelle_deliveries_total{outcome="failed",target="peer"}"#),
        "{metrics}"
    );
    a.stop().await;
    b.stop().await;
}

/// A follower that accepts connections but never answers (requests to it
/// are cut after 10 s) does not delay what the other followers receive.
async fn a_hanging_peer_holds_no_one_up(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open
    })
    .await;
    let (a_admin, b_admin, c_admin) = (admin(&a).await, admin(&b).await, admin(&c).await);
    let b_platform = b.token(Scope::Platform).await;
    for (follower, follower_admin) in [(&a, &a_admin), (&c, &c_admin)] {
        ask_to_follow(follower, follower_admin, &b, &b_admin).await;
        wait_follow_state(follower, follower_admin, &b, "active").await;
    }

    // C's port now takes connections and never answers.
    let c_addr = c.settings.listen;
    c.stop().await;
    let black_hole = tokio::net::TcpListener::bind(c_addr).await.unwrap();
    let held = Arc::new(Mutex::new(Vec::new()));
    let holder = held.clone();
    let black_hole = tokio::spawn(async move {
        while let Ok((connection, _)) = black_hole.accept().await {
            holder.lock().unwrap().push(connection);
        }
    });

    let a_platform = a.token(Scope::Platform).await;
    let mut expected = Vec::new();
    for n in 0..3 {
        let name = format!("Offer {n}");
        b.put_json(
            &format!("/api/v1/offers/o{n}"),
            &b_platform,
            &offer(&b, &name, "offer"),
        )
        .await;
        expected.push(name);
        // Well within the 10 s a request to C is given before it is cut.
        eventually("A to receive the offer while C hangs", 5, || async {
            (names(&catalog(&a, &a_platform, "/api/v1/catalog/offers").await) == expected)
                .then_some(())
        })
        .await;
    }
    assert!(
        !held.lock().unwrap().is_empty(),
        "B was sending to the hanging peer meanwhile"
    );
    black_hole.abort();
    a.stop().await;
    b.stop().await;
}

on_both_backends!(long_failures_disable_webhooks_and_mark_peers_unreachable);

/// With `delivery.dead_after` short: a webhook endpoint that never answers
/// is disabled (audited), and a peer that stays down is shown unreachable.
async fn long_failures_disable_webhooks_and_mark_peers_unreachable(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open;
        s.delivery.dead_after = std::time::Duration::from_secs(1);
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let b_platform = b.token(Scope::Platform).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let response = b
        .post_json(
            "/api/v1/webhooks",
            &b_platform,
            &json!({"url": format!("http://{closed}/hook"), "events": ["follow_request.received"]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        b.post_json(
            "/api/v1/webhooks",
            &b_platform,
            &json!({"url": "ftp://x/y", "events": ["follow_request.received"]})
        )
        .await
        .status(),
        422
    );
    assert_eq!(
        b.post_json(
            "/api/v1/webhooks",
            &b_platform,
            &json!({"url": "http://x/y", "events": ["everything"]})
        )
        .await
        .status(),
        422
    );
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    eventually("the webhook to be disabled", 30, || async {
        let hooks = b.api("/api/v1/webhooks", &b_platform).await;
        hooks[0]["disabled_at"].is_string().then_some(())
    })
    .await;
    let audit = b.api("/api/v1/admin/audit", &b_admin).await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "webhook.disabled"),
        "{audit}"
    );

    // A goes away for good; B keeps failing, then shows A unreachable.
    a.stop().await;
    b.put_json(
        "/api/v1/offers/x",
        &b_platform,
        &offer(&b, "Anything", "offer"),
    )
    .await;
    eventually("A to be shown unreachable", 30, || async {
        let deliveries = b
            .api("/api/v1/admin/deliveries?state=unreachable", &b_admin)
            .await;
        (deliveries.as_array().unwrap().len() == 1).then_some(())
    })
    .await;
    b.stop().await;
}

on_both_backends!(three_nodes_following_each_other);

/// The "done when" of delivery: A, B and C follow each other; an offer
/// pushed to B reaches A's and C's catalogs and webhooks; its deletion
/// removes it everywhere.
async fn three_nodes_following_each_other(db: TestDatabase) {
    let open = |s: &mut passerelle::Settings| s.federation.admission = Admission::Open;
    let (a, _a_db) = node_named(&db, "foodhub", open).await;
    let (b, _b_db) = node_named(&db, "velocoop", open).await;
    let (c, _c_db) = node_named(&db, "carshare", open).await;
    let nodes = [&a, &b, &c];
    let mut admins = Vec::new();
    for node in nodes {
        admins.push(admin(node).await);
    }
    for (i, follower) in nodes.iter().enumerate() {
        for (j, followed) in nodes.iter().enumerate() {
            if i != j {
                ask_to_follow(follower, &admins[i], followed, &admins[j]).await;
                wait_follow_state(follower, &admins[i], followed, "active").await;
            }
        }
    }
    let mut receivers = Vec::new();
    for node in [&a, &c] {
        let platform = node.token(Scope::Platform).await;
        let (receiver, hook) = Receiver::start().await;
        let created = node
            .post_json(
                "/api/v1/webhooks",
                &platform,
                &json!({"url": hook, "events": ["catalog.created", "catalog.deleted"]}),
            )
            .await;
        let secret = created.json::<Value>().await.unwrap()["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        receivers.push((node, platform, receiver, secret));
    }

    let b_platform = b.token(Scope::Platform).await;
    b.put_json(
        "/api/v1/offers/bikes",
        &b_platform,
        &offer(&b, "Cargo bikes for hire", "offer"),
    )
    .await;
    for (node, platform, receiver, secret) in &receivers {
        eventually("the offer in the catalog", 20, || async {
            (names(&catalog(node, platform, "/api/v1/catalog/offers").await)
                == ["Cargo bikes for hire"])
            .then_some(())
        })
        .await;
        eventually("the webhook", 20, || async {
            receiver
                .events(secret)
                .iter()
                .any(|e| e["type"] == "catalog.created")
                .then_some(())
        })
        .await;
    }
    b.delete_with("/api/v1/offers/bikes", &b_platform).await;
    for (node, platform, receiver, secret) in &receivers {
        eventually("the deletion everywhere", 20, || async {
            catalog(node, platform, "/api/v1/catalog/offers")
                .await
                .is_empty()
                .then_some(())
        })
        .await;
        eventually("the deletion webhook", 20, || async {
            receiver
                .events(secret)
                .iter()
                .any(|e| e["type"] == "catalog.deleted")
                .then_some(())
        })
        .await;
    }
    for node in [a, b, c] {
        node.stop().await;
    }
}
