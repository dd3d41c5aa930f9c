//! Three `passerelle serve` processes on one PostgreSQL database behind a
//! round-robin proxy written here, as `deploy/compose.yaml` runs them behind
//! Caddy: a peer follows through the proxy, the request is approved and
//! offers are published through it, whichever replica answers; each offer
//! reaches the peer once, the `Accept` is sent once across replicas, signed
//! GETs verify on every replica, a dead peer's due probe is sent once across
//! them, and when one replica is killed, what is published next still
//! arrives.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::net::{TcpListener, TcpStream};

use reqwest::StatusCode;

use crate::mock_peer::{MockPeer, new_key};
use crate::process::{Binary, free_port, kill_9};
use crate::replicas::{arrived, published_names, sorted};
use crate::rig::federation::{admin, node_named, request_follow};
use crate::rig::{Backend, TestDatabase, eventually, holds_for, metric_value};
use crate::signing::SignedPost;

const LEASE: &str = "10s";
const BEFORE_THE_KILL: usize = 30;
const AFTER_THE_KILL: usize = 30;

/// A TCP proxy that hands each new connection to the next replica still
/// listed, skipping those that refuse; counts connections per replica.
struct RoundRobin {
    addr: SocketAddr,
    upstreams: Arc<Mutex<Vec<SocketAddr>>>,
    served: Arc<Mutex<Vec<(SocketAddr, usize)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RoundRobin {
    async fn start(port: u16, upstreams: Vec<SocketAddr>) -> RoundRobin {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let served = Arc::new(Mutex::new(
            upstreams
                .iter()
                .map(|a| (*a, 0))
                .collect::<Vec<(SocketAddr, usize)>>(),
        ));
        let upstreams = Arc::new(Mutex::new(upstreams));
        let next = Arc::new(AtomicUsize::new(0));
        let (list, counts) = (upstreams.clone(), served.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let (list, counts, next) = (list.clone(), counts.clone(), next.clone());
                tokio::spawn(async move {
                    let candidates = list.lock().unwrap().clone();
                    for _ in 0..candidates.len() {
                        let at = next.fetch_add(1, Ordering::Relaxed) % candidates.len();
                        let target = candidates[at];
                        if let Ok(mut outbound) = TcpStream::connect(target).await {
                            if let Some(count) = counts
                                .lock()
                                .unwrap()
                                .iter_mut()
                                .find(|(a, _)| *a == target)
                            {
                                count.1 += 1;
                            }
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                            return;
                        }
                    }
                });
            }
        });
        RoundRobin {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            upstreams,
            served,
            task,
        }
    }

    /// Takes a replica out, as a health-checking proxy would.
    fn remove(&self, upstream: SocketAddr) {
        self.upstreams.lock().unwrap().retain(|a| *a != upstream);
    }

    fn connections(&self) -> Vec<usize> {
        self.served
            .lock()
            .unwrap()
            .iter()
            .map(|(_, n)| *n)
            .collect()
    }
}

