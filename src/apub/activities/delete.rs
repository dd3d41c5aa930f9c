//! `Delete`: the object is withdrawn; the activity carries its `Tombstone`
//! and receivers purge their copy.

use serde_json::{Value, json};
use url::Url;

use crate::config::Settings;
use crate::domain::kinds::Audience;
use crate::error::Result;

pub const TYPE: &str = "Delete";

/// What remains at a deleted object's URL.
pub fn tombstone(object_uri: &Url, former_type: &str, deleted: &str) -> Value {
    json!({
        "id": object_uri,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": deleted,
    })
}

pub fn document(
    settings: &Settings,
    id: Url,
    tombstone: Value,
    audience: &Audience,
    published: &str,
) -> Result<Value> {
    super::envelope(settings, TYPE, id, tombstone, audience, published)
}
