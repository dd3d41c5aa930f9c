//! Activities the node emits, one file per activity type. Each activity
//! embeds its object and carries its own integrity proof.

pub mod agreement;
pub mod amendment;
pub mod answer;
pub mod create;
pub mod delete;
pub mod follow;
pub mod inbox;
pub mod join;
pub mod move_actor;
pub mod network;
pub mod object_change;
pub mod receipt;
pub mod sharing_terms;
pub mod undo;
pub mod update;

use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::actor::actor_id;
use crate::context::object_context;
use crate::error::{Error, Result};
use crate::model::ActivityKind;
use crate::model::kinds::Audience;
use crate::objects::addressing;
use passerelle_config::Settings;

/// Path under which activities are served: `/activities/{uuid}`.
pub const ACTIVITIES_PATH: &str = "/activities";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEnvelope {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: ActivityKind,
    pub actor: Url,
    pub object: Value,
    pub to: Vec<Url>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<Url>,
    pub published: String,
}

/// A fresh activity id under this node.
pub fn new_activity_id(settings: &Settings) -> Url {
    settings.url_for(&format!("{ACTIVITIES_PATH}/{}", uuid::Uuid::new_v4()))
}

/// The unsigned document of an activity of `kind` (`create::TYPE`...)
/// about `object`.
pub fn document(
    settings: &Settings,
    kind: ActivityKind,
    id: Url,
    object: Value,
    audience: &Audience,
    published: &str,
) -> Result<Value> {
    let (to, cc) = addressing(settings, audience);
    serde_json::to_value(ActivityEnvelope {
        context: object_context(settings),
        id,
        kind,
        actor: actor_id(settings),
        object,
        to,
        cc,
        published: published.to_owned(),
    })
    .map_err(|e| Error::Internal(format!("activity shape: {e}")))
}
