//! Faults on the way to a peer: the node waits longer after each failure,
//! as the README's retry schedule says.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::mock_peer::{Documents, MockPeer, actor_document, follow, new_key};
use crate::on_both_backends;
use crate::rig::federation::{
    admin, approve_follower, ask_to_follow, follow_uri, node_named, request_follow,
    wait_follow_state,
};
use crate::rig::{TestDatabase, TestNode, eventually, holds_for};
use crate::signing::SignedPost;

on_both_backends!(
    failing_peer_is_retried_on_the_documented_schedule,
    refusals_are_retried_then_skipped_in_view,
    a_gone_inbox_pauses_delivery_until_the_peer_speaks,
);

/// A follower whose inbox answers 410 is marked gone after one attempt and
/// not retried; once it sends a verified activity, delivery resumes.
async fn a_gone_inbox_pauses_delivery_until_the_peer_speaks(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let node_admin = node.token(Scope::Admin).await;
    let (peer, key) = approved_follower(&node, &node_admin, StatusCode::GONE).await;
    let deliveries = eventually("the peer to be marked gone", 20, || async {
        let deliveries = node.api("/api/v1/admin/deliveries", &node_admin).await;
        deliveries[0]["gone_since"]
            .is_string()
            .then_some(deliveries)
    })
    .await;
    assert!(
        deliveries[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("410"),
        "{deliveries}"
    );
    // A retry would come after about 2 s: none comes.
    holds_for("one attempt only", Duration::from_secs(5), || async {
        peer.hits("POST", "/inbox") == 1
    })
    .await;

    // The peer speaks: its stream is taken up again.
    let actor = peer.url("/actor");
    let like = serde_json::to_vec(&json!({
        "id": peer.url("/activities/like"),
        "type": "Like",
        "actor": actor,
        "object": node.actor(),
    }))
    .unwrap();
    let response = SignedPost::new(
        &node.url("/inbox"),
        like,
        &format!("{actor}#main-key"),
        &key,
    )
    .send(&reqwest::Client::new())
    .await;
    assert_eq!(response.status(), 202);
    eventually("a new attempt", 20, || async {
        (peer.hits("POST", "/inbox") == 2).then_some(())
    })
    .await;
    node.stop().await;
}

/// A mock peer that follows `node`, approved by its admin; its inbox
/// answers every POST with `status`.
async fn approved_follower(
    node: &TestNode,
    node_admin: &str,
    status: StatusCode,
) -> (MockPeer, rsa::RsaPrivateKey) {
    let key = new_key();
    let peer = MockPeer::with_actor_answering(&key, None, status).await;
    approve_follower(node, node_admin, &peer.url("/actor"), &key).await;
    (peer, key)
}

/// A follower that answers 401 (it may hold a stale copy of our key) is
/// retried three times with back-off, then the activity is skipped, and
/// the skip shows in the admin API with its status.
async fn refusals_are_retried_then_skipped_in_view(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let node_admin = node.token(Scope::Admin).await;
    let (peer, _) = approved_follower(&node, &node_admin, StatusCode::UNAUTHORIZED).await;
    // Skipping and moving the cursor past it are two writes of one pass.
    let deliveries = eventually("the Accept to be skipped", 40, || async {
        let deliveries = node.api("/api/v1/admin/deliveries", &node_admin).await;
        (deliveries[0]["skipped"] == 1 && deliveries[0]["backlog"] == 0).then_some(deliveries)
    })
    .await;
    // Each knocks twice (RFC 9421, then draft-cavage): the peer accepted
    // neither, so it is not known to take one.
    assert_eq!(
        (peer.hits("POST", "/inbox"), peer.rfc9421_posts()),
        (8, 4),
        "one attempt and three retries"
    );
    let last = deliveries[0]["last_skipped"].as_str().unwrap();
    assert!(last.contains("401"), "{deliveries}");
    assert_eq!(deliveries[0]["failures"], 0, "{deliveries}");
    assert_eq!(deliveries[0]["backlog"], 0, "{deliveries}");
    node.stop().await;
}

/// A follower whose inbox always answers 503: the `Accept` it is owed is
/// retried after about 2 s, then 4 s, then 8 s (±20 %): four attempts in
/// the first 20 s, not one every few seconds.
async fn failing_peer_is_retried_on_the_documented_schedule(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let node_admin = node.token(Scope::Admin).await;
    let (peer, _) = approved_follower(&node, &node_admin, StatusCode::SERVICE_UNAVAILABLE).await;

    assert_documented_schedule(&db, || peer.times("POST", "/inbox")).await;
    let deliveries: Value = node
        .api("/api/v1/admin/deliveries?state=failing", &node_admin)
        .await;
    assert_eq!(deliveries[0]["failures"], 4, "{deliveries}");
    node.stop().await;
}

/// Checks the attempts `times` reports against the README's schedule:
/// four in the first 20 s, about 2, 4 and 8 s apart (±20 % jitter, plus
/// the time the worker takes to notice). Rather than wait out the 20 s,
/// it reads when the node's only delivery stream (in `db`) plans the
/// fifth: not before those 20 s are over.
async fn assert_documented_schedule(db: &TestDatabase, times: impl Fn() -> Vec<Instant>) {
    let window = Duration::from_secs(20);
    let first = eventually("the first attempt", 20, || async {
        times().first().copied()
    })
    .await;
    eventually("the fourth attempt", 30, || async {
        (times().len() >= 4).then_some(())
    })
    .await;
    let attempts: Vec<Duration> = times()
        .into_iter()
        .map(|at| at - first)
        .filter(|since| *since < window)
        .collect();
    let gaps: Vec<f64> = attempts
        .windows(2)
        .map(|pair| (pair[1] - pair[0]).as_secs_f64())
        .collect();
    assert_eq!(attempts.len(), 4, "gaps between attempts: {gaps:?}");
    for (n, gap) in gaps.iter().enumerate() {
        let expected = 2.0 * f64::from(1 << n);
        assert!(
            *gap >= expected * 0.8 - 0.1 && *gap <= expected * 1.2 + 1.5,
            "gap {n} is {gap:.1} s, expected about {expected} s: {gaps:?}"
        );
    }
    // The fourth failure and the time of the next attempt are one write.
    eventually("the fourth failure to be recorded", 20, || async {
        (db.query_i64("SELECT failures FROM delivery_streams").await == 4).then_some(())
    })
    .await;
    let next_attempt_at = db
        .query_i64("SELECT next_attempt_at FROM delivery_streams")
        .await;
    let window_ends_at = SystemTime::now() - first.elapsed() + window;
    let window_ends_at = window_ends_at
        .duration_since(UNIX_EPOCH)
        .expect("after the epoch")
        .as_millis() as i64;
    assert!(
        next_attempt_at >= window_ends_at,
        "a fifth attempt is planned {:.1} s before the first 20 s are over",
        (window_ends_at - next_attempt_at) as f64 / 1000.0
    );
}

on_both_backends!(a_peer_that_resets_every_connection_is_retried_on_the_schedule);

/// A follower whose server resets every delivery's connection (the fault
/// that once kept the back-off at its first step): the same schedule.
async fn a_peer_that_resets_every_connection_is_retried_on_the_schedule(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let node_admin = node.token(Scope::Admin).await;
    let key = new_key();
    let peer = crate::mock_peer::ResettingPeer::start(&key).await;
    approve_follower(&node, &node_admin, &peer.url("/actor"), &key).await;
    // A reset ends the attempt at once: no second knock follows it.
    assert_documented_schedule(&db, || peer.posts()).await;
    let deliveries = node
        .api("/api/v1/admin/deliveries?state=failing", &node_admin)
        .await;
    assert_eq!(deliveries[0]["failures"], 4, "{deliveries}");
    node.stop().await;
}

on_both_backends!(an_activity_left_half_done_is_processed_once);

/// An activity id claimed by a processing that died (a crash, a database
/// error) is not answered as a duplicate: while the claim is fresh the
/// sender is asked to retry (503), once it is stale the retry processes the
/// activity, and a replay after that is acknowledged without effect.
async fn an_activity_left_half_done_is_processed_once(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, b_db) = node_named(&db, "velocoop", |_| {}).await;
    let b_admin = b.token(Scope::Admin).await;
    let follow_id = a.url("/activities/follow-before-the-crash");
    let body = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": follow_id,
        "type": "Follow",
        "actor": a.actor(),
        "object": b.actor(),
    }))
    .unwrap();
    let send = || SignedPost::by_node(&a, &b.url("/inbox"), body.clone());
    let client = reqwest::Client::new();
    let requests = || async {
        b.api("/api/v1/admin/follow-requests?state=all", &b_admin)
            .await
            .as_array()
            .unwrap()
            .len()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let process = b.context.process.to_string();
    b_db.execute(&format!(
        "INSERT INTO inbox_seen (activity_uri, received_at, done_at, claimed_by) \
         VALUES ('{follow_id}', {now}, NULL, '{process}')"
    ))
    .await;

    // Claimed a moment ago by a live process: the sender is asked to come back.
    let response = send().send(&client).await;
    assert_eq!(response.status(), 503);
    assert_eq!(requests().await, 0);
    // A minute later, still held by a live process: still being processed.
    let a_minute_ago = now - 60_000;
    b_db.execute(&format!(
        "UPDATE inbox_seen SET received_at = {a_minute_ago} WHERE activity_uri = '{follow_id}'"
    ))
    .await;
    assert_eq!(send().send(&client).await.status(), 503);
    assert_eq!(requests().await, 0);

    // Its process died (it is not among the live ones): the retry
    // processes it, without waiting for the claim to go stale.
    b_db.execute(&format!(
        "UPDATE inbox_seen SET claimed_by = 'process-killed' WHERE activity_uri = '{follow_id}'"
    ))
    .await;
    assert_eq!(send().send(&client).await.status(), 202);
    assert_eq!(requests().await, 1);

    // A replay is acknowledged, not redone.
    assert_eq!(send().send(&client).await.status(), 202);
    assert_eq!(requests().await, 1);
    assert_eq!(follows_processed_and_replayed(&b).await, (1, 1));
    a.stop().await;
    b.stop().await;
}

