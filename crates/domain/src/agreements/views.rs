//! Agreements as the platform API and the console show them.

use crate::model::AgreementId;
use serde::Serialize;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::listing::{Page, PageRequest};
use crate::model::time::format_millis;
use crate::model::{AgreementState, Side};
use crate::peers::PeerSummary;
use crate::store::{AgreementFilter, AgreementRow, PeerRow};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AmountView {
    pub value: f64,
    /// The OM 2 unit (`kilogram`, `one`…).
    pub unit: String,
    /// ISO 4217 code, for a reciprocal paid in a currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// One agreement, from this node's side.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgreementView {
    pub id: AgreementId,
    /// `asker`: this node asked the peer; `owner`: the peer asked this
    /// node, which decides.
    pub side: Side,
    pub state: AgreementState,
    /// The other side.
    pub peer: PeerSummary,
    /// The offer (`Proposal`) asked for.
    pub proposal: String,
    /// The id of the `Offer` activity that opened it.
    pub offer: String,
    /// The finalised `Agreement`'s id, once accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<String>,
    pub quantity: AmountView,
    /// What is given in return, computed from the offer's price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reciprocal: Option<AmountView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why it was rejected or cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

fn value(text: &str) -> f64 {
    text.parse().unwrap_or(0.0)
}

impl AgreementView {
    pub fn of(row: &AgreementRow, peer: &PeerRow) -> AgreementView {
        let reciprocal = match (&row.reciprocal_value, &row.reciprocal_unit) {
            (Some(amount), Some(unit)) => Some(AmountView {
                value: value(amount),
                unit: unit.clone(),
                currency: row.reciprocal_currency.clone(),
            }),
            _ => None,
        };
        AgreementView {
            id: row.id,
            side: row.side,
            state: row.state,
            peer: PeerSummary::of(peer),
            proposal: row.proposal_uri.clone(),
            offer: row.offer_uri.clone(),
            agreement: row.agreement_uri.clone(),
            quantity: AmountView {
                value: value(&row.quantity_value),
                unit: row.quantity_unit.clone(),
                currency: None,
            },
            reciprocal,
            note: row.note.clone(),
            reason: row.reason.clone(),
            created_at: format_millis(row.created_at),
            updated_at: format_millis(row.updated_at),
        }
    }
}

/// One agreement by its id (a path segment: anything else is not found).
pub async fn show(ctx: &Context, id: &str) -> Result<AgreementView> {
    let (row, peer) = super::load(ctx, crate::model::parse_id(id)?).await?;
    Ok(AgreementView::of(&row, &peer))
}

/// A page of agreements, both sides unless `side` is given, oldest first.
pub async fn list(
    ctx: &Context,
    state: Option<AgreementState>,
    side: Option<Side>,
    page: &PageRequest,
) -> Result<Page<AgreementView>> {
    let rows = ctx
        .store
        .list_agreements(
            AgreementFilter { state, side },
            page.cursor.unwrap_or(0),
            page.limit + 1,
        )
        .await?;
    let mut peers = std::collections::HashMap::new();
    for row in &rows {
        if let std::collections::hash_map::Entry::Vacant(slot) = peers.entry(row.peer_id) {
            let peer = ctx
                .store
                .peer(row.peer_id)
                .await?
                .ok_or_else(|| Error::Internal("agreement without peer".into()))?;
            slot.insert(peer);
        }
    }
    let (rows, next_cursor) = crate::listing::split_page(rows, page.limit, |r| r.id.0);
    let items = rows
        .iter()
        .map(|row| match peers.get(&row.peer_id) {
            Some(peer) => Ok(AgreementView::of(row, peer)),
            None => Err(Error::Internal("agreement without peer".into())),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor })
}
