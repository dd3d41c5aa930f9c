//! What a verified activity does here: the inbox's processing layer. The
//! wire shapes live in `apub::activities`; this module holds each
//! activity's checks (`verify`) and effects (`receive`), one file per
//! activity, and claims each activity id once across processes.

mod amendment;
mod answer;
mod follow;
mod integrity;
mod object_change;
mod offer;
mod undo;

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use serde::Deserialize;
use url::Url;

use crate::apub::activities::inbox::InboxActivity;
use crate::domain::liveness;
use crate::error::{Error, Result};
use crate::node::AppContext;
use crate::store::{Claim, PeerRow};

/// A claim on an activity not finished after this long is taken to have
/// died with its process: longer than any processing (fetches included).
pub const CLAIM_STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(120);

/// Acts on an activity whose sender's signature verified: its id must be
/// on the sender's origin (a peer speaks only for itself), then the
/// activity's own checks and handling.
pub async fn accept(
    data: &Data<AppContext>,
    envelope: serde_json::Value,
    sender: &PeerRow,
) -> Result<()> {
    let activity = InboxActivity::deserialize(&envelope)
        .map_err(|e| Error::BadRequest(format!("not an activity this node understands: {e}")))?;
    let sender_origin = Url::parse(&sender.actor_uri)
        .map_err(|e| Error::Internal(format!("stored peer URI: {e}")))?
        .origin();
    if activity.id().origin() != sender_origin {
        return Err(Error::BadRequest(
            "the activity's id is not on its actor's origin".into(),
        ));
    }
    // A peer marked gone that speaks again is delivered to again.
    data.store.delivery_peer_back(sender.id).await?;
    integrity::check_agreement_proof(data, &activity, &envelope, sender).await?;
    activity.verify(data).await?;
    activity.receive(data).await
}

#[async_trait::async_trait]
impl Activity for InboxActivity {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        match self {
            InboxActivity::Amendment(a) => &a.id,
            InboxActivity::Follow(a) => &a.id,
            InboxActivity::Undo(a) => &a.id,
            InboxActivity::ObjectChange(a) => &a.id,
            InboxActivity::Offer(a) => &a.id,
            InboxActivity::Answer(a) => &a.id,
            InboxActivity::Ignored(a) => &a.id,
        }
    }

    fn actor(&self) -> &Url {
        match self {
            InboxActivity::Amendment(a) => &a.actor,
            InboxActivity::Follow(a) => &a.actor,
            InboxActivity::Undo(a) => &a.actor,
            InboxActivity::ObjectChange(a) => &a.actor,
            InboxActivity::Offer(a) => &a.actor,
            InboxActivity::Answer(a) => &a.actor,
            InboxActivity::Ignored(a) => &a.actor,
        }
    }

    async fn verify(&self, data: &Data<AppContext>) -> Result<()> {
        match self {
            InboxActivity::Amendment(a) => a.verify(data).await,
            InboxActivity::Follow(a) => a.verify(data).await,
            InboxActivity::Undo(a) => a.verify(data).await,
            InboxActivity::ObjectChange(a) => a.verify(data).await,
            InboxActivity::Offer(a) => a.verify(data).await,
            InboxActivity::Answer(a) if a.answers_follow() => a.verify(data).await,
            InboxActivity::Answer(_) | InboxActivity::Ignored(_) => Ok(()),
        }
    }

    /// Acts on the activity once: a replayed id is acknowledged and not
    /// processed again; one being processed is answered 503 so the sender
    /// retries; one whose processing died (a crash) is taken over once its
    /// process is known dead, or its claim is stale.
    async fn receive(self, data: &Data<AppContext>) -> Result<()> {
        let id = self.id().to_string();
        let kind = passerelle_observability::metrics::activity_type_label(self.kind());
        let now = crate::store::now_millis();
        let stale_before = now - crate::model::time::millis(CLAIM_STALE_AFTER);
        let alive_since = now - crate::model::time::millis(liveness::ALIVE);
        match data
            .store
            .claim_activity(&id, &data.process, stale_before, alive_since)
            .await?
        {
            Claim::Claimed => {}
            Claim::Done => {
                tracing::info!(%id, "activity seen before: acknowledged, not processed again");
                data.metrics
                    .inbox_activities
                    .with_label_values(&[kind, "duplicate"])
                    .inc();
                return Ok(());
            }
            Claim::InProgress => {
                return Err(Error::Unavailable(
                    "this activity is being processed; retry later".into(),
                ));
            }
        }
        let outcome = match self {
            InboxActivity::Amendment(a) => a.receive(data).await,
            InboxActivity::Follow(a) => a.receive(data).await,
            InboxActivity::Undo(a) => a.receive(data).await,
            InboxActivity::ObjectChange(a) => a.receive(data).await,
            InboxActivity::Offer(a) => a.receive(data).await,
            InboxActivity::Answer(a) if a.answers_follow() => a.receive(data).await,
            InboxActivity::Answer(_) | InboxActivity::Ignored(_) => {
                tracing::info!(%id, kind, "activity type not handled here: acknowledged and ignored");
                Ok(())
            }
        };
        let label = if outcome.is_ok() {
            "processed"
        } else {
            "refused"
        };
        data.metrics
            .inbox_activities
            .with_label_values(&[kind, label])
            .inc();
        match &outcome {
            Ok(()) => data.store.activity_done(&id).await?,
            // Let the sender's retry be processed.
            Err(_) => data.store.forget_activity_seen(&id).await?,
        }
        outcome
    }
}
