//! Fan-out: one node delivering to its followers. End to end (followers are
//! real nodes that verify and store, signing between them with Ed25519),
//! and the sender alone (followers whose inboxes are sinks answering 202 at
//! once), signing with RSA-2048 or with Ed25519, and its cost per delivery
//! as the number of followers grows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use passerelle::domain::{follows, publish};
use passerelle::model::kinds::ObjectKind;
use passerelle::node::NodeState;

use crate::harness::{Backend, start, until};

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

/// The sender alone: `offers` offers to `followers` sink inboxes; returns
/// deliveries/s.
pub async fn to_sinks(
    dir: &std::path::Path,
    backend: Backend,
    offers: usize,
    followers: usize,
    signing: SinkSigning,
) -> f64 {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let slug = format!("sinks{run}{}", backend.label());
    let sender = start(dir, &slug, backend).await;
    let sinks = sinks(followers.min(50)).await;
    add_sink_followers(&sender.node_state, &sinks, followers, signing).await;
    let started = Instant::now();
    publish_offers(&sender.node_state, "Offer", offers).await;
    let expected = offers * followers;
    let received = sinks.received.clone();
    until(Duration::from_secs(900), || {
        let received = received.clone();
        async move { received.load(Ordering::Relaxed) >= expected }
    })
    .await;
    let elapsed = started.elapsed();
    let rate = sinks.received.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64();
    println!(
        "sender alone ({}): {expected} deliveries ({offers} offers x {followers} sinks) in {elapsed:.2?} = {rate:.0}/s",
        backend.label()
    );
    sender.stop().await;
    rate
}
