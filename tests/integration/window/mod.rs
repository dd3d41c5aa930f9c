//! A window per peer: up to `delivery.in_flight` requests in flight, each object's activities in order, the window halved by 429 and grown back, and a sender killed mid-window losing nothing.

mod sink;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::mock_peer::new_key;
use crate::on_both_backends;
use crate::process::{Binary, free_port, kill_9, offer_example};
use crate::rig::federation::{admin, approve_follower, node_named, request_follow};
use crate::rig::{TestDatabase, TestNode, eventually, metric_value};
use crate::signing::SignedPost;
use sink::{Answers, Sink, by_object};

on_both_backends!(
    each_objects_activities_arrive_in_order_through_the_window,
    the_window_halves_on_429_and_grows_back,
    a_sender_killed_mid_window_loses_nothing_and_repeats_no_effect,
    a_follower_that_leaves_loses_its_window_series,
);

/// Offers published side by side, each created, updated and then updated
/// again or deleted, reach a sink that answers each POST after a random
/// moment and one in twelve with 500: several requests are in flight at
/// once, never two about one object, and each object's activities are
/// accepted in the order they were published.
async fn each_objects_activities_arrive_in_order_through_the_window(db: TestDatabase) {
    const OFFERS: usize = 24;
    let node = TestNode::start_with(&db.url, |s| s.delivery.in_flight = 8).await;
    let node_admin = node.token(Scope::Admin).await;
    let platform = node.token(Scope::Platform).await;
    let key = new_key();
    let sink = Sink::start(
        &key,
        Answers {
            longest_wait: Duration::from_millis(30),
            fail_one_in: 12,
            throttle: Duration::ZERO,
        },
    )
    .await;
    approve_follower(&node, &node_admin, &sink.actor(), &key).await;

    // Each offer's three changes in turn, the offers side by side: their
    // activities interleave in the log.
    let changes = (0..OFFERS).map(|n| {
        let (node, platform) = (&node, &platform);
        async move {
            let path = format!("/api/v1/offers/w{n:02}");
            let mut offer = node.example("offer");
            for version in 1..=2 {
                offer["name"] = json!(format!("w{n:02} v{version}"));
                let status = node.put_json(&path, platform, &offer).await.status();
                assert!(status.is_success(), "{path}: {status}");
            }
            if n % 2 == 0 {
                offer["name"] = json!(format!("w{n:02} v3"));
                let status = node.put_json(&path, platform, &offer).await.status();
                assert!(status.is_success(), "{path}: {status}");
            } else {
                let status = node.delete_with(&path, platform).await.status();
                assert_eq!(status, 204, "{path}");
            }
        }
    });
    futures::future::join_all(changes).await;
    node.wait_until_delivered().await;

    let accepted = sink.accepted();
    let objects = by_object(&accepted);
    let offers: Vec<_> = objects
        .iter()
        .filter(|(object, _)| object.contains("/offers/"))
        .collect();
    assert_eq!(offers.len(), OFFERS, "every offer reached the sink");
    for (object, activities) in offers {
        let kinds: Vec<&str> = activities.iter().map(|a| a.kind.as_str()).collect();
        let names: Vec<&str> = activities
            .iter()
            .filter_map(|a| a.name.as_deref())
            .collect();
        if kinds.last() == Some(&"Delete") {
            // An offer deleted before the sink got its Create or Update:
            // those were withdrawn, never sent; what was sent came in order.
            let expected = ["Create", "Update", "Delete"];
            let mut at = 0;
            for kind in &kinds {
                let found = expected[at..].iter().position(|e| e == kind);
                assert!(found.is_some(), "{object}: {kinds:?} out of order");
                at += found.unwrap_or(0) + 1;
            }
        } else {
            assert_eq!(kinds, ["Create", "Update", "Update"], "{object}");
            let offer = object.rsplit('/').next().unwrap_or_default();
            let expected: Vec<String> = (1..=3).map(|v| format!("{offer} v{v}")).collect();
            assert_eq!(names, expected, "{object}");
        }
    }
    assert!(
        sink.overtaking().is_empty(),
        "activities overtook an earlier one about their object: {:?}",
        sink.overtaking()
    );
    let most = sink.most_in_flight();
    assert!((2..=8).contains(&most), "{most} requests in flight at most");
    eprintln!(
        "{} activities accepted, {} sent again, at most {most} in flight",
        accepted.len(),
        sink.repeated()
    );
    node.stop().await;
}

