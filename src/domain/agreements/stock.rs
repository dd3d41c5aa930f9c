//! The offer's available quantity, which accepted agreements take from
//! and cancelled ones give back: changed in the agreement's own change
//! and published through the normal path (`publish::upsert_in`), so the
//! offer's `Update` reaches followers and the agreement cannot commit
//! without it. Changes are serialised (`ChangeTx`), so two accepts read
//! the quantity one after the other and cannot both take the last of it.

use serde_json::Value;
use url::Url;

use crate::domain::agreements::terms::decimal;
use crate::domain::publish;
use crate::error::{Error, Result};
use crate::model::ObjectKind;
use crate::node::AppContext;
use crate::store::{AgreementRow, ChangeTx};

/// Takes the agreement's quantity from the offer: refused (409, nothing
/// changed) when less is left.
pub(super) async fn take(ctx: &AppContext, tx: &mut ChangeTx, row: &AgreementRow) -> Result<()> {
    adjust(ctx, tx, row, -1.0).await
}

/// Gives the agreement's quantity back to the offer, if it is still
/// published.
pub(super) async fn give_back(
    ctx: &AppContext,
    tx: &mut ChangeTx,
    row: &AgreementRow,
) -> Result<()> {
    adjust(ctx, tx, row, 1.0).await
}

async fn adjust(ctx: &AppContext, tx: &mut ChangeTx, row: &AgreementRow, sign: f64) -> Result<()> {
    let taking = sign < 0.0;
    let gone = || {
        Error::Conflict(format!(
            "the offer {} is no longer published",
            row.proposal_uri
        ))
    };
    let local_id = match Url::parse(&row.proposal_uri)
        .ok()
        .and_then(|uri| publish::parse_object_uri(ctx, &uri))
    {
        Some((ObjectKind::Offer, local_id)) => local_id,
        _ if taking => return Err(gone()),
        _ => return Ok(()),
    };
    let object = match tx.object(ObjectKind::Offer, &local_id).await? {
        Some(object) if object.deleted_at.is_none() => object,
        _ if taking => return Err(gone()),
        _ => return Ok(()),
    };
    let mut payload: Value = serde_json::from_str(&object.payload)?;
    let Some(available) = payload.pointer("/available/value").and_then(Value::as_f64) else {
        // No stated availability: nothing to count.
        return Ok(());
    };
    let quantity: f64 = row
        .quantity_value
        .parse()
        .map_err(|_| Error::Internal(format!("stored quantity {:?}", row.quantity_value)))?;
    let left = available + sign * quantity;
    if left < -1e-9 {
        return Err(Error::Conflict(format!(
            "only {} {} of the offer left: {} cannot be accepted",
            decimal(available),
            row.quantity_unit,
            decimal(quantity)
        )));
    }
    // Written as FEP-0837 decimals are (`115`, not `115.0`).
    let left: Value = serde_json::from_str(&decimal(left.max(0.0)))?;
    payload["available"]["value"] = left.clone();
    let published = publish::upsert_in(ctx, tx, ObjectKind::Offer, &local_id, &payload).await?;
    tracing::info!(offer = %row.proposal_uri, %left, change = ?published.change, "agreement: offer availability");
    Ok(())
}
