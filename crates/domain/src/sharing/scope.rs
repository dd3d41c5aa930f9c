//! A follower's sharing scope: the one set for it, or the settings'
//! default; setting it is one change, recorded in the audit log.

use serde::Serialize;

use crate::audit::{self, Event};
use crate::change;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::time::format_millis;
use crate::model::{FollowerState, PeerId, SharingScope};
use crate::sharing::reconcile::{Reconciled, ScopeChange, reconcile};
use crate::store::PeerRow;
use crate::visibility::ReaderRights;

/// A peer's scope as the API and the console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeView {
    pub peer: String,
    pub scope: SharingScope,
    /// When the scope took effect; none while the default applies.
    #[schema(format = DateTime)]
    pub since: Option<String>,
    /// True while no scope was set for the peer and the settings' default
    /// (`federation.default_scope`) applies.
    pub default: bool,
}

/// What `peer_id` receives now: its own scope, or the default.
pub async fn effective_scope(ctx: &Context, peer_id: PeerId) -> Result<SharingScope> {
    Ok(match ctx.store.peer_scope(peer_id).await? {
        Some(row) => row.scope,
        None => ctx.settings.federation.default_scope.clone(),
    })
}

async fn known_peer(ctx: &Context, peer_id: PeerId) -> Result<PeerRow> {
    ctx.store
        .peer(peer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no peer {peer_id}")))
}

/// The scope of `peer_id` as shown.
pub async fn view(ctx: &Context, peer_id: PeerId) -> Result<ScopeView> {
    let peer = known_peer(ctx, peer_id).await?;
    Ok(match ctx.store.peer_scope(peer_id).await? {
        Some(row) => ScopeView {
            peer: peer.actor_uri,
            scope: row.scope,
            since: Some(format_millis(row.since)),
            default: false,
        },
        None => ScopeView {
            peer: peer.actor_uri,
            scope: ctx.settings.federation.default_scope.clone(),
            since: None,
            default: true,
        },
    })
}

/// The scope of each of `peers` as shown, keyed by peer id (for the
/// console's list; one query for all).
pub async fn views(
    ctx: &Context,
    peers: &[crate::peers::PeerView],
) -> Result<std::collections::BTreeMap<String, ScopeView>> {
    let set = ctx.store.peer_scopes().await?;
    Ok(peers
        .iter()
        .map(|p| {
            let own = set.iter().find(|row| row.peer_id == p.peer.id);
            let view = ScopeView {
                peer: p.peer.actor.clone(),
                scope: own.map_or_else(
                    || ctx.settings.federation.default_scope.clone(),
                    |row| row.scope.clone(),
                ),
                since: own.map(|row| format_millis(row.since)),
                default: own.is_none(),
            };
            (p.peer.id.to_string(), view)
        })
        .collect())
}

/// Sets what `peer_id` receives from now on, in one change with what it
/// is owed for it: a `Delete` of each object it holds that the new scope
/// no longer covers, the objects it newly covers. Setting the scope it
/// already has changes nothing (and records nothing).
pub async fn set_scope(
    ctx: &Context,
    peer_id: PeerId,
    scope: SharingScope,
    decided_by: &str,
) -> Result<ScopeView> {
    let scope = scope.validated()?;
    let peer = known_peer(ctx, peer_id).await?;
    let current = ctx.store.peer_scope(peer_id).await?;
    if current.as_ref().is_some_and(|row| row.scope == scope) {
        return view(ctx, peer_id).await;
    }
    let before = match current {
        Some(row) => row.scope,
        None => ctx.settings.federation.default_scope.clone(),
    };
    let rights = ReaderRights::of(ctx, &peer).await?;
    let approved_follower = ctx
        .store
        .follow_in_by_peer(peer_id)
        .await?
        .is_some_and(|request| request.state == FollowerState::Approved);
    ctx.store.ensure_delivery_stream(peer_id).await?;
    let since = crate::store::now_millis();
    let mut tx = change::begin(ctx).await?;
    tx.set_peer_scope(peer_id, &scope, since).await?;
    let change = ScopeChange {
        peer: &peer,
        rights: &rights,
        approved_follower,
        before: &before,
        after: &scope,
        since,
    };
    let reconciled = reconcile(ctx, &mut tx, &change).await?;
    if approved_follower {
        super::terms::offer_in(ctx, &mut tx, &peer, &scope, since).await?;
    }
    let kinds: Vec<&str> = scope.kinds.iter().map(|k| k.as_str()).collect();
    audit::record(
        &mut tx,
        Event::ScopeSet,
        Some(&peer.actor_uri),
        decided_by,
        &format!(
            "{} receives {}{}{}",
            peer.handle,
            if kinds.is_empty() {
                "nothing".to_owned()
            } else {
                kinds.join(", ")
            },
            if scope.categories.is_empty() {
                String::new()
            } else {
                format!(" (offers in {})", scope.categories.join(", "))
            },
            if reconciled == Reconciled::default() {
                String::new()
            } else {
                format!(
                    "; {} withdrawn, {} newly sent",
                    reconciled.withdrawn, reconciled.sent
                )
            }
        ),
    )
    .await?;
    change::commit(ctx, tx).await?;
    view(ctx, peer_id).await
}