/// A sink that answers every `Create` 429 with `Retry-After: 1` for its
/// first 3 s: the window (on `/metrics`) halves on each pass refused, then
/// grows back, by one a window, to `delivery.in_flight` while the backlog
/// goes through.
async fn the_window_halves_on_429_and_grows_back(db: TestDatabase) {
    const OFFERS: usize = 60;
    let node = TestNode::start_with(&db.url, |s| s.delivery.in_flight = 8).await;
    let node_admin = node.token(Scope::Admin).await;
    let platform = node.token(Scope::Platform).await;
    let key = new_key();
    let sink = Sink::start(
        &key,
        Answers {
            longest_wait: Duration::from_millis(10),
            fail_one_in: 0,
            throttle: Duration::from_secs(3),
        },
    )
    .await;
    approve_follower(&node, &node_admin, &sink.actor(), &key).await;
    let series = format!("passerelle_delivery_window{{peer=\"{}\"}}", sink.actor());
    let window = || async {
        let text = node.get("/metrics").await.text().await.unwrap();
        text.lines()
            .any(|l| l.starts_with(&series))
            .then(|| metric_value(&text, &series))
    };
    let mut offer = node.example("offer");
    for n in 0..OFFERS {
        offer["name"] = json!(format!("t{n:02}"));
        let status = node
            .put_json(&format!("/api/v1/offers/t{n:02}"), &platform, &offer)
            .await
            .status();
        assert!(status.is_success());
    }
    let started = Instant::now();
    let mut smallest = u64::MAX;
    let mut seen = Vec::new();
    let finished = loop {
        if let Some(size) = window().await {
            smallest = smallest.min(size);
            if seen.last() != Some(&size) {
                seen.push(size);
            }
        }
        let creates = sink
            .accepted()
            .iter()
            .filter(|a| a.kind == "Create")
            .count();
        if creates == OFFERS {
            break window().await;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{creates} of {OFFERS} offers after 60 s; windows seen {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(sink.throttled() > 0, "the sink never answered 429");
    assert!(smallest <= 4, "the window never shrank below 4: {seen:?}");
    assert_eq!(finished, Some(8), "grown back to the ceiling: {seen:?}");
    eprintln!("window sizes seen: {seen:?}");
    node.stop().await;
}

/// A follower's window is on `/metrics` while it follows; once it sent
/// `Undo(Follow)`, the next pass over its stream (an offer published
/// after) drops the window and its series, instead of keeping a label for
/// every peer ever sent to.
async fn a_follower_that_leaves_loses_its_window_series(db: TestDatabase) {
    let node = TestNode::start_with(&db.url, |s| s.delivery.in_flight = 8).await;
    let node_admin = node.token(Scope::Admin).await;
    let platform = node.token(Scope::Platform).await;
    let key = new_key();
    let answers = Answers {
        longest_wait: Duration::ZERO,
        fail_one_in: 0,
        throttle: Duration::ZERO,
    };
    let sink = Sink::start(&key, answers).await;
    approve_follower(&node, &node_admin, &sink.actor(), &key).await;
    let series = format!("passerelle_delivery_window{{peer=\"{}\"}}", sink.actor());
    let listed = || async {
        let text = node.get("/metrics").await.text().await.unwrap();
        text.lines().any(|l| l.starts_with(&series))
    };
    let publish = |name: &'static str| {
        let (node, platform) = (&node, &platform);
        async move {
            let mut offer = node.example("offer");
            offer["name"] = json!(name);
            let path = format!("/api/v1/offers/{name}");
            let status = node.put_json(&path, platform, &offer).await.status();
            assert!(status.is_success(), "{path}: {status}");
        }
    };
    publish("before").await;
    eventually("the follower's window on /metrics", 20, || async {
        listed().await.then_some(())
    })
    .await;

    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", sink.base, uuid::Uuid::new_v4()),
        "type": "Undo",
        "actor": sink.actor(),
        "object": {"type": "Follow", "actor": sink.actor(), "object": node.actor()},
    });
    let response = SignedPost::new(
        &node.url("/inbox"),
        serde_json::to_vec(&undo).unwrap(),
        &format!("{}#main-key", sink.actor()),
        &key,
    )
    .send(&reqwest::Client::new())
    .await;
    assert_eq!(response.status(), 202);
    publish("after").await;
    node.wait_until_delivered().await;
    eventually("the window's series to be dropped", 20, || async {
        (!listed().await).then_some(())
    })
    .await;
    assert!(
        !sink
            .accepted()
            .iter()
            .any(|a| a.name.as_deref() == Some("after")),
        "a peer that left is not sent publications"
    );
    node.stop().await;
}

