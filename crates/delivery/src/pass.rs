//! One pass over a peer's stream: the activities past its cursor, each
//! sent, skipped or withheld in log order, the cursor checkpointed, and
//! the pass's outcome recorded.

use std::borrow::Cow;
use std::time::Instant;

use http::StatusCode;

use crate::addressing::{Recipient, addressed_to, to_followers};
use crate::backoff::retry_delay_ms;
use crate::context::Context;
use crate::domain::follows::synchronization;
use crate::domain::{policy, publish, sharing};
use crate::error::Result;
use crate::model::ActivityKind;
use crate::model::FollowerState;
use crate::model::SharingScope;
use crate::sender::{Outcome, post};
use crate::store::{
    OutgoingActivity, PassEnd, PeerRow, Receipt, StreamProgress, StreamRow, now_millis,
};

/// Delivers a pass of one peer's stream; true when more work is waiting.
pub async fn deliver_stream(state: &Context, owner: &str, stream: StreamRow, batch: i64) -> bool {
    let peer_id = stream.peer_id;
    let ended = match StreamPass::open(state, owner, &stream).await {
        Ok(Some(pass)) => pass.run(batch).await,
        Ok(None) => Ok(Ended::Holding),
        Err(e) => Err(e),
    };
    let more = match ended {
        Ok(Ended::Released(more)) => return more,
        Ok(Ended::Holding) => false,
        Err(e) => {
            tracing::warn!(%peer_id, error = %e, "delivery: stream error");
            false
        }
    };
    if let Err(e) = state.store.release_delivery_stream(peer_id, owner).await {
        tracing::warn!(%peer_id, error = %e, "delivery: cannot release the stream");
    }
    more
}

/// How a pass ended.
enum Ended {
    /// Its last write gave the lease back; true when more work is waiting.
    Released(bool),
    /// Nothing gave the lease back yet.
    Holding,
}

/// Whether a pass goes on to the next activity or ends.
enum Step {
    Next,
    End(Ended),
}

/// A pass over the stream of one peer, by the holder of its lease.
struct StreamPass<'a> {
    state: &'a Context,
    owner: &'a str,
    stream: &'a StreamRow,
    peer: PeerRow,
    inbox: String,
    approved_follower: bool,
    /// What the peer receives of ours, as it stands when the pass starts.
    scope: SharingScope,
    /// The `Collection-Synchronization` header publications to followers
    /// carry (FEP-8fcf), for an approved follower.
    followers_sync: Option<String>,
    /// Why the peer is refused by policy now, if it is.
    refused: Option<String>,
    started: Instant,
    /// The last activity handled (delivered or passed over).
    cursor: i64,
    delivered_any: bool,
    /// What the peer acknowledged in this pass: (object, activity, type).
    receipts: Vec<Receipt>,
    /// Activities delivered, and attempts that failed, refused or found
    /// the peer gone, in this pass (the dashboard's hourly counts).
    sent: i64,
    failed: i64,
}

