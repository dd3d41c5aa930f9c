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
mod kept;
mod pass;
mod replicas;
mod sender;
mod webhooks;
mod window;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::context::Context;
use crate::kept::Windows;
use crate::model::FollowerState;

/// Activities sent to one peer per pass.
const BATCH: i64 = 50;
/// How often streams are looked at when nothing wakes the workers.
const POLL: Duration = Duration::from_secs(1);
/// How often the windows of peers that stopped following are dropped,
/// when no pass of theirs came to drop them.
const SWEEP: Duration = Duration::from_secs(60);

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
    let mut swept = Instant::now();
    loop {
        if *stop.borrow() {
            // In-flight passes end by half their lease and release it.
            while passes.join_next().await.is_some() {}
            return;
        }
        if swept.elapsed() >= SWEEP {
            swept = Instant::now();
            sweep_windows(&state, &windows).await;
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

/// Drops the windows of peers no longer approved followers, and their
/// gauge series: a peer that left keeps no label on `/metrics`.
async fn sweep_windows(state: &Context, windows: &Windows) {
    match state.store.follows_in(Some(FollowerState::Approved)).await {
        Ok(followers) => {
            let followers: HashSet<_> = followers.iter().map(|f| f.peer_id).collect();
            for actor in windows.retain(&followers) {
                drop_window_series(state, &actor);
            }
        }
        Err(e) => tracing::warn!(error = %e, "delivery: cannot list followers to drop windows"),
    }
}

/// Removes `passerelle_delivery_window{peer=actor}`; a series never set is
/// nothing to remove.
fn drop_window_series(state: &Context, actor: &str) {
    let _ = state.metrics.delivery_window.remove_label_values(&[actor]);
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