impl Drop for RoundRobin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A counter summed over every replica's `/metrics`.
async fn sum_over(replicas: &[Binary], series: &str) -> u64 {
    let mut sum = 0;
    for replica in replicas {
        let text = reqwest::get(format!("{}/metrics", replica.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        sum += metric_value(&text, series);
    }
    sum
}

fn now_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// A client that opens a new connection per request, so that the proxy's
/// round robin spreads its requests over the replicas.
fn fresh_connections() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

#[ignore = "needs PostgreSQL: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_behind_a_round_robin_proxy() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let public_port = free_port();
    let ports = [free_port(), free_port(), free_port()];
    let replicas: Vec<Binary> = ports
        .iter()
        .map(|port| {
            Binary::node("velocoop", &db.url, *port, public_port)
                .with_env("PASSERELLE_DELIVERY__LEASE", LEASE)
                .with_env("PASSERELLE_FEDERATION__ADMISSION", "manual")
        })
        .collect();
    let mut processes = Vec::new();
    for replica in &replicas {
        processes.push(replica.serve().await);
    }
    let upstreams: Vec<SocketAddr> = ports
        .iter()
        .map(|p| SocketAddr::from(([127, 0, 0, 1], *p)))
        .collect();
    let proxy = RoundRobin::start(public_port, upstreams.clone()).await;
    // Everything below speaks to the node only through the proxy.
    let node = Binary {
        env: Vec::new(),
        url: format!("http://localhost:{}", proxy.addr.port()),
    };
    let platform = replicas[0].cli(&[
        "token", "create", "--name", "platform", "--scope", "platform",
    ]);
    let b_admin = replicas[0].cli(&["token", "create", "--name", "admin", "--scope", "admin"]);
    let client = fresh_connections();

    // The peer follows through the proxy (WebFinger, actor, signed Follow
    // to the inbox); the request is approved through the proxy.
    let (peer, _peer_db) = node_named(&db, "foodhub", |_| {}).await;
    let peer_admin = admin(&peer).await;
    request_follow(
        &peer,
        &peer_admin,
        &format!("@velocoop@localhost:{public_port}"),
    )
    .await;
    let request_id = eventually("the follow request, on any replica", 20, || async {
        let requests: serde_json::Value = client
            .get(format!("{}/api/v1/admin/follow-requests", node.url))
            .bearer_auth(&b_admin)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        requests[0]["id"].as_i64()
    })
    .await;
    let approved = client
        .post(format!(
            "{}/api/v1/admin/follow-requests/{request_id}/approve",
            node.url
        ))
        .bearer_auth(&b_admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200, "{:?}", approved.text().await);
    let b_actor = format!("http://localhost:{public_port}/actor");
    eventually("the follow to be accepted", 20, || async {
        let follows = peer.api("/api/v1/admin/follows", &peer_admin).await;
        (follows[0]["peer"]["actor"] == b_actor && follows[0]["state"] == "active").then_some(())
    })
    .await;

    // Publishing through the proxy, one connection per request.
    let before: Vec<usize> = (0..BEFORE_THE_KILL).collect();
    node.publish_offers(&platform, "a", &before, 1).await;
    let published = published_names(&node, &platform).await;
    assert_eq!(published.len(), BEFORE_THE_KILL);
    assert_eq!(
        sorted(arrived(&peer, BEFORE_THE_KILL, &db).await),
        sorted(published)
    );
    let spread = proxy.connections();
    assert!(
        spread.iter().all(|n| *n > 0),
        "every replica answered some requests: {spread:?}"
    );

    // Sent once across replicas: the Accept and each offer, no more (an
    // offer goes twice only after an attempt that failed on our side).
    let mut delivered = 0;
    let mut failed = 0;
    for replica in &replicas {
        let text = reqwest::get(format!("{}/metrics", replica.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        delivered += metric_value(
            &text,
            r#"passerelle_deliveries_total{outcome="delivered",target="peer"}"#,
        );
        failed += metric_value(
            &text,
            r#"passerelle_deliveries_total{outcome="failed",target="peer"}"#,
        );
    }
    assert!(
        delivered >= (BEFORE_THE_KILL + 1) as u64
            && delivered <= (BEFORE_THE_KILL + 1) as u64 + failed,
        "{delivered} deliveries for {BEFORE_THE_KILL} offers and an Accept ({failed} failed)"
    );
    let accepts = db
        .query_i64("SELECT COUNT(*) FROM activities WHERE kind = 'Accept'")
        .await;
    assert_eq!(accepts, 1, "one Accept recorded for one approval");

    // The follower, a Passerelle node, confirms what it holds with signed
    // receipts: let them all arrive before counting verified signatures.
    eventually("the follower to acknowledge every offer", 60, || async {
        let register: serde_json::Value = client
            .get(format!("{}/api/v1/admin/sharing", node.url))
            .bearer_auth(&b_admin)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let counts = &register["peers"][0]["counts"];
        (counts["delivered"].as_i64()? > 0 && counts["acknowledged"] == counts["delivered"])
            .then_some(())
    })
    .await;

    // Signed GETs (authorized fetch) verify whichever replica answers.
    let key = new_key();
    let dead = MockPeer::with_actor_answering(&key, None, StatusCode::INTERNAL_SERVER_ERROR).await;
    let dead_actor = dead.url("/actor");
    let key_id = format!("{dead_actor}#main-key");
    let verified = "passerelle_verified_signatures_total";
    let before = sum_over(&replicas, verified).await;
    let offers = format!("http://localhost:{public_port}/offers");
    for _ in 0..3 {
        let response = SignedPost::get(&offers, &key_id, &key).send(&client).await;
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
    }
    assert_eq!(sum_over(&replicas, verified).await, before + 3);

    // A peer that fails every delivery is unreachable at once (it never
    // answered); a due probe is sent once across the three replicas.
    let response = SignedPost::new(
        &format!("{}/inbox", node.url),
        crate::mock_peer::follow(&dead_actor, &b_actor),
        &key_id,
        &key,
    )
    .send(&client)
    .await;
    assert_eq!(response.status(), 202, "{:?}", response.text().await);
    let request_id = eventually("the dead peer's follow request", 20, || async {
        let requests: serde_json::Value = client
            .get(format!("{}/api/v1/admin/follow-requests", node.url))
            .bearer_auth(&b_admin)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        requests[0]["id"].as_i64()
    })
    .await;
    let approved = client
        .post(format!(
            "{}/api/v1/admin/follow-requests/{request_id}/approve",
            node.url
        ))
        .bearer_auth(&b_admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    eventually("the dead peer to be counted unreachable", 20, || async {
        let text = client
            .get(format!("{}/metrics", node.url))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (metric_value(&text, "passerelle_peers_unreachable ") == 1).then_some(())
    })
    .await;
    let parked = "UPDATE delivery_streams SET next_attempt_at = 9000000000000 WHERE failures > 0";
    db.execute(parked).await;
    // Whatever attempt was in flight has ended once the lease is free.
    eventually("the dead peer's stream to be released", 20, || async {
        let held = db
            .query_i64(&format!(
                "SELECT COUNT(*) FROM delivery_streams WHERE failures > 0 AND lease_until > {}",
                now_millis()
            ))
            .await;
        (held == 0).then_some(())
    })
    .await;
    db.execute(parked).await;
    let posts = dead.hits("POST", "/inbox");
    db.execute("UPDATE delivery_streams SET next_attempt_at = 0 WHERE failures > 0")
        .await;
    eventually("the probe", 20, || async {
        (dead.hits("POST", "/inbox") > posts).then_some(())
    })
    .await;
    holds_for(
        "no second probe",
        std::time::Duration::from_secs(2),
        || async { dead.hits("POST", "/inbox") == posts + 1 },
    )
    .await;

    // One replica dies (SIGKILL); the proxy takes it out; nothing
    // published before or after is lost.
    let killed = processes.remove(1);
    kill_9(killed);
    proxy.remove(upstreams[1]);
    let after: Vec<usize> = (0..AFTER_THE_KILL).collect();
    node.publish_offers(&platform, "b", &after, 1).await;
    let published = published_names(&node, &platform).await;
    assert_eq!(published.len(), BEFORE_THE_KILL + AFTER_THE_KILL);
    assert_eq!(
        sorted(arrived(&peer, BEFORE_THE_KILL + AFTER_THE_KILL, &db).await),
        sorted(published)
    );
    let processed = r#"passerelle_inbox_activities_total{outcome="processed",type="Create"}"#;
    let text = peer.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        metric_value(&text, processed),
        (BEFORE_THE_KILL + AFTER_THE_KILL) as u64,
        "each offer processed once by the peer"
    );
    for process in processes {
        kill_9(process);
    }
    peer.stop().await;
}
