//! `Move`: the node tells a peer it moved to a new address (FEP-7628, as
//! Mastodon and Mitra send it): `actor` and `object` are the old actor,
//! `target` the new one, whose `alsoKnownAs` lists the old.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::context::{ACTIVITY_STREAMS, DATA_INTEGRITY};
use crate::model::ActivityKind;

pub const TYPE: ActivityKind = ActivityKind::Move;

/// Our `Move` from `us` to `target`, for `peer`.
pub fn document(id: &Url, us: &Url, target: &Url, peer: &Url) -> Value {
    json!({
        "@context": [ACTIVITY_STREAMS, DATA_INTEGRITY],
        "id": id,
        "type": TYPE,
        "actor": us,
        "object": us,
        "target": target,
        "to": [peer],
    })
}

/// A `Move` received. `object` may be the old actor's id or its
/// document, as servers differ.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Move {
    pub id: Url,
    pub actor: Url,
    pub object: Value,
    pub target: Url,
}

impl Move {
    /// The id of the actor that moved.
    pub fn moved(&self) -> Option<&str> {
        match &self.object {
            Value::String(id) => Some(id),
            object => object.get("id").and_then(Value::as_str),
        }
    }
}
