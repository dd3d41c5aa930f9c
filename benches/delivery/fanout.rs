//! Fan-out: one node delivering to its followers. End to end (followers are
//! real nodes that verify and store, signing between them with Ed25519),
//! and the sender alone (followers whose inboxes are sinks answering 202 at
//! once, in a process of their own so the sender's CPU time is its own),
//! signing with RSA-2048 or with Ed25519, and its cost per delivery as the
//! number of followers grows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use passerelle::domain::{follows, publish};
use passerelle::model::kinds::ObjectKind;
use passerelle::node::NodeState;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use crate::harness::{Backend, process_cpu, start, until};

/// How the sinks' actors say they verify signatures, which decides what
/// the sender signs with.
#[derive(Clone, Copy)]
pub enum SinkSigning {
    /// No `implements`: the sender signs RFC 9421 `rsa-v1_5-sha256`.
    Rsa,
    /// FEP-844e `implements` RFC 9421 with Ed25519, as Passerelle nodes do.
    Ed25519,
}

pub fn example_offer() -> serde_json::Value {
    serde_json::from_str(include_str!("../../schemas/examples/offer.json")).expect("example")
}

/// Publishes `offers` offers named `{prefix} {n}` on `node`.
pub async fn publish_offers(node: &NodeState, prefix: &str, offers: usize) {
    let example = example_offer();
    for n in 0..offers {
        let mut offer = example.clone();
        offer["name"] = serde_json::json!(format!("{prefix} {n}"));
        publish::upsert(node, ObjectKind::Offer, &format!("{prefix}-{n}"), &offer)
            .await
            .expect("publish");
    }
}

/// Deliveries/s from a node on `backend` to `peers` real nodes (SQLite)
/// that verify and store each offer, all on this machine.
pub async fn end_to_end(
    dir: &std::path::Path,
    backend: Backend,
    offers: usize,
    peers: usize,
) -> f64 {
    let sender = start(dir, &format!("e2e{}", backend.label()), backend).await;
    let mut receivers = Vec::new();
    for n in 0..peers {
        let peer = start(
            dir,
            &format!("e2e{}peer{n}", backend.label()),
            Backend::Sqlite,
        )
        .await;
        follows::follow(&peer.node_state, &sender.handle, "bench")
            .await
            .expect("follow");
        receivers.push(peer);
    }
    for peer in &receivers {
        let store = &peer.node_state.store;
        let active = until(Duration::from_secs(60), || async {
            !store
                .follows_out(Some(passerelle::model::FollowingState::Active))
                .await
                .expect("follows")
                .is_empty()
        })
        .await;
        assert!(active, "a follow was not accepted within a minute");
    }
    let started = Instant::now();
    publish_offers(&sender.node_state, "Offer", offers).await;
    let expected = offers * peers;
    until(Duration::from_secs(600), || async {
        let mut received = 0;
        for peer in &receivers {
            received += peer
                .node_state
                .store
                .list_catalog(ObjectKind::Offer, &Default::default(), 0, 10_000)
                .await
                .expect("catalog")
                .len();
        }
        received >= expected
    })
    .await;
    let rate = expected as f64 / started.elapsed().as_secs_f64();
    println!(
        "end to end ({}): {expected} deliveries ({offers} offers x {peers} nodes) in {:.2?} = {rate:.0}/s",
        backend.label(),
        started.elapsed()
    );
    for running in receivers.into_iter().chain(std::iter::once(sender)) {
        running.stop().await;
    }
    rate
}

/// Sink inboxes answering 202 at once, spread over a few listeners: the
/// count of requests they received.
pub struct Sinks {
    pub received: Arc<AtomicUsize>,
    ports: Vec<u16>,
}

impl Sinks {
    /// Sinks served elsewhere (another runtime), on `ports`.
    pub fn on_ports(ports: Vec<u16>) -> Sinks {
        Sinks {
            received: Arc::default(),
            ports,
        }
    }
}

pub async fn sinks(listeners: usize) -> Sinks {
    let received = Arc::new(AtomicUsize::new(0));
    let mut ports = Vec::new();
    for _ in 0..listeners {
        let counter = received.clone();
        let app = axum::Router::new().route(
            "/inbox/{n}",
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
        ports.push(listener.local_addr().expect("addr").port());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("sink") });
    }
    Sinks { received, ports }
}

