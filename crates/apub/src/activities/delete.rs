//! `Delete`: the object is withdrawn; the activity carries its `Tombstone`
//! and receivers purge their copy.

use crate::model::ActivityKind;

use serde_json::{Value, json};
use url::Url;

pub const TYPE: ActivityKind = ActivityKind::Delete;

/// What remains at a deleted object's URL; `former_type` as the object
/// had it (one type or several).
pub fn tombstone(object_uri: &Url, former_type: &Value, deleted: &str) -> Value {
    json!({
        "id": object_uri,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": deleted,
    })
}
