//! Nothing accepted is lost: the real binary killed with SIGKILL while it
//! has deliveries pending sends them all after a restart; killed again and
//! again while receiving, it ends up with every object, each processed once.

use passerelle::domain::tokens::Scope;
use serde_json::json;

use crate::on_both_backends;
use crate::process::{Binary, free_port, kill_9};
use crate::rig::federation::{admin, node_named, request_follow};
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(
    kill_9_loses_nothing,
    a_receiver_killed_again_and_again_loses_nothing,
    a_sender_killed_again_and_again_delivers_everything_once,
);

async fn kill_9_loses_nothing(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let a_admin = admin(&a).await;
    let port = free_port();
    let b = Binary::node("velocoop", &db.url, port, port);
    let process = b.serve().await;
    let token = b.cli(&[
        "token", "create", "--name", "platform", "--scope", "platform",
    ]);
    let follow = a
        .post_json(
            "/api/v1/admin/follows",
            &a_admin,
            &json!({"target": format!("@velocoop@localhost:{port}")}),
        )
        .await;
    assert_eq!(follow.status(), 202);
    let b_node_handle = format!("{}/actor", b.url);
    eventually("A's follow to be accepted", 20, || async {
        let follows = a.api("/api/v1/admin/follows", &a_admin).await;
        (follows[0]["peer"]["actor"] == b_node_handle && follows[0]["state"] == "active")
            .then_some(())
    })
    .await;

    // A goes away; B accepts 20 offers, then is killed outright.
    let a_settings = a.settings.clone();
    a.stop().await;
    b.publish_offers(&token, "o", &(0..20).collect::<Vec<_>>(), 1)
        .await;
    // Killed once it tried A and failed: the offers wait to be sent.
    eventually("B's delivery to the stopped A to fail", 20, || async {
        (db.query_i64("SELECT COALESCE(MAX(failures), 0) FROM delivery_streams")
            .await
            > 0)
        .then_some(())
    })
    .await;
    kill_9(process);

    // Both come back: every acknowledged offer reaches A.
    let a = TestNode::start_on(a_settings).await;
    let process = b.serve().await;
    let a_platform = a.token(Scope::Platform).await;
    eventually("A to receive all 20 offers", 60, || async {
        let page = a.api("/api/v1/catalog/offers?limit=100", &a_platform).await;
        (page["items"].as_array().unwrap().len() == 20).then_some(())
    })
    .await;
    kill_9(process);
    a.stop().await;
}

const OFFERS: usize = 300;
const KILLS: usize = 3;

/// B (the real binary) follows A; while A publishes 300 offers, B is
/// killed with SIGKILL three times at random points and restarted. Once A
/// has caught up, B holds every offer, every activity A sent it is
/// recorded as processed, and none is left half-done.
async fn a_receiver_killed_again_and_again_loses_nothing(db: TestDatabase) {
    use rand::Rng;
    let (a, a_db) = node_named(&db, "foodhub", |s| {
        s.federation.admission = passerelle::config::Admission::Open
    })
    .await;
    let port = free_port();
    let b = Binary::node("velocoop", &db.url, port, port);
    let process = b.serve().await;
    let b_admin = b.cli(&["token", "create", "--name", "admin", "--scope", "admin"]);
    b.follow_accepted(&b_admin, &a.handle()).await;

    let a_platform = a.token(Scope::Platform).await;
    let publish = async {
        for chunk in (0..OFFERS).collect::<Vec<_>>().chunks(10) {
            let puts = chunk.iter().map(|n| {
                let mut offer = a.example("offer");
                offer["name"] = json!(format!("Offer {n:03}"));
                let (a, token) = (&a, &a_platform);
                async move {
                    let put = a
                        .put_json(&format!("/api/v1/offers/o{n:03}"), token, &offer)
                        .await;
                    assert!(put.status().is_success(), "{}", put.status());
                }
            });
            futures::future::join_all(puts).await;
        }
    };
    // Killed at random points spread over the stream: once B holds about
    // a quarter, a half, three quarters of the offers.
    let db_ref = &db;
    let kill_and_restart = async move {
        let mut process = process;
        for k in 1..=KILLS {
            let at = k * OFFERS / (KILLS + 1) + rand::thread_rng().gen_range(0..20);
            eventually("B to receive some more", 60, || async {
                (db_ref.query_i64("SELECT COUNT(*) FROM catalog").await >= at as i64).then_some(())
            })
            .await;
            kill_9(process);
            process = b.serve().await;
        }
        process
    };
    let ((), process) = tokio::join!(publish, kill_and_restart);

    a.wait_until_delivered().await;
    let metrics = a.get("/metrics").await.text().await.unwrap();
    let failed = crate::rig::metric_value(
        &metrics,
        r#"passerelle_deliveries_total{outcome="failed",target="peer"}"#,
    );
    eprintln!("{KILLS} kills of the receiver: {failed} deliveries failed and were retried");
    let sent = a_db.query_i64("SELECT COUNT(*) FROM activities").await;
    assert_eq!(
        sent,
        OFFERS as i64 + 1,
        "the Accept and one Create per offer"
    );
    assert_eq!(
        db.query_i64("SELECT COUNT(*) FROM catalog").await,
        OFFERS as i64
    );
    assert_eq!(
        db.query_i64("SELECT COUNT(*) FROM inbox_seen WHERE done_at IS NOT NULL")
            .await,
        sent
    );
    assert_eq!(
        db.query_i64("SELECT COUNT(*) FROM inbox_seen WHERE done_at IS NULL")
            .await,
        0
    );
    kill_9(process);
    a.stop().await;
}

