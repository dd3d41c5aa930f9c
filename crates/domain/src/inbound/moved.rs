//! `Move`: a peer moved to a new address (FEP-7628). It is followed only
//! when the sender moves itself and the new actor, fetched from its own
//! origin, lists the old one in `alsoKnownAs`. The peer's row then takes
//! the new actor, so the follows both ways, their approval, the sharing
//! scope and the history carry over; the catalog's entries take the new
//! ids (and are read again from the new address, whose proofs verify); the
//! new actor is owed a receipt for each.

use url::Url;

use crate::apub::activities::move_actor::Move;
use crate::apub::peer::StoredActor;
use crate::apub::resolve;
use crate::audit::{self, Event};
use crate::backfill;
use crate::catalog::Arrival;
use crate::change;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::moving::also_known_as;
use crate::store::PeerRow;

/// The origin every id of an actor's node starts with.
fn base(actor: &Url) -> String {
    format!("{}/", actor.origin().ascii_serialization())
}

pub(super) async fn received(ctx: &Context, sender: &PeerRow, moved: Move) -> Result<()> {
    if moved.actor.as_str() != sender.actor_uri || moved.moved() != Some(sender.actor_uri.as_str())
    {
        return Err(Error::Forbidden("an actor can only move itself".into()));
    }
    let target = &moved.target;
    if target.origin() == moved.actor.origin() {
        return Err(Error::UnprocessableAt(
            "/target".into(),
            "the new actor is on the old one's origin".into(),
        ));
    }
    if ctx.store.peer_by_uri(target.as_str()).await?.is_some() {
        return Err(Error::Conflict(format!(
            "{target} is known here already, as a peer of its own"
        )));
    }
    let document = resolve::unstored(ctx, target).await?;
    if document.get("id").and_then(serde_json::Value::as_str) != Some(target.as_str()) {
        return Err(Error::UnprocessableAt(
            "/target".into(),
            format!("{target} serves another actor"),
        ));
    }
    if !also_known_as(&document).any(|alias| alias == sender.actor_uri) {
        return Err(Error::UnprocessableAt(
            "/target".into(),
            format!("{target} does not list {} in alsoKnownAs", sender.actor_uri),
        ));
    }
    let actor = StoredActor::of(&document, None)?;
    let mut tx = change::begin(ctx).await?;
    tx.move_peer(sender.id, &actor.as_row()).await?;
    let entries = tx
        .move_catalog(sender.id, &base(&moved.actor), &base(target))
        .await?;
    for (object_uri, version) in &entries {
        tx.owe_receipt(sender.id, object_uri, Some(version)).await?;
    }
    audit::record(
        &mut tx,
        Event::PeerMoved,
        Some(target.as_str()),
        &sender.actor_uri,
        &format!(
            "{} moved to {target}; {} catalog entries now under its new address",
            sender.actor_uri,
            entries.len()
        ),
    )
    .await?;
    change::commit(ctx, tx).await?;
    tracing::info!(from = %sender.actor_uri, to = %target, entries = entries.len(), "peer moved");
    if !entries.is_empty() {
        if let Some(peer) = ctx.store.peer(sender.id).await? {
            backfill::spawn(ctx.clone(), peer, Arrival::Moved);
        }
    }
    Ok(())
}