impl<'a> StreamPass<'a> {
    /// Starts a pass; `None` when there is nothing to deliver to (the peer
    /// is unknown, or has no inbox of its own, which counts as a failure).
    async fn open(
        state: &'a Context,
        owner: &'a str,
        stream: &'a StreamRow,
    ) -> Result<Option<StreamPass<'a>>> {
        let started = Instant::now();
        let store = &state.store;
        let Some(peer) = store.peer(stream.peer_id).await? else {
            return Ok(None);
        };
        let approved_follower = store
            .follow_in_by_peer(peer.id)
            .await?
            .is_some_and(|request| request.state == FollowerState::Approved);
        let Some(inbox) = crate::apub::peer::delivery_inbox(&peer).map(String::from) else {
            let error = "the peer has no inbox on its own origin";
            tracing::warn!(peer = %peer.actor_uri, error, "delivery: nothing sent");
            let progress = StreamProgress {
                cursor: stream.cursor,
                delivered_any: false,
                failures: stream.failures + 1,
            };
            let retry_at = now_millis() + retry_delay_ms(stream.failures);
            store
                .delivery_failed(peer.id, owner, &progress, error, retry_at)
                .await?;
            return Ok(None);
        };
        let refused = policy::refusal(state, &peer.domain).await?;
        let scope = sharing::effective_scope(state, peer.id).await?;
        let followers_sync = match (approved_follower, url::Url::parse(&inbox)) {
            (true, Ok(inbox)) => Some(
                synchronization::header_for(state, &inbox)
                    .await?
                    .header_value(),
            ),
            _ => None,
        };
        Ok(Some(StreamPass {
            state,
            owner,
            stream,
            peer,
            inbox,
            approved_follower,
            scope,
            followers_sync,
            refused,
            started,
            cursor: stream.cursor,
            delivered_any: false,
            receipts: Vec::new(),
            sent: 0,
            failed: 0,
        }))
    }

    /// Sends up to `batch` activities, then adds what the pass sent and
    /// what failed to the peer's hourly counts.
    async fn run(mut self, batch: i64) -> Result<Ended> {
        let ended = self.send_batch(batch).await;
        let counted = self
            .state
            .store
            .count_delivery_hour(self.peer.id, now_millis(), self.sent, self.failed)
            .await;
        if let Err(e) = counted {
            tracing::warn!(peer = %self.peer.actor_uri, error = %e, "delivery: hourly counts not recorded");
        }
        ended
    }

    /// Sends up to `batch` activities.
    async fn send_batch(&mut self, batch: i64) -> Result<Ended> {
        let activities = self
            .state
            .store
            .activities_after(self.stream.cursor, batch)
            .await?;
        let full_batch = crate::model::count(activities.len()) == batch;
        for activity in activities {
            // Stop well before the lease runs out, so no other replica can take
            // the stream over while this one still sends.
            if self.started.elapsed() > self.state.settings.delivery.lease / 2 {
                self.checkpoint(true).await?;
                return Ok(Ended::Released(true));
            }
            if let Some((document, sent_kind)) = self.content_for(&activity).await? {
                if let Step::End(ended) = self.send(&activity, &document, sent_kind).await? {
                    return Ok(ended);
                }
            }
            self.cursor = activity.id;
        }
        self.checkpoint(true).await?;
        Ok(Ended::Released(full_batch))
    }

    /// What the peer is to be sent for `activity` (the document and its
    /// type), or `None` when nothing is.
    async fn content_for<'x>(
        &self,
        activity: &'x OutgoingActivity,
    ) -> Result<Option<(Cow<'x, str>, ActivityKind)>> {
        // Addressed to this peer alone and about no object (an activity
        // about an object, such as what a scope change sends, is data).
        let governance =
            activity.target_peer_id == Some(self.peer.id) && activity.object_id.is_none();
        if activity.withdrawn {
            // Its object was deleted before this peer got it: the content
            // is gone, and the Delete that follows says so.
            return Ok(None);
        }
        if let (Some(reason), false) = (&self.refused, governance) {
            // Blocked or excluded since it was followed: it receives no
            // publication, and none waits for it. Governance addressed to
            // it alone (the Reject, the Undo that end the relationship)
            // still goes out.
            tracing::info!(peer = %self.peer.actor_uri, activity = %activity.uri, reason, "delivery skipped by policy");
            self.count("refused_by_policy");
            return Ok(None);
        }
        let recipient = Recipient {
            peer: &self.peer,
            approved_follower: self.approved_follower,
            scope: &self.scope,
        };
        if addressed_to(activity, &recipient) {
            return Ok(Some((activity.document.as_str().into(), activity.kind)));
        }
        Ok(self
            .withdrawal(activity)
            .await?
            .map(|document| (document.into(), ActivityKind::Delete)))
    }

    /// POSTs `document` (of type `sent_kind`) for `activity` and records
    /// how it went.
    async fn send(
        &mut self,
        activity: &OutgoingActivity,
        document: &str,
        sent_kind: ActivityKind,
    ) -> Result<Step> {
        let failures_so_far = if self.delivered_any {
            0
        } else {
            self.stream.failures
        };
        let followers_sync = self
            .followers_sync
            .as_deref()
            .filter(|_| to_followers(activity) && sent_kind == activity.kind);
        let outcome = post(
            self.state,
            &self.peer,
            &self.inbox,
            (document, followers_sync),
            failures_so_far,
        )
        .await;
        match outcome {
            Outcome::Delivered => {
                self.delivered(activity, sent_kind);
                Ok(Step::Next)
            }
            Outcome::Refused(status) => {
                self.failed += 1;
                self.refused_by_peer(activity, status).await?;
                Ok(Step::Next)
            }
            Outcome::Gone(status) => {
                self.failed += 1;
                self.gone(status).await?;
                Ok(Step::End(Ended::Holding))
            }
            Outcome::Failed { error, retry_after } => {
                self.failed += 1;
                self.retry_later(activity, &error, retry_after).await?;
                Ok(Step::End(Ended::Released(false)))
            }
        }
    }

    fn delivered(&mut self, activity: &OutgoingActivity, sent_kind: ActivityKind) {
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
    async fn refused_by_peer(&self, activity: &OutgoingActivity, status: StatusCode) -> Result<()> {
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
    async fn gone(&self, status: StatusCode) -> Result<()> {
        self.count("gone");
        let why = format!("{} answered {status}: the peer is gone", self.inbox);
        tracing::warn!(peer = %self.peer.actor_uri, %status, "the peer's inbox is gone: delivery paused until it is heard from");
        self.checkpoint(false).await?;
        self.state
            .store
            .delivery_gone(self.peer.id, self.owner, &why)
            .await
    }

    /// The attempt is to be retried: what went through is kept, the next
    /// attempt waits by the backoff or the peer's `Retry-After`, and the
    /// lease is given back.
    async fn retry_later(
        &self,
        activity: &OutgoingActivity,
        error: &str,
        retry_after: Option<std::time::Duration>,
    ) -> Result<()> {
        self.count("failed");
        // A pass that got something through starts a new run of failures;
        // otherwise the run goes on and the wait doubles.
        let failures = if self.delivered_any {
            1
        } else {
            self.stream.failures + 1
        };
        let progress = StreamProgress {
            cursor: self.cursor,
            delivered_any: self.delivered_any,
            failures,
        };
        let backoff = retry_delay_ms(failures - 1);
        let asked = retry_after.map_or(0, crate::model::time::millis);
        tracing::info!(peer = %self.peer.actor_uri, activity = %activity.uri, error, failures, "delivery failed: will retry");
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

    /// Moves the cursor past what was handled and records the receipts,
    /// in one write; `release` gives the lease back with it.
    async fn checkpoint(&self, release: bool) -> Result<()> {
        let end = PassEnd::Advanced {
            cursor: self.cursor,
            delivered_any: self.delivered_any,
        };
        self.state
            .store
            .end_delivery_pass(self.peer.id, self.owner, &self.receipts, &end, release)
            .await
    }

    fn count(&self, outcome: &str) {
        self.state
            .metrics
            .deliveries
            .with_label_values(&["peer", outcome])
            .inc();
    }

    /// The `Delete` the peer is owed when an activity about an object it
    /// holds no longer includes it (the audience was narrowed, the peer
    /// stopped following, its scope no longer covers the object) or
    /// deletes the object: whoever received it is told to drop it.
    async fn withdrawal(&self, activity: &OutgoingActivity) -> Result<Option<String>> {
        let Some(object_id) = activity.object_id else {
            return Ok(None);
        };
        if activity.target_peer_id.is_some() {
            // Addressed to another peer alone (what a scope change sent
            // it): nothing to do with this one.
            return Ok(None);
        }
        if !matches!(activity.kind, ActivityKind::Update | ActivityKind::Delete) {
            return Ok(None);
        }
        let store = &self.state.store;
        let held_kind = match self
            .receipts
            .iter()
            .rev()
            .find(|r| r.object_id == object_id)
        {
            Some(receipt) => Some(receipt.kind),
            None => store.receipt_kind(self.peer.id, object_id).await?,
        };
        if held_kind.is_none_or(|kind| kind == ActivityKind::Delete) {
            return Ok(None);
        }
        if activity.kind == ActivityKind::Delete {
            return Ok(Some(activity.document.clone()));
        }
        let Some(object_uri) = store.object_uri(object_id).await? else {
            return Ok(None);
        };
        tracing::info!(peer = %self.peer.actor_uri, object = %object_uri, "the peer left the object's audience: sending Delete");
        publish::withdrawal_for(self.state, &object_uri, &activity.uri, &self.peer.actor_uri)
            .map(Some)
    }
}
