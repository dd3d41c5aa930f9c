//! Excluding a peer (no follows either way, its domain refused) and
//! lifting the exclusion.

use crate::model::PeerId;
use serde_json::json;

use crate::apub::activities::answer;
use crate::audit::{self, Event};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::follows::followers::decide_in;
use crate::follows::following::undo_our_follow;
use crate::model::FollowerState;
use crate::{catalog, change, webhooks};

/// Excludes a peer: it stops being a follower, we stop following it, and
/// its domain is refused until an admin re-includes it.
pub async fn exclude(ctx: &Context, peer_id: PeerId, reason: &str, decided_by: &str) -> Result<()> {
    let peer = ctx
        .store
        .peer(peer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no peer {peer_id}")))?;
    if reason.trim().is_empty() {
        return Err(Error::UnprocessableAt(
            "/reason".into(),
            "an exclusion needs a reason".into(),
        ));
    }
    // Everything an exclusion ends commits together.
    ctx.store.ensure_delivery_stream(peer.id).await?;
    let request = ctx.store.follow_in_by_peer(peer.id).await?;
    let ours = ctx.store.follow_out_by_peer(peer.id).await?;
    let mut tx = change::begin(ctx).await?;
    if let Some(request) = request.filter(|r| r.state != FollowerState::Rejected) {
        decide_in(
            ctx,
            &mut tx,
            &request,
            &peer,
            answer::REJECT,
            Some(reason),
            decided_by,
        )
        .await?;
    }
    if let Some(ours) = ours {
        undo_our_follow(ctx, &mut tx, &ours, &peer.actor_uri).await?;
    }
    tx.insert_exclusion(&peer.domain.to_ascii_lowercase(), reason, decided_by)
        .await?;
    catalog::purge_peer(&mut tx, &peer, "excluded").await?;
    webhooks::emit(
        &mut tx,
        webhooks::Event::PeerExcluded,
        &format!("{}:excluded:{}", peer.actor_uri, crate::store::now_millis()),
        json!({"peer": peer.actor_uri, "handle": format!("@{}", peer.handle), "reason": reason}),
    )
    .await?;
    audit::record(
        &mut tx,
        Event::PeerExcluded,
        Some(&peer.actor_uri),
        decided_by,
        &format!("excluded {} ({}): {reason}", peer.handle, peer.domain),
    )
    .await?;
    change::commit(ctx, tx).await
}

/// Lifts an exclusion: the domain may follow and deliver again (nothing
/// else is restored; follows are asked for anew).
pub async fn reinclude(ctx: &Context, peer_id: PeerId, decided_by: &str) -> Result<()> {
    let peer = ctx
        .store
        .peer(peer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no peer {peer_id}")))?;
    let mut tx = change::begin(ctx).await?;
    if !tx
        .delete_exclusion(&peer.domain.to_ascii_lowercase())
        .await?
    {
        return Err(Error::Conflict(format!("{} is not excluded", peer.domain)));
    }
    audit::record(
        &mut tx,
        Event::PeerReincluded,
        Some(&peer.actor_uri),
        decided_by,
        &format!("re-included {} ({})", peer.handle, peer.domain),
    )
    .await?;
    change::commit(ctx, tx).await
}
