//! Offers as FEP-0837 `Proposal`s in the ValueFlows vocabulary: a primary
//! `Intent` (what is offered or requested) and, when there is a price, a
//! reciprocal `Intent` (what is asked in return). Units go out as OM 2
//! names (`model::units`).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::error::{Error, Result, Violation};
use crate::model::payload::{Location, OfferPayload, Quantity};
use crate::model::units;
use crate::objects::field;

/// Currencies are named by their ISO 4217 URN in `resourceConformsTo`.
const CURRENCY_URN_PREFIX: &str = "urn:iso:std:iso:4217:";
/// om2 unit of a plain count (a price is "3.20 of one EUR").
const UNIT_ONE: &str = "one";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuantityValue {
    pub has_unit: String,
    /// A decimal string, as FEP-0837 writes quantities.
    pub has_numerical_value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Url>,
    #[serde(rename = "type")]
    pub kind: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_conforms_to: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_quantity: Option<QuantityValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_quantity: Option<QuantityValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_quantity: Option<QuantityValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    #[serde(rename = "type")]
    pub kind: String,
    /// Always sent; FEP-0837's examples leave it out.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proposal {
    /// Always sent; optional in FEP-0837.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    pub purpose: String,
    pub publishes: Intent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reciprocal: Option<Intent>,
    #[serde(default)]
    pub unit_based: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
    /// Where the platform shows the offer: always sent; absent from
    /// FEP-0837, where the proposal's own id is its page.
    #[serde(default)]
    pub url: Option<Url>,
    /// Read from a received object (the envelope writes it on ours).
    #[serde(default, skip_serializing)]
    pub id: Option<Url>,
}

fn quantity_value(quantity: &Quantity) -> QuantityValue {
    QuantityValue {
        has_unit: units::om_name(&quantity.unit),
        has_numerical_value: quantity.value.to_string(),
    }
}

fn fragment(uri: &Url, name: &str) -> Url {
    let mut id = uri.clone();
    id.set_fragment(Some(name));
    id
}

impl Proposal {
    pub fn from_payload(uri: &Url, offer: &OfferPayload) -> Proposal {
        let reciprocal = offer.price.as_ref().map(|price| Intent {
            id: Some(fragment(uri, "reciprocal")),
            kind: "Intent".to_owned(),
            action: "transfer".to_owned(),
            name: None,
            resource_conforms_to: Url::parse(&format!("{CURRENCY_URN_PREFIX}{}", price.currency))
                .ok(),
            resource_quantity: Some(QuantityValue {
                has_unit: UNIT_ONE.to_owned(),
                has_numerical_value: price.value.to_string(),
            }),
            available_quantity: None,
            minimum_quantity: None,
        });
        Proposal {
            name: Some(offer.name.clone()),
            content: offer.summary.clone(),
            purpose: offer.purpose.clone(),
            publishes: Intent {
                id: Some(fragment(uri, "primary")),
                kind: "Intent".to_owned(),
                action: offer
                    .action
                    .clone()
                    .unwrap_or_else(|| "transfer".to_owned()),
                name: Some(offer.resource.name.clone()),
                resource_conforms_to: offer.resource.conforms_to.clone(),
                resource_quantity: Some(quantity_value(&offer.quantity)),
                available_quantity: offer.available.as_ref().map(quantity_value),
                minimum_quantity: offer.minimum.as_ref().map(quantity_value),
            },
            reciprocal,
            unit_based: offer.unit_based.unwrap_or(false),
            location: offer.location.as_ref().map(|l: &Location| Place {
                kind: "Place".to_owned(),
                name: Some(l.name.clone()),
                address: l.address.clone(),
                latitude: l.latitude,
                longitude: l.longitude,
            }),
            url: Some(offer.url.clone()),
            id: None,
        }
    }
}

fn number(value: &QuantityValue, pointer: &str) -> Result<f64> {
    value
        .has_numerical_value
        .trim()
        .parse::<f64>()
        .map_err(|_| {
            Error::Unprocessable(vec![Violation {
                pointer: pointer.to_owned(),
                detail: format!("`{}` is not a decimal number", value.has_numerical_value),
            }])
        })
}

fn quantity(value: &Option<QuantityValue>, pointer: &str) -> Result<Option<Value>> {
    value
        .as_ref()
        .map(|v| Ok(json!({"unit": units::om_name(&v.has_unit), "value": number(v, pointer)?})))
        .transpose()
}