/// Makes `followers` approved followers of `sender` whose inboxes are the
/// sinks.
pub async fn add_sink_followers(
    sender: &NodeState,
    sinks: &Sinks,
    followers: usize,
    signing: SinkSigning,
) {
    let store = &sender.store;
    let actor_json = match signing {
        SinkSigning::Rsa => "{}".to_owned(),
        SinkSigning::Ed25519 => serde_json::json!({"implements": [
            {"href": passerelle::apub::knocking::IMPLEMENTS_RFC9421_ED25519}
        ]})
        .to_string(),
    };
    for n in 0..followers {
        let port = sinks.ports[n % sinks.ports.len()];
        let actor = format!("http://localhost:{port}/actors/{n}");
        let inbox = format!("http://localhost:{port}/inbox/{n}");
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
                actor_json: &actor_json,
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
}

/// The argument that makes the bench binary a sink process:
/// `--sinks LISTENERS EXPECTED`.
pub const SINK_PROCESS: &str = "--sinks";

/// The sink process: `listeners` sinks, their ports on the first line of
/// stdout, then `done` once `expected` requests were answered. It ends
/// when its stdin closes (the bench ended, or died).
pub async fn sink_process(listeners: usize, expected: usize) {
    let sinks = sinks(listeners).await;
    let ports: Vec<String> = sinks.ports.iter().map(u16::to_string).collect();
    println!("{}", ports.join(" "));
    tokio::spawn(async {
        let mut rest = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut rest).await;
        std::process::exit(0);
    });
    let received = sinks.received.clone();
    until(Duration::from_secs(3_600), || {
        let received = received.clone();
        async move { received.load(Ordering::Relaxed) >= expected }
    })
    .await;
    println!("done");
    std::future::pending::<()>().await;
}

/// Sinks in a child process (the bench binary again), so their CPU time
/// is not the sender's.
struct SinkChild {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    sinks: Sinks,
}

impl SinkChild {
    async fn start(listeners: usize, expected: usize) -> SinkChild {
        let mut child = tokio::process::Command::new(std::env::current_exe().expect("the bench"))
            .args([SINK_PROCESS, &listeners.to_string(), &expected.to_string()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the sink process");
        let stdout = child.stdout.take().expect("its stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next_line().await.expect("read").expect("its ports");
        let ports = first
            .split_whitespace()
            .map(|p| p.parse().expect("a port"))
            .collect();
        SinkChild {
            child,
            lines,
            sinks: Sinks::on_ports(ports),
        }
    }

    /// Waits for `done`: every expected request was answered.
    async fn done(&mut self, limit: Duration) -> bool {
        let line = tokio::time::timeout(limit, self.lines.next_line()).await;
        matches!(line, Ok(Ok(Some(line))) if line == "done")
    }

    async fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill().await;
    }
}

/// What the sender alone did.
pub struct Fanout {
    /// Deliveries per second of wall time.
    pub rate: f64,
    /// The sender process's CPU time (user and system, all its threads)
    /// per delivery, in seconds.
    pub cpu_per_delivery: f64,
}

/// The sender alone: `offers` offers to `followers` sink inboxes, served
/// by another process.
pub async fn to_sinks(
    dir: &std::path::Path,
    backend: Backend,
    offers: usize,
    followers: usize,
    signing: SinkSigning,
) -> Fanout {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let slug = format!("sinks{run}{}", backend.label());
    let sender = start(dir, &slug, backend).await;
    let expected = offers * followers;
    let mut sinks = SinkChild::start(followers.min(50), expected).await;
    add_sink_followers(&sender.node_state, &sinks.sinks, followers, signing).await;
    let started = Instant::now();
    let cpu_started = process_cpu();
    publish_offers(&sender.node_state, "Offer", offers).await;
    let done = sinks.done(Duration::from_secs(900)).await;
    let cpu = (process_cpu() - cpu_started).as_secs_f64();
    let elapsed = started.elapsed();
    assert!(done, "the sinks did not receive {expected} deliveries");
    let fanout = Fanout {
        rate: expected as f64 / elapsed.as_secs_f64(),
        cpu_per_delivery: cpu / expected as f64,
    };
    println!(
        "sender alone ({}): {expected} deliveries ({offers} offers x {followers} sinks) in {elapsed:.2?} = {:.0}/s, \
         {:.0} us of the sender's CPU each",
        backend.label(),
        fanout.rate,
        fanout.cpu_per_delivery * 1e6
    );
    sinks.stop().await;
    sender.stop().await;
    fanout
}
