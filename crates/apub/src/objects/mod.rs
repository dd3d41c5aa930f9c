//! Wire shapes of the four published kinds. Each file holds the kind's
//! ActivityStreams body, its conversion from the platform payload, and the
//! reverse conversion used by client-to-server `POST /outbox`.

pub mod charter;
pub mod commitment;
pub mod member;
pub mod offer;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::actor::{FOLLOWERS_PATH, actor_id};
use crate::context::{PUBLIC_COLLECTION, object_context};
use crate::error::{Error, Result};
use crate::model::kinds::{Audience, AudienceName, ObjectKind};
use crate::model::payload::Payload;
use passerelle_config::Settings;

// Strict ActivityStreams parsers (Fedify's among them) drop an object whose
// types include none of theirs; so each of our own types travels with an
// ActivityStreams type, ours first (some consumers read only the first).
// `Object` and `Document` claim nothing more: Mastodon does not turn them
// into posts, and Fedify reads them as plain objects. Members are already
// ActivityStreams actors (`Organization`, `Person`).
/// An offer: an FEP-0837 `Proposal`, and an ActivityStreams `Object`.
pub const OFFER_TYPES: [&str; 2] = ["Proposal", "Object"];
/// A charter: a text, an ActivityStreams `Document`.
pub const CHARTER_TYPES: [&str; 2] = ["Charter", "Document"];
/// A commitment to a charter: a relation, an ActivityStreams `Object`.
pub const COMMITMENT_TYPES: [&str; 2] = ["CharterCommitment", "Object"];

/// Fields every published object carries, around its kind's own body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: Url,
    /// One type, or our vocabulary's type and an ActivityStreams one.
    #[serde(rename = "type")]
    pub kind: Value,
    pub attributed_to: Url,
    #[serde(flatten)]
    pub body: T,
    pub to: Vec<Url>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<Url>,
    pub published: String,
    pub updated: String,
}

/// What the node knows of an object besides its payload.
pub struct Publication<'a> {
    pub settings: &'a Settings,
    pub uri: &'a Url,
    pub audience: &'a Audience,
    pub version: i64,
    pub published: &'a str,
    pub updated: &'a str,
}

impl Publication<'_> {
    fn envelope<T: Serialize>(&self, kind: Value, body: T) -> Result<Value> {
        let (to, cc) = addressing(self.settings, self.audience);
        let envelope = Envelope {
            context: object_context(self.settings),
            id: self.uri.clone(),
            kind,
            attributed_to: actor_id(self.settings),
            body,
            to,
            cc,
            published: self.published.to_owned(),
            updated: self.updated.to_owned(),
        };
        serde_json::to_value(envelope).map_err(|e| Error::Internal(format!("object shape: {e}")))
    }

    /// The unsigned ActivityStreams document of `payload`.
    pub fn document(&self, payload: &Payload) -> Result<Value> {
        match payload {
            Payload::Offer(offer) => self.envelope(
                json!(OFFER_TYPES),
                offer::Proposal::from_payload(self.uri, offer),
            ),
            Payload::Member(member) => self.envelope(
                json!(member.kind),
                member::MemberBody::from_payload(self.settings, member),
            ),
            Payload::Charter(charter) => self.envelope(
                json!(CHARTER_TYPES),
                charter::CharterBody::from_payload(self.uri, self.version, charter),
            ),
            Payload::Commitment(commitment) => self.envelope(
                json!(COMMITMENT_TYPES),
                commitment::CommitmentBody::from_payload(commitment),
            ),
        }
    }
}

/// `to` and `cc` for an audience: public objects are addressed to everyone
/// with followers in copy, as Mastodon and others expect.
pub fn addressing(settings: &Settings, audience: &Audience) -> (Vec<Url>, Vec<Url>) {
    let followers = settings.url_for(FOLLOWERS_PATH);
    let public = Url::parse(PUBLIC_COLLECTION).expect("constant URL");
    match audience {
        Audience::Named(AudienceName::Public) => (vec![public], vec![followers]),
        Audience::Named(AudienceName::Followers) => (vec![followers], vec![]),
        Audience::Peers(peers) => (peers.clone(), vec![]),
    }
}

/// The audience an incoming object's addressing expresses.
pub fn audience_of(settings: &Settings, object: &Value) -> Option<Audience> {
    let followers = settings.url_for(FOLLOWERS_PATH);
    let mut recipients: Vec<Url> = Vec::new();
    for field in ["to", "cc"] {
        match object.get(field) {
            Some(Value::String(one)) => recipients.extend(Url::parse(one).ok()),
            Some(Value::Array(many)) => recipients.extend(
                many.iter()
                    .filter_map(Value::as_str)
                    .filter_map(|s| Url::parse(s).ok()),
            ),
            _ => {}
        }
    }
    if recipients.is_empty() {
        return None;
    }
    if recipients.iter().any(|r| {
        r.as_str() == PUBLIC_COLLECTION || r.as_str() == "as:Public" || r.as_str() == "Public"
    }) {
        return Some(Audience::PUBLIC);
    }
    if recipients.contains(&followers) {
        return Some(Audience::FOLLOWERS);
    }
    Some(Audience::Peers(recipients))
}

/// Which of our kinds an object is: its `type`, one name or several (an
/// FEP-0837 `Proposal` also carries an ActivityStreams type for strict
/// parsers), names one.
pub fn kind_of(object: &Value) -> Option<ObjectKind> {
    match object.get("type")? {
        Value::String(name) => kind_of_type(name),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .find_map(kind_of_type),
        _ => None,
    }
}

/// Which kind an ActivityStreams `type` designates.
fn kind_of_type(type_name: &str) -> Option<ObjectKind> {
    match type_name {
        "Proposal" => Some(ObjectKind::Offer),
        "Person" | "Organization" => Some(ObjectKind::Member),
        "Charter" => Some(ObjectKind::Charter),
        "CharterCommitment" => Some(ObjectKind::Commitment),
        _ => None,
    }
}

/// The platform payload an ActivityStreams object (client-to-server)
/// expresses; it then goes through the same validation as the REST API.
pub fn payload_from_object(settings: &Settings, kind: ObjectKind, object: &Value) -> Result<Value> {
    let mut payload = match kind {
        ObjectKind::Offer => offer::payload_from_object(object),
        ObjectKind::Member => member::payload_from_object(object),
        ObjectKind::Charter => charter::payload_from_object(object),
        ObjectKind::Commitment => commitment::payload_from_object(object),
    }?;
    if let (Some(audience), Value::Object(fields)) = (audience_of(settings, object), &mut payload) {
        fields.insert("audience".to_owned(), serde_json::to_value(audience)?);
    }
    Ok(payload)
}

/// Reads a body field of an incoming object into a typed value, reporting
/// a bad shape as a 422 on that field.
pub(crate) fn field<T: serde::de::DeserializeOwned>(object: &Value) -> Result<T> {
    serde_json::from_value(object.clone()).map_err(|e| {
        Error::Unprocessable(vec![crate::error::Violation {
            pointer: "/object".to_owned(),
            detail: e.to_string(),
        }])
    })
}
