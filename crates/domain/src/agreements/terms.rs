//! The rules an agreement must keep, checked against the offer's
//! `Proposal` on both sides (early by the asker, authoritatively by the
//! owner): an offer, in the proposal's unit, a positive quantity, a
//! multiple of the proposal's quantity when it is `unitBased` (the
//! quantity itself otherwise), no less than `minimumQuantity`, no more
//! than `availableQuantity`, and a reciprocal of exactly quantity × price,
//! rounded to the currency's minor unit. All in exact decimals (`amount`).

use rust_decimal::Decimal;
use url::Url;

use crate::agreements::amount::{self, text};
use crate::apub::activities::agreement::{Agreement, COMMITMENT, Commitment};
use crate::apub::objects::offer::{Intent, Proposal, QuantityValue, currency_of};
use crate::model::units;

/// What is agreed: a quantity of the primary intent's resource and, when
/// the proposal asks for something in return, the reciprocal.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    /// The OM 2 unit of the proposal's quantity.
    pub unit: String,
    pub quantity: Decimal,
    /// The resource the proposal offers, when it names one.
    pub resource: Option<Url>,
    pub reciprocal: Option<Reciprocal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reciprocal {
    pub unit: String,
    pub value: Decimal,
    /// What the reciprocal intent conforms to (a currency's URN).
    pub resource: Option<Url>,
    /// ISO 4217 code, when the reciprocal intent names a currency.
    pub currency: Option<String>,
}

/// One of the proposal's quantities (`what` names it in the reason),
/// which must be a decimal in `unit` when `unit` is given.
fn proposal_number(
    value: &QuantityValue,
    what: &str,
    unit: Option<&str>,
) -> Result<Decimal, String> {
    if let Some(unit) = unit {
        let its = units::om_name(&value.has_unit);
        if its != unit {
            return Err(format!(
                "the offer's {what} is in `{its}`, not in its unit `{unit}`: it cannot be checked"
            ));
        }
    }
    amount::parse(&value.has_numerical_value)
        .ok_or_else(|| format!("the offer's {what} is not a decimal number"))
}

/// The terms of asking `quantity` (in `unit`, the proposal's when
/// absent) of `proposal`; otherwise why not, in words told to the asker.
pub fn terms(proposal: &Proposal, quantity: Decimal, unit: Option<&str>) -> Result<Terms, String> {
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
    if quantity <= Decimal::ZERO {
        return Err(format!(
            "the quantity must be a positive number, not {}",
            text(quantity)
        ));
    }
    let base_value = proposal_number(base, "quantity", None)?;
    if base_value <= Decimal::ZERO {
        return Err("the offer's quantity is not positive: it takes no agreement".into());
    }
    let times = check_multiple(proposal.unit_based, quantity, base_value, &proposal_unit)?;
    check_bounds(primary, quantity, &proposal_unit)?;
    let reciprocal = match &proposal.reciprocal {
        Some(intent) => Some(reciprocal_of(intent, times)?),
        None => None,
    };
    Ok(Terms {
        unit: proposal_unit,
        quantity,
        resource: primary.resource_conforms_to.clone(),
        reciprocal,
    })
}

/// How many times the proposal's quantity `base` is asked: a whole
/// number of them when it is unit-based, exactly one otherwise.
fn check_multiple(
    unit_based: bool,
    quantity: Decimal,
    base: Decimal,
    unit: &str,
) -> Result<Decimal, String> {
    if !unit_based {
        return if quantity == base {
            Ok(Decimal::ONE)
        } else {
            Err(format!(
                "the proposal is not unit-based: the quantity must be {} {unit}",
                text(base)
            ))
        };
    }
    match quantity.checked_div(base) {
        Some(times) if times.fract().is_zero() && times >= Decimal::ONE => Ok(times),
        _ => Err(format!(
            "{} {unit} is not a multiple of the proposal's {} {unit}",
            text(quantity),
            text(base)
        )),
    }
}

/// `minimumQuantity` and `availableQuantity`, each in the proposal's unit.
fn check_bounds(primary: &Intent, quantity: Decimal, unit: &str) -> Result<(), String> {
    if let Some(minimum) = &primary.minimum_quantity {
        let minimum = proposal_number(minimum, "minimum quantity", Some(unit))?;
        if quantity < minimum {
            return Err(format!(
                "{} {unit} asked, the offer's minimum is {} {unit}",
                text(quantity),
                text(minimum)
            ));
        }
    }
    if let Some(available) = &primary.available_quantity {
        let available = proposal_number(available, "available quantity", Some(unit))?;
        if quantity > available {
            return Err(format!(
                "{} {unit} asked, only {} available",
                text(quantity),
                text(available)
            ));
        }
    }
    Ok(())
}

