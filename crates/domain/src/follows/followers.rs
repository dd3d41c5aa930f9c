//! Peers' follows of this node: received, decided (by the admission
//! policy or an admin), undone.

use crate::model::RequestId;
use serde_json::{Value, json};
use url::Url;

use crate::apub::activities::{self, answer, follow};
use crate::apub::actor::actor_id;
use crate::apub::peer::Peer;
use crate::audit::{self, Event};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::follows::POLICY;
use crate::model::ActivityKind;
use crate::model::FollowerState;
use crate::outgoing;
use crate::policy::{self, Admit};
use crate::store::{ChangeTx, FollowInRow, PeerRow};
use crate::{change, commitments, webhooks};

/// A peer's `Follow` of this node: stored as a request, then decided by
/// the admission policy or left for an admin.
pub async fn follow_received(data: &Context, sender: &PeerRow, follow_id: &Url) -> Result<()> {
    let peer = Peer::from_row(sender.clone())?;
    data.store.ensure_delivery_stream(peer.row.id).await?;
    if let Some(existing) = data.store.follow_in_by_peer(peer.row.id).await? {
        if existing.state == FollowerState::Approved {
            return accept_again(data, existing, &peer.row, follow_id).await;
        }
    }
    let checks = commitments::check_peer_commitments(data, &peer).await;
    let snapshot = peer.row.actor_json.clone();
    let checks_json = serde_json::to_string(&checks)?;
    // Decided before the request is stored, so it is never seen without
    // its reason.
    let decision =
        match crate::network::membership::member_reason(data, &peer.row.actor_uri).await? {
            Some(reason) => Admit::Approve(reason),
            None => policy::admit(data, &checks),
        };
    let waiting = match &decision {
        Admit::Wait(reason) => Some(reason.as_str()),
        Admit::Approve(_) => None,
    };
    // The request, its audit entry, the platform's event and the policy's
    // decision commit together.
    let mut tx = change::begin(data).await?;
    let request = tx
        .upsert_follow_in(
            peer.row.id,
            follow_id.as_str(),
            &snapshot,
            &checks_json,
            waiting,
        )
        .await?;
    audit::record(
        &mut tx,
        Event::RequestReceived,
        Some(&peer.row.actor_uri),
        &peer.row.actor_uri,
        &format!("{} asks to follow", peer.row.handle),
    )
    .await?;
    webhooks::emit(
        &mut tx,
        webhooks::Event::FollowRequestReceived,
        follow_id.as_str(),
        json!({"request": request.id, "peer": peer.row.actor_uri, "handle": format!("@{}", peer.row.handle), "name": peer.row.name}),
    )
    .await?;
    match decision {
        Admit::Approve(reason) => {
            tracing::info!(peer = %peer.row.actor_uri, reason, "admission: approved");
            let decided_by = format!("{POLICY} ({reason})");
            decide_in(
                data,
                &mut tx,
                &request,
                &peer.row,
                answer::ACCEPT,
                None,
                &decided_by,
            )
            .await?;
        }
        Admit::Wait(reason) => {
            tracing::info!(peer = %peer.row.actor_uri, reason, "admission: waiting for an admin");
        }
    }
    change::commit(data, tx).await
}

fn their_follow(row: &FollowInRow, follower: &Url, us: &Url) -> Result<Value> {
    let id = Url::parse(&row.follow_uri)?;
    Ok(follow::document(&id, follower, us))
}

/// Approves a follow request: the peer becomes a follower, told by `Accept`.
pub async fn approve(
    ctx: &Context,
    request_id: RequestId,
    decided_by: &str,
) -> Result<FollowInRow> {
    decide(ctx, request_id, answer::ACCEPT, None, decided_by).await
}

