//! This node's follows of peers: asked, answered, undone.

use crate::model::FollowId;
use crate::model::PeerId;
use serde_json::json;
use url::Url;

use crate::apub::activities::{self, follow, undo};
use crate::apub::actor::actor_id;
use crate::apub::peer::Peer;
use crate::audit::{self, Event};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::follows::resolve_peer;
use crate::model::FollowingState;
use crate::outgoing;
use crate::store::{ChangeTx, FollowOutRow};
use crate::{backfill, catalog, change, webhooks};

/// Asks `target` to let this node follow it.
pub async fn follow(
    data: &Context,
    target: &str,
    decided_by: &str,
) -> Result<(Peer, FollowOutRow)> {
    let peer = resolve_peer(data, target).await?;
    if let Some(existing) = data.store.follow_out_by_peer(peer.row.id).await? {
        if existing.state != FollowingState::Rejected {
            return Ok((peer, existing));
        }
    }
    let id = activities::new_activity_id(&data.settings);
    let us = actor_id(&data.settings);
    let peer_uri = Url::parse(&peer.row.actor_uri)?;
    data.store.ensure_delivery_stream(peer.row.id).await?;
    let mut tx = change::begin(data).await?;
    let row = tx.upsert_follow_out(peer.row.id, id.as_str()).await?;
    outgoing::record_for_peer(
        data,
        &mut tx,
        peer.row.id,
        follow::TYPE,
        &id,
        &follow::document(&id, &us, &peer_uri),
    )
    .await?;
    audit::record(
        &mut tx,
        Event::FollowSent,
        Some(&peer.row.actor_uri),
        decided_by,
        &format!("follow {}", peer.row.handle),
    )
    .await?;
    change::commit(data, tx).await?;
    Ok((peer, row))
}

/// Stops following the peer `peer_id`.
pub async fn unfollow_peer(ctx: &Context, peer_id: PeerId, decided_by: &str) -> Result<()> {
    let follow = ctx
        .store
        .follow_out_by_peer(peer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("we do not follow peer {peer_id}")))?;
    unfollow(ctx, follow.id, decided_by).await.map(|_| ())
}

/// Stops following: sends `Undo(Follow)` and forgets the follow.
pub async fn unfollow(ctx: &Context, follow_id: FollowId, decided_by: &str) -> Result<()> {
    let row = ctx
        .store
        .follow_out(follow_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no follow {follow_id}")))?;
    let peer = ctx
        .store
        .peer(row.peer_id)
        .await?
        .ok_or_else(|| Error::Internal("follow without peer".into()))?;
    ctx.store.ensure_delivery_stream(peer.id).await?;
    let mut tx = change::begin(ctx).await?;
    undo_our_follow(ctx, &mut tx, &row, &peer.actor_uri).await?;
    // What it shared with us was for a follower; we no longer are one.
    catalog::purge_peer(&mut tx, &peer, "unfollowed").await?;
    audit::record(
        &mut tx,
        Event::FollowUndone,
        Some(&peer.actor_uri),
        decided_by,
        &format!("unfollow {}", peer.handle),
    )
    .await?;
    change::commit(ctx, tx).await
}

/// Records the `Undo` of our follow and forgets the follow, in `tx`; the
/// peer's delivery stream must exist.
pub(super) async fn undo_our_follow(
    ctx: &Context,
    tx: &mut ChangeTx,
    row: &FollowOutRow,
    peer_uri: &str,
) -> Result<()> {
    let us = actor_id(&ctx.settings);
    let peer_url = Url::parse(peer_uri)?;
    let follow_id = Url::parse(&row.follow_uri)?;
    let id = activities::new_activity_id(&ctx.settings);
    let document = undo::document(
        &id,
        &us,
        &follow::document(&follow_id, &us, &peer_url),
        &peer_url,
    );
    outgoing::record_for_peer(ctx, tx, row.peer_id, undo::TYPE, &id, &document).await?;
    tx.delete_follow_out(row.id).await
}

/// Finds the follow to `target` (handle, actor URL or follow id).
pub async fn find_follow(data: &Context, target: &str) -> Result<FollowOutRow> {
    if let Ok(id) = target.parse::<FollowId>() {
        return data
            .store
            .follow_out(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no follow {id}")));
    }
    let peer = resolve_peer(data, target).await?;
    data.store
        .follow_out_by_peer(peer.row.id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("this node does not follow {target}")))
}

/// A peer answered our `Follow`.
pub async fn follow_answered(
    data: &Context,
    actor: &Url,
    follow_id: &Url,
    accepted: bool,
) -> Result<()> {
    let ctx: &Context = data;
    let Some(row) = ctx.store.follow_out_by_uri(follow_id.as_str()).await? else {
        tracing::info!(%follow_id, "answer to a follow this node does not have: ignored");
        return Ok(());
    };
    let peer = ctx
        .store
        .peer(row.peer_id)
        .await?
        .ok_or_else(|| Error::Internal("follow without peer".into()))?;
    if peer.actor_uri != actor.as_str() {
        return Err(Error::Forbidden(format!(
            "{actor} cannot answer a follow of {}",
            peer.actor_uri
        )));
    }
    let (state, event) = if accepted {
        (FollowingState::Active, Event::FollowAccepted)
    } else {
        (FollowingState::Rejected, Event::FollowRejected)
    };
    let mut tx = change::begin(ctx).await?;
    tx.set_follow_out_state(row.id, state).await?;
    let hook = if accepted {
        webhooks::Event::FollowAccepted
    } else {
        webhooks::Event::FollowRejected
    };
    webhooks::emit(
        &mut tx,
        hook,
        &format!("{follow_id}:{state}"),
        json!({"peer": peer.actor_uri, "handle": format!("@{}", peer.handle)}),
    )
    .await?;
    if !accepted {
        catalog::purge_peer(&mut tx, &peer, "rejected our follow").await?;
    }
    audit::record(
        &mut tx,
        event,
        Some(&peer.actor_uri),
        &peer.actor_uri,
        &format!("{} {}", event.as_str(), peer.handle),
    )
    .await?;
    change::commit(ctx, tx).await?;
    if accepted && row.state != FollowingState::Active {
        backfill::spawn(
            data.clone(),
            peer.clone(),
            crate::catalog::Arrival::Backfilled,
        );
    }
    Ok(())
}
