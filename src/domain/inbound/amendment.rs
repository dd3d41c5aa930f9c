//! A received amendment activity: an amendment opened or closed by its
//! host (member side), a vote or a draft from a member (host side), the
//! host's answer to a draft (member side).

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use url::Url;

use crate::apub::activities::amendment::{AmendmentActivity, AmendmentActivityKind};
use crate::domain::amendments;
use crate::error::{Error, Result};
use crate::node::AppContext;

#[async_trait::async_trait]
impl Activity for AmendmentActivity {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    /// The embedded object is the sender's own (its id on the sender's
    /// origin), except in an answer, whose object is our `Offer`.
    async fn verify(&self, _data: &Data<AppContext>) -> Result<()> {
        let id = self
            .object_id()
            .ok_or_else(|| Error::UnprocessableAt("/object/id".into(), "missing".into()))?;
        let own = id.origin() == self.actor.origin();
        match self.kind {
            AmendmentActivityKind::Answered { .. } => Ok(()),
            _ if own => Ok(()),
            _ => Err(Error::BadRequest(
                "the object is not on the sender's origin".into(),
            )),
        }
    }

    async fn receive(self, data: &Data<AppContext>) -> Result<()> {
        let sender = data
            .store
            .peer_by_uri(self.actor.as_str())
            .await?
            .ok_or_else(|| Error::Internal("a verified sender is a known peer".into()))?;
        match self.kind {
            AmendmentActivityKind::Opened => {
                amendments::receive_opened(data, &sender, &self.object).await
            }
            AmendmentActivityKind::Closed => {
                amendments::receive_closed(data, &sender, &self.object).await
            }
            AmendmentActivityKind::Voted => {
                amendments::receive_vote(data, &sender, &self.object).await
            }
            AmendmentActivityKind::Offered => {
                let offer = serde_json::json!({"id": self.id, "object": self.object});
                amendments::receive_draft(data, &sender, &offer).await
            }
            AmendmentActivityKind::Answered { accepted } => {
                let answer = serde_json::json!({"object": self.object});
                amendments::receive_answer(data, &sender, accepted, &answer).await
            }
        }
    }
}
