//! `Create`, `Update` and `Delete` as received from a peer: its offers,
//! members, charters and commitments (and an `Update` of its own actor).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectChangeType {
    Create,
    Update,
    Delete,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectChange {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: ObjectChangeType,
    pub actor: Url,
    pub object: Value,
}

impl ObjectChange {
    /// The id of the object, embedded or by reference.
    pub fn object_id(&self) -> Option<&str> {
        match &self.object {
            Value::String(id) => Some(id),
            Value::Object(fields) => fields.get("id").and_then(Value::as_str),
            _ => None,
        }
    }
}
