//! Two `passerelle serve` processes on one PostgreSQL database share the
//! delivery work: 500 activities reach each of three peers once (each
//! offer's one `Create`: with a window per peer, different offers may
//! arrive in any order, so the sets are compared);
//! when a replica is killed mid-delivery, the other takes its peers over
//! as soon as it is known dead (or its lease has run out), and nothing is
//! lost.

use std::time::Instant;

use passerelle::domain::tokens::Scope;

use crate::process::{Binary, free_port, kill_9};
use crate::rig::federation::{admin, node_named, request_follow};
use crate::rig::{Backend, TestDatabase, TestNode, eventually, get_json, metric_value};

const ACTIVITIES: usize = 500;
const AFTER_THE_KILL: usize = 300;
// Long enough that a loaded machine's slow answers (each request is cut at
// a quarter of the lease) do not push the peers into long back-offs.
const LEASE: &str = "10s";
const ARRIVAL_SECONDS: u64 = 240;

#[ignore = "needs PostgreSQL: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_deliver_everything_once() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    // Two replicas of B: one public URL, two processes.
    let (public_port, second_port) = (free_port(), free_port());
    let replica = |port| {
        Binary::node("velocoop", &db.url, port, public_port)
            .with_env("PASSERELLE_DELIVERY__LEASE", LEASE)
    };
    let (b1, b2) = (replica(public_port), replica(second_port));
    let mut b1_process = b1.serve().await;
    let b2_process = b2.serve().await;
    let token = b1.cli(&[
        "token", "create", "--name", "platform", "--scope", "platform",
    ]);
    let mut peers = Vec::new();
    for slug in ["foodhub", "carshare", "freelance"] {
        let (peer, peer_db) = node_named(&db, slug, |_| {}).await;
        let peer_admin = admin(&peer).await;
        request_follow(
            &peer,
            &peer_admin,
            &format!("@velocoop@localhost:{public_port}"),
        )
        .await;
        peers.push((peer, peer_db, peer_admin));
    }
    let b_actor = format!("http://localhost:{public_port}/actor");
    for (peer, _, peer_admin) in &peers {
        eventually("the follow to be accepted", 20, || async {
            let follows = peer.api("/api/v1/admin/follows", peer_admin).await;
            (follows[0]["peer"]["actor"] == b_actor && follows[0]["state"] == "active")
                .then_some(())
        })
        .await;
    }

    // Half the offers through each replica, 25 requests at a time.
    let started = Instant::now();
    let numbers: Vec<usize> = (0..ACTIVITIES).collect();
    let (even, odd): (Vec<usize>, Vec<usize>) = numbers.iter().partition(|n| *n % 2 == 0);
    tokio::join!(
        b1.publish_offers(&token, "a", &even, 12),
        b2.publish_offers(&token, "a", &odd, 13),
    );
    eprintln!("published {ACTIVITIES} offers in {:?}", started.elapsed());
    let published = published_names(&b1, &token).await;
    assert_eq!(published.len(), ACTIVITIES);
    let mut duplicates = 0;
    for (peer, _, _) in &peers {
        assert_eq!(
            sorted(arrived(peer, ACTIVITIES, &db).await),
            sorted(published.clone())
        );
        let processed = r#"passerelle_inbox_activities_total{outcome="processed",type="Create"}"#;
        assert_eq!(metric(peer, processed).await, ACTIVITIES as u64);
        duplicates += metric(
            peer,
            r#"passerelle_inbox_activities_total{outcome="duplicate""#,
        )
        .await;
    }
    eprintln!("delivered to 3 peers after {:?}", started.elapsed());
    let sent = |outcome: &str| {
        format!(r#"passerelle_deliveries_total{{outcome="{outcome}",target="peer"}}"#)
    };
    let (one, two) = (
        b1.metric(&sent("delivered")).await,
        b2.metric(&sent("delivered")).await,
    );
    let failed = b1.metric(&sent("failed")).await + b2.metric(&sent("failed")).await;
    // An activity reaches a peer twice only when it is sent again after an
    // attempt that failed (a timeout the peer had already processed, or
    // the rest of a window in flight above a failed one, which the cursor
    // could not pass); never because two replicas sent it.
    let window = 8;
    assert!(
        duplicates <= failed * window,
        "{duplicates} activities delivered twice, only {failed} attempts failed"
    );
    // Each peer also got its `Accept`: sent once too.
    assert_eq!(
        one + two,
        (ACTIVITIES * 3 + 3) as u64 + duplicates,
        "{one} + {two}"
    );
    // Both replicas took part: each claims its fair share of busy streams.
    assert!(
        one > 0 && two > 0,
        "only one replica delivered: {one} + {two}"
    );
    eprintln!("replicas delivered {one} + {two}");

    // Takeover: only the second replica runs; it is killed mid-delivery.
    kill_9(b2_process);
    b1_process.kill().unwrap();
    b1_process.wait().unwrap();
    let b2_process = b2.serve().await;
    let more: Vec<usize> = (0..AFTER_THE_KILL).collect();
    // The peers are in back-off while it publishes (as after an outage),
    // so a long backlog is waiting when they become due again.
    db.execute("UPDATE delivery_streams SET next_attempt_at = 9000000000000")
        .await;
    b2.publish_offers(&token, "b", &more, 25).await;
    db.execute("UPDATE delivery_streams SET next_attempt_at = 0")
        .await;
    // Freeze it (SIGSTOP) until caught holding streams, then SIGKILL it.
    let held = loop {
        signal(&b2_process, "-STOP");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let held = db
            .query_i64(&format!(
                "SELECT COUNT(*) FROM delivery_streams WHERE lease_until > {now}"
            ))
            .await;
        if held > 0 {
            break held;
        }
        let behind = db
            .query_i64(
                "SELECT COUNT(*) FROM delivery_streams WHERE cursor < (SELECT MAX(id) FROM activities)",
            )
            .await;
        assert!(behind > 0, "delivered everything before it could be killed");
        signal(&b2_process, "-CONT");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    kill_9(b2_process);
    let backlog = db
        .query_i64(
            "SELECT COUNT(*) FROM delivery_streams s WHERE s.cursor < \
             (SELECT MAX(id) FROM activities)",
        )
        .await;
    eprintln!("killed with {held} streams leased, {backlog} behind");
    let taken_over = Instant::now();
    b1_process = b1.serve().await;
    let published = published_names(&b1, &token).await;
    assert_eq!(published.len(), ACTIVITIES + AFTER_THE_KILL);
    for (peer, _, _) in &peers {
        assert_eq!(
            sorted(arrived(peer, ACTIVITIES + AFTER_THE_KILL, &db).await),
            sorted(published.clone())
        );
    }
    eprintln!("taken over and delivered in {:?}", taken_over.elapsed());
    kill_9(b1_process);
    for (peer, _, _) in peers {
        peer.stop().await;
    }
}

/// B's offers in publication order: its objects' order, which is the
/// activity log's (both are written in one transaction, publications
/// serialised).
pub async fn published_names(b: &Binary, token: &str) -> Vec<String> {
    let url = format!("{}/api/v1/offers?limit=200", b.url);
    names_in_pages(&url, token, "/payload/name").await
}

/// Follows `next_cursor` from `first_page` on, collecting the string at
/// `pointer` in each item.
async fn names_in_pages(first_page: &str, token: &str, pointer: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(next) => format!("{first_page}&cursor={next}"),
            None => first_page.to_owned(),
        };
        let page = get_json(&url, Some(token)).await;
        let items = page["items"].as_array().unwrap();
        names.extend(
            items
                .iter()
                .map(|item| item.pointer(pointer).unwrap().as_str().unwrap().to_owned()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return names;
        }
    }
}

