//! What a verified activity does here: the inbox's processing layer and its
//! one routing table. `apub::activities::inbox` classifies the activity
//! (activity × object); `route` below maps each class to its handler, one
//! file per activity, each given the verified sender. Each activity id is
//! processed once across processes.

mod amendment;
mod answer;
mod directory;
mod follow;
mod integrity;
mod moved;
mod object_change;
mod offer;
mod terms;
mod undo;

use serde_json::Value;
use url::Url;

use crate::apub::activities::inbox::Inbound;
use crate::apub::activities::object_change::ObjectChange;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::liveness;
use crate::store::{ChangeTx, Claim, PeerRow};

/// A claim on an activity not finished after this long is taken to have
/// died with its process: longer than any processing (fetches included).
pub const CLAIM_STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(120);

/// Acts on an activity whose sender's signature verified: its id must be
/// on the sender's origin (a peer speaks only for itself), an agreement
/// activity or a receipt must carry the sender's proof, then it is routed, once.
pub async fn accept(ctx: &Context, envelope: Value, sender: &PeerRow) -> Result<()> {
    let activity = Inbound::classify(&envelope)?;
    let sender_origin = Url::parse(&sender.actor_uri)
        .map_err(|e| Error::Internal(format!("stored peer URI: {e}")))?
        .origin();
    if activity.id().origin() != sender_origin {
        return Err(Error::BadRequest(
            "the activity's id is not on its actor's origin".into(),
        ));
    }
    // A peer marked gone that speaks again is delivered to again.
    ctx.store.delivery_peer_back(sender.id).await?;
    integrity::check_agreement_proof(ctx, &activity, &envelope, sender).await?;
    // A receipt is typed `["Read", "Receipt"]`: counted by its first type.
    let kind = match envelope.get("type") {
        Some(Value::Array(types)) => types.first().and_then(Value::as_str),
        other => other.and_then(Value::as_str),
    }
    .unwrap_or_default();
    match activity {
        // The bulk of what peers send: written in a batch with the
        // activities verified at the same time.
        Inbound::ObjectChange(change) => batched(ctx, change, kind, sender).await,
        activity => once(ctx, activity, kind, sender).await,
    }
}

/// The routing table: each class of activity, its handler.
async fn route(ctx: &Context, sender: &PeerRow, activity: Inbound) -> Result<()> {
    match activity {
        Inbound::Follow(follow) => follow::received(ctx, sender, follow).await,
        Inbound::UndoFollow(undo) => undo::received(ctx, sender, undo).await,
        Inbound::Answer(answer) => answer::received(ctx, sender, answer).await,
        Inbound::ObjectChange(change) => object_change::received(ctx, sender, change).await,
        Inbound::ActorUpdated(_) => object_change::actor_updated(ctx, sender).await,
        Inbound::ActorDeleted(_) => object_change::actor_deleted(ctx, sender).await,
        Inbound::AgreementOffered(offer) => offer::received(ctx, sender, offer).await,
        Inbound::TermsOffered(offer) => terms::received(ctx, sender, offer).await,
        Inbound::AgreementUpdated(change) => {
            object_change::agreement_updated(ctx, sender, change).await
        }
        Inbound::Amendment(amendment) => amendment::received(ctx, sender, amendment).await,
        Inbound::Receipt(receipt) => crate::sharing::receipts::received(ctx, sender, receipt).await,
        Inbound::Join(join) => crate::network::joins::received(ctx, sender, join).await,
        Inbound::Move(moved) => moved::received(ctx, sender, moved).await,
        Inbound::DirectoryChange(change) => directory::received(ctx, sender, change).await,
        Inbound::Ignored { id, kind } => {
            tracing::info!(%id, kind, "activity not handled here: acknowledged and ignored");
            Ok(())
        }
    }
}

