//! Fan-out to distant peers: sinks answering after a set round trip, against `in_flight / rtt`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::fanout::{SinkSigning, Sinks, add_sink_followers, publish_offers};
use crate::harness::{Backend, start, until};

/// When each peer's sink answered its last request, and how many it
/// answered.
#[derive(Clone, Copy, Default)]
struct PeerAnswers {
    count: usize,
    last: Option<Instant>,
}

/// Sinks on their own thread and runtime, so their waits and the sender's
/// work do not share workers: bound at once (the sender's requests queue in
/// the listen backlog), answering only once `go` fires.
struct DistantSinks {
    sinks: Sinks,
    answers: Arc<Mutex<Vec<PeerAnswers>>>,
    go: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl DistantSinks {
    fn start(peers: usize, rtt: Duration) -> DistantSinks {
        let answers = Arc::new(Mutex::new(vec![PeerAnswers::default(); peers]));
        let (ports_tx, ports_rx) = std::sync::mpsc::channel();
        let (go, go_rx) = tokio::sync::oneshot::channel::<()>();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let recorded = answers.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("the sinks' runtime");
            runtime.block_on(async move {
                let mut listeners = Vec::new();
                for _ in 0..peers {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind");
                    listeners.push(listener);
                }
                let ports = listeners
                    .iter()
                    .map(|l| l.local_addr().expect("addr").port())
                    .collect::<Vec<_>>();
                ports_tx.send(ports).expect("ports");
                let _ = go_rx.await;
                for (peer, listener) in listeners.into_iter().enumerate() {
                    let recorded = recorded.clone();
                    let app = axum::Router::new().route(
                        "/inbox/{n}",
                        axum::routing::post(move || {
                            let recorded = recorded.clone();
                            async move {
                                // The round trip of a distant peer.
                                tokio::time::sleep(rtt).await;
                                let now = Instant::now();
                                let mut all = recorded.lock().expect("answers");
                                let answers = &mut all[peer];
                                answers.count += 1;
                                answers.last = Some(now);
                                axum::http::StatusCode::ACCEPTED
                            }
                        }),
                    );
                    tokio::spawn(async move {
                        let _ = axum::serve(listener, app).await;
                    });
                }
                let _ = stop_rx.await;
            });
        });
        let ports = ports_rx.recv().expect("the sinks' ports");
        DistantSinks {
            sinks: Sinks::on_ports(ports),
            answers,
            go: Some(go),
            thread: Some(thread),
            stop: Some(stop),
        }
    }

    fn answered(&self) -> usize {
        self.answers
            .lock()
            .expect("answers")
            .iter()
            .map(|a| a.count)
            .sum()
    }

    /// Each peer's requests per second, from the moment the sinks began
    /// answering (the first window of each was waiting) to its last answer.
    fn per_peer_rates(&self, began: Instant) -> Vec<f64> {
        self.answers
            .lock()
            .expect("answers")
            .iter()
            .filter_map(|a| {
                let span = a.last?.duration_since(began).as_secs_f64();
                (span > 0.0).then(|| a.count as f64 / span)
            })
            .collect()
    }

    fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Mean requests/s per peer when `peers` sinks answer after `rtt`, for
/// `offers` offers, sent through windows of `delivery.in_flight`.
pub async fn per_peer(dir: &std::path::Path, peers: usize, rtt: Duration, offers: usize) -> f64 {
    let mut sinks = DistantSinks::start(peers, rtt);
    let slug = format!("rtt{}", rtt.as_millis());
    let sender = start(dir, &slug, Backend::Sqlite).await;
    add_sink_followers(
        &sender.node_state,
        &sinks.sinks,
        peers,
        SinkSigning::Ed25519,
    )
    .await;
    // Published before the sinks answer: every peer has the whole backlog
    // waiting, so the figure is the window's, not the publisher's.
    publish_offers(&sender.node_state, "Offer", offers).await;
    let began = Instant::now();
    if let Some(go) = sinks.go.take() {
        let _ = go.send(());
    }
    let expected = offers * peers;
    let done = until(Duration::from_secs(600), || async {
        sinks.answered() >= expected
    })
    .await;
    assert!(done, "{} of {expected} answered", sinks.answered());
    let rates = sinks.per_peer_rates(began);
    let mean = rates.iter().sum::<f64>() / rates.len().max(1) as f64;
    println!(
        "fan-out to {peers} peers {} ms away: {offers} offers each, {mean:.1} requests/s per peer (slowest {:.1})",
        rtt.as_millis(),
        rates.iter().copied().fold(f64::INFINITY, f64::min)
    );
    sender.stop().await;
    sinks.stop();
    mean
}