/// How many `Follow`s `node` processed, and how many it acknowledged as
/// replays.
async fn follows_processed_and_replayed(node: &TestNode) -> (u64, u64) {
    let metrics = node.get("/metrics").await.text().await.unwrap();
    let count = |outcome: &str| {
        crate::rig::metric_value(
            &metrics,
            &format!(r#"passerelle_inbox_activities_total{{outcome="{outcome}",type="Follow"}}"#),
        )
    };
    (count("processed"), count("duplicate"))
}

on_both_backends!(a_sender_that_hangs_up_is_processed_once);

/// A sender that gives up while the node is still fetching its key (its
/// actor answers slowly) and closes the connection does not cancel the
/// work: the activity is applied, once; the sender's retry is
/// acknowledged as a duplicate.
async fn a_sender_that_hangs_up_is_processed_once(db: TestDatabase) {
    let b = TestNode::start(&db).await;
    let b_admin = b.token(Scope::Admin).await;
    let key = new_key();
    let mut peer = MockPeer::bind().await;
    peer.simulated_get_latency = Duration::from_secs(1);
    let mut documents = Documents::new();
    documents.insert(
        "/actor".into(),
        (
            "application/activity+json",
            actor_document(&peer, &key, None),
        ),
    );
    peer.serve(documents);
    let body = follow(&peer.url("/actor"), &b.actor());
    let send = || {
        SignedPost::new(
            &b.url("/inbox"),
            body.clone(),
            &peer.url("/actor#main-key"),
            &key,
        )
    };
    let requests = || async {
        b.api("/api/v1/admin/follow-requests?state=all", &b_admin)
            .await
            .as_array()
            .unwrap()
            .len()
    };
    // Gone once the node is waiting for the actor document (a second).
    let key_fetch_started = eventually("the key fetch to start", 20, || async {
        (peer.hits("GET", "/actor") > 0).then_some(())
    });
    send().send_and_hang_up(key_fetch_started).await;
    assert_eq!(peer.hits("GET", "/actor"), 1, "the key fetch had started");
    eventually("the request to be processed all the same", 20, || async {
        (requests().await == 1).then_some(())
    })
    .await;
    let retry = send().send(&reqwest::Client::new()).await;
    assert_eq!(retry.status(), 202);
    assert_eq!(requests().await, 1);
    assert_eq!(follows_processed_and_replayed(&b).await, (1, 1));
    b.stop().await;
}

on_both_backends!(deleted_objects_leave_no_content_behind);

/// Once an offer is deleted, its `Create` and `Update` keep no content: in
/// the outbox and at their own URLs they are tombstones.
async fn deleted_objects_leave_no_content_behind(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let platform = node.token(Scope::Platform).await;
    let mut offer = node.example("offer");
    offer["name"] = json!("Secret recipe jam");
    assert_eq!(
        node.put_json("/api/v1/offers/jam", &platform, &offer)
            .await
            .status(),
        201
    );
    offer["name"] = json!("Secret recipe jam, second batch");
    node.put_json("/api/v1/offers/jam", &platform, &offer).await;
    let page = || async {
        let (status, page) = node.get_activity_json("/outbox?page=true").await;
        assert_eq!(status, 200);
        page
    };
    let before = page().await;
    let earlier: Vec<String> = before["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(earlier.len(), 2, "{before}");
    assert!(before.to_string().contains("Secret recipe"));

    assert_eq!(
        node.delete_with("/api/v1/offers/jam", &platform)
            .await
            .status()
            .as_u16(),
        204
    );
    let after = page().await;
    assert!(!after.to_string().contains("Secret recipe"), "{after}");
    let items = after["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 3, "the Delete and two tombstones: {after}");
    assert_eq!(items[0]["type"], "Delete");
    for id in &earlier {
        let (status, document) = node.get_activity_json(id).await;
        assert_eq!(status, 410, "{id}");
        assert_eq!(document["type"], "Tombstone");
        assert!(
            !document.to_string().contains("Secret recipe"),
            "{document}"
        );
    }
    node.stop().await;
}

on_both_backends!(a_peer_that_deletes_its_actor_leaves_nothing_behind);

/// A followed peer that deletes its actor (it closes) leaves nothing in
/// the catalog.
async fn a_peer_that_deletes_its_actor_leaves_nothing_behind(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = passerelle::config::Admission::Open
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let (a_platform, b_platform) = (
        a.token(Scope::Platform).await,
        b.token(Scope::Platform).await,
    );
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    b.put_json("/api/v1/offers/bikes", &b_platform, &b.example("offer"))
        .await;
    let held = || async {
        a.api("/api/v1/catalog/offers", &a_platform).await["items"]
            .as_array()
            .unwrap()
            .len()
    };
    eventually("the offer to reach A", 20, || async {
        (held().await == 1).then_some(())
    })
    .await;
    let delete = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": b.url("/activities/closing-down"),
        "type": "Delete",
        "actor": b.actor(),
        "object": b.actor(),
    }))
    .unwrap();
    let response = SignedPost::by_node(&b, &a.url("/inbox"), delete)
        .send(&reqwest::Client::new())
        .await;
    assert_eq!(response.status(), 202);
    assert_eq!(held().await, 0);
    a.stop().await;
    b.stop().await;
}

