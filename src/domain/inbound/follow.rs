//! A received `Follow`: a peer asks for this node's data; the admission
//! policy decides (see `domain::follows`).

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use url::Url;

use crate::apub::activities::follow::Follow;
use crate::apub::actor::actor_id;
use crate::domain::follows;
use crate::error::{Error, Result};
use crate::node::AppContext;

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
