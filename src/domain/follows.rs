//! Following and being followed: the governance of who shares with whom.
//! Every decision is audited; every message to a peer is recorded in the
//! activity log and delivered by the delivery workers, so it survives a
//! crash between the decision and the network.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use serde_json::{Value, json};
use url::Url;

use crate::apub::activities::{self, answer, follow, undo};
use crate::apub::actor::actor_id;
use crate::apub::peer::{Peer, domain_of};
use crate::domain::audit::{self, Event};
use crate::domain::outgoing;
use crate::domain::policy::{self, Admit};
use crate::domain::{backfill, catalog, change, commitments, webhooks};
use crate::error::{Error, Result};
use crate::model::{FollowerState, FollowingState};
use crate::node::AppContext;
use crate::store::{ChangeTx, FollowInRow, FollowOutRow, PeerRow};

/// Who takes a decision the policy took.
const POLICY: &str = "policy";

/// Finds a peer by handle (`@slug@host` or `slug@host`, via WebFinger) or
/// by actor URL, fetching and storing its actor.
pub async fn resolve_peer(data: &Data<AppContext>, target: &str) -> Result<Peer> {
    let target = target.trim();
    let peer = if target.contains("://") {
        let url = Url::parse(target)
            .map_err(|_| Error::BadRequest(format!("`{target}` is not a URL")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::BadRequest(format!(
                "`{target}` is not an http(s) URL"
            )));
        }
        refuse_if_blocked(data, &domain_of(&url)).await?;
        check_reachable(data, &url).await?;
        ObjectId::<Peer>::from(url).dereference(data).await?
    } else {
        let handle = target.strip_prefix('@').unwrap_or(target);
        let Some((user, host)) = handle.split_once('@') else {
            return Err(Error::BadRequest(format!(
                "`{target}` is neither @name@host nor an actor URL"
            )));
        };
        if user.is_empty() || host.is_empty() || host.contains('@') {
            return Err(Error::BadRequest(format!(
                "`{target}` is neither @name@host nor an actor URL"
            )));
        }
        refuse_if_blocked(data, host).await?;
        let webfinger = Url::parse(&format!("{}://{host}/", data.settings.public_url.scheme()))
            .map_err(|_| Error::BadRequest(format!("`{host}` is not a host name")))?;
        check_reachable(data, &webfinger).await?;
        webfinger_resolve_actor::<AppContext, Peer>(handle, data).await?
    };
    if peer.row.actor_uri == actor_id(&data.settings).as_str() {
        return Err(Error::BadRequest("a node cannot follow itself".into()));
    }
    Ok(peer)
}

/// Refuses at once a target the client would never reach (a private
/// address on a node that does not allow them), with the reason.
async fn check_reachable(ctx: &AppContext, url: &Url) -> Result<()> {
    crate::outbound::check_target(url, ctx.settings.federation.allow_private_addresses)
        .await
        .map_err(|e| Error::BadRequest(format!("cannot follow {url}: {e}")))
}

async fn refuse_if_blocked(ctx: &AppContext, domain: &str) -> Result<()> {
    match policy::refusal(ctx, domain).await? {
        Some(reason) => Err(Error::Forbidden(reason)),
        None => Ok(()),
    }
}

/// Asks `target` to let this node follow it.
pub async fn follow(
    data: &Data<AppContext>,
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
    let peer_uri = Url::parse(&peer.row.actor_uri).map_err(|e| Error::Internal(e.to_string()))?;
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
pub async fn unfollow_peer(ctx: &AppContext, peer_id: i64, decided_by: &str) -> Result<()> {
    let follow = ctx
        .store
        .follow_out_by_peer(peer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("we do not follow peer {peer_id}")))?;
    unfollow(ctx, follow.id, decided_by).await.map(|_| ())
}

