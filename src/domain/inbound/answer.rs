//! A received `Accept` or `Reject`: of this node's `Follow`, or of an
//! FEP-0837 `Offer` this node sent (then the agreement's answer).

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use url::Url;

use crate::apub::activities::answer::{ACCEPT, Answer};
use crate::domain::{agreements, follows};
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
        let answered = self.follow_id()?;
        let accepted = self.kind == ACCEPT.as_str();
        if let Some(agreement) = data.store.agreement_by_offer(answered.as_str()).await? {
            return agreements::answer_received(
                data,
                &self.actor,
                &agreement,
                accepted,
                self.result.as_ref(),
                self.content.as_deref(),
            )
            .await;
        }
        follows::follow_answered(data, &self.actor, &answered, accepted).await
    }
}
