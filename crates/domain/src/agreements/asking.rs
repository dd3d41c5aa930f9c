//! The asker's side: the platform asks a followed peer for some of one of
//! its offers. The rules are checked here first, against the offer as the
//! catalog holds it, so a request that would be refused is answered at
//! once (422) and nothing is sent; the owner checks them again.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::agreements::views::AgreementView;
use crate::agreements::{amount, record, terms};
use crate::apub::activities::{self, agreement};
use crate::apub::objects::offer::Proposal;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{AgreementState, FollowingState, ObjectKind, Side};
use crate::store::{CatalogRow, NewAgreement, PeerRow};
use crate::{change, outgoing};

/// Longest note an asker may send with its request.
const NOTE_MAX: usize = 2000;

/// `POST /api/v1/agreements`: some of a peer's offer.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    /// The offer: its id, as the catalog lists it (`GET
    /// /api/v1/catalog/offers`).
    pub proposal: String,
    pub quantity: AskQuantity,
    /// Told to the offer's owner.
    #[serde(default)]
    pub note: Option<String>,
}

/// A number in the offer's unit, or a number with its unit (which must
/// be the offer's).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AskQuantity {
    Value(f64),
    Measure { value: f64, unit: String },
}

async fn catalog_offer(ctx: &Context, proposal: &str) -> Result<CatalogRow> {
    ctx.store
        .catalog_entry(proposal)
        .await?
        .filter(|e| e.kind == ObjectKind::Offer)
        .ok_or_else(|| Error::NotFound(format!("no offer `{proposal}` in the catalog")))
}

/// The offer `request` names, its owner (whom this node must follow) and
/// the offer's `Proposal` as the catalog holds it.
async fn asked_offer(ctx: &Context, request: &AskRequest) -> Result<(Url, PeerRow, Proposal)> {
    let entry = catalog_offer(ctx, request.proposal.trim()).await?;
    let peer = ctx
        .store
        .peer(entry.peer_id)
        .await?
        .ok_or_else(|| Error::Internal("catalog entry without peer".into()))?;
    let following = ctx.store.follow_out_by_peer(peer.id).await?;
    if following.map(|f| f.state) != Some(FollowingState::Active) {
        return Err(Error::Conflict(format!(
            "this node is not an approved follower of {}: only followers may ask for its offers",
            peer.handle
        )));
    }
    let document: Value = serde_json::from_str(&entry.document)?;
    let proposal: Proposal = serde_json::from_value(document).map_err(|e| {
        Error::UnprocessableAt("/proposal".into(), format!("the offer cannot be read: {e}"))
    })?;
    Ok((Url::parse(&entry.object_uri)?, peer, proposal))
}

/// Asks the offer's owner for `request.quantity` of it: checked, recorded
/// (pending) and sent as a signed `Offer(Agreement)`.
pub async fn ask(ctx: &Context, request: &AskRequest, decided_by: &str) -> Result<AgreementView> {
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > NOTE_MAX) {
        return Err(Error::UnprocessableAt(
            "/note".into(),
            format!("at most {NOTE_MAX} characters"),
        ));
    }
    let (proposal_uri, peer, proposal) = asked_offer(ctx, request).await?;
    let (quantity, unit) = match &request.quantity {
        AskQuantity::Value(value) => (*value, None),
        AskQuantity::Measure { value, unit } => (*value, Some(unit.as_str())),
    };
    let quantity = amount::of_f64(quantity).ok_or_else(|| {
        Error::UnprocessableAt(
            "/quantity".into(),
            "the quantity must be a decimal number of at most 28 digits".into(),
        )
    })?;
    let terms = terms::terms(&proposal, quantity, unit)
        .map_err(|reason| Error::UnprocessableAt("/quantity".into(), reason))?;
    let owner = Url::parse(&peer.actor_uri)?;
    let offered = terms.agreement(&proposal_uri, note);
    let offer_id = activities::new_activity_id(&ctx.settings);
    let offer = agreement::activity(
        &ctx.settings,
        agreement::OFFER,
        &offer_id,
        &serde_json::to_value(&offered)?,
        &owner,
    );
    let quantity_value = amount::text(terms.quantity);
    let reciprocal = terms
        .reciprocal
        .as_ref()
        .map(|r| (r.unit.clone(), amount::text(r.value), r.currency.clone()));
    ctx.store.ensure_delivery_stream(peer.id).await?;
    let mut tx = change::begin(ctx).await?;
    let id = tx
        .insert_agreement(&NewAgreement {
            side: Side::Asker,
            peer_id: peer.id,
            offer_uri: offer_id.as_str(),
            proposal_uri: proposal_uri.as_str(),
            state: AgreementState::Pending,
            quantity_unit: &terms.unit,
            quantity_value: &quantity_value,
            reciprocal: reciprocal.as_ref().map(|(unit, value, currency)| {
                (unit.as_str(), value.as_str(), currency.as_deref())
            }),
            note,
            reason: None,
            document: &serde_json::to_string(&offered)?,
        })
        .await?;
    record(
        &mut tx,
        id,
        &peer,
        AgreementState::Pending,
        decided_by,
        None,
    )
    .await?;
    outgoing::record_for_peer(ctx, &mut tx, peer.id, agreement::OFFER, &offer_id, &offer).await?;
    change::commit(ctx, tx).await?;
    super::views::show(ctx, &id.to_string()).await
}
