//! A received `Undo` of a `Follow`: the follower leaves.

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use serde_json::Value;
use url::Url;

use crate::apub::activities::answer::object_id;
use crate::apub::activities::undo::Undo;
use crate::domain::follows;
use crate::error::{Error, Result};
use crate::node::AppContext;

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
