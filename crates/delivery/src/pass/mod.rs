//! One pass over a peer's stream: activities past its cursor sent through the peer's window.

mod content;
mod ending;
mod flight;

use std::sync::Arc;
use std::time::Instant;

use crate::backoff::retry_delay_ms;
use crate::context::Context;
use crate::domain::follows::synchronization;
use crate::domain::{policy, sharing};
use crate::error::Result;
use crate::kept::Windows;
use crate::model::{FollowerState, ObjectId, SharingScope};
use crate::store::{PeerRow, Receipt, StreamProgress, StreamRow, now_millis};
use crate::window::{Flight, Window};

/// Delivers a pass of one peer's stream; true when more work is waiting.
pub async fn deliver_stream(
    state: &Context,
    owner: &str,
    stream: StreamRow,
    batch: i64,
    windows: &Windows,
) -> bool {
    let peer_id = stream.peer_id;
    let ended = match StreamPass::open(state, owner, &stream, windows).await {
        Ok(Some(pass)) => pass.run(batch, windows).await,
        Ok(None) => {
            // Unknown, or no inbox to send to: nothing to keep a window for.
            if let Some(actor) = windows.forget(peer_id) {
                crate::drop_window_series(state, &actor);
            }
            Ok(Ended::Holding)
        }
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

/// A pass over the stream of one peer, by the holder of its lease.
struct StreamPass<'a> {
    state: &'a Context,
    owner: &'a str,
    stream: &'a StreamRow,
    /// Shared with the requests in flight.
    peer: Arc<PeerRow>,
    inbox: Arc<str>,
    approved_follower: bool,
    /// What the peer receives of ours, as it stands when the pass starts.
    scope: SharingScope,
    /// The `Collection-Synchronization` header publications to followers
    /// carry (FEP-8fcf), for an approved follower.
    followers_sync: Option<String>,
    /// Why the peer is refused by policy now, if it is.
    refused: Option<String>,
    started: Instant,
    /// The requests in flight, the peer's window and the cursor.
    flight: Flight<ObjectId>,
    /// The window already halved in this pass: one slow-down per pass,
    /// however many requests in flight the overloaded peer refuses.
    slowed_down: bool,
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
        windows: &Windows,
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
        let Some(inbox) =
            crate::apub::peer::delivery_inbox(&peer).map(|url| Arc::<str>::from(url.as_str()))
        else {
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
        let ceiling = state.settings.delivery.in_flight;
        let window = windows
            .get(peer.id)
            .map_or_else(|| Window::new(ceiling), |w| w.with_ceiling(ceiling));
        let pass = StreamPass {
            state,
            owner,
            stream,
            peer: Arc::new(peer),
            inbox,
            approved_follower,
            scope,
            followers_sync,
            refused,
            started,
            flight: Flight::new(window, stream.cursor),
            slowed_down: false,
            delivered_any: false,
            receipts: Vec::new(),
            sent: 0,
            failed: 0,
        };
        pass.show_window();
        Ok(Some(pass))
    }

    /// Sends up to `batch` activities, keeps the peer's window for its
    /// next pass, then adds what the pass sent and what failed to the
    /// peer's hourly counts.
    async fn run(mut self, batch: i64, windows: &Windows) -> Result<Ended> {
        let ended = self.send_batch(batch).await;
        self.keep_window(windows, &ended);
        if self.delivered_any && ended.is_ok() {
            // Receipts that overtook what this pass just recorded.
            if let Err(e) = sharing::receipts::apply_waiting(self.state, &self.peer).await {
                tracing::warn!(peer = %self.peer.actor_uri, error = %e, "delivery: waiting receipts not applied");
            }
        }
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

    /// Keeps the window of an approved follower the policy lets through
    /// for its next pass. Any other peer is sent a governance activity or a
    /// `Delete` now and then, and a peer whose inbox is gone nothing until
    /// it is heard from: their windows, and gauge series, are dropped
    /// rather than kept for every peer ever sent to.
    fn keep_window(&self, windows: &Windows, ended: &Result<Ended>) {
        let gone = matches!(ended, Ok(Ended::Holding));
        if self.approved_follower && self.refused.is_none() && !gone {
            windows.keep(self.peer.id, &self.peer.actor_uri, self.flight.window());
        } else {
            windows.forget(self.peer.id);
            crate::drop_window_series(self.state, &self.peer.actor_uri);
        }
    }

    /// Sets `passerelle_delivery_window{peer}` to the window's size now.
    fn show_window(&self) {
        self.state
            .metrics
            .delivery_window
            .with_label_values(&[self.peer.actor_uri.as_str()])
            .set(i64::try_from(self.flight.window().size()).unwrap_or(i64::MAX));
    }
}