on_both_backends!(narrowing_and_deletion_reach_every_past_recipient);

/// A followers-only member narrowed to one named follower: the other
/// follower, which holds it, is sent a `Delete` and drops it; the one still
/// named keeps the new version. Deleting it then reaches that one too.
async fn narrowing_and_deletion_reach_every_past_recipient(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = passerelle::config::Admission::Open
    })
    .await;
    let b_admin = admin(&b).await;
    let b_platform = b.token(Scope::Platform).await;
    let mut platforms = Vec::new();
    for follower in [&a, &c] {
        let follower_admin = admin(follower).await;
        ask_to_follow(follower, &follower_admin, &b, &b_admin).await;
        wait_follow_state(follower, &follower_admin, &b, "active").await;
        platforms.push(follower.token(Scope::Platform).await);
    }
    let members = |node: &TestNode, token: &str| {
        let url = node.url("/api/v1/catalog/members");
        let token = token.to_owned();
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let page: Value = response.json().await.unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["object"]["name"].as_str().unwrap().to_owned())
                .collect::<Vec<String>>()
        }
    };
    let mut member = json!({"type": "Person", "name": "Sam Courier", "role": "worker"});
    b.put_json("/api/v1/members/sam", &b_platform, &member)
        .await;
    eventually("the member to reach both followers", 20, || async {
        (members(&a, &platforms[0]).await.len() == 1 && members(&c, &platforms[1]).await.len() == 1)
            .then_some(())
    })
    .await;

    member["name"] = json!("Sam Courier (lead)");
    member["audience"] = json!([a.actor()]);
    let narrowed = b
        .put_json("/api/v1/members/sam", &b_platform, &member)
        .await;
    assert_eq!(narrowed.status(), 200);
    eventually("C to drop the member, A to update it", 20, || async {
        (members(&c, &platforms[1]).await.is_empty()
            && members(&a, &platforms[0]).await == ["Sam Courier (lead)"])
        .then_some(())
    })
    .await;

    b.delete_with("/api/v1/members/sam", &b_platform).await;
    eventually("A to drop the member", 20, || async {
        members(&a, &platforms[0]).await.is_empty().then_some(())
    })
    .await;
    for node in [a, b, c] {
        node.stop().await;
    }
}