/// The offer payload a `Proposal` expresses.
pub fn payload_from_object(object: &Value) -> Result<Value> {
    let proposal: Proposal = field(object)?;
    let primary = &proposal.publishes;
    let page = proposal
        .url
        .as_ref()
        .or(proposal.id.as_ref())
        .ok_or_else(|| {
            Error::UnprocessableAt(
                "/object/url".into(),
                "the offer has no url and no id".into(),
            )
        })?;
    let name = proposal
        .name
        .clone()
        .or_else(|| primary.name.clone())
        .or_else(|| proposal.content.as_deref().map(title_of))
        .unwrap_or_else(|| page.to_string());
    let mut payload = json!({
        "name": name,
        "purpose": proposal.purpose,
        "action": primary.action,
        "resource": {"name": primary.name.clone().unwrap_or_else(|| name.clone())},
        "unitBased": proposal.unit_based,
        "url": page,
    });
    let fields = payload.as_object_mut().expect("literal object");
    if let Some(content) = &proposal.content {
        fields.insert("summary".into(), json!(content));
    }
    if let Some(conforms_to) = &primary.resource_conforms_to {
        fields["resource"]["conformsTo"] = json!(conforms_to);
    }
    for (name, quantity) in quantities_of(primary)? {
        fields.insert(name.into(), quantity);
    }
    if let Some(price) = proposal
        .reciprocal
        .as_ref()
        .map(price_of)
        .transpose()?
        .flatten()
    {
        fields.insert("price".into(), price);
    }
    if let Some(place) = &proposal.location {
        fields.insert("location".into(), location_of(place));
    }
    Ok(payload)
}

/// The quantities the primary intent states, by their payload names.
fn quantities_of(primary: &Intent) -> Result<Vec<(&'static str, Value)>> {
    let mut quantities = Vec::new();
    for (name, value, pointer) in [
        (
            "quantity",
            &primary.resource_quantity,
            "/object/publishes/resourceQuantity",
        ),
        (
            "available",
            &primary.available_quantity,
            "/object/publishes/availableQuantity",
        ),
        (
            "minimum",
            &primary.minimum_quantity,
            "/object/publishes/minimumQuantity",
        ),
    ] {
        if let Some(quantity) = quantity(value, pointer)? {
            quantities.push((name, quantity));
        }
    }
    Ok(quantities)
}

/// The payload's `price` from the reciprocal intent; none when it names a
/// currency this node cannot name (the catalog keeps the whole object).
fn price_of(reciprocal: &Intent) -> Result<Option<Value>> {
    let Some(currency) = reciprocal
        .resource_conforms_to
        .as_ref()
        .and_then(currency_of)
    else {
        return Ok(None);
    };
    let value = match &reciprocal.resource_quantity {
        Some(q) => number(q, "/object/reciprocal/resourceQuantity")?,
        None => 0.0,
    };
    Ok(Some(json!({"currency": currency, "value": value})))
}

/// The payload's `location` from a `Place`, named by its coordinates when
/// it has no name.
fn location_of(place: &Place) -> Value {
    let name = place
        .name
        .clone()
        .unwrap_or_else(|| match (place.latitude, place.longitude) {
            (Some(latitude), Some(longitude)) => format!("{latitude}, {longitude}"),
            _ => "Unnamed place".to_owned(),
        });
    let mut location = json!({"name": name});
    for (key, value) in [
        ("address", place.address.as_ref().map(|a| json!(a))),
        ("latitude", place.latitude.map(|v| json!(v))),
        ("longitude", place.longitude.map(|v| json!(v))),
    ] {
        if let Some(value) = value {
            location[key] = value;
        }
    }
    location
}

/// Wikidata items of the currencies FEP-0837's examples name that way.
const WIKIDATA_CURRENCIES: &[(&str, &str)] = &[
    ("Q4916", "EUR"),
    ("Q4917", "USD"),
    ("Q25224", "GBP"),
    ("Q25344", "CHF"),
    ("Q8146", "JPY"),
    ("Q1104069", "CAD"),
];

/// The ISO 4217 code a reciprocal intent's resource names: our URN form,
/// or a Wikidata item.
pub fn currency_of(resource: &Url) -> Option<String> {
    if let Some(code) = resource.as_str().strip_prefix(CURRENCY_URN_PREFIX) {
        return Some(code.to_owned());
    }
    let item = resource
        .as_str()
        .strip_prefix("https://www.wikidata.org/wiki/")
        .or_else(|| {
            resource
                .as_str()
                .strip_prefix("http://www.wikidata.org/entity/")
        })?;
    WIKIDATA_CURRENCIES
        .iter()
        .find(|(q, _)| *q == item)
        .map(|(_, code)| (*code).to_owned())
}

/// A title from a description: its first line, markup left out, at most
/// 120 characters.
fn title_of(content: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in content.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    line.chars().take(120).collect()
}
