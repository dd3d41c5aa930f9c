//! The rules an agreement must keep, checked against the offer's
//! `Proposal` on both sides (early by the asker, authoritatively by the
//! owner): an offer, in the proposal's unit, a multiple of its quantity
//! when it is `unitBased` (the quantity itself otherwise), no more than
//! `availableQuantity`, and a reciprocal computed from its price.

use url::Url;

use crate::apub::activities::agreement::{Agreement, COMMITMENT, Commitment};
use crate::apub::objects::offer::{Intent, Proposal, QuantityValue, currency_of};
use crate::model::units;

/// Relative tolerance of decimal comparisons (quantities travel as
/// decimal strings, are computed in `f64`).
const EPSILON: f64 = 1e-9;

/// What is agreed: a quantity of the primary intent's resource and, when
/// the proposal asks for something in return, the reciprocal.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    /// The OM 2 unit of the proposal's quantity.
    pub unit: String,
    pub quantity: f64,
    pub reciprocal: Option<Reciprocal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reciprocal {
    pub unit: String,
    pub value: f64,
    /// ISO 4217 code, when the reciprocal intent names a currency.
    pub currency: Option<String>,
}

/// A decimal as FEP-0837 writes quantities: at most six decimals, no
/// trailing zeros (`16`, `3.2`).
pub fn decimal(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn number(value: &QuantityValue) -> Option<f64> {
    value
        .has_numerical_value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= EPSILON * a.abs().max(b.abs()).max(1.0)
}

/// The terms of asking `quantity` (in `unit`, the proposal's when
/// absent) of `proposal`; otherwise why not, in words told to the asker.
pub fn terms(proposal: &Proposal, quantity: f64, unit: Option<&str>) -> Result<Terms, String> {
    if proposal.purpose != "offer" {
        return Err(format!(
            "only offers take agreements here, not a proposal of purpose `{}`",
            proposal.purpose
        ));
    }
    let primary = &proposal.publishes;
    let base = primary
        .resource_quantity
        .as_ref()
        .ok_or("the proposal states no quantity")?;
    let proposal_unit = units::om_name(&base.has_unit);
    if let Some(unit) = unit {
        if units::om_name(unit) != proposal_unit {
            return Err(format!(
                "the quantity must be in the proposal's unit `{proposal_unit}`, not `{unit}`"
            ));
        }
    }
    if !quantity.is_finite() || quantity <= 0.0 {
        return Err(format!(
            "the quantity must be a positive number, not {quantity}"
        ));
    }
    let base_value = number(base).ok_or("the proposal's quantity is not a number")?;
    check_multiple(proposal.unit_based, quantity, base_value, &proposal_unit)?;
    if let Some(available) = primary.available_quantity.as_ref().and_then(number) {
        if quantity > available && !close(quantity, available) {
            return Err(format!(
                "{} {proposal_unit} asked, only {} available",
                decimal(quantity),
                decimal(available)
            ));
        }
    }
    let reciprocal = match &proposal.reciprocal {
        Some(intent) => Some(reciprocal_of(intent, quantity / base_value)?),
        None => None,
    };
    Ok(Terms {
        unit: proposal_unit,
        quantity,
        reciprocal,
    })
}

fn check_multiple(unit_based: bool, quantity: f64, base: f64, unit: &str) -> Result<(), String> {
    if base <= 0.0 {
        return Ok(());
    }
    let ratio = quantity / base;
    let whole = ratio.round();
    if unit_based && (whole < 1.0 || !close(ratio, whole)) {
        return Err(format!(
            "{} {unit} is not a multiple of the proposal's {} {unit}",
            decimal(quantity),
            decimal(base)
        ));
    }
    if !unit_based && !close(quantity, base) {
        return Err(format!(
            "the proposal is not unit-based: the quantity must be {} {unit}",
            decimal(base)
        ));
    }
    Ok(())
}

/// The price of `times` the proposal's quantity.
fn reciprocal_of(intent: &Intent, times: f64) -> Result<Reciprocal, String> {
    let price = intent
        .resource_quantity
        .as_ref()
        .ok_or("the proposal's reciprocal states no quantity")?;
    let value = number(price).ok_or("the proposal's price is not a number")?;
    Ok(Reciprocal {
        unit: units::om_name(&price.has_unit),
        value: value * times,
        currency: intent.resource_conforms_to.as_ref().and_then(currency_of),
    })
}

fn fragment(uri: &Url, name: &str) -> Url {
    let mut id = uri.clone();
    id.set_fragment(Some(name));
    id
}

fn commitment(proposal: &Url, intent: &str, unit: &str, value: f64) -> Commitment {
    Commitment {
        id: None,
        kind: COMMITMENT.to_owned(),
        satisfies: fragment(proposal, intent),
        resource_quantity: QuantityValue {
            has_unit: unit.to_owned(),
            has_numerical_value: decimal(value),
        },
    }
}

impl Terms {
    /// The agreement these terms make with `proposal` (not finalised: no
    /// ids yet).
    pub fn agreement(&self, proposal: &Url, note: Option<&str>) -> Agreement {
        Agreement {
            id: None,
            kind: crate::apub::activities::agreement::AGREEMENT.to_owned(),
            attributed_to: None,
            stipulates: commitment(proposal, "primary", &self.unit, self.quantity),
            stipulates_reciprocal: self
                .reciprocal
                .as_ref()
                .map(|r| commitment(proposal, "reciprocal", &r.unit, r.value)),
            content: note.map(str::to_owned),
            url: None,
            preview: None,
            agreement_state: None,
        }
    }
}

/// The owner's check of a received agreement against its proposal at
/// `proposal_uri`: the commitments satisfy its intents, and the terms
/// keep the rules.
pub fn check_received(
    proposal_uri: &Url,
    proposal: &Proposal,
    agreement: &Agreement,
) -> Result<Terms, String> {
    let primary = &agreement.stipulates;
    if primary.satisfies != fragment(proposal_uri, "primary") {
        return Err(format!(
            "the primary commitment must satisfy {}",
            fragment(proposal_uri, "primary")
        ));
    }
    let quantity = number(&primary.resource_quantity).ok_or("the quantity is not a number")?;
    let terms = terms(
        proposal,
        quantity,
        Some(&primary.resource_quantity.has_unit),
    )?;
    match (&terms.reciprocal, &agreement.stipulates_reciprocal) {
        (None, _) => {}
        (Some(_), None) => {
            return Err("the agreement must stipulate the reciprocal the proposal asks".into());
        }
        (Some(expected), Some(given)) => {
            let value = number(&given.resource_quantity).ok_or("the reciprocal is not a number")?;
            if given.satisfies != fragment(proposal_uri, "reciprocal")
                || units::om_name(&given.resource_quantity.has_unit) != expected.unit
                || (value - expected.value).abs() > 0.005
            {
                return Err(format!(
                    "the reciprocal must be {} {} (the proposal's price), satisfying {}",
                    decimal(expected.value),
                    expected.unit,
                    fragment(proposal_uri, "reciprocal")
                ));
            }
        }
    }
    Ok(terms)
}

#[cfg(test)]
mod tests;