on_both_backends!(a_decision_commits_whole_or_not_at_all);

/// Approving a request changes its state, records the `Accept` for the
/// peer and the audit entry in one transaction: when the audit entry cannot
/// be written (a fault injected in the database), nothing of the decision
/// remains, and approving again works.
async fn a_decision_commits_whole_or_not_at_all(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let request = ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    b_db.inject_insert_fault("audit_log").await;
    let approve = format!("/api/v1/admin/follow-requests/{}/approve", request["id"]);
    let failed = b.post_json(&approve, &b_admin, &json!({})).await;
    assert_eq!(failed.status(), 500);
    let requests = b
        .api("/api/v1/admin/follow-requests?state=all", &b_admin)
        .await;
    assert_eq!(requests[0]["state"], "pending", "{requests}");
    assert_eq!(
        b_db.query_i64("SELECT COUNT(*) FROM activities WHERE kind = 'Accept'")
            .await,
        0
    );

    b_db.lift_insert_fault("audit_log").await;
    let approved = b.post_json(&approve, &b_admin, &json!({})).await;
    assert_eq!(approved.status(), 200);
    wait_follow_state(&a, &a_admin, &b, "active").await;
    a.stop().await;
    b.stop().await;
}

on_both_backends!(an_exclusion_commits_whole_or_not_at_all);

