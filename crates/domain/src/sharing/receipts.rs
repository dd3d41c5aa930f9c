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

/// Receipts of one peer kept waiting beyond this are put off (503) again:
/// what a peer can make us keep, and read again after each pass, stays
/// bounded.
pub const MOST_WAITING: i64 = 100;

/// A peer's receipt: checked whole, then kept and applied to the ledger,
/// or refused (4xx) with nothing stored. A receipt naming a delivery not
/// recorded yet (it overtook the pass that made it) is kept waiting and
/// applied when the ledger has it: it holds up nothing in the peer's
/// stream meanwhile.
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
    let reading = read(ctx, sender, &receipt, Reading::OnArrival).await?;
    if reading.waiting && ctx.store.count_waiting_receipts(sender.id).await? >= MOST_WAITING {
        return Err(Error::Unavailable(
            "too many of your receipts wait for deliveries to be recorded: retry".into(),
        ));
    }
    let document = serde_json::to_string(&receipt.document)?;
    let mut tx = change::begin(ctx).await?;
    if tx
        .keep_peer_receipt(receipt.id.as_str(), sender.id, &document, reading.waiting)
        .await?
    {
        for (object_id, removal) in &reading.acknowledged {
            tx.acknowledge(sender.id, *object_id, *removal, receipt.id.as_str())
                .await?;
        }
    }
    change::commit(ctx, tx).await?;
    tracing::info!(peer = %sender.actor_uri, receipt = %receipt.id, named, acknowledged = reading.acknowledged.len(), waiting = reading.waiting, "receipt kept");
    if reading.waiting {
        // The pass may have recorded its deliveries between our reading
        // and our commit, and looked for waiting receipts before this one
        // was there: read it once more now that it is.
        apply_again(ctx, sender, receipt.id.as_str(), &document).await?;
    }
    Ok(())
}

/// Applies again the receipts of `sender` kept waiting: what the ledger
/// now records is acknowledged, and a receipt waiting for nothing more is
/// done with. Run when a pass over the sender's stream recorded deliveries.
pub async fn apply_waiting(ctx: &Context, sender: &PeerRow) -> Result<()> {
    for (uri, document) in ctx.store.waiting_receipts(sender.id, MOST_WAITING).await? {
        apply_again(ctx, sender, &uri, &document).await?;
    }
    Ok(())
}

/// One waiting receipt, `document` as kept, read against the ledger again.
async fn apply_again(ctx: &Context, sender: &PeerRow, uri: &str, document: &str) -> Result<()> {
    // Kept as received, after it was checked whole: it parses.
    let reading = match serde_json::from_str::<Receipt>(document) {
        Ok(receipt) => read(ctx, sender, &receipt, Reading::Again).await?,
        Err(e) => {
            tracing::warn!(receipt = %uri, error = %e, "a kept receipt no longer parses: not applied");
            Read::default()
        }
    };
    if reading.acknowledged.is_empty() && reading.waiting {
        return Ok(());
    }
    let mut tx = change::begin(ctx).await?;
    for (object_id, removal) in &reading.acknowledged {
        tx.acknowledge(sender.id, *object_id, *removal, uri).await?;
    }
    if !reading.waiting {
        tx.receipt_applied(uri).await?;
    }
    change::commit(ctx, tx).await?;
    tracing::info!(peer = %sender.actor_uri, receipt = %uri, acknowledged = reading.acknowledged.len(), waiting = reading.waiting, "waiting receipt applied");
    Ok(())
}

/// When a receipt is read against the ledger.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// As it arrives: naming an object never delivered to the sender
    /// refuses it.
    OnArrival,
    /// Kept waiting, read again: what it names that was never delivered
    /// (the pass skipped it) is passed over, and what is already
    /// acknowledged is left as it is.
    Again,
}

/// What a receipt comes to against the ledger now.
#[derive(Default)]
struct Read {
    /// (object, removal) to acknowledge.
    acknowledged: Vec<(crate::model::ObjectId, bool)>,
    /// Some entry names a delivery not recorded yet.
    waiting: bool,
}

async fn read(ctx: &Context, sender: &PeerRow, receipt: &Receipt, when: Reading) -> Result<Read> {
    let mut read = Read::default();
    let held = receipt.held.iter().enumerate().map(|(index, held)| {
        (
            format!("/held/{index}"),
            &held.id,
            Some(held.updated.as_str()),
        )
    });
    let removed = receipt
        .removed
        .iter()
        .enumerate()
        .map(|(index, removed)| (format!("/removed/{index}"), removed, None));
    for (pointer, object, version) in held.chain(removed) {
        let object = object.as_str();
        let entry = ctx.store.ledger_entry(sender.id, object).await?;
        let matches = entry.as_ref().is_some_and(|entry| match version {
            Some(version) => {
                matches!(
                    entry.activity_kind,
                    ActivityKind::Create | ActivityKind::Update
                ) && delivered_version(entry).as_deref() == Some(version)
            }
            None => entry.activity_kind == ActivityKind::Delete,
        });
        match entry {
            Some(entry) if matches => {
                if when == Reading::OnArrival || !entry.acknowledged {
                    read.acknowledged.push((entry.object_id, version.is_none()));
                }
            }
            // The version or removal it acknowledges may be one delivered
            // but not recorded yet; or it is outdated, and acknowledges
            // nothing.
            _ if ctx.store.delivery_unrecorded(sender.id, object).await? => read.waiting = true,
            Some(_) => {}
            None if when == Reading::Again => {}
            None => {
                return Err(Error::UnprocessableAt(
                    pointer,
                    format!("{object} is not an object of ours delivered to the sender"),
                ));
            }
        }
    }
    Ok(read)
}

/// The version of the object we last delivered (its `updated`), read from
/// the activity that carried it.
fn delivered_version(entry: &LedgerEntry) -> Option<String> {
    let document: Value = serde_json::from_str(entry.activity_document.as_deref()?).ok()?;
    receipt::version_of(document.get("object")?).map(str::to_owned)
}
