//! A received FEP-0837 `Offer{object: Agreement}`: a peer asks for some of
//! one of this node's offers. An `Offer` of anything else is acknowledged
//! and ignored.

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use url::Url;

use crate::apub::activities::agreement::{Agreement, OfferAgreement};
use crate::domain::agreements;
use crate::error::{Error, Result};
use crate::node::AppContext;

#[async_trait::async_trait]
impl Activity for OfferAgreement {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<AppContext>) -> Result<()> {
        if Agreement::is_agreement(&self.object) {
            Agreement::read(&self.object, "/object")?;
        }
        Ok(())
    }

    async fn receive(self, data: &Data<AppContext>) -> Result<()> {
        if !Agreement::is_agreement(&self.object) {
            // An `Offer` of something else (a ForgeFed patch…): not ours.
            tracing::info!(activity = %self.id, "Offer of something other than an Agreement: acknowledged and ignored");
            return Ok(());
        }
        let agreement = Agreement::read(&self.object, "/object")?;
        let sender = data
            .store
            .peer_by_uri(self.actor.as_str())
            .await?
            .ok_or_else(|| Error::Internal("a verified sender is a known peer".into()))?;
        agreements::offer_received(data, &sender, &self.id, &agreement).await
    }
}
