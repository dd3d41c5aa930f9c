//! The sharing register: for each peer we share with, its scope, since
//! when, the terms' state, and what the ledger says it holds, withdrew and
//! acknowledged. The
//! answer to "with whom do we share data?", signed on request so that an
//! auditor of the network can check it offline.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::apub::actor::actor_id;
use crate::apub::signer::{self, SignedRequest};
use crate::context::Context;
use crate::context::limits::Door;
use crate::error::{Error, Result};
use crate::model::time::{self, format_millis};
use crate::model::{FollowerState, PeerId, SharingScope};
use crate::outgoing::sign;
use crate::peers::PeerSummary;
use crate::sharing::terms::{SentTermsView, sent_view};
use crate::store::{PeerRow, SharingCounts};

/// Where the register is served to the admin.
pub const ADMIN_PATH: &str = "/api/v1/admin/sharing";
/// Where a peer reads its own entry with a signed GET.
pub const PEER_PATH: &str = "/sharing";

/// The ledger's figures for one peer.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerCounts {
    /// Objects delivered (a 2xx) and not withdrawn since.
    pub delivered: i64,
    /// Of those, acknowledged by the peer's signed receipt.
    pub acknowledged: i64,
    /// Objects withdrawn (a `Delete` delivered).
    pub withdrawn: i64,
    /// Of those, whose removal the peer's receipt acknowledged.
    pub removal_acknowledged: i64,
    /// Withdrawn longer than `federation.removal_deadline` ago and not
    /// acknowledged.
    pub overdue: i64,
}

impl From<SharingCounts> for LedgerCounts {
    fn from(c: SharingCounts) -> Self {
        LedgerCounts {
            delivered: c.delivered,
            acknowledged: c.acknowledged,
            withdrawn: c.withdrawn,
            removal_acknowledged: c.removal_acknowledged,
            overdue: c.overdue,
        }
    }
}

/// One peer's entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterEntry {
    pub peer: PeerSummary,
    /// Its follow of us: pending, approved or rejected.
    pub follower: Option<FollowerState>,
    pub scope: SharingScope,
    /// True while the settings' default scope applies.
    pub scope_default: bool,
    /// When the scope took effect.
    #[schema(format = DateTime)]
    pub since: Option<String>,
    /// The terms of the scope as sent to the peer, and whether it
    /// accepted them (`sent`: not acknowledged); none while the default
    /// scope applies.
    pub terms: Option<SentTermsView>,
    pub counts: LedgerCounts,
}

/// The whole register.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Register {
    /// This node's actor.
    pub node: String,
    #[schema(format = DateTime)]
    pub generated_at: String,
    pub peers: Vec<RegisterEntry>,
}

fn overdue_before(ctx: &Context) -> i64 {
    crate::store::now_millis() - time::millis(ctx.settings.federation.removal_deadline)
}

/// The register: every peer that follows us (in any state), has a scope
/// set, or received anything.
pub async fn register(ctx: &Context) -> Result<Register> {
    let store = &ctx.store;
    let counts: HashMap<PeerId, SharingCounts> = store
        .sharing_counts(overdue_before(ctx))
        .await?
        .into_iter()
        .map(|c| (c.peer_id, c))
        .collect();
    let scopes: HashMap<PeerId, _> = store
        .peer_scopes()
        .await?
        .into_iter()
        .map(|s| (s.peer_id, s))
        .collect();
    let mut peers = Vec::new();
    for peer in store.peers().await? {
        let follower = store.follow_in_by_peer(peer.id).await?.map(|f| f.state);
        let scope = scopes.get(&peer.id);
        let count = counts.get(&peer.id).copied();
        if follower.is_none() && scope.is_none() && count.is_none() {
            continue;
        }
        peers.push(RegisterEntry {
            peer: PeerSummary::of(&peer),
            follower,
            scope: scope.map_or_else(
                || ctx.settings.federation.default_scope.clone(),
                |s| s.scope.clone(),
            ),
            scope_default: scope.is_none(),
            since: scope.map(|s| format_millis(s.since)),
            terms: store.sent_terms(peer.id).await?.map(sent_view),
            counts: count.map(LedgerCounts::from).unwrap_or_default(),
        });
    }
    Ok(Register {
        node: actor_id(&ctx.settings).to_string(),
        generated_at: time::now(),
        peers,
    })
}

/// The register as a signed document (FEP-8b32): `passerelle verify`
/// checks it against this node's published key.
pub async fn signed_register(ctx: &Context) -> Result<Value> {
    let register = register(ctx).await?;
    let id = ctx.settings.url_for(ADMIN_PATH);
    signed(ctx, id.as_str(), &register)
}

/// The signer's own entry, signed: a peer compares it with what it holds.
/// An unsigned (or unverified) request is refused; a signer we share
/// nothing with finds nothing.
pub async fn entry_for_reader(ctx: &Context, request: &SignedRequest<'_>) -> Result<Value> {
    let reader = signer::required_reader(ctx, request, "a peer's register entry").await?;
    ctx.limits.check(Door::ReadsPerActor, &reader.actor_uri)?;
    signed_entry(ctx, &reader)
        .await?
        .ok_or_else(|| Error::NotFound("this node shares nothing with the signer".into()))
}

/// `peer`'s own entry, signed; `None` when we share nothing with it and
/// it does not follow us.
async fn signed_entry(ctx: &Context, peer: &PeerRow) -> Result<Option<Value>> {
    let mut register = register(ctx).await?;
    register.peers.retain(|e| e.peer.id == peer.id);
    if register.peers.is_empty() {
        return Ok(None);
    }
    let mut id = ctx.settings.url_for(PEER_PATH);
    id.query_pairs_mut().append_pair("peer", &peer.actor_uri);
    signed(ctx, id.as_str(), &register).map(Some)
}

fn signed(ctx: &Context, id: &str, register: &Register) -> Result<Value> {
    let mut document = json!({
        "@context": crate::apub::context::object_context(&ctx.settings),
        "id": id,
        "type": "Collection",
        "attributedTo": register.node,
        "published": register.generated_at,
        "totalItems": register.peers.len(),
    });
    if let (Value::Object(fields), Value::Object(body)) =
        (&mut document, serde_json::to_value(register)?)
    {
        fields.extend(body);
    }
    sign(ctx, &document)
}
