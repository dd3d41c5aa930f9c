//! The federated catalog: objects that followed peers publish, received
//! through the inbox or backfilled from their outboxes. An object is kept
//! only if it is on its sender's host, its integrity proof verifies with
//! the sender's published key, and it passes the same schema as local data.

use serde_json::{Value, json};
use url::Url;

use crate::apub::activities::receipt::version_of;
use crate::apub::objects::{kind_of, payload_from_object};
use crate::apub::peer::is_peer_own;
use crate::apub::resolve;
use crate::apub::verification::{VerificationError, verify_with_actor};
use crate::context::Context;
use crate::error::{Error, Result, Violation};
use crate::model::FollowingState;
use crate::model::kinds::ObjectKind;
use crate::store::{CatalogEntry, ChangeTx, PeerRow};
use crate::{change, validation, webhooks};

/// What became of a received object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    Created,
    Updated,
    /// Older than (or the same as) what the catalog holds.
    Stale,
    Deleted,
    /// Not one of the four kinds: nothing to keep.
    Ignored,
}

/// How an object reached the catalog: a delivery to our inbox is owed a
/// receipt (the origin's ledger has it for us); a backfill read is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    Delivered,
    Backfilled,
    /// Read again after the peer moved: the held copy, its ids rewritten,
    /// no longer carries a proof that verifies, so the peer's own copy
    /// replaces it even at the same version.
    Moved,
}

fn refuse(ctx: &Context, reason: &str, detail: String) -> Error {
    ctx.metrics
        .catalog_refused
        .with_label_values(&[reason])
        .inc();
    tracing::info!(reason, detail, "catalog: object refused");
    Error::Unprocessable(vec![Violation {
        pointer: "/object".into(),
        detail,
    }])
}

/// Checks and stores an object a followed peer published (Create/Update).
pub async fn receive_object(
    ctx: &Context,
    peer: &PeerRow,
    object: &Value,
    arrival: Arrival,
) -> Result<Received> {
    let Some(checked) = check_object(ctx, peer, object).await? else {
        return Ok(Received::Ignored);
    };
    let mut tx = change::begin(ctx).await?;
    let received = write_object(ctx, &mut tx, peer, &checked, arrival).await?;
    change::commit(ctx, tx).await?;
    Ok(received)
}

/// A received object that passed every check: what remains is to write it.
#[derive(Debug, Clone)]
pub struct CheckedObject {
    kind: ObjectKind,
    id: Url,
    updated: String,
    object: Value,
}

/// The checks of a received object, none of which writes (the proof, a
/// refetch of the peer's key, the schema); `None` when it is not one of
/// the four kinds.
pub async fn check_object(
    ctx: &Context,
    peer: &PeerRow,
    object: &Value,
) -> Result<Option<CheckedObject>> {
    let Some(kind) = kind_of(object) else {
        return Ok(None);
    };
    let id = check_received(ctx, peer, kind, object).await?;
    let updated = version_of(object).unwrap_or_default().to_owned();
    Ok(Some(CheckedObject {
        kind,
        id,
        updated,
        object: object.clone(),
    }))
}

/// Writes a checked object in `tx`, unless the catalog holds it at this
/// version or later (then only the receipt a delivery is owed).
pub async fn write_object(
    ctx: &Context,
    tx: &mut ChangeTx,
    peer: &PeerRow,
    checked: &CheckedObject,
    arrival: Arrival,
) -> Result<Received> {
    let CheckedObject {
        kind,
        id,
        updated,
        object,
    } = checked;
    let held = tx.catalog_entry(id.as_str()).await?;
    if let Some(held) = &held {
        if held.peer_id != peer.id {
            return Err(refuse(
                ctx,
                "foreign_id",
                format!("{id} belongs to another peer"),
            ));
        }
        if !crate::model::time::is_later(updated, &held.object_updated) && arrival != Arrival::Moved
        {
            // Still held, at the version we have: the origin hears so.
            if arrival == Arrival::Delivered {
                tx.owe_receipt(peer.id, id.as_str(), Some(&held.object_updated))
                    .await?;
            }
            return Ok(Received::Stale);
        }
    }
    if arrival == Arrival::Delivered {
        tx.owe_receipt(peer.id, id.as_str(), Some(updated)).await?;
    }
    store_received(tx, peer, *kind, id, object, updated).await?;
    let (received, event) = if held.is_none() {
        (Received::Created, webhooks::Event::CatalogCreated)
    } else {
        (Received::Updated, webhooks::Event::CatalogUpdated)
    };
    webhooks::emit(
        tx,
        event,
        &format!("{id}:{updated}"),
        json!({"kind": kind.as_str(), "peer": peer.actor_uri, "object": object}),
    )
    .await?;
    Ok(received)
}

