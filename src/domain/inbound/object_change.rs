//! A received `Create`, `Update` or `Delete`: a followed peer's offers,
//! members, charters and commitments enter or leave the federated catalog
//! (and an `Update` of the peer's own actor, after a key rotation, makes
//! this node refetch it), and an `Update` of an FEP-0837 agreement.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Activity;
use serde_json::Value;
use url::Url;

use crate::apub::activities::agreement::Agreement;
use crate::apub::activities::object_change::{ObjectChange, ObjectChangeType};
use crate::apub::fetch;
use crate::apub::objects::kind_of;
use crate::apub::peer::{Peer, is_peer_own};
use crate::domain::{agreements, catalog};
use crate::error::{Error, Result};
use crate::node::AppContext;

#[async_trait::async_trait]
impl Activity for ObjectChange {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<AppContext>) -> Result<()> {
        self.object_id()
            .map(|_| ())
            .ok_or_else(|| Error::UnprocessableAt("/object".into(), "names no object".into()))
    }

    async fn receive(self, data: &Data<AppContext>) -> Result<()> {
        if self.kind == ObjectChangeType::Update && Agreement::is_agreement(&self.object) {
            // FEP-0837: an agreement between us completed or cancelled.
            return agreements::update_received(data, &self.actor, &self.object).await;
        }
        let about_actor = self.object_id() == Some(self.actor.as_str());
        if about_actor {
            match self.kind {
                ObjectChangeType::Update => {
                    // The peer changed its actor (a new key, a new name): refetch it.
                    ObjectId::<Peer>::from(self.actor.clone())
                        .dereference_forced(data)
                        .await?;
                }
                ObjectChangeType::Delete => {
                    // The peer closed: nothing it shared is kept.
                    if let Some(peer) = data.store.peer_by_uri(self.actor.as_str()).await? {
                        catalog::peer_closed(data, &peer).await?;
                    }
                }
                ObjectChangeType::Create => {}
            }
            return Ok(());
        }
        if let Value::Object(_) = &self.object {
            if self.kind != ObjectChangeType::Delete && kind_of(&self.object).is_none() {
                // A `Note`, a video, a post: what other servers publish
                // and this node has no use for.
                tracing::info!(activity = %self.id, "object of a type this node does not keep: acknowledged and ignored");
                return Ok(());
            }
        }
        let peer = data
            .store
            .peer_by_uri(self.actor.as_str())
            .await?
            .ok_or_else(|| Error::Internal("a verified sender is a known peer".into()))?;
        if !catalog::follows(data, &peer).await? {
            return Err(Error::Forbidden(
                "this node does not follow the sender: its objects are not accepted".into(),
            ));
        }
        let object = match (&self.kind, &self.object) {
            (ObjectChangeType::Delete, object) => object.clone(),
            (_, Value::Object(_)) => self.object.clone(),
            (_, Value::String(id)) => {
                let url = Url::parse(id)
                    .map_err(|_| Error::UnprocessableAt("/object".into(), "not a URL".into()))?;
                // Only the sender's own objects: the node fetches nothing
                // elsewhere on its behalf.
                if !is_peer_own(
                    &peer,
                    &url,
                    data.settings.federation.allow_private_addresses,
                ) {
                    return Err(Error::UnprocessableAt(
                        "/object".into(),
                        format!("{url} is not an https URL on the sender's origin"),
                    ));
                }
                // What the server answered (its status, its content type)
                // is for the logs, not for whoever sent the activity.
                fetch::fetch_document(&data.http, &url).await.map_err(|e| {
                    tracing::info!(%url, error = %e, "cannot fetch the activity's object");
                    Error::PeerUnavailable(format!("the object {url} could not be fetched"))
                })?
            }
            _ => {
                return Err(Error::UnprocessableAt(
                    "/object".into(),
                    "not an object".into(),
                ));
            }
        };
        let received = match self.kind {
            ObjectChangeType::Delete => catalog::receive_delete(data, &peer, &object).await?,
            _ => catalog::receive_object(data, &peer, &object).await?,
        };
        tracing::info!(activity = %self.id, ?received, "catalog");
        Ok(())
    }
}