/// Excluding a peer ends everything at once (its request rejected, our
/// follow undone, its catalog purged, the exclusion recorded, the audit
/// entry): when the audit entry cannot be written, none of it happened.
async fn an_exclusion_commits_whole_or_not_at_all(db: TestDatabase) {
    let open = |s: &mut passerelle::config::Settings| {
        s.federation.admission = passerelle::config::Admission::Open
    };
    let (a, _a_db) = node_named(&db, "foodhub", open).await;
    let (b, b_db) = node_named(&db, "velocoop", open).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    // Each follows the other; B holds A's offer.
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    wait_follow_state(&b, &b_admin, &a, "active").await;
    let a_platform = a.token(Scope::Platform).await;
    let put = a
        .put_json("/api/v1/offers/jam", &a_platform, &a.example("offer"))
        .await;
    assert!(put.status().is_success());
    let held = || async { b_db.query_i64("SELECT COUNT(*) FROM catalog").await };
    a.wait_until_delivered().await;
    assert_eq!(held().await, 1);
    let state = || async {
        (
            b_db.query_text("SELECT state FROM follows_in").await,
            b_db.query_text("SELECT state FROM follows_out").await,
            b_db.query_i64("SELECT COUNT(*) FROM exclusions").await,
            b_db.query_i64("SELECT COUNT(*) FROM activities WHERE kind IN ('Reject', 'Undo')")
                .await,
        )
    };
    let before = state().await;
    assert_eq!(
        before,
        (vec!["approved".into()], vec!["active".into()], 0, 0)
    );

    b_db.inject_insert_fault("audit_log").await;
    let peers = b.api("/api/v1/admin/peers", &b_admin).await;
    let exclude = format!("/api/v1/admin/peers/{}/exclude", peers[0]["id"]);
    let reason = json!({"reason": "left the network"});
    let failed = b.post_json(&exclude, &b_admin, &reason).await;
    assert_eq!(failed.status(), 500);
    assert_eq!(
        state().await,
        before,
        "a failed exclusion left something behind"
    );
    assert_eq!(held().await, 1);

    b_db.lift_insert_fault("audit_log").await;
    let excluded = b.post_json(&exclude, &b_admin, &reason).await;
    assert!(excluded.status().is_success(), "{}", excluded.status());
    assert_eq!(state().await, (vec!["rejected".into()], vec![], 1, 2));
    assert_eq!(held().await, 0);
    wait_follow_state(&a, &a_admin, &b, "rejected").await;
    a.stop().await;
    b.stop().await;
}

