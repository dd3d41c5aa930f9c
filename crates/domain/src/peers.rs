//! What an admin sees of each peer: relationships both ways, exclusion and
//! delivery health.

use crate::model::FollowId;
use crate::model::PeerId;
use crate::model::RequestId;
use serde::Serialize;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::time::format_millis;
use crate::model::{FollowerState, FollowingState, PeerHealth};
use crate::policy::CommitmentCheck;
use crate::store::{FollowInRow, FollowOutRow, PeerRow};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeerSummary {
    pub id: PeerId,
    pub actor: String,
    pub handle: String,
    pub name: String,
    pub summary: String,
}

impl PeerSummary {
    pub fn of(peer: &PeerRow) -> PeerSummary {
        PeerSummary {
            id: peer.id,
            actor: peer.actor_uri.clone(),
            handle: format!("@{}", peer.handle),
            name: peer.name.clone(),
            summary: peer.summary.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowView {
    pub id: FollowId,
    pub peer: PeerSummary,
    pub state: FollowingState,
    pub follow: String,
    pub created_at: String,
    pub updated_at: String,
}

impl FollowView {
    pub fn of(row: &FollowOutRow, peer: &PeerRow) -> FollowView {
        FollowView {
            id: row.id,
            peer: PeerSummary::of(peer),
            state: row.state,
            follow: row.follow_uri.clone(),
            created_at: format_millis(row.created_at),
            updated_at: format_millis(row.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestView {
    pub id: RequestId,
    pub peer: PeerSummary,
    pub state: FollowerState,
    /// Why the request waits, or why it was rejected.
    pub reason: Option<String>,
    pub commitments: Vec<CommitmentCheck>,
    pub requested_at: String,
    pub updated_at: String,
}

impl RequestView {
    pub fn of(row: &FollowInRow, peer: &PeerRow) -> RequestView {
        RequestView {
            id: row.id,
            peer: PeerSummary::of(peer),
            state: row.state,
            reason: row.reason.clone(),
            commitments: serde_json::from_str(&row.commitments).unwrap_or_default(),
            requested_at: format_millis(row.created_at),
            updated_at: format_millis(row.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Exclusion {
    pub reason: String,
    pub by: String,
    pub at: String,
}

use crate::peer_health::health;
pub use crate::peer_health::{DeliveryHealth, health_state, stream_health};

/// A peer's delivery stream, for `GET /api/v1/admin/deliveries`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub peer: PeerSummary,
    #[serde(flatten)]
    pub health: DeliveryHealth,
    /// Position in the activity log up to which everything was delivered.
    pub cursor: i64,
}

/// Delivery streams, filtered by peer and by state: `pending` (backlog),
/// `failing` (every stream whose deliveries fail, unreachable included),
/// another [`PeerHealth`] name (`unreachable`, `gone`...) or `all`.
pub async fn deliveries(
    ctx: &Context,
    peer: Option<PeerId>,
    state: &str,
) -> Result<Vec<DeliveryView>> {
    let mut views = Vec::new();
    for stream in ctx.store.delivery_streams().await? {
        if peer.is_some_and(|p| p != stream.peer_id) {
            continue;
        }
        let Some(row) = ctx.store.peer(stream.peer_id).await? else {
            continue;
        };
        let health = health(ctx, &row, &stream).await?;
        let keep = match state {
            "pending" => health.backlog > 0,
            "all" => true,
            // As before health had states: every peer whose deliveries fail,
            // unreachable ones included.
            "failing" => health.failures > 0,
            name => name.parse::<PeerHealth>().ok() == Some(health.state),
        };
        if keep {
            views.push(DeliveryView {
                peer: PeerSummary::of(&row),
                health,
                cursor: stream.cursor,
            });
        }
    }
    Ok(views)
}

/// One of our objects as a peer received it, and what the peer confirmed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReceivedView {
    pub object: String,
    pub kind: String,
    /// The last activity about it the peer acknowledged (Create, Update, Delete).
    pub activity: String,
    /// When the peer answered 2xx to that activity.
    pub delivered_at: String,
    /// `delivered`, `acknowledged` (a receipt confirmed the version),
    /// `withdrawn` (a `Delete` delivered), `removal_acknowledged` or
    /// `overdue` (withdrawn longer than `federation.removal_deadline` ago
    /// with no receipt confirming the removal). A peer that sends no
    /// receipts stays `delivered`: nothing is guessed.
    pub state: String,
    /// When the peer's signed receipt confirmed it holds what we delivered.
    pub acknowledged_at: Option<String>,
    /// When the `Delete` was delivered.
    pub withdrawn_at: Option<String>,
    /// When the peer's signed receipt confirmed it removed the object.
    pub removal_acknowledged_at: Option<String>,
    /// The withdrawal is past the deadline without acknowledgement.
    pub overdue: bool,
    /// The id of the receipt that acknowledged (kept, with its proof).
    pub receipt: Option<String>,
}

impl ReceivedView {
    fn of(row: crate::store::ReceiptRow, withdrawn_before: i64) -> ReceivedView {
        let withdrawn = row.activity_kind == crate::model::ActivityKind::Delete;
        let overdue = withdrawn
            && row.removal_acknowledged_at.is_none()
            && row.delivered_at < withdrawn_before;
        let state = match (withdrawn, row.acknowledged_at, row.removal_acknowledged_at) {
            (true, _, Some(_)) => "removal_acknowledged",
            (true, _, None) if overdue => "overdue",
            (true, _, None) => "withdrawn",
            (false, Some(_), _) => "acknowledged",
            (false, None, _) => "delivered",
        };
        ReceivedView {
            object: row.object_uri,
            kind: row.object_kind,
            activity: row.activity_kind.as_str().to_owned(),
            delivered_at: format_millis(row.delivered_at),
            state: state.to_owned(),
            acknowledged_at: row.acknowledged_at.map(format_millis),
            withdrawn_at: withdrawn.then(|| format_millis(row.delivered_at)),
            removal_acknowledged_at: row.removal_acknowledged_at.map(format_millis),
            overdue,
            receipt: row.receipt_uri,
        }
    }
}

/// Withdrawals delivered before this (ms) and not acknowledged are overdue.
fn withdrawn_before(ctx: &Context) -> i64 {
    crate::store::now_millis()
        - crate::model::time::millis(ctx.settings.federation.removal_deadline)
}

pub async fn received(
    ctx: &Context,
    peer_id: PeerId,
    offset: i64,
    limit: i64,
) -> Result<Vec<ReceivedView>> {
    ctx.store
        .peer(peer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no peer {peer_id}")))?;
    let before = withdrawn_before(ctx);
    Ok(ctx
        .store
        .receipts(peer_id, offset, limit)
        .await?
        .into_iter()
        .map(|row| ReceivedView::of(row, before))
        .collect())
}

/// The signed receipts a peer sent us, as received (newest first, at most
/// `limit`): each verifies against the peer's key.
pub async fn receipts(
    ctx: &Context,
    peer_id: PeerId,
    limit: i64,
) -> Result<Vec<serde_json::Value>> {
    ctx.store
        .peer(peer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no peer {peer_id}")))?;
    ctx.store
        .peer_receipts(peer_id, limit)
        .await?
        .iter()
        .map(|text| Ok(serde_json::from_str(text)?))
        .collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeerView {
    #[serde(flatten)]
    pub peer: PeerSummary,
    pub domain: String,
    /// Our follow of the peer: pending, active or rejected.
    pub following: Option<FollowingState>,
    /// The peer's follow of us: pending, approved or rejected.
    pub follower: Option<FollowerState>,
    pub excluded: Option<Exclusion>,
    /// How deliveries to the peer stand; absent when nothing was ever
    /// delivered to it and nothing refuses it.
    pub health: Option<PeerHealth>,
    pub delivery: Option<DeliveryHealth>,
    /// Our withdrawals this peer has not acknowledged removing within
    /// `federation.removal_deadline` (see its `received` ledger).
    pub overdue_withdrawals: i64,
}

pub async fn view(ctx: &Context, peer: &PeerRow) -> Result<PeerView> {
    let store = &ctx.store;
    let following = store.follow_out_by_peer(peer.id).await?.map(|f| f.state);
    let follower = store.follow_in_by_peer(peer.id).await?.map(|f| f.state);
    let excluded = store
        .exclusion(&peer.domain.to_ascii_lowercase())
        .await?
        .map(|e| Exclusion {
            reason: e.reason,
            by: e.excluded_by,
            at: format_millis(e.excluded_at),
        });
    let stream = store.delivery_stream(peer.id).await?;
    let delivery = match &stream {
        Some(stream) => Some(health(ctx, peer, stream).await?),
        None => None,
    };
    let health = match &delivery {
        Some(delivery) => Some(delivery.state),
        None => health_state(ctx, peer, None).await?,
    };
    Ok(PeerView {
        peer: PeerSummary::of(peer),
        domain: peer.domain.clone(),
        following,
        follower,
        excluded,
        health,
        delivery,
        overdue_withdrawals: store
            .overdue_withdrawals(Some(peer.id), withdrawn_before(ctx))
            .await?,
    })
}

pub async fn list(ctx: &Context) -> Result<Vec<PeerView>> {
    let mut views = Vec::new();
    for peer in ctx.store.peers().await? {
        views.push(view(ctx, &peer).await?);
    }
    Ok(views)
}

/// A known peer by id, actor URL or handle (`@name@host`).
pub async fn find_known(ctx: &Context, target: &str) -> Result<PeerRow> {
    let target = target.trim();
    let found = if let Ok(id) = target.parse::<PeerId>() {
        ctx.store.peer(id).await?
    } else if target.contains("://") {
        ctx.store.peer_by_uri(target).await?
    } else {
        let handle = target.strip_prefix('@').unwrap_or(target);
        ctx.store
            .peers()
            .await?
            .into_iter()
            .find(|p| p.handle.eq_ignore_ascii_case(handle))
    };
    found.ok_or_else(|| Error::NotFound(format!("no known peer `{target}`")))
}

pub async fn requests(ctx: &Context, state: Option<FollowerState>) -> Result<Vec<RequestView>> {
    let mut views = Vec::new();
    for row in ctx.store.follows_in(state).await? {
        if let Some(peer) = ctx.store.peer(row.peer_id).await? {
            views.push(RequestView::of(&row, &peer));
        }
    }
    Ok(views)
}

pub async fn follows(ctx: &Context) -> Result<Vec<FollowView>> {
    let mut views = Vec::new();
    for row in ctx.store.follows_out(None).await? {
        if let Some(peer) = ctx.store.peer(row.peer_id).await? {
            views.push(FollowView::of(&row, &peer));
        }
    }
    Ok(views)
}

/// A known peer's view, by id.
pub async fn view_by_id(ctx: &Context, id: PeerId) -> Result<PeerView> {
    let peer = ctx
        .store
        .peer(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no peer {id}")))?;
    view(ctx, &peer).await
}

/// A follow request, by id.
pub async fn request(ctx: &Context, id: RequestId) -> Result<RequestView> {
    let row = ctx
        .store
        .follow_in(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no follow request {id}")))?;
    let peer = ctx
        .store
        .peer(row.peer_id)
        .await?
        .ok_or_else(|| Error::Internal("request without peer".into()))?;
    Ok(RequestView::of(&row, &peer))
}
