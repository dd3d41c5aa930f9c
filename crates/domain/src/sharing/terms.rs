//! Sharing terms both ways (issue 26): the signed terms this node sends a
//! follower whenever its scope is set, in the same change, and the
//! peer's `Accept`; the terms a followed peer sends us, recorded and
//! accepted. What each side shows of them is `ScopeTerms`.

use std::collections::BTreeMap;

use serde::Serialize;
use url::Url;

use crate::apub::activities::agreement::OfferAgreement;
use crate::apub::activities::sharing_terms::{self, SharingTerms};
use crate::apub::activities::{self, answer};
use crate::apub::actor::actor_id;
use crate::audit::{self, Event};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::time::{format_millis, parse_millis};
use crate::model::{FollowingState, PeerId, SharingScope};
use crate::store::{ChangeTx, PeerRow, ReceivedTermsRow, SentTermsRow};
use crate::{change, outgoing};

/// Records, inside `tx` (the change that set the scope), the terms of
/// `scope` for `peer` and the signed `Offer` that tells them, addressed
/// to that peer only. The peer's delivery stream must exist.
pub(crate) async fn offer_in(
    ctx: &Context,
    tx: &mut ChangeTx,
    peer: &PeerRow,
    scope: &SharingScope,
    since: i64,
) -> Result<()> {
    let follower = Url::parse(&peer.actor_uri)?;
    let terms = SharingTerms::of(&ctx.settings, scope, &follower, &format_millis(since));
    let id = activities::new_activity_id(&ctx.settings);
    let offer = sharing_terms::offer(&ctx.settings, &id, &terms)?;
    outgoing::record_for_peer(ctx, tx, peer.id, sharing_terms::OFFER, &id, &offer).await?;
    tx.record_sent_terms(
        peer.id,
        id.as_str(),
        scope,
        since,
        crate::store::now_millis(),
    )
    .await
}

/// A peer's `Offer{object: SharingTerms}`: kept only from a peer this
/// node follows, written by it and for us; recorded and answered
/// `Accept` in one change. Anything else is refused, nothing stored.
pub async fn offered(ctx: &Context, sender: &PeerRow, offer: &OfferAgreement) -> Result<()> {
    let terms = SharingTerms::read(&offer.object, "/object")?;
    let following = ctx.store.follow_out_by_peer(sender.id).await?;
    if following.map(|f| f.state) != Some(FollowingState::Active) {
        return Err(Error::Forbidden(
            "this node does not follow you: it takes sharing terms only from peers it follows"
                .into(),
        ));
    }
    if offer.actor.as_str() != sender.actor_uri || terms.attributed_to != offer.actor {
        return Err(Error::Forbidden(
            "sharing terms speak only for their sender".into(),
        ));
    }
    if terms.shared_with != actor_id(&ctx.settings) {
        return Err(Error::UnprocessableAt(
            "/object/sharedWith".into(),
            "these terms are for another node".into(),
        ));
    }
    let since = parse_millis(&terms.since).ok_or_else(|| {
        Error::UnprocessableAt("/object/since".into(), "not an RFC 3339 date-time".into())
    })?;
    let scope = terms.scope()?;
    let origin = Url::parse(&sender.actor_uri)?;
    let accept_id = activities::new_activity_id(&ctx.settings);
    let accept = sharing_terms::accept(&ctx.settings, &accept_id, &offer.id, &origin);
    ctx.store.ensure_delivery_stream(sender.id).await?;
    let mut tx = change::begin(ctx).await?;
    tx.record_received_terms(
        sender.id,
        offer.id.as_str(),
        &scope,
        since,
        crate::store::now_millis(),
    )
    .await?;
    audit::record(
        &mut tx,
        Event::TermsReceived,
        Some(&sender.actor_uri),
        "sharing terms",
        &format!("{} shares {}", sender.handle, described(&scope)),
    )
    .await?;
    outgoing::record_for_peer(ctx, &mut tx, sender.id, answer::ACCEPT, &accept_id, &accept).await?;
    change::commit(ctx, tx).await
}

