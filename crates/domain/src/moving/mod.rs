//! Moving the node to a new public address (issue 31, FEP-7628). The
//! procedure, in `docs/operating.md`: the old node writes an archive for
//! the new address (`relocation`), the new node imports it and starts
//! (same keys, objects, relationships and ledger, its actor listing the old
//! one in `alsoKnownAs`), then `move_to` records the move on the old node
//! and sends `Move` to every peer. From then on the old actor says
//! `movedTo`, its objects and collections redirect for
//! `federation.moved_redirect_for`, and it publishes nothing more.

pub mod relocation;

use std::sync::Arc;

use serde_json::Value;
use url::Url;

use crate::apub::activities::move_actor;
use crate::apub::actor::{OrganizationActor, actor_id};
use crate::apub::peer::ActorFields;
use crate::apub::resolve;
use crate::audit::{self, Event};
use crate::change;
use crate::context::Context;
use crate::context::addresses::NodeAddresses;
use crate::error::{Error, Result};
use crate::outgoing;
use crate::store::{AddressRelation, ChangeTx, now_millis};

/// The node's earlier addresses and where it moved, as this process knows
/// them (at most a second old).
pub async fn addresses(ctx: &Context) -> Result<Arc<NodeAddresses>> {
    ctx.addresses.get(&ctx.store).await
}

/// The node's actor, with its other addresses.
pub async fn actor(ctx: &Context) -> Result<OrganizationActor> {
    let addresses = addresses(ctx).await?;
    Ok(
        OrganizationActor::for_node(&ctx.settings, &ctx.keys()).with_addresses(
            addresses.earlier.clone(),
            addresses.moved_to.as_ref().map(|moved| moved.actor.clone()),
        ),
    )
}

/// What the node's own address serves, once it moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// It did not move: everything is served here.
    Here,
    /// Within `federation.moved_redirect_for` of the move: the new actor,
    /// whose origin the resources redirect to.
    Redirected(Url),
    /// Past it: gone, to the new actor.
    Gone(Url),
}

/// What the node's address serves now.
pub async fn served(ctx: &Context) -> Result<Served> {
    let Some(moved) = addresses(ctx).await?.moved_to.clone() else {
        return Ok(Served::Here);
    };
    let redirect_for = crate::model::time::millis(ctx.settings.federation.moved_redirect_for);
    Ok(if now_millis() - moved.at < redirect_for {
        Served::Redirected(moved.actor)
    } else {
        Served::Gone(moved.actor)
    })
}

/// Refuses a change to what the node publishes once it moved: the new
/// node publishes now. Read in the change itself: a publication holding
/// its transaction never waits for a second connection.
pub async fn ensure_not_moved(tx: &mut ChangeTx) -> Result<()> {
    match tx.node_moved_to().await? {
        Some(actor) => Err(Error::Conflict(format!(
            "this node moved to {actor}: publish there"
        ))),
        None => Ok(()),
    }
}

/// Moves the node to `target`, the actor of the node that imported its
/// archive: checks that it lists this actor in `alsoKnownAs` and holds
/// this node's key, records the move, and sends `Move` to every peer the
/// node delivers to. Returns how many peers are told.
pub async fn move_to(ctx: &Context, target: &Url, decided_by: &str) -> Result<usize> {
    let us = actor_id(&ctx.settings);
    if let Some(moved) = &addresses(ctx).await?.moved_to {
        return Err(Error::Conflict(format!(
            "this node moved to {} already",
            moved.actor
        )));
    }
    if target.origin() == us.origin() {
        return Err(Error::BadRequest(format!(
            "{target} is on this node's own address"
        )));
    }
    let document = resolve::unstored(ctx, target).await?;
    if !also_known_as(&document).any(|alias| alias == us.as_str()) {
        return Err(Error::Conflict(format!(
            "{target} does not list {us} in alsoKnownAs: import this node's archive \
             written with `passerelle export --moving-to` there, start it, then move"
        )));
    }
    let fields = ActorFields::parse(&document)?;
    if fields.main_key().public_key_pem.trim() != ctx.keys().rsa_public_pem.trim() {
        return Err(Error::Conflict(format!(
            "{target} does not hold this node's key: it was not made from this node's archive"
        )));
    }
    let peers = ctx.store.delivery_peers().await?;
    let mut tx = change::begin(ctx).await?;
    tx.record_node_address(target.as_str(), AddressRelation::MovedTo, now_millis())
        .await?;
    audit::record(
        &mut tx,
        Event::NodeMoved,
        None,
        decided_by,
        &format!("moved to {target}; {} peer(s) told with Move", peers.len()),
    )
    .await?;
    outgoing::send_each(ctx, &mut tx, &peers, move_actor::TYPE, |id, peer| {
        Ok(move_actor::document(id, &us, target, peer))
    })
    .await?;
    change::commit(ctx, tx).await?;
    ctx.addresses.forget();
    Ok(peers.len())
}

/// Moves the node to the node whose public URL is `to` (as typed by an
/// admin); returns the new actor and how many peers are told.
pub async fn move_to_public_url(ctx: &Context, to: &str, decided_by: &str) -> Result<(Url, usize)> {
    let to = Url::parse(to.trim())
        .map_err(|e| Error::BadRequest(format!("`{}` is not a URL: {e}", to.trim())))?;
    let target = actor_id(&relocation::at_new_address(&ctx.settings, &to)?);
    let told = move_to(ctx, &target, decided_by).await?;
    Ok((target, told))
}

/// The ids an actor document lists in `alsoKnownAs` (one or several).
pub fn also_known_as(document: &Value) -> impl Iterator<Item = &str> {
    let listed = match document.get("alsoKnownAs") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item) => vec![item],
        None => Vec::new(),
    };
    listed.into_iter().filter_map(Value::as_str)
}
