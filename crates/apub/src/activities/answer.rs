//! `Accept` and `Reject` of a `Follow`: the followed node's decision. The
//! two differ only in their verdict, so they share this file. The same
//! shape answers an FEP-0837 `Offer` (`activities::agreement`).

use crate::model::ActivityKind;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::context::{ACTIVITY_STREAMS, DATA_INTEGRITY};
use crate::error::{Error, Result};

pub const ACCEPT: ActivityKind = ActivityKind::Accept;
pub const REJECT: ActivityKind = ActivityKind::Reject;

/// The id of the activity an `object` designates, embedded or by id.
pub fn object_id(object: &Value) -> Option<Url> {
    match object {
        Value::String(id) => Url::parse(id).ok(),
        Value::Object(fields) => fields
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| Url::parse(id).ok()),
        _ => None,
    }
}

/// Our answer (`Accept` or `Reject`) to `follow`, a peer's Follow.
pub fn document(
    kind: ActivityKind,
    id: &Url,
    us: &Url,
    follow: &Value,
    follower: &Url,
    reason: Option<&str>,
) -> Value {
    let mut answer = json!({
        "@context": [ACTIVITY_STREAMS, DATA_INTEGRITY],
        "id": id,
        "type": kind,
        "actor": us,
        "object": follow,
        "to": [follower],
    });
    if let Some(reason) = reason {
        answer["summary"] = json!(reason);
    }
    answer
}

/// What an answer says: its `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Accept,
    Reject,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: Verdict,
    pub actor: Url,
    pub object: Value,
    /// FEP-0837: the finalised `Agreement` an `Accept` of an `Offer` carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// FEP-0837: the reason a `Reject` of an `Offer` may give.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl Answer {
    pub fn accepted(&self) -> bool {
        self.kind == Verdict::Accept
    }

    /// The id of the `Follow` this answers.
    pub fn follow_id(&self) -> Result<Url> {
        object_id(&self.object)
            .ok_or_else(|| Error::UnprocessableAt("/object".into(), "names no Follow".into()))
    }
}