/// Node A (foodhub) following B (velocoop, open admission), their tokens,
/// and A's platform webhook for `events` at an address nothing listens on:
/// the events stay queued, where a test counts them.
struct Following {
    a: TestNode,
    a_db: TestDatabase,
    b: TestNode,
    b_db: TestDatabase,
    a_admin: String,
    b_platform: String,
}

async fn a_follows_b_with_a_silent_webhook(db: &TestDatabase, events: &[&str]) -> Following {
    let (a, a_db) = node_named(db, "foodhub", |_| {}).await;
    let (b, b_db) = node_named(db, "velocoop", |s| {
        s.federation.admission = passerelle::config::Admission::Open
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let (a_platform, b_platform) = (
        a.token(Scope::Platform).await,
        b.token(Scope::Platform).await,
    );
    let hook = a
        .post_json(
            "/api/v1/webhooks",
            &a_platform,
            &json!({"url": "http://127.0.0.1:9/hook", "events": events}),
        )
        .await;
    assert_eq!(hook.status(), 201);
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    Following {
        a,
        a_db,
        b,
        b_db,
        a_admin,
        b_platform,
    }
}

on_both_backends!(a_catalog_change_and_its_event_commit_together);

/// A received offer and the platform's `catalog.created` event commit
/// together: while the event cannot be queued (a database fault), the
/// offer is not in the catalog and the sender is told to retry; once the
/// fault is gone, the retry brings both, once.
async fn a_catalog_change_and_its_event_commit_together(db: TestDatabase) {
    let Following {
        a,
        a_db,
        b,
        b_db,
        a_admin: _,
        b_platform,
    } = a_follows_b_with_a_silent_webhook(&db, &["catalog.created"]).await;
    a_db.inject_insert_fault("webhook_events").await;
    let put = b
        .put_json("/api/v1/offers/jam", &b_platform, &b.example("offer"))
        .await;
    assert!(put.status().is_success());
    eventually("B's delivery to fail", 20, || async {
        (b_db
            .query_i64("SELECT COALESCE(MAX(failures), 0) FROM delivery_streams")
            .await
            > 0)
        .then_some(())
    })
    .await;
    let count = |table: &'static str| {
        let a_db = &a_db;
        async move {
            a_db.query_i64(&format!("SELECT COUNT(*) FROM {table}"))
                .await
        }
    };
    assert_eq!(
        count("catalog").await,
        0,
        "the offer was kept without its event"
    );

    a_db.lift_insert_fault("webhook_events").await;
    eventually("the retry to bring the offer", 30, || async {
        (count("catalog").await == 1).then_some(())
    })
    .await;
    assert_eq!(count("webhook_events").await, 1);
    a.stop().await;
    b.stop().await;
}

on_both_backends!(backfill_does_not_bring_back_what_was_deleted);

/// A peer's outbox, newest first, holds the `Delete` of an offer before the
/// older `Create` of it: the backfill imports the other offer, not that one.
async fn backfill_does_not_bring_back_what_was_deleted(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let a_admin = admin(&a).await;
    let a_platform = a.token(Scope::Platform).await;
    let key = new_key();
    let mut peer = MockPeer::bind().await;
    let proof_key = peer.url("/actor#ed25519-key");
    // The proofs are made with a key borrowed from node A; the peer's actor
    // publishes its public half.
    let signed_offer = |id: String, name: &str| {
        let offer = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
            "id": id, "type": "Proposal", "attributedTo": peer.url("/actor"), "name": name, "purpose": "offer",
            "publishes": {"type": "Intent", "action": "transfer", "name": name, "resourceQuantity": {"hasUnit": "kg", "hasNumericalValue": "1"}},
            "url": "https://platform.example/offer", "updated": "2026-01-01T00:00:00Z"
        });
        passerelle::apub::proof::sign(
            &offer,
            &a.context.keys().ed25519,
            &passerelle::apub::proof::ProofOptions {
                verification_method: &proof_key,
                created: "2026-01-01T00:00:00Z",
            },
        )
        .unwrap()
    };
    let mut actor: Value = serde_json::from_str(&actor_document(&peer, &key, None)).unwrap();
    actor["assertionMethod"] = json!([{
        "id": proof_key, "type": "Multikey", "controller": peer.url("/actor"),
        "publicKeyMultibase": a.context.keys().ed25519_multibase(),
    }]);
    let (gone, kept) = (peer.url("/offers/gone"), peer.url("/offers/kept"));
    let page = json!({
        "type": "OrderedCollectionPage",
        "orderedItems": [
            {"id": peer.url("/activities/3"), "type": "Delete", "actor": peer.url("/actor"), "object": gone},
            {"id": peer.url("/activities/2"), "type": "Create", "actor": peer.url("/actor"), "object": signed_offer(kept.clone(), "Kept jam")},
            {"id": peer.url("/activities/1"), "type": "Create", "actor": peer.url("/actor"), "object": signed_offer(gone.clone(), "Deleted jam")},
        ],
    });
    let outbox = json!({"type": "OrderedCollection", "id": peer.url("/outbox"), "totalItems": 3, "first": peer.url("/outbox-page")});
    let mut documents = Documents::new();
    for (path, document) in [
        ("/actor", actor),
        ("/outbox", outbox),
        ("/outbox-page", page),
    ] {
        documents.insert(
            path.into(),
            ("application/activity+json", document.to_string()),
        );
    }
    peer.serve(documents);

    // A follows the peer; the peer accepts.
    request_follow(&a, &a_admin, &peer.url("/actor")).await;
    let follow_id = follow_uri(&a, &peer.url("/actor")).await;
    let accept = serde_json::to_vec(&json!({
        "id": peer.url("/activities/accept"),
        "type": "Accept",
        "actor": peer.url("/actor"),
        "object": {"id": follow_id, "type": "Follow", "actor": a.actor(), "object": peer.url("/actor")},
    }))
    .unwrap();
    let response = SignedPost::new(
        &a.url("/inbox"),
        accept,
        &format!("{}#main-key", peer.url("/actor")),
        &key,
    )
    .send(&reqwest::Client::new())
    .await;
    assert_eq!(response.status(), 202);

    let names = eventually("the backfill", 20, || async {
        let page = a.api("/api/v1/catalog/offers", &a_platform).await;
        let names: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["object"]["name"].as_str().unwrap().to_owned())
            .collect();
        (!names.is_empty()).then_some(names)
    })
    .await;
    assert_eq!(names, ["Kept jam"]);
    a.stop().await;
}

