//! The durable outgoing queue. The activity log is the queue: each peer
//! has a stream whose cursor is the id of the last activity it received
//! (or was skipped for), as in Lemmy's federation queue. Storage grows with
//! activities + peers; each peer gets activities in log order; a failing
//! peer backs off without holding the others up.

mod addressing;
mod backoff;
mod sender;

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
    loop {
        if *stop.borrow() {
            return;
        }
        match state.store.due_delivery_streams().await {
            Ok(streams) => {
                join_all(
                    streams
                        .into_iter()
                        .map(|stream| sender::deliver_stream(&state, stream, BATCH)),
                )
                .await;
            }
            Err(e) => tracing::warn!(error = %e, "delivery: cannot read the streams"),
        }
        tokio::select! {
            _ = stop.changed() => {},
            () = state.delivery_wakeup.notified() => {},
            () = tokio::time::sleep(POLL) => {},
        }
    }
}
