//! The signed receipt (issue 26): a node tells an origin which of its
//! objects it now holds (ids with the version, the object's `updated`) and
//! which it removed. Typed `["Read", "Receipt"]`: an ActivityStreams type
//! strict parsers know, and the network vocabulary's `Receipt`.

use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::actor::actor_id;
use crate::context::object_context;
use crate::model::ActivityKind;
use passerelle_config::Settings;

/// The ActivityStreams type of the receipt, the one stored and counted.
pub const TYPE: ActivityKind = ActivityKind::Read;
/// The network vocabulary's type, beside it.
pub const NS_TYPE: &str = "Receipt";
/// The FEP-844e `implements` entry of a node that reads receipts: only
/// such origins are sent one.
pub const IMPLEMENTS: &str = "https://w3id.org/plateformes-en-communs/ns#Receipt";
/// At most this many objects in one receipt (held and removed together).
pub const MAX_ENTRIES: usize = 500;

/// An object the sender holds, at the version it holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Held {
    pub id: Url,
    pub updated: String,
}

/// A received receipt.
#[derive(Debug, Clone, Deserialize)]
pub struct Receipt {
    pub id: Url,
    pub actor: Url,
    #[serde(default)]
    pub held: Vec<Held>,
    #[serde(default)]
    pub removed: Vec<Url>,
    /// The receipt as received, proof included (kept for auditors).
    #[serde(skip)]
    pub document: Value,
}

impl Receipt {
    /// Every object the receipt names.
    pub fn objects(&self) -> impl Iterator<Item = &Url> {
        self.held.iter().map(|h| &h.id).chain(&self.removed)
    }
}

/// Whether `envelope` is typed as a receipt (its `type` lists `Receipt`).
pub fn is_receipt(envelope: &Value) -> bool {
    match envelope.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t.as_str() == Some(NS_TYPE)),
        Some(Value::String(one)) => one == NS_TYPE,
        _ => false,
    }
}

/// Whether an origin's actor document says it reads receipts (FEP-844e).
pub fn reads_receipts(actor: &Value) -> bool {
    actor
        .get("implements")
        .and_then(Value::as_array)
        .is_some_and(|entries| {
            entries
                .iter()
                .any(|entry| entry.get("href").and_then(Value::as_str) == Some(IMPLEMENTS))
        })
}

/// The version of an object as both sides read it: its `updated`, else its
/// `published`.
pub fn version_of(object: &Value) -> Option<&str> {
    object
        .get("updated")
        .or_else(|| object.get("published"))
        .and_then(Value::as_str)
}

/// The unsigned receipt to `origin` for what is `held` (id, version) and
/// what was `removed`.
pub fn document(
    settings: &Settings,
    id: &Url,
    origin: &Url,
    held: &[(String, String)],
    removed: &[String],
    published: &str,
) -> Value {
    let held: Vec<Value> = held
        .iter()
        .map(|(id, updated)| json!({"id": id, "updated": updated}))
        .collect();
    json!({
        "@context": object_context(settings),
        "id": id,
        "type": [TYPE.as_str(), NS_TYPE],
        "actor": actor_id(settings),
        "object": origin,
        "to": [origin],
        "held": held,
        "removed": removed,
        "published": published,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_is_recognised_by_its_network_type_beside_others() {
        assert!(is_receipt(&json!({"type": ["Read", "Receipt"]})));
        assert!(is_receipt(&json!({"type": "Receipt"})));
        assert!(!is_receipt(&json!({"type": "Read"})));
        assert!(!is_receipt(&json!({"type": ["Create"]})));
        assert!(!is_receipt(&json!({})));
    }

    #[test]
    fn the_version_is_updated_else_published() {
        let both = json!({"published": "2026-01-01T00:00:00Z", "updated": "2026-02-01T00:00:00Z"});
        assert_eq!(version_of(&both), Some("2026-02-01T00:00:00Z"));
        let first = json!({"published": "2026-01-01T00:00:00Z"});
        assert_eq!(version_of(&first), Some("2026-01-01T00:00:00Z"));
        assert_eq!(version_of(&json!({})), None);
    }

    #[test]
    fn a_received_receipt_lists_what_it_names() {
        let receipt: Receipt = serde_json::from_value(json!({
            "id": "https://b.example/activities/1",
            "type": ["Read", "Receipt"],
            "actor": "https://b.example/actor",
            "held": [{"id": "https://a.example/offers/1", "updated": "2026-01-01T00:00:00Z"}],
            "removed": ["https://a.example/offers/2"],
        }))
        .unwrap();
        let named: Vec<&str> = receipt.objects().map(Url::as_str).collect();
        assert_eq!(
            named,
            ["https://a.example/offers/1", "https://a.example/offers/2"]
        );
    }
}
