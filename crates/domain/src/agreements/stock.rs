//! The offer's available quantity, which accepted agreements take from
//! and cancelled ones give back: changed in the agreement's own change
//! and published through the normal path (`publish::prepare` and `publish::publish_in`), so the
//! offer's `Update` reaches followers and the agreement cannot commit
//! without it. Changes are serialised (`ChangeTx`), so two accepts read
//! the quantity one after the other and cannot both take the last of it.

use rust_decimal::Decimal;
use serde_json::Value;
use url::Url;

use crate::agreements::amount;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{ObjectKind, units};
use crate::publish;
use crate::store::{AgreementRow, ChangeTx};

/// Takes the agreement's quantity from the offer: refused (409, nothing
/// changed) when less is left.
pub(super) async fn take(ctx: &Context, tx: &mut ChangeTx, row: &AgreementRow) -> Result<()> {
    adjust(ctx, tx, row, true).await
}

/// Gives the agreement's quantity back to the offer, if it is still
/// published.
pub(super) async fn give_back(ctx: &Context, tx: &mut ChangeTx, row: &AgreementRow) -> Result<()> {
    adjust(ctx, tx, row, false).await
}

async fn adjust(ctx: &Context, tx: &mut ChangeTx, row: &AgreementRow, taking: bool) -> Result<()> {
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
    let unit = payload
        .pointer("/available/unit")
        .and_then(Value::as_str)
        .map(units::om_name);
    if unit.as_deref() != Some(row.quantity_unit.as_str()) {
        // The offer changed its unit since: its count is not this one's,
        // and nothing can be given back to it.
        if !taking {
            return Ok(());
        }
        return Err(Error::Conflict(format!(
            "the offer's available quantity is now in `{}`, not in the agreement's `{}`",
            unit.unwrap_or_default(),
            row.quantity_unit
        )));
    }
    let available = amount::of_f64(available)
        .ok_or_else(|| Error::Internal(format!("stored availability {available}")))?;
    let quantity = amount::stored(&row.quantity_value)
        .ok_or_else(|| Error::Internal(format!("stored quantity {:?}", row.quantity_value)))?;
    let left = if taking {
        available - quantity
    } else {
        available + quantity
    };
    if left < Decimal::ZERO {
        return Err(Error::Conflict(format!(
            "only {} {} of the offer left: {} cannot be accepted",
            amount::text(available),
            row.quantity_unit,
            amount::text(quantity)
        )));
    }
    // Written as FEP-0837 decimals are (`115`, not `115.0`).
    let left: Value = serde_json::from_str(&amount::text(left))?;
    payload["available"]["value"] = left.clone();
    let prepared = publish::prepare(ctx, ObjectKind::Offer, &payload).await?;
    let published = publish::publish_in(ctx, tx, &local_id, &prepared).await?;
    tracing::info!(offer = %row.proposal_uri, %left, change = ?published.change, "agreement: offer availability");
    Ok(())
}
