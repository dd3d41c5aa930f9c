//! What each answer does to the stream: counts, receipts, skips, retries, the cursor.

use http::StatusCode;

use super::StreamPass;
use crate::backoff::retry_delay_ms;
use crate::error::Result;
use crate::model::ActivityKind;
use crate::store::{OutgoingActivity, PassEnd, Receipt, StreamProgress, now_millis};

impl StreamPass<'_> {
    pub(super) fn delivered(&mut self, activity: &OutgoingActivity, sent_kind: ActivityKind) {
        self.delivered_any = true;
        self.sent += 1;
        if let Some(object_id) = activity.object_id {
            self.receipts.push(Receipt {
                object_id,
                activity_id: activity.id,
                kind: sent_kind,
            });
        }
        self.count("delivered");
        let latency = (now_millis() - activity.published_at).max(0) as f64 / 1000.0;
        self.state
            .metrics
            .delivery_latency
            .with_label_values(&["peer"])
            .observe(latency);
    }

    /// The peer refused the activity for good: it is skipped.
    pub(super) async fn refused_by_peer(
        &self,
        activity: &OutgoingActivity,
        status: StatusCode,
    ) -> Result<()> {
        self.count("refused");
        tracing::warn!(peer = %self.peer.actor_uri, activity = %activity.uri, %status, "delivery refused by the peer: skipped");
        let why = format!("{} refused with {status}", activity.uri);
        self.state
            .store
            .delivery_skipped(self.peer.id, self.owner, &why)
            .await
    }

    /// The peer's inbox is gone: what went through is kept, and the stream
    /// waits until the peer is heard from.
    pub(super) async fn gone(&self, status: StatusCode) -> Result<()> {
        let why = format!("{} answered {status}: the peer is gone", self.inbox);
        tracing::warn!(peer = %self.peer.actor_uri, %status, "the peer's inbox is gone: delivery paused until it is heard from");
        self.checkpoint(false).await?;
        self.state
            .store
            .delivery_gone(self.peer.id, self.owner, &why)
            .await
    }

    /// An attempt is to be retried: what went through below it is kept,
    /// the next attempt waits by the backoff or the peer's `Retry-After`,
    /// and the lease is given back.
    pub(super) async fn retry_later(
        &self,
        activity_uri: &str,
        error: &str,
        retry_after: Option<std::time::Duration>,
    ) -> Result<()> {
        // A pass that got something through starts a new run of failures;
        // otherwise the run goes on and the wait doubles.
        let failures = if self.delivered_any {
            1
        } else {
            self.stream.failures + 1
        };
        let progress = StreamProgress {
            cursor: self.flight.cursor(),
            delivered_any: self.delivered_any,
            failures,
        };
        let backoff = retry_delay_ms(failures - 1);
        let asked = retry_after.map_or(0, crate::model::time::millis);
        tracing::info!(peer = %self.peer.actor_uri, activity = %activity_uri, error, failures, "delivery failed: will retry");
        let end = PassEnd::Failed {
            progress,
            error,
            next_attempt_at: now_millis() + backoff.max(asked),
        };
        self.state
            .store
            .end_delivery_pass(self.peer.id, self.owner, &self.receipts, &end, true)
            .await
    }

    /// Moves the cursor up to the highest activity below which everything
    /// is done with, and records the receipts, in one write; `release`
    /// gives the lease back with it.
    pub(super) async fn checkpoint(&self, release: bool) -> Result<()> {
        let end = PassEnd::Advanced {
            cursor: self.flight.cursor(),
            delivered_any: self.delivered_any,
        };
        self.state
            .store
            .end_delivery_pass(self.peer.id, self.owner, &self.receipts, &end, release)
            .await
    }

    pub(super) fn count(&self, outcome: &str) {
        self.state
            .metrics
            .deliveries
            .with_label_values(&["peer", outcome])
            .inc();
    }
}
