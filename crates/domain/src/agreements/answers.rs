//! The asker's side, hearing back: the owner's `Accept` (with the
//! finalised agreement as its `result`) or `Reject` (with its reason) of
//! an `Offer` this node sent.

use serde_json::Value;
use url::Url;

use crate::agreements::{Refusal, amount, record};
use crate::apub::activities::agreement::{Agreement, Commitment};
use crate::apub::objects::offer::currency_of;
use crate::change;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{AgreementState, Side, units};
use crate::store::AgreementRow;

/// Whether `given` commits to exactly what `asked` did: the same intent
/// (`satisfies`), unit, decimal and, when it names one, the same resource
/// (the asked one, or for a price the currency asked).
fn same_commitment(asked: &Commitment, given: &Commitment, currency: Option<&str>) -> bool {
    let value = |c: &Commitment| amount::parse(&c.resource_quantity.has_numerical_value);
    let resource_ok = match (&asked.resource_conforms_to, &given.resource_conforms_to) {
        (_, None) => true,
        (Some(asked), Some(given)) => asked == given,
        // Asked before commitments named their resource: only a price's
        // currency can be compared (with the one stored).
        (None, Some(given)) => currency.is_none_or(|c| currency_of(given).as_deref() == Some(c)),
    };
    asked.satisfies == given.satisfies
        && units::om_name(&asked.resource_quantity.has_unit)
            == units::om_name(&given.resource_quantity.has_unit)
        && value(asked).is_some()
        && value(asked) == value(given)
        && resource_ok
}

fn rewritten(pointer: &str, detail: String) -> Error {
    Error::UnprocessableAt(pointer.into(), detail)
}

/// The finalised agreement of an `Accept`, checked against what this
/// node asked (`row`): named on the owner's origin, its commitments
/// exactly the asked ones (resource, quantity, unit, price, currency).
/// What is kept is the asked agreement with the owner's ids and links, so
/// this node never signs terms it did not ask for.
fn finalised(row: &AgreementRow, owner: &Url, result: Option<&Value>) -> Result<Agreement> {
    let result = result.ok_or_else(|| {
        rewritten(
            "/result",
            "an Accept of an Offer carries the Agreement".into(),
        )
    })?;
    let given = Agreement::read(result, "/result")?;
    let on_owner = |id: Option<&Url>| id.is_some_and(|id| id.origin() == owner.origin());
    let commitment_ids_ok = given
        .stipulates
        .id
        .as_ref()
        .is_none_or(|id| on_owner(Some(id)))
        && given
            .stipulates_reciprocal
            .as_ref()
            .and_then(|r| r.id.as_ref())
            .is_none_or(|id| on_owner(Some(id)));
    if !on_owner(given.id.as_ref()) || !commitment_ids_ok {
        return Err(rewritten(
            "/result/id",
            "the finalised agreement and its commitments need ids on their owner's origin".into(),
        ));
    }
    let asked: Agreement = serde_json::from_str(&row.document)?;
    if !same_commitment(&asked.stipulates, &given.stipulates, None) {
        return Err(rewritten(
            "/result/stipulates",
            format!(
                "the finalised agreement must commit to the {} {} asked, of {}",
                row.quantity_value, row.quantity_unit, asked.stipulates.satisfies
            ),
        ));
    }
    let currency = row.reciprocal_currency.as_deref();
    let reciprocal_ok = match (&asked.stipulates_reciprocal, &given.stipulates_reciprocal) {
        (None, None) => true,
        (Some(asked), Some(given)) => same_commitment(asked, given, currency),
        _ => false,
    };
    if !reciprocal_ok {
        return Err(rewritten(
            "/result/stipulatesReciprocal",
            format!(
                "the finalised agreement must stipulate the reciprocal asked: {} {}{}",
                row.reciprocal_value.as_deref().unwrap_or("nothing"),
                row.reciprocal_unit.as_deref().unwrap_or_default(),
                currency.map(|c| format!(" {c}")).unwrap_or_default()
            ),
        ));
    }
    let mut kept = asked;
    kept.id = given.id;
    kept.attributed_to = given.attributed_to;
    kept.stipulates.id = given.stipulates.id;
    if let (Some(kept), Some(given)) = (
        kept.stipulates_reciprocal.as_mut(),
        given.stipulates_reciprocal,
    ) {
        kept.id = given.id;
    }
    kept.url = given.url;
    kept.preview = given.preview;
    kept.agreement_state = Some(AgreementState::Accepted);
    Ok(kept)
}

/// A peer's `Accept` or `Reject` of our `Offer` `row` (its proof verified).
pub async fn answer_received(
    ctx: &Context,
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
        tracing::info!(agreement = %row.id, state = %row.state, "answer to a decided agreement: ignored");
        return Ok(());
    }
    let (state, agreement_uri, document) = if accepted {
        // Checked before the change begins: a refused answer stores nothing.
        let agreement =
            finalised(row, sender, result).map_err(|e| Refusal::Rewritten.count(ctx, e))?;
        (
            AgreementState::Accepted,
            agreement.id.as_ref().map(ToString::to_string),
            Some(serde_json::to_string(&agreement)?),
        )
    } else {
        (AgreementState::Rejected, None, None)
    };
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let mut tx = change::begin(ctx).await?;
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
