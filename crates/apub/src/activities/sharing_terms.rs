//! Sharing terms on the wire (issue 26): what a node shares with one
//! follower (kinds, offer categories, purpose, retention, since), sent as
//! `Offer{object: SharingTerms}` to that follower only and answered
//! `Accept`, the way FEP-0837 offers an `Agreement`. The object is typed
//! `["Document", "SharingTerms"]` (an ActivityStreams type first, so
//! servers that do not know the network vocabulary still read an object),
//! which keeps it apart from an FEP-0837 `Agreement` offer.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::actor::actor_id;
use crate::context::object_context;
use crate::error::{Error, Result};
use crate::model::{ActivityKind, ObjectKind, SharingScope};
use passerelle_config::Settings;

pub const OFFER: ActivityKind = ActivityKind::Offer;
/// The network vocabulary's type of the terms.
pub const SHARING_TERMS: &str = "SharingTerms";
/// The terms object's types: an ActivityStreams one, then ours.
pub const TYPES: [&str; 2] = ["Document", SHARING_TERMS];

/// The terms as they travel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharingTerms {
    #[serde(rename = "type")]
    pub kind: Value,
    /// The node that shares.
    pub attributed_to: Url,
    /// The follower the terms are for.
    pub shared_with: Url,
    pub kinds: Vec<ObjectKind>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub purpose: String,
    /// Days the follower may keep an object after its last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// When the terms took effect (RFC 3339).
    pub since: String,
}

impl SharingTerms {
    /// The terms of `scope`, from this node to `follower`.
    pub fn of(settings: &Settings, scope: &SharingScope, follower: &Url, since: &str) -> Self {
        SharingTerms {
            kind: json!(TYPES),
            attributed_to: actor_id(settings),
            shared_with: follower.clone(),
            kinds: scope.kinds.clone(),
            categories: scope.categories.clone(),
            purpose: scope.purpose.clone(),
            retention_days: scope.retention_days,
            since: since.to_owned(),
        }
    }

    /// Whether a JSON object is typed `SharingTerms` (alone or among
    /// other types).
    pub fn is_terms(object: &Value) -> bool {
        match object.get("type") {
            Some(Value::String(kind)) => kind == SHARING_TERMS,
            Some(Value::Array(kinds)) => kinds.iter().any(|k| k == SHARING_TERMS),
            _ => false,
        }
    }

    /// Reads a terms object, refusing any other shape at `pointer`.
    pub fn read(object: &Value, pointer: &str) -> Result<SharingTerms> {
        if !Self::is_terms(object) {
            return Err(Error::UnprocessableAt(
                pointer.into(),
                "not SharingTerms".into(),
            ));
        }
        serde_json::from_value(object.clone())
            .map_err(|e| Error::UnprocessableAt(pointer.into(), format!("not SharingTerms: {e}")))
    }

    /// The terms as a scope, checked as an admin's would be.
    pub fn scope(&self) -> Result<SharingScope> {
        SharingScope {
            kinds: self.kinds.clone(),
            categories: self.categories.clone(),
            purpose: self.purpose.clone(),
            retention_days: self.retention_days,
        }
        .validated()
    }
}

/// `Offer{object: SharingTerms}` to `follower` only.
pub fn offer(settings: &Settings, id: &Url, terms: &SharingTerms) -> Result<Value> {
    Ok(json!({
        "@context": object_context(settings),
        "id": id,
        "type": OFFER,
        "actor": actor_id(settings),
        "object": serde_json::to_value(terms)?,
        "to": [terms.shared_with],
    }))
}

/// `Accept` of the terms `offer` (its id), from this node to `origin`.
pub fn accept(settings: &Settings, id: &Url, offer: &Url, origin: &Url) -> Value {
    json!({
        "@context": object_context(settings),
        "id": id,
        "type": ActivityKind::Accept,
        "actor": actor_id(settings),
        "object": offer,
        "to": [origin],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_told_apart_from_agreements() {
        assert!(SharingTerms::is_terms(&json!({"type": TYPES})));
        assert!(SharingTerms::is_terms(&json!({"type": "SharingTerms"})));
        assert!(!SharingTerms::is_terms(&json!({"type": "Agreement"})));
        assert!(!SharingTerms::is_terms(&json!({})));
    }

    #[test]
    fn terms_read_back_as_the_scope_sent() {
        let settings = Settings::default();
        let scope = SharingScope {
            kinds: vec![ObjectKind::Offer],
            categories: vec!["vegetables".into()],
            purpose: "a shared catalog".into(),
            retention_days: Some(30),
        };
        let follower = Url::parse("https://b.example/actor").unwrap();
        let terms = SharingTerms::of(&settings, &scope, &follower, "2026-01-01T00:00:00.000Z");
        let wire = serde_json::to_value(&terms).unwrap();
        assert_eq!(wire["retentionDays"], 30);
        assert_eq!(wire["sharedWith"], "https://b.example/actor");
        let read = SharingTerms::read(&wire, "/object").unwrap();
        assert_eq!(read.scope().unwrap(), scope);
    }
}