/// `Accept` (or `Reject`) of the terms `sent`: accepted when the answer
/// comes from the peer they were sent to; a `Reject` leaves them "not
/// acknowledged" (the peer keeps receiving under them).
pub async fn answered(
    ctx: &Context,
    sender: &PeerRow,
    sent: &SentTermsRow,
    accepted: bool,
) -> Result<()> {
    if sender.id != sent.peer_id {
        return Err(Error::Forbidden("these terms were not sent to you".into()));
    }
    if !accepted {
        tracing::info!(peer = %sender.actor_uri, "sharing terms rejected: shown not acknowledged");
        return Ok(());
    }
    let mut tx = change::begin(ctx).await?;
    if tx
        .accept_sent_terms(&sent.offer_uri, crate::store::now_millis())
        .await?
    {
        audit::record(
            &mut tx,
            Event::TermsAccepted,
            Some(&sender.actor_uri),
            "sharing terms",
            &format!("{} accepted the terms it receives under", sender.handle),
        )
        .await?;
    }
    change::commit(ctx, tx).await
}

/// "offers, members (offers in a, b) for <purpose>, kept N days".
fn described(scope: &SharingScope) -> String {
    let kinds: Vec<&str> = scope.kinds.iter().map(|k| k.as_str()).collect();
    let mut text = if kinds.is_empty() {
        "nothing".to_owned()
    } else {
        kinds.join(", ")
    };
    if !scope.categories.is_empty() {
        text.push_str(&format!(" (offers in {})", scope.categories.join(", ")));
    }
    if !scope.purpose.is_empty() {
        text.push_str(&format!(" for \"{}\"", scope.purpose));
    }
    if let Some(days) = scope.retention_days {
        text.push_str(&format!(", kept at most {days} days"));
    }
    text
}

/// Where the terms sent to a follower stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TermsState {
    /// Not acknowledged: the peer keeps receiving under them.
    Sent,
    /// The peer answered `Accept`.
    Accepted,
}

/// The terms sent to a follower and their state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SentTermsView {
    /// The `Offer` that carried them.
    pub offer: String,
    pub terms: SharingScope,
    #[schema(format = DateTime)]
    pub since: String,
    #[schema(format = DateTime)]
    pub sent_at: String,
    pub state: TermsState,
    #[schema(format = DateTime)]
    pub accepted_at: Option<String>,
}

/// The terms a followed peer sent us.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceivedTermsView {
    pub offer: String,
    pub terms: SharingScope,
    #[schema(format = DateTime)]
    pub since: String,
    #[schema(format = DateTime)]
    pub received_at: String,
}

/// Both directions with one peer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeTerms {
    pub peer: String,
    /// What we share with the peer; none until its scope is set.
    pub sent: Option<SentTermsView>,
    /// What the peer shares with us, for which purpose, for how long.
    pub received: Option<ReceivedTermsView>,
}

pub(crate) fn sent_view(row: SentTermsRow) -> SentTermsView {
    SentTermsView {
        offer: row.offer_uri,
        terms: row.terms,
        since: format_millis(row.since),
        sent_at: format_millis(row.sent_at),
        state: if row.accepted_at.is_some() {
            TermsState::Accepted
        } else {
            TermsState::Sent
        },
        accepted_at: row.accepted_at.map(format_millis),
    }
}

fn received_view(row: ReceivedTermsRow) -> ReceivedTermsView {
    ReceivedTermsView {
        offer: row.offer_uri,
        terms: row.terms,
        since: format_millis(row.since),
        received_at: format_millis(row.received_at),
    }
}

/// The terms with `peer_id`, both ways.
pub async fn terms_with(ctx: &Context, peer_id: PeerId) -> Result<ScopeTerms> {
    let peer = ctx
        .store
        .peer(peer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no peer {peer_id}")))?;
    Ok(ScopeTerms {
        peer: peer.actor_uri,
        sent: ctx.store.sent_terms(peer_id).await?.map(sent_view),
        received: ctx.store.received_terms(peer_id).await?.map(received_view),
    })
}

/// The terms with every known peer, by peer id (the console's peers page).
pub async fn terms_by_peer(ctx: &Context) -> Result<BTreeMap<String, ScopeTerms>> {
    let mut all = BTreeMap::new();
    for peer in ctx.store.peers().await? {
        let terms = ScopeTerms {
            peer: peer.actor_uri.clone(),
            sent: ctx.store.sent_terms(peer.id).await?.map(sent_view),
            received: ctx.store.received_terms(peer.id).await?.map(received_view),
        };
        if terms.sent.is_some() || terms.received.is_some() {
            all.insert(peer.id.to_string(), terms);
        }
    }
    Ok(all)
}