/// Rejects a follow request (or removes a follower), told by `Reject`.
pub async fn reject(
    ctx: &Context,
    request_id: RequestId,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<FollowInRow> {
    decide(ctx, request_id, answer::REJECT, reason, decided_by).await
}

async fn decide(
    ctx: &Context,
    request_id: RequestId,
    kind: ActivityKind,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<FollowInRow> {
    let row = ctx
        .store
        .follow_in(request_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no follow request {request_id}")))?;
    let peer = ctx
        .store
        .peer(row.peer_id)
        .await?
        .ok_or_else(|| Error::Internal("request without peer".into()))?;
    let state = if kind == answer::ACCEPT {
        FollowerState::Approved
    } else {
        FollowerState::Rejected
    };
    if row.state == state {
        return Ok(row);
    }
    ctx.store.ensure_delivery_stream(peer.id).await?;
    let mut tx = change::begin(ctx).await?;
    decide_in(ctx, &mut tx, &row, &peer, kind, reason, decided_by).await?;
    change::commit(ctx, tx).await?;
    ctx.store
        .follow_in(row.id)
        .await?
        .ok_or_else(|| Error::Internal("request vanished".into()))
}

/// Decides a follow request in `tx`: the decision, the answer to the peer
/// and the audit entry commit together, so a crash leaves all of them or
/// none. The peer's delivery stream must exist.
pub(super) async fn decide_in(
    ctx: &Context,
    tx: &mut ChangeTx,
    row: &FollowInRow,
    peer: &PeerRow,
    kind: ActivityKind,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<()> {
    let (state, event) = if kind == answer::ACCEPT {
        (FollowerState::Approved, Event::RequestApproved)
    } else {
        (FollowerState::Rejected, Event::RequestRejected)
    };
    let detail = match reason {
        Some(reason) => format!("{} {}: {reason}", event.as_str(), peer.handle),
        None => format!("{} {}", event.as_str(), peer.handle),
    };
    tx.set_follow_in_state(row.id, state, reason).await?;
    let (id, document) = answer_document(ctx, row, peer, kind, reason)?;
    outgoing::record_for_peer(ctx, tx, peer.id, kind, &id, &document).await?;
    audit::record(tx, event, Some(&peer.actor_uri), decided_by, &detail).await
}

/// The `Accept` or `Reject` of a follower's `Follow`, with its new id.
fn answer_document(
    ctx: &Context,
    row: &FollowInRow,
    peer: &PeerRow,
    kind: ActivityKind,
    reason: Option<&str>,
) -> Result<(Url, Value)> {
    let us = actor_id(&ctx.settings);
    let follower = Url::parse(&peer.actor_uri)?;
    let id = activities::new_activity_id(&ctx.settings);
    let document = answer::document(
        kind,
        &id,
        &us,
        &their_follow(row, &follower, &us)?,
        &follower,
        reason,
    );
    Ok((id, document))
}

/// A follower left.
pub async fn follow_undone(ctx: &Context, actor: &Url, follow_id: &Url) -> Result<()> {
    let Some(peer) = ctx.store.peer_by_uri(actor.as_str()).await? else {
        return Ok(());
    };
    let Some(row) = ctx.store.follow_in_by_peer(peer.id).await? else {
        return Ok(());
    };
    if row.follow_uri != follow_id.as_str() {
        tracing::info!(%follow_id, "undo of an older follow: ignored");
        return Ok(());
    }
    end_follower(ctx, &peer, &row).await
}

/// A follower left with an `Undo` of a `Follow` that names no id (it does
/// not know which: FEP-8fcf's reconciliation, as Mastodon sends it): its
/// follow of us, whichever it is, ends.
pub async fn follow_undone_by_actor(ctx: &Context, actor: &Url) -> Result<()> {
    let Some(peer) = ctx.store.peer_by_uri(actor.as_str()).await? else {
        return Ok(());
    };
    let Some(row) = ctx.store.follow_in_by_peer(peer.id).await? else {
        return Ok(());
    };
    end_follower(ctx, &peer, &row).await
}

async fn end_follower(ctx: &Context, peer: &PeerRow, row: &FollowInRow) -> Result<()> {
    let mut tx = change::begin(ctx).await?;
    tx.delete_follow_in(row.id).await?;
    audit::record(
        &mut tx,
        Event::FollowerUndone,
        Some(&peer.actor_uri),
        &peer.actor_uri,
        &format!("{} stopped following", peer.handle),
    )
    .await?;
    change::commit(ctx, tx).await
}

/// An approved follower that follows again (it lost track, or retries)
/// stays approved: it is told so again, not queued.
async fn accept_again(
    ctx: &Context,
    existing: FollowInRow,
    peer: &PeerRow,
    follow_id: &Url,
) -> Result<()> {
    let mut tx = change::begin(ctx).await?;
    tx.set_follow_in_uri(existing.id, follow_id.as_str())
        .await?;
    let existing = FollowInRow {
        follow_uri: follow_id.to_string(),
        ..existing
    };
    tracing::info!(peer = %peer.actor_uri, "repeated Follow from an approved follower: accepted again");
    let (id, document) = answer_document(ctx, &existing, peer, answer::ACCEPT, None)?;
    outgoing::record_for_peer(ctx, &mut tx, peer.id, answer::ACCEPT, &id, &document).await?;
    change::commit(ctx, tx).await
}
