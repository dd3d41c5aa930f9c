//! The platform API's payloads, as typed values. They are deserialised only
//! after the JSON Schema in `schemas/` accepted the document, so these
//! types and the schemas describe the same shapes.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::kinds::Audience;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quantity {
    pub unit: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conforms_to: Option<Url>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub currency: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferPayload {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub purpose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    pub resource: Resource,
    pub quantity: Quantity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_based: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub url: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberPayload {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Principle {
    pub key: String,
    pub name: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CharterPayload {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    pub principles: Vec<Principle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub principle: Url,
    pub statement: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitmentPayload {
    pub charter: Url,
    pub statements: Vec<Statement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
}

/// A validated payload of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Offer(Box<OfferPayload>),
    Member(MemberPayload),
    Charter(CharterPayload),
    Commitment(CommitmentPayload),
}

impl Payload {
    /// The audience the platform chose, or the kind's default: persons'
    /// data is for approved followers only; everything else is public.
    pub fn audience(&self) -> Audience {
        let chosen = match self {
            Payload::Offer(p) => &p.audience,
            Payload::Member(p) => &p.audience,
            Payload::Charter(p) => &p.audience,
            Payload::Commitment(p) => &p.audience,
        };
        match (chosen, self) {
            (Some(audience), _) => audience.clone(),
            (None, Payload::Member(member)) if member.kind == "Person" => Audience::FOLLOWERS,
            (None, _) => Audience::PUBLIC,
        }
    }
}
