//! A peer's delivery health, decided once ([`health_state`]) for the
//! console, the admin API and the metrics, and its delivery details.

use serde::Serialize;

use crate::context::Context;
use crate::error::Result;
use crate::model::time::format_millis;
use crate::model::{HealthFacts, PeerHealth};
use crate::store::PeerRow;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryHealth {
    /// How deliveries to the peer stand, decided by [`health_state`].
    pub state: PeerHealth,
    pub backlog: i64,
    pub failures: i64,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    /// `state` is `unreachable`: failing for longer than
    /// `delivery.dead_after`, only probed.
    pub unreachable: bool,
    /// Activities the peer refused for good (a 4xx), and the last one.
    pub skipped: i64,
    pub last_skipped: Option<String>,
    /// Since when its inbox answers 404 or 410 (nothing is sent until the
    /// peer is heard from again).
    pub gone_since: Option<String>,
}

/// The one decision of a peer's health, for the console, the API and the
/// metrics: its exclusion, the domain policy, then its stream (`None`
/// when nothing was ever delivered to it and nothing refuses it).
pub async fn health_state(
    ctx: &Context,
    peer: &PeerRow,
    stream: Option<&crate::store::StreamRow>,
) -> Result<Option<PeerHealth>> {
    let excluded = ctx
        .store
        .exclusion(&peer.domain.to_ascii_lowercase())
        .await?
        .is_some();
    let refused_by_policy = crate::policy::refusal(ctx, &peer.domain).await?.is_some();
    if stream.is_none() && !refused_by_policy {
        return Ok(None);
    }
    let dead_after = crate::model::time::millis(ctx.settings.delivery.dead_after);
    let now = crate::store::now_millis();
    Ok(Some(PeerHealth::of(HealthFacts {
        excluded,
        refused_by_policy,
        gone: stream.is_some_and(|s| s.gone_at.is_some()),
        failures: stream.map_or(0, |s| s.failures),
        failing_too_long: stream.is_some_and(|s| now - s.last_success_at.unwrap_or(0) > dead_after),
    })))
}

pub(crate) async fn health(
    ctx: &Context,
    peer: &PeerRow,
    stream: &crate::store::StreamRow,
) -> Result<DeliveryHealth> {
    let state = health_state(ctx, peer, Some(stream))
        .await?
        .unwrap_or(PeerHealth::Healthy);
    Ok(DeliveryHealth {
        state,
        backlog: ctx.store.delivery_backlog(stream.peer_id).await?,
        failures: stream.failures,
        last_success_at: stream.last_success_at.map(format_millis),
        last_error: stream.last_error.clone(),
        next_attempt_at: (stream.failures > 0 && stream.gone_at.is_none())
            .then(|| format_millis(stream.next_attempt_at)),
        unreachable: state == PeerHealth::Unreachable,
        skipped: stream.skipped,
        last_skipped: stream.last_skipped.clone(),
        gone_since: stream.gone_at.map(format_millis),
    })
}

/// The health of every peer with a delivery stream (what the metrics
/// count), decided as everywhere else.
pub async fn stream_health(ctx: &Context) -> Result<Vec<PeerHealth>> {
    let mut states = Vec::new();
    for stream in ctx.store.delivery_streams().await? {
        if let Some(peer) = ctx.store.peer(stream.peer_id).await? {
            if let Some(state) = health_state(ctx, &peer, Some(&stream)).await? {
                states.push(state);
            }
        }
    }
    Ok(states)
}
