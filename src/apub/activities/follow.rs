//! `Follow`: one node asks to receive another's data.

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::apub::actor::actor_id;
use crate::apub::context::{ACTIVITY_STREAMS, DATA_INTEGRITY};
use crate::domain::follows;
use crate::error::{Error, Result};
use crate::node::AppContext;

pub const TYPE: &str = "Follow";

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

#[async_trait::async_trait]
impl Activity for Follow {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, data: &Data<AppContext>) -> Result<()> {
        if self.object != actor_id(&data.settings) {
            return Err(Error::UnprocessableAt(
                "/object".into(),
                "this node's actor is the only one to follow here".into(),
            ));
        }
        Ok(())
    }

    async fn receive(self, data: &Data<AppContext>) -> Result<()> {
        follows::follow_received(data, &self.actor, &self.id).await
    }
}
