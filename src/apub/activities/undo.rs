//! `Undo` of a `Follow`: the follower leaves.

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::apub::activities::answer::object_id;
use crate::apub::context::{ACTIVITY_STREAMS, DATA_INTEGRITY};
use crate::domain::follows;
use crate::error::{Error, Result};
use crate::node::AppContext;

pub const TYPE: &str = "Undo";

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

#[async_trait::async_trait]
impl Activity for Undo {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<AppContext>) -> Result<()> {
        if let Value::Object(embedded) = &self.object {
            if embedded.get("type").and_then(Value::as_str) != Some("Follow") {
                return Err(Error::UnprocessableAt(
                    "/object/type".into(),
                    "only a Follow can be undone here".into(),
                ));
            }
            if embedded.get("actor").and_then(Value::as_str) != Some(self.actor.as_str()) {
                return Err(Error::Forbidden(
                    "an actor can only undo its own Follow".into(),
                ));
            }
        }
        object_id(&self.object)
            .map(|_| ())
            .ok_or_else(|| Error::UnprocessableAt("/object".into(), "names no Follow".into()))
    }

    async fn receive(self, data: &Data<AppContext>) -> Result<()> {
        let follow = object_id(&self.object)
            .ok_or_else(|| Error::UnprocessableAt("/object".into(), "names no Follow".into()))?;
        follows::follow_undone(data, &self.actor, &follow).await
    }
}
