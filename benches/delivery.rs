//! Delivery throughput against its ceiling: how many activities per second
//! one node delivers to followers on loopback, next to how many RSA-2048
//! signatures per second this machine makes (every delivery is signed
//! afresh, so signing bounds fan-out).
//!
//! Two runs: to real nodes (end to end: the receivers verify and store,
//! on the same machine), and to sinks that answer 202 at once (the
//! sender's own capacity, where signing is the per-delivery cost).
//!
//! Run: `cargo bench --bench delivery` (optionally `-- OFFERS PEERS`);
//! `PASSERELLE_BENCH_QUICK=1` runs a few seconds (what CI does). The figures
//! go to `target/bench/results.json`, each next to its ceiling.

// A benchmark is a script and its counts are small: the crate's length and
// cast lints are for the product's code.
#![allow(clippy::too_many_lines, clippy::cast_possible_wrap)]

use std::time::{Duration, Instant};

use passerelle::config::{Admission, Settings};
use passerelle::domain::{follows, publish};
use passerelle::model::kinds::ObjectKind;
use passerelle::node::Node;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::Signer;
use sha2::Sha256;
use tokio::sync::oneshot;

struct Running {
    node_state: passerelle::node::NodeState,
    handle: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn start(dir: &std::path::Path, slug: &str) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut settings = Settings {
        public_url: url::Url::parse(&format!("http://localhost:{port}")).expect("url"),
        listen: listener.local_addr().expect("addr"),
        database_url: format!("sqlite://{}/{slug}.db", dir.display()),
        ..Settings::default()
    };
    settings.platform.slug = slug.to_owned();
    settings.federation.allow_private_addresses = true;
    settings.federation.admission = Admission::Open;
    settings.log.level = "error".to_owned();
    let node = Node::open(settings).await.expect("node");
    let node_state = node.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        node.serve(listener, async {
            let _ = stopped.await;
        })
        .await
        .expect("serve");
    });
    Running {
        node_state,
        handle: format!("@{slug}@localhost:{port}"),
        stop,
        task,
    }
}

/// RSA-2048 signatures per second on one core with AWS-LC, the signer the
/// node uses.
fn aws_lc_signatures_per_second(keys: &passerelle::model::keys::NodeKeys) -> f64 {
    let started = Instant::now();
    let mut count = 0u32;
    while started.elapsed() < Duration::from_secs(2) {
        let _ = keys
            .rsa_sign(format!("(request-target): post /inbox\nhost: x\ndate: {count}").as_bytes());
        count += 1;
    }
    f64::from(count) / started.elapsed().as_secs_f64()
}

/// One figure of `target/bench/results.json`, next to the ceiling it is
/// measured against in the same run.
fn record(
    name: &str,
    value: f64,
    unit: &str,
    ceiling: f64,
    ceiling_name: &str,
) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "value": value.round(),
        "unit": unit,
        "ceiling": ceiling.round(),
        "ceiling_name": ceiling_name,
        "ratio": (value / ceiling * 100.0).round() / 100.0,
    })
}

fn write_results(records: &[serde_json::Value]) {
    let dir = std::path::Path::new(
        &std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()),
    )
    .join("bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let path = dir.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(records).expect("json")).expect("write");
    println!("results: {}", path.display());
}