/// Stops following: sends `Undo(Follow)` and forgets the follow.
pub async fn unfollow(ctx: &AppContext, follow_id: i64, decided_by: &str) -> Result<()> {
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
async fn undo_our_follow(
    ctx: &AppContext,
    tx: &mut ChangeTx,
    row: &FollowOutRow,
    peer_uri: &str,
) -> Result<()> {
    let us = actor_id(&ctx.settings);
    let peer_url = Url::parse(peer_uri).map_err(|e| Error::Internal(e.to_string()))?;
    let follow_id = Url::parse(&row.follow_uri).map_err(|e| Error::Internal(e.to_string()))?;
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
pub async fn find_follow(data: &Data<AppContext>, target: &str) -> Result<FollowOutRow> {
    if let Ok(id) = target.parse::<i64>() {
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

/// A peer's `Follow` of this node: stored as a request, then decided by
/// the admission policy or left for an admin.
pub async fn follow_received(data: &Data<AppContext>, actor: &Url, follow_id: &Url) -> Result<()> {
    let peer = ObjectId::<Peer>::from(actor.clone())
        .dereference(data)
        .await?;
    data.store.ensure_delivery_stream(peer.row.id).await?;
    if let Some(existing) = data.store.follow_in_by_peer(peer.row.id).await? {
        if existing.state == FollowerState::Approved {
            // An approved follower that follows again (it lost track, or
            // retries) stays approved: it is told so again, not queued.
            let mut tx = change::begin(data).await?;
            tx.set_follow_in_uri(existing.id, follow_id.as_str())
                .await?;
            let existing = FollowInRow {
                follow_uri: follow_id.to_string(),
                ..existing
            };
            tracing::info!(peer = %peer.row.actor_uri, "repeated Follow from an approved follower: accepted again");
            let (id, document) = answer_document(data, &existing, &peer.row, answer::ACCEPT, None)?;
            outgoing::record_for_peer(data, &mut tx, peer.row.id, answer::ACCEPT, &id, &document)
                .await?;
            return change::commit(data, tx).await;
        }
    }
    let checks = commitments::check_peer_commitments(data, &peer).await;
    let snapshot = peer.row.actor_json.clone();
    let checks_json = serde_json::to_string(&checks).map_err(|e| Error::Internal(e.to_string()))?;
    // Decided before the request is stored, so it is never seen without
    // its reason.
    let decision = policy::admit(data, &checks);
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
    let id = Url::parse(&row.follow_uri).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(follow::document(&id, follower, us))
}

/// Approves a follow request: the peer becomes a follower, told by `Accept`.
pub async fn approve(ctx: &AppContext, request_id: i64, decided_by: &str) -> Result<FollowInRow> {
    decide(ctx, request_id, answer::ACCEPT, None, decided_by).await
}

/// Rejects a follow request (or removes a follower), told by `Reject`.
pub async fn reject(
    ctx: &AppContext,
    request_id: i64,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<FollowInRow> {
    decide(ctx, request_id, answer::REJECT, reason, decided_by).await
}

async fn decide(
    ctx: &AppContext,
    request_id: i64,
    kind: &str,
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
async fn decide_in(
    ctx: &AppContext,
    tx: &mut ChangeTx,
    row: &FollowInRow,
    peer: &PeerRow,
    kind: &str,
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
    ctx: &AppContext,
    row: &FollowInRow,
    peer: &PeerRow,
    kind: &str,
    reason: Option<&str>,
) -> Result<(Url, Value)> {
    let us = actor_id(&ctx.settings);
    let follower = Url::parse(&peer.actor_uri).map_err(|e| Error::Internal(e.to_string()))?;
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

/// A peer answered our `Follow`.
pub async fn follow_answered(
    data: &Data<AppContext>,
    actor: &Url,
    follow_id: &Url,
    accepted: bool,
) -> Result<()> {
    let ctx: &AppContext = data;
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
        backfill::spawn(data.clone(), peer.clone());
    }
    Ok(())
}

/// A follower left.
pub async fn follow_undone(ctx: &AppContext, actor: &Url, follow_id: &Url) -> Result<()> {
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

/// Excludes a peer: it stops being a follower, we stop following it, and
/// its domain is refused until an admin re-includes it.
pub async fn exclude(ctx: &AppContext, peer_id: i64, reason: &str, decided_by: &str) -> Result<()> {
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
pub async fn reinclude(ctx: &AppContext, peer_id: i64, decided_by: &str) -> Result<()> {
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