/// `names` in one order, to compare what arrived with what was published
/// when offers travel side by side (each offer's own activities still
/// arrive in order: `window::` checks that).
pub fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// The peer's catalog once it holds `count` offers, in arrival order; on
/// timeout, the senders' stream states say where delivery stalled.
pub async fn arrived(peer: &TestNode, count: usize, db: &TestDatabase) -> Vec<String> {
    let platform = peer.token(Scope::Platform).await;
    let deadline = Instant::now() + std::time::Duration::from_secs(ARRIVAL_SECONDS);
    loop {
        let names = catalog_names(peer, &platform).await;
        if names.len() == count {
            return names;
        }
        if Instant::now() > deadline {
            let streams = db
                .query_text(
                    "SELECT CONCAT('peer ', peer_id, ' cursor ', cursor, ' failures ', failures, \
                     ' next attempt at ', next_attempt_at, ' lease until ', lease_until, \
                     ' last error ', COALESCE(last_error, '-')) FROM delivery_streams",
                )
                .await;
            panic!(
                "{} of {count} offers arrived at {} after {ARRIVAL_SECONDS} s; streams: {streams:#?}",
                names.len(),
                peer.url("/")
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn catalog_names(peer: &TestNode, platform: &str) -> Vec<String> {
    let url = peer.url("/api/v1/catalog/offers?limit=200");
    names_in_pages(&url, platform, "/object/name").await
}

async fn metric(node: &TestNode, series: &str) -> u64 {
    metric_value(&node.get("/metrics").await.text().await.unwrap(), series)
}

fn signal(process: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &process.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
