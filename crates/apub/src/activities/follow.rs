//! `Follow`: one node asks to receive another's data.

use crate::model::ActivityKind;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::context::{ACTIVITY_STREAMS, DATA_INTEGRITY};

pub const TYPE: ActivityKind = ActivityKind::Follow;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Follow {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::FollowType,
    pub actor: Url,
    pub object: Url,
}

/// Our `Follow` of `peer`, as sent (embedded again in `Undo`).
pub fn document(id: &Url, follower: &Url, followed: &Url) -> Value {
    json!({
        "@context": [ACTIVITY_STREAMS, DATA_INTEGRITY],
        "id": id,
        "type": TYPE,
        "actor": follower,
        "object": followed,
        "to": [followed],
    })
}
