//! A received `Create`, `Update` or `Delete`: a followed peer's offers,
//! members, charters and commitments enter or leave the federated catalog;
//! an `Update` of the peer's own actor (after a key rotation) makes this
//! node refetch it, a `Delete` of it forgets all it shared; an `Update` of
//! an FEP-0837 agreement moves the agreement on.

use serde_json::Value;
use url::Url;

use crate::apub::activities::object_change::{ObjectChange, ObjectChangeType};
use crate::apub::fetch;
use crate::apub::objects::kind_of;
use crate::apub::peer::is_peer_own;
use crate::apub::resolve;
use crate::catalog::{Arrival, Received};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::{ChangeTx, PeerRow};
use crate::{agreements, catalog};

pub(super) async fn agreement_updated(
    ctx: &Context,
    sender: &PeerRow,
    change: ObjectChange,
) -> Result<()> {
    let actor = peer_url(sender)?;
    agreements::update_received(ctx, &actor, &change.object).await
}

/// The peer changed its actor (a new key, a new name): refetch it.
pub(super) async fn actor_updated(ctx: &Context, sender: &PeerRow) -> Result<()> {
    resolve::refetched(ctx, &peer_url(sender)?).await.map(drop)
}

/// The peer closed: nothing it shared is kept.
pub(super) async fn actor_deleted(ctx: &Context, sender: &PeerRow) -> Result<()> {
    catalog::peer_closed(ctx, sender).await.map(drop)
}

pub(super) async fn received(ctx: &Context, peer: &PeerRow, change: ObjectChange) -> Result<()> {
    let activity = change.id.clone();
    let checked = checked(ctx, peer, change).await?;
    let mut tx = crate::change::begin(ctx).await?;
    let received = write(ctx, &mut tx, peer, &checked).await?;
    crate::change::commit(ctx, tx).await?;
    tracing::info!(%activity, ?received, "catalog");
    Ok(())
}

/// What a received object change will write, once checked.
#[derive(Debug)]
pub(super) enum Checked {
    /// An object of a type this node does not keep.
    Nothing,
    Object(catalog::CheckedObject),
    Delete(Url),
}

/// Every check of an object change, none of which writes: the sender is
/// followed, the object is its own (fetched from its origin when only
/// named), its proof verifies, its shape is valid.
pub(super) async fn checked(
    ctx: &Context,
    peer: &PeerRow,
    change: ObjectChange,
) -> Result<Checked> {
    if change.object_id().is_none() {
        return Err(Error::UnprocessableAt(
            "/object".into(),
            "names no object".into(),
        ));
    }
    if let Value::Object(_) = &change.object {
        if change.kind != ObjectChangeType::Delete && kind_of(&change.object).is_none() {
            // A `Note`, a video, a post: what other servers publish
            // and this node has no use for.
            tracing::info!(activity = %change.id, "object of a type this node does not keep: acknowledged and ignored");
            return Ok(Checked::Nothing);
        }
    }
    if !catalog::follows(ctx, peer).await? {
        return Err(Error::Forbidden(
            "this node does not follow the sender: its objects are not accepted".into(),
        ));
    }
    let object = object_of(ctx, peer, &change).await?;
    Ok(match change.kind {
        ObjectChangeType::Delete => Checked::Delete(catalog::check_delete(ctx, peer, &object)?),
        _ => match catalog::check_object(ctx, peer, &object).await? {
            Some(checked) => Checked::Object(checked),
            None => Checked::Nothing,
        },
    })
}

/// Writes a checked object change in `tx`.
pub(super) async fn write(
    ctx: &Context,
    tx: &mut ChangeTx,
    peer: &PeerRow,
    checked: &Checked,
) -> Result<Received> {
    match checked {
        Checked::Nothing => Ok(Received::Ignored),
        Checked::Object(object) => {
            catalog::write_object(ctx, tx, peer, object, Arrival::Delivered).await
        }
        Checked::Delete(id) => catalog::write_delete(ctx, tx, peer, id, Arrival::Delivered).await,
    }
}

/// The object, embedded or fetched from the sender's own origin.
async fn object_of(ctx: &Context, peer: &PeerRow, change: &ObjectChange) -> Result<Value> {
    match (&change.kind, &change.object) {
        (ObjectChangeType::Delete, object) | (_, object @ Value::Object(_)) => Ok(object.clone()),
        (_, Value::String(id)) => {
            let url = Url::parse(id)
                .map_err(|_| Error::UnprocessableAt("/object".into(), "not a URL".into()))?;
            // Only the sender's own objects: the node fetches nothing
            // elsewhere on its behalf.
            if !is_peer_own(peer, &url, ctx.settings.federation.allow_private_addresses) {
                return Err(Error::UnprocessableAt(
                    "/object".into(),
                    format!("{url} is not an https URL on the sender's origin"),
                ));
            }
            // What the server answered (its status, its content type)
            // is for the logs, not for whoever sent the activity.
            fetch::fetch_document(&ctx.http, &url).await.map_err(|e| {
                tracing::info!(%url, error = %e, "cannot fetch the activity's object");
                Error::PeerUnavailable(format!("the object {url} could not be fetched"))
            })
        }
        _ => Err(Error::UnprocessableAt(
            "/object".into(),
            "not an object".into(),
        )),
    }
}

fn peer_url(peer: &PeerRow) -> Result<Url> {
    Url::parse(&peer.actor_uri).map_err(|e| Error::Internal(format!("stored peer URI: {e}")))
}