/// Routes the activity once: a replayed id is acknowledged and not
/// processed again; one being processed is answered 503 so the sender
/// retries; one whose processing died (a crash) is taken over once its
/// process is known dead, or its claim is stale.
async fn once(ctx: &Context, activity: Inbound, kind: &str, sender: &PeerRow) -> Result<()> {
    let id = activity.id().to_string();
    let kind = passerelle_observability::metrics::activity_type_label(kind);
    let now = crate::store::now_millis();
    let stale_before = now - crate::model::time::millis(CLAIM_STALE_AFTER);
    let alive_since = now - crate::model::time::millis(liveness::ALIVE);
    match ctx
        .store
        .claim_activity(&id, &ctx.process, stale_before, alive_since)
        .await?
    {
        Claim::Claimed => {}
        Claim::Done => {
            tracing::info!(%id, "activity seen before: acknowledged, not processed again");
            ctx.metrics
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
    // Once claimed, the activity is processed to its end in a task of its
    // own: a sender that stops waiting (its request timed out) would
    // otherwise drop the processing half-way and leave the claim to go
    // stale, every retry answered 503 meanwhile.
    let (work_ctx, peer) = (ctx.clone(), sender.clone());
    let finished = tokio::spawn(async move { finish(&work_ctx, &peer, activity, &id, kind).await });
    finished
        .await
        .map_err(|e| Error::Internal(format!("processing an activity: {e}")))?
}

/// Routes a claimed activity, then marks it done, or forgets the claim
/// when it failed (the sender's retry is processed).
async fn finish(
    ctx: &Context,
    sender: &PeerRow,
    activity: Inbound,
    id: &str,
    kind: &'static str,
) -> Result<()> {
    let outcome = route(ctx, sender, activity).await;
    let label = if outcome.is_ok() {
        "processed"
    } else {
        "refused"
    };
    ctx.metrics
        .inbox_activities
        .with_label_values(&[kind, label])
        .inc();
    match &outcome {
        Ok(()) => ctx.store.activity_done(id).await?,
        Err(_) => ctx.store.forget_activity_seen(id).await?,
    }
    outcome
}

/// An object change, once, in group commit: checked without writing, then
/// claimed, written and marked done in one part of the intake's next
/// batch, so that its claim, its catalog change (with its receipt and
/// webhook events) and its done mark commit together with the other
/// activities of that batch, or not at all. A crash before the commit
/// leaves nothing of it, and its sender, answered nothing, retries.
async fn batched(ctx: &Context, change: ObjectChange, kind: &str, sender: &PeerRow) -> Result<()> {
    let id = change.id.to_string();
    let kind = passerelle_observability::metrics::activity_type_label(kind);
    let count = |outcome: &str| {
        ctx.metrics
            .inbox_activities
            .with_label_values(&[kind, outcome])
            .inc();
    };
    // A replay of what is done costs a read, not a verification.
    if ctx.store.activity_processed(&id).await? {
        tracing::info!(%id, "activity seen before: acknowledged, not processed again");
        count("duplicate");
        return Ok(());
    }
    let checked = match object_change::checked(ctx, sender, change).await {
        Ok(checked) => checked,
        Err(refused) => {
            count("refused");
            return Err(refused);
        }
    };
    let work_ctx = ctx.clone();
    let peer = sender.clone();
    let written = ctx
        .intake
        .write(move |mut tx| {
            Box::pin(async move {
                let written = write_once(&work_ctx, &mut tx, &id, &peer, &checked).await;
                (tx, written)
            })
        })
        .await;
    match &written {
        Ok(Written::Processed) => count("processed"),
        Ok(Written::Duplicate) => count("duplicate"),
        Err(Error::Unavailable(_)) => {}
        Err(_) => count("refused"),
    }
    written.map(drop)
}

/// What became of an activity in its batch.
enum Written {
    Processed,
    Duplicate,
}

/// In the batch's transaction: the claim, the change, the done mark. An
/// error undoes the three (the sender's retry is processed).
async fn write_once(
    ctx: &Context,
    tx: &mut ChangeTx,
    id: &str,
    sender: &PeerRow,
    checked: &object_change::Checked,
) -> Result<Written> {
    // A new id (the usual case) is claimed and marked done at once: both
    // commit with the change or neither does.
    let new = tx.record_activity_processed(id, &ctx.process).await?;
    if !new {
        let now = crate::store::now_millis();
        let stale_before = now - crate::model::time::millis(CLAIM_STALE_AFTER);
        let alive_since = now - crate::model::time::millis(liveness::ALIVE);
        match tx
            .claim_activity(id, &ctx.process, stale_before, alive_since)
            .await?
        {
            Claim::Claimed => {}
            Claim::Done => {
                tracing::info!(%id, "activity seen before: acknowledged, not processed again");
                return Ok(Written::Duplicate);
            }
            Claim::InProgress => {
                return Err(Error::Unavailable(
                    "this activity is being processed; retry later".into(),
                ));
            }
        }
    }
    let received = object_change::write(ctx, tx, sender, checked).await?;
    if !new {
        tx.activity_done(id).await?;
    }
    tracing::info!(activity = %id, ?received, "catalog");
    Ok(Written::Processed)
}
