//! Signed receipts (issue 26). As a receiver: what this node owes each
//! origin (noted with the catalog change) goes out batched, one signed
//! receipt per origin that reads them (FEP-844e `implements`), through the
//! delivery outbox. As an origin: a peer's receipt counts only when it is
//! the peer's own, names only objects we delivered to that peer, and
//! carries its proof; it then acknowledges the ledger entries it matches
//! and is kept for auditors.

use serde_json::Value;

use crate::apub::activities::receipt::Receipt;
use crate::apub::activities::{self, receipt};
use crate::change;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{ActivityKind, time};
use crate::outgoing::record_for_peer;
use crate::store::{LedgerEntry, PeerRow};

/// How often owed receipts are sent: a receipt covers what accumulated
/// since the last one.
pub const SEND_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Records one receipt per origin owed one (each covering up to
/// `receipt::MAX_ENTRIES` objects; the rest goes with the next run).
pub async fn send_owed(ctx: &Context) -> Result<()> {
    for peer_id in ctx.store.peers_owed_receipts().await? {
        let Some(peer) = ctx.store.peer(peer_id).await? else {
            continue;
        };
        let origin = url::Url::parse(&peer.actor_uri)
            .map_err(|e| Error::Internal(format!("stored peer URI: {e}")))?;
        let actor: Value = serde_json::from_str(&peer.actor_json).unwrap_or(Value::Null);
        let reads_receipts = receipt::reads_receipts(&actor);
        if reads_receipts {
            ctx.store.ensure_delivery_stream(peer_id).await?;
        }
        let mut tx = change::begin(ctx).await?;
        let limit = crate::model::count(receipt::MAX_ENTRIES);
        let owed = tx.owed_receipts(peer_id, limit).await?;
        if !reads_receipts {
            // Not a node that reads receipts (Mastodon, Fedify...): it is
            // sent none, and nothing stays owed to it.
            tx.settle_owed(peer_id, &owed).await?;
            change::commit(ctx, tx).await?;
            continue;
        }
        let (held, removed): (Vec<_>, Vec<_>) = owed.iter().partition(|o| o.version.is_some());
        let held: Vec<(String, String)> = held
            .into_iter()
            .filter_map(|o| Some((o.object_uri.clone(), o.version.clone()?)))
            .collect();
        let removed: Vec<String> = removed.into_iter().map(|o| o.object_uri.clone()).collect();
        let id = activities::new_activity_id(&ctx.settings);
        let document =
            receipt::document(&ctx.settings, &id, &origin, &held, &removed, &time::now());
        record_for_peer(ctx, &mut tx, peer_id, receipt::TYPE, &id, &document).await?;
        tx.settle_owed(peer_id, &owed).await?;
        change::commit(ctx, tx).await?;
        tracing::info!(peer = %peer.actor_uri, held = held.len(), removed = removed.len(), "receipt recorded");
    }
    Ok(())
}

/// A peer's receipt: checked whole, then kept and applied to the ledger,
/// or refused (4xx) with nothing stored.
pub async fn received(ctx: &Context, sender: &PeerRow, receipt: Receipt) -> Result<()> {
    if receipt.actor.as_str() != sender.actor_uri {
        return Err(Error::Forbidden(
            "a receipt speaks only for its signer: its actor is not the sender".into(),
        ));
    }
    let named = receipt.objects().count();
    if named == 0 || named > receipt::MAX_ENTRIES {
        return Err(Error::UnprocessableAt(
            "/held".into(),
            format!(
                "a receipt names between 1 and {} objects",
                receipt::MAX_ENTRIES
            ),
        ));
    }
    let mut acknowledged = Vec::new();
    for (index, held) in receipt.held.iter().enumerate() {
        let entry = delivered(ctx, sender, held.id.as_str(), &format!("/held/{index}")).await?;
        if matches!(
            entry.activity_kind,
            ActivityKind::Create | ActivityKind::Update
        ) && delivered_version(&entry).as_deref() == Some(held.updated.as_str())
        {
            acknowledged.push((entry.object_id, false));
        } else if ctx
            .store
            .delivery_unrecorded(sender.id, held.id.as_str())
            .await?
        {
            // The version it holds may be one delivered but not recorded yet.
            return Err(Error::Unavailable(
                "a delivery to the sender is still being recorded: retry".into(),
            ));
        }
    }
    for (index, removed) in receipt.removed.iter().enumerate() {
        let entry = delivered(ctx, sender, removed.as_str(), &format!("/removed/{index}")).await?;
        if entry.activity_kind == ActivityKind::Delete {
            acknowledged.push((entry.object_id, true));
        }
    }
    let document = serde_json::to_string(&receipt.document)?;
    let mut tx = change::begin(ctx).await?;
    if tx
        .keep_peer_receipt(receipt.id.as_str(), sender.id, &document)
        .await?
    {
        for (object_id, removal) in &acknowledged {
            tx.acknowledge(sender.id, *object_id, *removal, receipt.id.as_str())
                .await?;
        }
    }
    change::commit(ctx, tx).await?;
    tracing::info!(peer = %sender.actor_uri, receipt = %receipt.id, named, acknowledged = acknowledged.len(), "receipt kept");
    Ok(())
}

/// The ledger entry of an object the receipt names; refused unless it is
/// ours and was delivered to the sender, put off (503) while a delivery to
/// the sender is still being recorded.
async fn delivered(
    ctx: &Context,
    sender: &PeerRow,
    object: &str,
    pointer: &str,
) -> Result<LedgerEntry> {
    if let Some(entry) = ctx.store.ledger_entry(sender.id, object).await? {
        return Ok(entry);
    }
    // What a pass delivered reaches the ledger when it checkpoints, or
    // with the next pass when it stopped on a failure: a receipt may
    // overtake either. Retried, it finds the ledger written; nothing is
    // stored meanwhile.
    if ctx.store.delivery_unrecorded(sender.id, object).await? {
        return Err(Error::Unavailable(format!(
            "{object} may be in a delivery to the sender not yet recorded: retry"
        )));
    }
    Err(Error::UnprocessableAt(
        pointer.into(),
        format!("{object} is not an object of ours delivered to the sender"),
    ))
}

/// The version of the object we last delivered (its `updated`), read from
/// the activity that carried it.
fn delivered_version(entry: &LedgerEntry) -> Option<String> {
    let document: Value = serde_json::from_str(entry.activity_document.as_deref()?).ok()?;
    receipt::version_of(document.get("object")?).map(str::to_owned)
}
