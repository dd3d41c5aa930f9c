//! What a peer is sent for an activity: the activity, the `Delete` it is owed, or nothing.

use std::borrow::Cow;

use super::StreamPass;
use crate::addressing::{Recipient, addressed_to};
use crate::domain::publish;
use crate::error::Result;
use crate::model::ActivityKind;
use crate::store::OutgoingActivity;

impl StreamPass<'_> {
    /// What the peer is to be sent for `activity` (the document and its
    /// type), or `None` when nothing is. An earlier activity about the
    /// same object has landed by now (the window keeps one per object in
    /// flight), so the receipts it left are known.
    pub(super) async fn content_for<'x>(
        &self,
        activity: &'x OutgoingActivity,
    ) -> Result<Option<(Cow<'x, str>, ActivityKind)>> {
        // Addressed to this peer alone and about no object (an activity
        // about an object, such as what a scope change sends, is data).
        let governance =
            activity.target_peer_id == Some(self.peer.id) && activity.object_id.is_none();
        if activity.withdrawn {
            // Its object was deleted before this peer got it: the content
            // is gone, and the Delete that follows says so.
            return Ok(None);
        }
        if let (Some(reason), false) = (&self.refused, governance) {
            // Blocked or excluded since it was followed: it receives no
            // publication, and none waits for it. Governance addressed to
            // it alone (the Reject, the Undo that end the relationship)
            // still goes out.
            tracing::info!(peer = %self.peer.actor_uri, activity = %activity.uri, reason, "delivery skipped by policy");
            self.count("refused_by_policy");
            return Ok(None);
        }
        let recipient = Recipient {
            peer: &self.peer,
            approved_follower: self.approved_follower,
            scope: &self.scope,
        };
        if addressed_to(activity, &recipient) {
            return Ok(Some((activity.document.as_str().into(), activity.kind)));
        }
        Ok(self
            .withdrawal(activity)
            .await?
            .map(|document| (document.into(), ActivityKind::Delete)))
    }

    /// The `Delete` the peer is owed when an activity about an object it
    /// holds no longer includes it (the audience was narrowed, the peer
    /// stopped following, its scope no longer covers the object) or
    /// deletes the object: whoever received it is told to drop it.
    async fn withdrawal(&self, activity: &OutgoingActivity) -> Result<Option<String>> {
        let Some(object_id) = activity.object_id else {
            return Ok(None);
        };
        if activity.target_peer_id.is_some() {
            // Addressed to another peer alone (what a scope change sent
            // it): nothing to do with this one.
            return Ok(None);
        }
        if !matches!(activity.kind, ActivityKind::Update | ActivityKind::Delete) {
            return Ok(None);
        }
        let store = &self.state.store;
        let held_kind = match self
            .receipts
            .iter()
            .rev()
            .find(|r| r.object_id == object_id)
        {
            Some(receipt) => Some(receipt.kind),
            None => store.receipt_kind(self.peer.id, object_id).await?,
        };
        if held_kind.is_none_or(|kind| kind == ActivityKind::Delete) {
            return Ok(None);
        }
        if activity.kind == ActivityKind::Delete {
            return Ok(Some(activity.document.clone()));
        }
        let Some(object_uri) = store.object_uri(object_id).await? else {
            return Ok(None);
        };
        tracing::info!(peer = %self.peer.actor_uri, object = %object_uri, "the peer left the object's audience: sending Delete");
        publish::withdrawal_for(self.state, &object_uri, &activity.uri, &self.peer.actor_uri)
            .map(Some)
    }
}
