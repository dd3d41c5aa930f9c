//! The durable outgoing queue. The activity log is the queue: each peer
//! has a stream whose cursor is the highest activity below which it
//! received (or was skipped for) everything, as in Lemmy's federation
//! queue. Storage grows with activities + peers; up to a window of
//! requests is in flight to each peer, activities about one object in log
//! order; a failing peer backs off without holding the others up. With
//! several replicas on one PostgreSQL database, a stream is driven by the
//! replica holding its lease. Webhook events to the platform ride the same
//! loop.

mod addressing;
mod backoff;
mod pass;
mod replicas;
mod sender;
mod webhooks;
mod window;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::context::Context;
use crate::model::PeerId;
use crate::window::Window;

/// Each peer's window as its last pass left it, so a peer that asked us
/// to slow down is not sent a full window again at its next pass (kept in
/// this process: a restart opens every window fully).
type Windows = Arc<Mutex<HashMap<PeerId, Window>>>;

/// The windows, even after a pass panicked holding them: a window is a
/// hint, never left half-written.
fn lock(windows: &Windows) -> MutexGuard<'_, HashMap<PeerId, Window>> {
    windows.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Activities sent to one peer per pass.
const BATCH: i64 = 50;
/// How often streams are looked at when nothing wakes the workers.
const POLL: Duration = Duration::from_secs(1);

/// Runs delivery until `stop` turns true: peers' streams and webhook events
/// in two loops, so a slow webhook endpoint never holds peers up.
pub async fn run(state: Context, stop: watch::Receiver<bool>) {
    tokio::join!(
        run_streams(state.clone(), stop.clone()),
        run_webhooks(state, stop)
    );
}

/// Keeps up to `delivery.parallel_peers` streams in flight, each pass its
/// own task: a slow or hanging peer holds only its own stream, and a stream
/// with more waiting is claimed again as soon as its pass ends.
async fn run_streams(state: Context, mut stop: watch::Receiver<bool>) {
    let mut share = replicas::Share::new(POLL);
    let owner = state.process.to_string();
    let parallel = state.settings.delivery.parallel_peers;
    let lease = state.settings.delivery.lease;
    let mut passes = JoinSet::new();
    let windows = Windows::default();
    loop {
        if *stop.borrow() {
            // In-flight passes end by half their lease and release it.
            while passes.join_next().await.is_some() {}
            return;
        }
        let free = parallel.saturating_sub(passes.len());
        let free = share.claimable(&state, passes.len(), free).await;
        if free > 0 {
            match state
                .store
                .claim_delivery_streams(
                    &owner,
                    crate::model::time::millis(lease),
                    crate::model::count(free),
                    crate::store::now_millis()
                        - crate::model::time::millis(crate::domain::liveness::ALIVE),
                )
                .await
            {
                Ok(streams) => {
                    for stream in streams {
                        let (state, owner, windows) =
                            (state.clone(), owner.clone(), windows.clone());
                        passes.spawn(async move {
                            pass::deliver_stream(&state, &owner, stream, BATCH, &windows).await
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "delivery: cannot claim streams"),
            }
        }
        tokio::select! {
            _ = stop.changed() => {},
            () = state.delivery_wakeup.notified() => {},
            Some(pass) = passes.join_next(), if !passes.is_empty() => {
                if matches!(pass, Ok(true)) && share.has_peers() {
                    // The stream still has work and was just released: a
                    // moment's pause lets another replica claim it, so
                    // replicas share a backlog instead of one keeping it.
                    // Alone, the pause would only hold every stream up.
                    let pause = rand::Rng::gen_range(&mut rand::thread_rng(), 1..=HANDOFF_MS);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            },
            () = tokio::time::sleep(POLL) => {},
        }
    }
}

/// Longest pause before a replica claims again a stream it released with
/// work still waiting.
const HANDOFF_MS: u64 = 20;

async fn run_webhooks(state: Context, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let more = webhooks::deliver_due(&state).await;
        if more {
            continue;
        }
        tokio::select! {
            _ = stop.changed() => {},
            () = state.webhook_wakeup.notified() => {},
            () = tokio::time::sleep(POLL) => {},
        }
    }
}

// The layers below, under the names the modules use.
use passerelle_apub as apub;
use passerelle_context as context;
use passerelle_domain as domain;
use passerelle_model as model;
use passerelle_model::error;
use passerelle_store as store;