const FANNED_OUT: usize = 1000;
const FOLLOWERS: usize = 3;

/// B (the real binary) has three followers and 1,000 offers to fan out;
/// it is killed with SIGKILL three times at random points of the fan-out
/// (once its first follower holds about a quarter, a half, three quarters)
/// and restarted. Every follower ends up with every offer, each processed
/// once (a window per peer lets different offers overtake each other, so
/// the sets are compared; `window::` checks each object's own order).
async fn a_sender_killed_again_and_again_delivers_everything_once(db: TestDatabase) {
    use rand::Rng;

    use crate::replicas::{arrived, published_names, sorted};
    let port = free_port();
    let b = Binary::node("velocoop", &db.url, port, port);
    let process = b.serve().await;
    let token = b.cli(&[
        "token", "create", "--name", "platform", "--scope", "platform",
    ]);
    let mut followers = Vec::new();
    for n in 0..FOLLOWERS {
        let (peer, peer_db) = node_named(&db, &format!("follower{n}"), |_| {}).await;
        let peer_admin = admin(&peer).await;
        request_follow(&peer, &peer_admin, &format!("@velocoop@localhost:{port}")).await;
        eventually("the follow to be accepted", 20, || async {
            let follows = peer.api("/api/v1/admin/follows", &peer_admin).await;
            (follows[0]["state"] == "active").then_some(())
        })
        .await;
        followers.push((peer, peer_db));
    }

    // Published while the streams wait (as after an outage), so the whole
    // fan-out happens under the kills.
    db.execute("UPDATE delivery_streams SET next_attempt_at = 9000000000000")
        .await;
    let numbers: Vec<usize> = (0..FANNED_OUT).collect();
    let started = std::time::Instant::now();
    b.publish_offers(&token, "f", &numbers, 25).await;
    eprintln!("published {FANNED_OUT} offers in {:?}", started.elapsed());
    db.execute("UPDATE delivery_streams SET next_attempt_at = 0")
        .await;
    let mut process = process;
    let first_db = &followers[0].1;
    for k in 1..=KILLS {
        let at = k * FANNED_OUT / (KILLS + 1) + rand::thread_rng().gen_range(0..50);
        eventually("the first follower to receive some more", 120, || async {
            (first_db.query_i64("SELECT COUNT(*) FROM catalog").await >= at as i64).then_some(())
        })
        .await;
        eprintln!("kill {k} after {:?}", started.elapsed());
        kill_9(process);
        process = b.serve().await;
    }

    let published = published_names(&b, &token).await;
    assert_eq!(published.len(), FANNED_OUT);
    for (peer, _) in &followers {
        assert_eq!(
            sorted(arrived(peer, FANNED_OUT, &db).await),
            sorted(published.clone())
        );
        let metrics = peer.get("/metrics").await.text().await.unwrap();
        let processed = crate::rig::metric_value(
            &metrics,
            r#"passerelle_inbox_activities_total{outcome="processed",type="Create"}"#,
        );
        assert_eq!(processed, FANNED_OUT as u64, "each offer processed once");
    }
    eprintln!("all delivered after {:?}", started.elapsed());
    kill_9(process);
    for (peer, _) in followers {
        peer.stop().await;
    }
}
