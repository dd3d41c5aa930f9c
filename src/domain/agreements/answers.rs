//! The asker's side, hearing back: the owner's `Accept` (with the
//! finalised agreement as its `result`) or `Reject` (with its reason) of
//! an `Offer` this node sent.

use serde_json::Value;
use url::Url;

use crate::apub::activities::agreement::Agreement;
use crate::domain::agreements::record;
use crate::domain::change;
use crate::error::{Error, Result};
use crate::model::{AgreementState, Side, units};
use crate::node::AppContext;
use crate::store::AgreementRow;

/// The finalised agreement of an `Accept`: named, on the owner's origin,
/// for the quantity this node asked.
fn finalised(row: &AgreementRow, owner: &Url, result: Option<&Value>) -> Result<Agreement> {
    let result = result.ok_or_else(|| {
        Error::UnprocessableAt(
            "/result".into(),
            "an Accept of an Offer carries the Agreement".into(),
        )
    })?;
    let agreement = Agreement::read(result, "/result")?;
    let on_owner = agreement
        .id
        .as_ref()
        .is_some_and(|id| id.origin() == owner.origin());
    if !on_owner {
        return Err(Error::UnprocessableAt(
            "/result/id".into(),
            "the finalised agreement needs an id on its owner's origin".into(),
        ));
    }
    let quantity = &agreement.stipulates.resource_quantity;
    let same = units::om_name(&quantity.has_unit) == row.quantity_unit
        && quantity.has_numerical_value.trim().parse::<f64>().ok()
            == row.quantity_value.parse::<f64>().ok();
    if !same {
        return Err(Error::UnprocessableAt(
            "/result/stipulates/resourceQuantity".into(),
            format!(
                "the quantity must be the {} {} asked",
                row.quantity_value, row.quantity_unit
            ),
        ));
    }
    Ok(agreement)
}

/// A peer's `Accept` or `Reject` of our `Offer` `row` (its proof verified).
pub async fn answer_received(
    ctx: &AppContext,
    sender: &Url,
    row: &AgreementRow,
    accepted: bool,
    result: Option<&Value>,
    reason: Option<&str>,
) -> Result<()> {
    let peer = ctx
        .store
        .peer(row.peer_id)
        .await?
        .ok_or_else(|| Error::Internal("agreement without peer".into()))?;
    if row.side != Side::Asker || peer.actor_uri != sender.as_str() {
        return Err(Error::Forbidden(
            "only the offer's owner answers this agreement".into(),
        ));
    }
    if row.state != AgreementState::Pending {
        tracing::info!(agreement = row.id, state = %row.state, "answer to a decided agreement: ignored");
        return Ok(());
    }
    let mut tx = change::begin(ctx).await?;
    let (state, agreement_uri, document) = if accepted {
        let agreement = finalised(row, sender, result)?;
        (
            AgreementState::Accepted,
            agreement.id.as_ref().map(ToString::to_string),
            Some(serde_json::to_string(&agreement)?),
        )
    } else {
        (AgreementState::Rejected, None, None)
    };
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let moved = tx
        .set_agreement_state(
            row.id,
            AgreementState::Pending,
            state,
            agreement_uri.as_deref(),
            reason,
            document.as_deref(),
        )
        .await?;
    if moved {
        record(&mut tx, row.id, &peer, state, &peer.actor_uri, reason).await?;
    }
    change::commit(ctx, tx).await
}