/// Resident memory (MiB) of an idle node: the release binary serving on
/// SQLite, read from `/proc` once it answers `/readyz` and has settled.
async fn rss_idle(dir: &std::path::Path) -> Option<f64> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let database = format!("sqlite://{}", dir.join("idle.db").display());
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passerelle"));
    // The node reads its settings from PASSERELLE_* variables: the bench's
    // own (PASSERELLE_BENCH_QUICK) are not settings.
    for (key, _) in std::env::vars() {
        if key.starts_with("PASSERELLE_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .arg("serve")
        .current_dir(dir)
        .env("PASSERELLE_PUBLIC_URL", format!("http://localhost:{port}"))
        .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PASSERELLE_DATABASE_URL", database)
        .env("PASSERELLE_PLATFORM__SLUG", "idle")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let ready = async {
        for _ in 0..600 {
            if let Ok(response) = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await {
                if response.status().is_success() {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    let rss = if ready.await {
        tokio::time::sleep(Duration::from_secs(2)).await;
        std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .ok()?
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    } else {
        None
    };
    let _ = child.kill();
    let _ = child.wait();
    rss
}

/// RSA-2048 signatures per second on one core with the `rsa` crate (what
/// activitypub_federation signs with).
fn rsa_signatures_per_second(key: &rsa::RsaPrivateKey) -> f64 {
    let signer = SigningKey::<Sha256>::new(key.clone());
    let started = Instant::now();
    let mut count = 0u32;
    while started.elapsed() < Duration::from_secs(2) {
        let _ = signer
            .sign(format!("(request-target): post /inbox\nhost: x\ndate: {count}").as_bytes());
        count += 1;
    }
    f64::from(count) / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    // Quick mode (CI): seconds, to keep the bench working, not to measure.
    let quick = std::env::var("PASSERELLE_BENCH_QUICK").is_ok_and(|v| v == "1");
    let offers = args
        .first()
        .copied()
        .unwrap_or(if quick { 20 } else { 300 })
        .min(5_000);
    let peers = args.get(1).copied().unwrap_or(3).clamp(1, 500);
    let dir = tempfile::tempdir().expect("tempdir");

    let sender = start(dir.path(), "sender").await;
    let rsa_crate = rsa_signatures_per_second(&sender.node_state.keys.rsa_private);
    let aws_lc = aws_lc_signatures_per_second(&sender.node_state.keys);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    println!(
        "signing: {aws_lc:.0} RSA-2048 signatures/s per core with AWS-LC (the node's signer), \
         {rsa_crate:.0} with the rsa crate ({:.1} x); {cores} cores",
        aws_lc / rsa_crate
    );
    let ceiling = aws_lc * cores as f64;

    let mut receivers = Vec::new();
    for n in 0..peers {
        let peer = start(dir.path(), &format!("peer{n}")).await;
        follows::follow(&peer.node_state.data(), &sender.handle, "bench")
            .await
            .expect("follow");
        receivers.push(peer);
    }
    // Wait for every follow to be accepted.
    for peer in &receivers {
        loop {
            let active = peer
                .node_state
                .store
                .follows_out(Some(passerelle::model::FollowingState::Active))
                .await
                .expect("follows");
            if !active.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    let example: serde_json::Value =
        serde_json::from_str(include_str!("../schemas/examples/offer.json")).expect("example");
    let started = Instant::now();
    for n in 0..offers {
        let mut offer = example.clone();
        offer["name"] = serde_json::json!(format!("Offer {n}"));
        publish::upsert(
            &sender.node_state,
            ObjectKind::Offer,
            &format!("o{n}"),
            &offer,
        )
        .await
        .expect("publish");
    }
    let published = started.elapsed();
    let expected = (offers * peers) as i64;
    loop {
        let mut received = 0;
        for peer in &receivers {
            received += peer
                .node_state
                .store
                .list_catalog(ObjectKind::Offer, &Default::default(), 0, 10_000)
                .await
                .expect("catalog")
                .len() as i64;
        }
        if received >= expected || started.elapsed() > Duration::from_secs(600) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let rate = expected as f64 / elapsed.as_secs_f64();
    println!(
        "publishing: {offers} offers in {published:.2?} ({:.0}/s)",
        offers as f64 / published.as_secs_f64()
    );
    println!(
        "delivery: {expected} deliveries ({offers} offers x {peers} peers) in {elapsed:.2?} = {rate:.0} deliveries/s \
         (end to end: sign, send, verify, store at the receiver)"
    );
    println!(
        "ceiling: {ceiling:.0} RSA-2048 signatures/s on this machine's {cores} cores (one per delivery)"
    );
    println!("ratio: deliveries/s = {:.2} x signatures/s", rate / ceiling);
    let mut records = vec![record(
        "delivery_end_to_end",
        rate,
        "deliveries/s",
        ceiling,
        "RSA-2048 signatures/s (AWS-LC) x cores",
    )];

    for running in receivers.into_iter().chain(std::iter::once(sender)) {
        let _ = running.stop.send(());
        let _ = running.task.await;
    }

    let sender_alone = sink_run(dir.path(), &example, offers, peers, ceiling).await;
    records.push(record(
        "fanout_rsa",
        sender_alone,
        "deliveries/s",
        ceiling,
        "RSA-2048 signatures/s (AWS-LC) x cores",
    ));
    let rss = rss_idle(dir.path()).await;
    if rss.is_none() {
        println!("memory: not measured (the release binary did not serve, or no /proc)");
    }
    if let Some(rss) = rss {
        println!("memory: an idle node holds {rss:.1} MiB resident");
        records.push(record(
            "rss_idle",
            rss,
            "MiB",
            40.0,
            "the 40 MiB target of issue 15 (not measured)",
        ));
    }
    write_results(&records);
}

/// The sender alone: followers whose inboxes are sinks answering 202.
async fn sink_run(
    dir: &std::path::Path,
    example: &serde_json::Value,
    offers: usize,
    peers: usize,
    ceiling: f64,
) -> f64 {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let sender = start(dir, "sinksender").await;
    let received = Arc::new(AtomicUsize::new(0));
    let store = &sender.node_state.store;
    for n in 0..peers {
        let counter = received.clone();
        let app = axum::Router::new().route(
            "/inbox",
            axum::routing::post(move || {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::Relaxed);
                    axum::http::StatusCode::ACCEPTED
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move { axum::serve(listener, app).await.expect("sink") });
        let actor = format!("http://localhost:{port}/actor");
        let inbox = format!("http://localhost:{port}/inbox");
        let peer = store
            .upsert_peer(&passerelle::store::PeerActor {
                actor_uri: &actor,
                domain: &format!("localhost:{port}"),
                inbox: &inbox,
                shared_inbox: None,
                handle: &format!("sink{n}@localhost:{port}"),
                name: "sink",
                summary: "",
                public_key_pem: "",
                actor_json: "{}",
            })
            .await
            .expect("peer");
        let mut tx = store.begin_change().await.expect("transaction");
        let request = tx
            .upsert_follow_in(peer.id, &format!("{actor}#follow"), "{}", "[]", None)
            .await
            .expect("request");
        tx.set_follow_in_state(request.id, passerelle::model::FollowerState::Approved, None)
            .await
            .expect("approve");
        tx.commit().await.expect("commit");
        store.ensure_delivery_stream(peer.id).await.expect("stream");
    }
    let started = Instant::now();
    for n in 0..offers {
        let mut offer = example.clone();
        offer["name"] = serde_json::json!(format!("Offer {n}"));
        publish::upsert(
            &sender.node_state,
            ObjectKind::Offer,
            &format!("o{n}"),
            &offer,
        )
        .await
        .expect("publish");
    }
    let expected = offers * peers;
    while received.load(Ordering::Relaxed) < expected
        && started.elapsed() < Duration::from_secs(600)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    let rate = received.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64();
    println!(
        "sender alone: {expected} deliveries to {peers} sink inboxes in {elapsed:.2?} = {rate:.0} deliveries/s \
         = {:.2} x the {ceiling:.0} RSA signatures/s ceiling",
        rate / ceiling
    );
    let _ = sender.stop.send(());
    let _ = sender.task.await;
    rate
}
