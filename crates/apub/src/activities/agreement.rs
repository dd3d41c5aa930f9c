//! FEP-0837 agreements on the wire: the `Agreement` a peer offers in
//! answer to a `Proposal` (`Offer{object: Agreement}`), the finalised one
//! an `Accept` carries as its `result`, and the later states an
//! `Update(Agreement)` announces. An agreement `stipulates` a `Commitment`
//! that `satisfies` the proposal's `#primary` intent and, when the
//! proposal asks for something in return, `stipulatesReciprocal` one that
//! satisfies its `#reciprocal` intent.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::actor::actor_id;
use crate::context::object_context;
use crate::error::{Error, Result};
use crate::model::{ActivityKind, AgreementState};
use crate::objects::offer::QuantityValue;
use passerelle_config::Settings;

pub const OFFER: ActivityKind = ActivityKind::Offer;
pub const AGREEMENT: &str = "Agreement";
pub const COMMITMENT: &str = "Commitment";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commitment {
    /// Required once the agreement is finalised (`…#primary`,
    /// `…#reciprocal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Url>,
    #[serde(rename = "type")]
    pub kind: String,
    /// The intent it satisfies: the proposal's `#primary` or `#reciprocal`.
    pub satisfies: Url,
    /// What the committed resource is (FEP-0837's examples name it; a
    /// currency's URN for a price): compared when given, so a finalised
    /// agreement cannot swap the currency asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_conforms_to: Option<Url>,
    pub resource_quantity: QuantityValue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agreement {
    /// Required once finalised (in `Accept.result`, in `Update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Url>,
    #[serde(rename = "type")]
    pub kind: String,
    /// Mitra names the proposer here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<Url>,
    /// FEP-0837's `Accept` example spells it `stiplulates`: read both.
    #[serde(alias = "stiplulates")]
    pub stipulates: Commitment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stipulates_reciprocal: Option<Commitment>,
    /// The asker's note to the owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Links about the agreement (a payment page): kept, not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Value>,
    /// Mitra's status note (`{"type": "Note", "name": "Open"}`): kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<Value>,
    /// The network vocabulary's state of the agreement, in `Update`s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_state: Option<AgreementState>,
}

impl Agreement {
    /// Reads an `Agreement` object, refusing any other shape at `pointer`.
    pub fn read(object: &Value, pointer: &str) -> Result<Agreement> {
        let agreement: Agreement = serde_json::from_value(object.clone()).map_err(|e| {
            Error::UnprocessableAt(pointer.into(), format!("not an Agreement: {e}"))
        })?;
        if agreement.kind != AGREEMENT {
            return Err(Error::UnprocessableAt(
                pointer.into(),
                format!("`{}` is not an Agreement", agreement.kind),
            ));
        }
        Ok(agreement)
    }

    /// Whether a JSON object is typed `Agreement`.
    pub fn is_agreement(object: &Value) -> bool {
        object.get("type").and_then(Value::as_str) == Some(AGREEMENT)
    }
}

/// `Offer{object: Agreement}`, as sent and as received (any `Offer` reads
/// as one; only an `Agreement` object is acted on).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfferAgreement {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: OfferType,
    pub actor: Url,
    pub object: Value,
}

/// Only `Offer` reads as an [`OfferAgreement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OfferType {
    Offer,
}

/// An activity about an agreement (`Offer`, `Accept`, `Reject`,
/// `Update`), from this node to one peer. Its context is every published
/// document's: the network vocabulary (`/ns`) defines the ValueFlows and
/// OM 2 terms and `agreementState`.
pub fn activity(
    settings: &Settings,
    kind: ActivityKind,
    id: &Url,
    object: &Value,
    to: &Url,
) -> Value {
    json!({
        "@context": object_context(settings),
        "id": id,
        "type": kind,
        "actor": actor_id(settings),
        "object": object,
        "to": [to],
    })
}

/// The answer to a peer's `Offer`: `Accept` with the finalised agreement
/// as `result`, or `Reject` with the reason as `content`.
pub fn answer(
    settings: &Settings,
    kind: ActivityKind,
    id: &Url,
    offer: &Url,
    to: &Url,
    result: Option<&Agreement>,
    reason: Option<&str>,
) -> Result<Value> {
    let mut answer = activity(settings, kind, id, &json!(offer), to);
    if let Some(result) = result {
        answer["result"] = serde_json::to_value(result)?;
    }
    if let Some(reason) = reason {
        answer["content"] = json!(reason);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests;
