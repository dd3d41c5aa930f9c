//! The federation at a glance, for the dashboard: with whom the node
//! shares, which kinds of data flow each way and since when, how
//! deliveries to each peer stand, and their last 24 hours, hour by hour.

use std::collections::HashMap;

use serde::Serialize;

use crate::context::Context;
use crate::error::Result;
use crate::model::kinds::ObjectKind;
use crate::model::time::format_millis;
use crate::model::{FollowerState, FollowingState, PeerHealth, PeerId};
use crate::peers::{PeerSummary, PeerView};
use crate::store::HOUR_MS;

/// Hours a sparkline covers.
pub const HOURS: usize = 24;

/// What flows one way between the node and a peer.
#[derive(Debug, Clone, Serialize)]
pub struct Flow {
    pub kinds: Vec<ObjectKind>,
    /// Since the follow that carries it was approved (or accepted).
    pub since: String,
}

/// One hour of deliveries to a peer.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct HourCount {
    pub delivered: i64,
    pub failed: i64,
}

/// A peer as the picture shows it.
#[derive(Debug, Clone, Serialize)]
pub struct GlancePeer {
    pub peer: PeerSummary,
    pub health: Option<PeerHealth>,
    /// What we send it: the kinds its sharing scope covers, while it is an
    /// approved follower.
    pub outbound: Option<Flow>,
    /// What it sends us: the kinds we hold of it, while we follow it.
    pub inbound: Option<Flow>,
    /// The last 24 hours, oldest first.
    pub hours: Vec<HourCount>,
}

/// The peers the node shares with either way, or delivers to, with the
/// flows, health and hourly deliveries of each.
pub async fn glance(ctx: &Context, views: &[PeerView]) -> Result<Vec<GlancePeer>> {
    let now = crate::store::now_millis();
    let first_hour = now - now.rem_euclid(HOUR_MS) - (crate::model::count(HOURS) - 1) * HOUR_MS;
    let mut hours: HashMap<PeerId, Vec<HourCount>> = HashMap::new();
    for row in ctx.store.delivery_hours(first_hour).await? {
        let slot = usize::try_from((row.hour - first_hour) / HOUR_MS).unwrap_or(HOURS);
        if slot < HOURS {
            let counts = hours
                .entry(row.peer_id)
                .or_insert_with(|| vec![HourCount::default(); HOURS]);
            counts[slot].delivered += row.delivered;
            counts[slot].failed += row.failed;
        }
    }
    let mut held: HashMap<PeerId, Vec<ObjectKind>> = HashMap::new();
    for (peer_id, kind, n) in ctx.store.count_catalog_by_peer().await? {
        if let (Some(kind), true) = (ObjectKind::parse(&kind), n > 0) {
            held.entry(peer_id).or_default().push(kind);
        }
    }
    let mut peers = Vec::new();
    for view in views {
        let id = view.peer.id;
        let outbound = outbound(ctx, view).await?;
        let inbound = match (view.following, ctx.store.follow_out_by_peer(id).await?) {
            (Some(FollowingState::Active), Some(row)) => Some(Flow {
                kinds: held.remove(&id).unwrap_or_default(),
                since: format_millis(row.updated_at),
            }),
            _ => None,
        };
        let hours = hours.remove(&id);
        if outbound.is_none() && inbound.is_none() && hours.is_none() && view.health.is_none() {
            continue;
        }
        peers.push(GlancePeer {
            peer: view.peer.clone(),
            health: view.health,
            outbound,
            inbound,
            hours: hours.unwrap_or_else(|| vec![HourCount::default(); HOURS]),
        });
    }
    Ok(peers)
}

/// What we send an approved follower: its scope's kinds, since approval.
async fn outbound(ctx: &Context, view: &PeerView) -> Result<Option<Flow>> {
    if view.follower != Some(FollowerState::Approved) {
        return Ok(None);
    }
    let Some(request) = ctx.store.follow_in_by_peer(view.peer.id).await? else {
        return Ok(None);
    };
    let scope = crate::sharing::effective_scope(ctx, view.peer.id).await?;
    Ok(Some(Flow {
        kinds: scope.kinds,
        since: format_millis(request.updated_at),
    }))
}
