//! A received `Accept` or `Reject` of this node's `Follow`.

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use url::Url;

use crate::apub::activities::answer::{ACCEPT, Answer};
use crate::domain::follows;
use crate::error::{Error, Result};
use crate::node::AppContext;

#[async_trait::async_trait]
impl Activity for Answer {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<AppContext>) -> Result<()> {
        self.follow_id().map(|_| ())
    }

    async fn receive(self, data: &Data<AppContext>) -> Result<()> {
        follows::follow_answered(
            data,
            &self.actor,
            &self.follow_id()?,
            self.kind == ACCEPT.as_str(),
        )
        .await
    }
}