/// The object's id, once it is shown to be the peer's own, signed by the
/// peer and valid for its kind.
async fn check_received(
    ctx: &Context,
    peer: &PeerRow,
    kind: ObjectKind,
    object: &Value,
) -> Result<Url> {
    let id = object
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| Url::parse(id).ok())
        .ok_or_else(|| refuse(ctx, "no_id", "the object has no id".into()))?;
    if !is_peer_own(peer, &id, ctx.settings.federation.allow_private_addresses) {
        return Err(refuse(
            ctx,
            "foreign_id",
            format!("{id} is not an https URL on the sender's origin"),
        ));
    }
    verify_proof(ctx, peer, object).await?;
    let payload = payload_from_object(&ctx.settings, kind, object)
        .map_err(|e| refuse(ctx, "schema", format!("not a valid {}: {e}", kind.as_str())))?;
    if let Err(e) = validation::validate(kind, &strip_audience(payload)) {
        let detail = match e {
            Error::Unprocessable(violations) => violations
                .iter()
                .map(|v| format!("{} {}", v.pointer, v.detail))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        return Err(refuse(
            ctx,
            "schema",
            format!("not a valid {}: {detail}", kind.as_str()),
        ));
    }
    Ok(id)
}

/// Stores the entry, new or replacing what was held.
async fn store_received(
    tx: &mut ChangeTx,
    peer: &PeerRow,
    kind: ObjectKind,
    id: &Url,
    object: &Value,
    updated: &str,
) -> Result<()> {
    let document = serde_json::to_string(object)?;
    let text = |field: &str| {
        object
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let summary = if text("content").is_empty() {
        text("summary")
    } else {
        text("content")
    };
    tx.upsert_catalog(&CatalogEntry {
        peer_id: peer.id,
        kind,
        object_uri: id.as_str(),
        name: text("name"),
        summary,
        purpose: object.get("purpose").and_then(Value::as_str),
        document: &document,
        object_updated: updated,
    })
    .await
}

/// The audience is the sender's business; the schema checks the rest.
fn strip_audience(mut payload: Value) -> Value {
    if let Value::Object(fields) = &mut payload {
        fields.remove("audience");
    }
    payload
}

async fn verify_proof(ctx: &Context, peer: &PeerRow, object: &Value) -> Result<()> {
    let actor: Value = serde_json::from_str(&peer.actor_json).unwrap_or(Value::Null);
    match verify_with_actor(&actor, object) {
        Err(VerificationError::NotListed(method)) => {
            // The peer may have rotated its proof key since its actor was
            // stored: one refetch, within the key-fetch bounds.
            let refreshed = refreshed_actor(ctx, peer).await.map_err(|e| {
                refuse(
                    ctx,
                    "proof",
                    format!("{method} is not one of the sender's keys ({e})"),
                )
            })?;
            verify_with_actor(&refreshed, object).map_err(|e| refuse(ctx, "proof", e.to_string()))
        }
        verified => verified.map_err(|e| refuse(ctx, "proof", e.to_string())),
    }
}

/// The peer's actor document fetched again (and stored).
pub(crate) async fn refreshed_actor(ctx: &Context, peer: &PeerRow) -> Result<Value> {
    let actor = Url::parse(&peer.actor_uri)
        .map_err(|_| Error::Internal(format!("stored actor URL {}", peer.actor_uri)))?;
    let refreshed = resolve::refetched_for_unknown_key(ctx, &actor).await?;
    Ok(refreshed.actor_document())
}

/// A peer deleted an object: it leaves the catalog (a deletion is honoured,
/// not archived).
pub async fn receive_delete(
    ctx: &Context,
    peer: &PeerRow,
    object: &Value,
    arrival: Arrival,
) -> Result<Received> {
    let id = check_delete(ctx, peer, object)?;
    let mut tx = change::begin(ctx).await?;
    let received = write_delete(ctx, &mut tx, peer, &id, arrival).await?;
    change::commit(ctx, tx).await?;
    Ok(received)
}

/// The id a `Delete` names, once it is shown to be the peer's own.
pub fn check_delete(ctx: &Context, peer: &PeerRow, object: &Value) -> Result<Url> {
    let id = match object {
        Value::String(id) => id.as_str(),
        Value::Object(fields) => fields.get("id").and_then(Value::as_str).unwrap_or_default(),
        _ => "",
    };
    let Ok(id) = Url::parse(id) else {
        return Err(refuse(ctx, "no_id", "the Delete names no object".into()));
    };
    if !is_peer_own(peer, &id, ctx.settings.federation.allow_private_addresses) {
        return Err(refuse(
            ctx,
            "foreign_id",
            format!("{id} is not an https URL on the sender's origin"),
        ));
    }
    Ok(id)
}

/// Removes a checked deletion's object in `tx`, with its webhook event.
pub async fn write_delete(
    ctx: &Context,
    tx: &mut ChangeTx,
    peer: &PeerRow,
    id: &Url,
    arrival: Arrival,
) -> Result<Received> {
    let held = tx.catalog_entry(id.as_str()).await?;
    if held.as_ref().is_some_and(|held| held.peer_id != peer.id) {
        return Err(refuse(
            ctx,
            "foreign_id",
            format!("{id} belongs to another peer"),
        ));
    }
    // Held or not, it is not here now: the origin hears so.
    if arrival == Arrival::Delivered {
        tx.owe_receipt(peer.id, id.as_str(), None).await?;
    }
    let Some(held) = held else {
        return Ok(Received::Ignored);
    };
    tx.delete_catalog(id.as_str()).await?;
    webhooks::emit(
        tx,
        webhooks::Event::CatalogDeleted,
        &format!("{id}:deleted"),
        json!({"kind": held.kind, "peer": peer.actor_uri, "object": {"id": id, "type": "Tombstone"}}),
    )
    .await?;
    Ok(Received::Deleted)
}

/// Drops everything held from `peer` (we stopped following it, it refused
/// or excluded us, it deleted its actor) and tells the platform, one
/// `catalog.deleted` event per object, so its copy ends up the same; all
/// in `tx`, with the change that ended the relationship.
pub async fn purge_peer(tx: &mut ChangeTx, peer: &PeerRow, reason: &str) -> Result<usize> {
    let held = tx.peer_catalog_objects(peer.id).await?;
    tx.delete_peer_catalog(peer.id).await?;
    // Its sharing terms governed what we held of it: nothing is left.
    tx.forget_received_terms(peer.id).await?;
    // What was queued about it is moot now: only the deletions go out.
    tx.drop_queued_catalog_events(&peer.actor_uri).await?;
    for (object, kind) in &held {
        webhooks::emit(
            tx,
            webhooks::Event::CatalogDeleted,
            &format!("{object}:purged:{}", crate::store::now_millis()),
            json!({"kind": kind, "peer": peer.actor_uri, "object": {"id": object, "type": "Tombstone"}, "reason": reason}),
        )
        .await?;
    }
    if !held.is_empty() {
        tracing::info!(peer = %peer.actor_uri, purged = held.len(), reason, "catalog purged");
    }
    Ok(held.len())
}

/// A peer deleted its actor: nothing it shared is kept.
pub async fn peer_closed(ctx: &Context, peer: &PeerRow) -> Result<usize> {
    let mut tx = change::begin(ctx).await?;
    let purged = purge_peer(&mut tx, peer, "the peer deleted its actor").await?;
    change::commit(ctx, tx).await?;
    Ok(purged)
}

/// Whether this node follows `peer` (accepted): only then are its objects kept.
pub async fn follows(ctx: &Context, peer: &PeerRow) -> Result<bool> {
    Ok(ctx
        .store
        .follow_out_by_peer(peer.id)
        .await?
        .is_some_and(|f| f.state == FollowingState::Active))
}