/// The price of `times` the proposal's quantity, rounded to the minor
/// unit of its currency.
fn reciprocal_of(intent: &Intent, times: Decimal) -> Result<Reciprocal, String> {
    let price = intent
        .resource_quantity
        .as_ref()
        .ok_or("the proposal's reciprocal states no quantity")?;
    let value = proposal_number(price, "price", None)?;
    let currency = intent.resource_conforms_to.as_ref().and_then(currency_of);
    let value = value
        .checked_mul(times)
        .ok_or("the price of so much is beyond what this node counts")?;
    Ok(Reciprocal {
        unit: units::om_name(&price.has_unit),
        value: amount::money(value, currency.as_deref()),
        resource: intent.resource_conforms_to.clone(),
        currency,
    })
}

fn fragment(uri: &Url, name: &str) -> Url {
    let mut id = uri.clone();
    id.set_fragment(Some(name));
    id
}

fn commitment(
    proposal: &Url,
    intent: &str,
    resource: Option<&Url>,
    unit: &str,
    value: Decimal,
) -> Commitment {
    Commitment {
        id: None,
        kind: COMMITMENT.to_owned(),
        satisfies: fragment(proposal, intent),
        resource_conforms_to: resource.cloned(),
        resource_quantity: QuantityValue {
            has_unit: unit.to_owned(),
            has_numerical_value: text(value),
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
            stipulates: commitment(
                proposal,
                "primary",
                self.resource.as_ref(),
                &self.unit,
                self.quantity,
            ),
            stipulates_reciprocal: self.reciprocal.as_ref().map(|r| {
                commitment(
                    proposal,
                    "reciprocal",
                    r.resource.as_ref(),
                    &r.unit,
                    r.value,
                )
            }),
            content: note.map(str::to_owned),
            url: None,
            preview: None,
            agreement_state: None,
        }
    }
}

/// The owner's check of a received agreement against its proposal at
/// `proposal_uri`: the commitments satisfy its intents, conform to their
/// resources when they name one, and the terms keep the rules. The
/// quantities were read as decimals (`amount::parse`) before.
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
    let quantity = amount::parse(&primary.resource_quantity.has_numerical_value)
        .ok_or("the quantity is not a decimal number")?;
    let terms = terms(
        proposal,
        quantity,
        Some(&primary.resource_quantity.has_unit),
    )?;
    if primary
        .resource_conforms_to
        .as_ref()
        .is_some_and(|r| Some(r) != terms.resource.as_ref())
    {
        return Err("the primary commitment names another resource than the offer's".into());
    }
    match (&terms.reciprocal, &agreement.stipulates_reciprocal) {
        (None, None) => Ok(terms),
        (None, Some(_)) => Err("the offer asks for nothing in return".into()),
        (Some(_), None) => {
            Err("the agreement must stipulate the reciprocal the proposal asks".into())
        }
        (Some(expected), Some(given)) => {
            check_reciprocal(proposal_uri, expected, given)?;
            Ok(terms)
        }
    }
}

/// The reciprocal commitment is exactly the computed one: the same
/// decimal (16 and 16.00 are; 0.004 and 0 are not), unit and resource.
fn check_reciprocal(
    proposal_uri: &Url,
    expected: &Reciprocal,
    given: &Commitment,
) -> Result<(), String> {
    let value = amount::parse(&given.resource_quantity.has_numerical_value)
        .ok_or("the reciprocal is not a decimal number")?;
    let resource_ok = given
        .resource_conforms_to
        .as_ref()
        .is_none_or(|r| Some(r) == expected.resource.as_ref());
    if given.satisfies != fragment(proposal_uri, "reciprocal")
        || units::om_name(&given.resource_quantity.has_unit) != expected.unit
        || value != expected.value
        || !resource_ok
    {
        let rounding = expected.currency.as_ref().map_or(String::new(), |code| {
            format!(" {code}, rounded to {} decimals", amount::minor_unit(code))
        });
        return Err(format!(
            "the reciprocal must be exactly {} {}{rounding} (the proposal's price times the quantity), not {}, satisfying {}",
            text(expected.value),
            expected.unit,
            text(value),
            fragment(proposal_uri, "reciprocal")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
