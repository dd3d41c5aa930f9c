//! Which activities a peer receives.

use url::Url;

use crate::domain::sharing::covers_activity;
use crate::model::SharingScope;
use crate::model::kinds::{Audience, AudienceName};
use crate::store::{OutgoingActivity, PeerRow};

/// What the stream knows of the peer when it decides.
pub struct Recipient<'a> {
    pub peer: &'a PeerRow,
    /// The peer is an approved follower of this node.
    pub approved_follower: bool,
    /// What the peer receives of ours (its sharing scope), loaded once a
    /// pass.
    pub scope: &'a SharingScope,
}

/// Governance activities go to their one peer; publications to approved
/// followers allowed by the object's audience and covered by their scope.
pub fn addressed_to(activity: &OutgoingActivity, recipient: &Recipient<'_>) -> bool {
    if let Some(target) = activity.target_peer_id {
        return target == recipient.peer.id;
    }
    if !recipient.approved_follower {
        return false;
    }
    if let Some(kind) = activity.object_kind {
        if !covers_activity(recipient.scope, kind, &activity.document) {
            return false;
        }
    }
    if activity.public {
        return true;
    }
    match &activity.audience {
        Audience::Named(AudienceName::Followers | AudienceName::Public) => true,
        Audience::Peers(peers) => {
            let peer = Url::parse(&recipient.peer.actor_uri).ok();
            peers.iter().any(|p| Some(p) == peer.as_ref())
        }
    }
}

/// A publication addressed to the node's followers (or the public, which
/// includes them): the deliveries that carry the FEP-8fcf
/// `Collection-Synchronization` header.
pub fn to_followers(activity: &OutgoingActivity) -> bool {
    activity.target_peer_id.is_none()
        && (activity.public
            || matches!(
                activity.audience,
                Audience::Named(AudienceName::Followers | AudienceName::Public)
            ))
}
