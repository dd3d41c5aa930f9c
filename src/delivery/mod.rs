//! The durable outgoing queue. The activity log is the queue: each peer
//! has a stream whose cursor is the id of the last activity it received
//! (or was skipped for), as in Lemmy's federation queue. Storage grows with
//! activities + peers; each peer gets activities in log order; a failing
//! peer backs off without holding the others up. With several replicas on
//! one PostgreSQL database, a stream is driven by the replica holding its
//! lease. Webhook events to the platform ride the same loop.

mod addressing;
mod backoff;
mod sender;
mod webhooks;

use std::time::Duration;

use futures::future::join_all;
use tokio::sync::watch;

use crate::node::NodeState;

/// Activities sent to one peer per pass.
const BATCH: i64 = 50;
/// How often streams are looked at when nothing wakes the workers.
const POLL: Duration = Duration::from_secs(1);

/// Runs delivery until `stop` turns true.
pub async fn run(state: NodeState, mut stop: watch::Receiver<bool>) {
    let owner = format!("replica-{}", uuid::Uuid::new_v4());
    let parallel = state.settings.delivery.parallel_peers as i64;
    let lease = state.settings.delivery.lease;
    loop {
        if *stop.borrow() {
            return;
        }
        match state
            .store
            .claim_delivery_streams(&owner, lease.as_millis() as i64, parallel)
            .await
        {
            Ok(streams) => {
                join_all(
                    streams
                        .into_iter()
                        .map(|stream| sender::deliver_stream(&state, &owner, stream, BATCH)),
                )
                .await;
            }
            Err(e) => tracing::warn!(error = %e, "delivery: cannot claim streams"),
        }
        webhooks::deliver_due(&state).await;
        tokio::select! {
            _ = stop.changed() => {},
            () = state.delivery_wakeup.notified() => {},
            () = tokio::time::sleep(POLL) => {},
        }
    }
}