/// The sender (the real binary) is killed with SIGKILL while a window of
/// its offers' `Create`s and `Update`s is in flight to a real follower,
/// then restarted: every offer arrives in its updated version (a `Create`
/// sent again after its `Update` changes nothing: the receiver knows its
/// id), each processed once.
async fn a_sender_killed_mid_window_loses_nothing_and_repeats_no_effect(db: TestDatabase) {
    const OFFERS: usize = 150;
    let port = free_port();
    let b = Binary::node("velocoop", &db.url, port, port)
        .with_env("PASSERELLE_DELIVERY__IN_FLIGHT", "8");
    let process = b.serve().await;
    let token = b.cli(&[
        "token", "create", "--name", "platform", "--scope", "platform",
    ]);
    let (peer, peer_db) = node_named(&db, "follower", |_| {}).await;
    let peer_admin = admin(&peer).await;
    request_follow(&peer, &peer_admin, &format!("@velocoop@localhost:{port}")).await;
    eventually("the follow to be accepted", 20, || async {
        let follows = peer.api("/api/v1/admin/follows", &peer_admin).await;
        (follows[0]["state"] == "active").then_some(())
    })
    .await;

    // Published while the stream waits, so the kill falls mid-backlog.
    db.execute("UPDATE delivery_streams SET next_attempt_at = 9000000000000")
        .await;
    let client = reqwest::Client::new();
    let numbers: Vec<usize> = (0..OFFERS).collect();
    for version in 1..=2 {
        // Ten at a time, every Create before any Update.
        for chunk in numbers.chunks(10) {
            let puts = chunk.iter().map(|n| {
                let mut offer: Value = offer_example();
                offer["name"] = json!(format!("k{n:03} v{version}"));
                let request = client
                    .put(format!("{}/api/v1/offers/k{n:03}", b.url))
                    .bearer_auth(&token)
                    .json(&offer);
                async move {
                    let status = request.send().await.unwrap().status();
                    assert!(status.is_success(), "{status}");
                }
            });
            futures::future::join_all(puts).await;
        }
    }
    db.execute("UPDATE delivery_streams SET next_attempt_at = 0")
        .await;
    eventually("the follower to hold some offers", 60, || async {
        (peer_db.query_i64("SELECT COUNT(*) FROM catalog").await >= (OFFERS / 3) as i64)
            .then_some(())
    })
    .await;
    kill_9(process);
    let process = b.serve().await;

    let platform = peer.token(Scope::Platform).await;
    let names = eventually("every offer in its last version", 120, || async {
        let page = peer
            .api("/api/v1/catalog/offers?limit=200", &platform)
            .await;
        let names: HashSet<String> = page["items"]
            .as_array()?
            .iter()
            .filter_map(|item| item.pointer("/object/name")?.as_str().map(str::to_owned))
            .collect();
        let updated = names.iter().filter(|n| n.ends_with(" v2")).count();
        (updated == OFFERS).then_some(names)
    })
    .await;
    assert_eq!(names.len(), OFFERS);
    let metrics = peer.get("/metrics").await.text().await.unwrap();
    let processed = |kind: &str| {
        metric_value(
            &metrics,
            &format!(r#"passerelle_inbox_activities_total{{outcome="processed",type="{kind}"}}"#),
        )
    };
    assert_eq!(
        processed("Create"),
        OFFERS as u64,
        "each Create processed once"
    );
    assert_eq!(
        processed("Update"),
        OFFERS as u64,
        "each Update processed once"
    );
    let repeated = metric_value(
        &metrics,
        r#"passerelle_inbox_activities_total{outcome="duplicate""#,
    );
    eprintln!("{repeated} activities sent again after the kill, acknowledged without effect");
    kill_9(process);
    peer.stop().await;
}