on_both_backends!(delivered_webhook_events_are_pruned_after_their_retention);

/// Makes the hourly pruning due at once.
const PRUNE_DUE_NOW: &str = "UPDATE periodic_runs SET due_at = 0 WHERE task = 'prune'";

/// Stops `node`, makes the prune due, and starts it again on the same
/// settings: a run claimed by the stopping node and rolled back by its stop
/// would otherwise leave the prune claimed and not done.
async fn due_to_prune_on_restart(node: TestNode, db: &TestDatabase) -> TestNode {
    let settings = node.settings.clone();
    node.stop().await;
    db.execute(PRUNE_DUE_NOW).await;
    TestNode::start_on(settings).await
}

/// Delivered webhook events older than `delivery.webhook_retention` are
/// pruned (hourly, once across replicas); recent and undelivered ones stay.
async fn delivered_webhook_events_are_pruned_after_their_retention(db: TestDatabase) {
    let node = TestNode::start_with(&db.url, |s| {
        s.delivery.webhook_retention = Duration::from_secs(3600);
    })
    .await;
    let platform = node.token(Scope::Platform).await;
    let created = node
        .post_json(
            "/api/v1/webhooks",
            &platform,
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["catalog.created"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let webhook: Value = created.json().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let (two_hours_ago, tomorrow) = (now - 2 * 3600 * 1000, now + 24 * 3600 * 1000);
    for (event, next_attempt, delivered, created) in [
        ("old", "0", two_hours_ago.to_string(), two_hours_ago),
        ("recent", "0", now.to_string(), now),
        (
            "pending",
            &tomorrow.to_string(),
            "NULL".to_owned(),
            two_hours_ago,
        ),
    ] {
        db.execute(&format!(
            "INSERT INTO webhook_events (webhook_id, event_id, event, payload, attempts, \
             next_attempt_at, delivered_at, created_at) VALUES ({}, '{event}', 'catalog.created', \
             '{{}}', 1, {next_attempt}, {delivered}, {created})",
            webhook["id"]
        ))
        .await;
    }
    // The node pruned when it started: the next run is an hour away, as
    // if the hour had passed. Made due once the node has stopped, so no run
    // of its own can claim it and be cut short by the stop.
    let node = due_to_prune_on_restart(node, &db).await;
    db.wait_for_rows(
        "the old delivered event to be pruned",
        "SELECT event_id FROM webhook_events ORDER BY event_id",
        &["pending", "recent"],
    )
    .await;
    node.stop().await;
}

on_both_backends!(a_purge_drops_the_peers_queued_catalog_events);

/// The platform's endpoint is down while a followed peer's offers arrive;
/// then the peer is unfollowed: its queued `catalog.created` events are
/// dropped, and only the deletions wait for the platform.
async fn a_purge_drops_the_peers_queued_catalog_events(db: TestDatabase) {
    // Every database stays bound: dropping one deletes it under its node.
    let Following {
        a,
        a_db,
        b,
        b_db: _b_db,
        a_admin,
        b_platform,
    } = a_follows_b_with_a_silent_webhook(&db, &["catalog.created", "catalog.deleted"]).await;
    for id in ["one", "two"] {
        b.put_json(
            &format!("/api/v1/offers/{id}"),
            &b_platform,
            &b.example("offer"),
        )
        .await;
    }
    let queued = || async {
        a_db.query_text(
            "SELECT event FROM webhook_events WHERE delivered_at IS NULL ORDER BY event",
        )
        .await
    };
    eventually("two creations queued", 20, || async {
        (queued().await == ["catalog.created", "catalog.created"]).then_some(())
    })
    .await;
    let follows = a.api("/api/v1/admin/follows", &a_admin).await;
    let unfollowed = a
        .delete_with(
            &format!("/api/v1/admin/follows/{}", follows[0]["id"]),
            &a_admin,
        )
        .await;
    assert_eq!(unfollowed.status(), 204);
    assert_eq!(queued().await, ["catalog.deleted", "catalog.deleted"]);
    a.stop().await;
    b.stop().await;
}

on_both_backends!(processed_activity_ids_are_kept_a_week_then_pruned);

/// Processed activity ids are what recognises a replay: one processed six
/// days ago is still known, one processed eight days ago is forgotten
/// (hourly, once across replicas).
async fn processed_activity_ids_are_kept_a_week_then_pruned(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let day = 24 * 3600 * 1000;
    for (id, at) in [("six-days", now - 6 * day), ("eight-days", now - 8 * day)] {
        db.execute(&format!(
            "INSERT INTO inbox_seen (activity_uri, received_at, done_at) \
             VALUES ('https://peer.example/activities/{id}', {at}, {at})"
        ))
        .await;
    }
    let node = due_to_prune_on_restart(node, &db).await;
    db.wait_for_rows(
        "the week-old id to be forgotten",
        "SELECT activity_uri FROM inbox_seen ORDER BY activity_uri",
        &["https://peer.example/activities/six-days"],
    )
    .await;
    node.stop().await;
}
