//! `Undo` of a `Follow`: the follower leaves.

use crate::model::ActivityKind;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::context::{ACTIVITY_STREAMS, DATA_INTEGRITY};

pub const TYPE: ActivityKind = ActivityKind::Undo;

pub fn document(id: &Url, us: &Url, follow: &Value, followed: &Url) -> Value {
    json!({
        "@context": [ACTIVITY_STREAMS, DATA_INTEGRITY],
        "id": id,
        "type": TYPE,
        "actor": us,
        "object": follow,
        "to": [followed],
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Undo {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::UndoType,
    pub actor: Url,
    pub object: Value,
}
