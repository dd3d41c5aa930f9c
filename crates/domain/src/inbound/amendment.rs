//! A received amendment activity: an amendment opened or closed by its
//! host (member side), a vote or a draft from a member (host side), the
//! host's answer to a draft (member side); a membership vote's reply and
//! a member's proposal to exclude another (host side).

use crate::amendments;
use crate::apub::activities::amendment::{
    AmendmentActivity, AmendmentActivityKind, ProposedRemoval, Reply,
};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::network::intake;
use crate::store::PeerRow;

/// The embedded object must be the sender's own (its id on the sender's
/// origin), except in an answer, whose object is our `Offer`.
pub(super) async fn received(
    ctx: &Context,
    sender: &PeerRow,
    activity: AmendmentActivity,
) -> Result<()> {
    if activity.kind == AmendmentActivityKind::ExclusionProposed {
        return exclusion_proposed(ctx, sender, &activity).await;
    }
    let id = activity
        .object_id()
        .ok_or_else(|| Error::UnprocessableAt("/object/id".into(), "missing".into()))?;
    let own = id.origin() == activity.actor.origin();
    if !own && !matches!(activity.kind, AmendmentActivityKind::Answered { .. }) {
        return Err(Error::BadRequest(
            "the object is not on the sender's origin".into(),
        ));
    }
    match activity.kind {
        AmendmentActivityKind::Opened => {
            amendments::receive_opened(ctx, sender, &activity.object).await
        }
        AmendmentActivityKind::Closed => {
            amendments::receive_closed(ctx, sender, &activity.object).await
        }
        AmendmentActivityKind::Voted => {
            amendments::receive_vote(ctx, sender, &activity.object).await
        }
        AmendmentActivityKind::Offered => {
            let offer = serde_json::json!({"id": activity.id, "object": activity.object});
            amendments::receive_draft(ctx, sender, &offer).await
        }
        AmendmentActivityKind::Answered { accepted } => {
            let answer = serde_json::json!({"object": activity.object});
            amendments::receive_answer(ctx, sender, accepted, &answer).await
        }
        AmendmentActivityKind::Replied => {
            let reply: Reply = serde_json::from_value(activity.object)
                .map_err(|e| Error::UnprocessableAt("/object".into(), e.to_string()))?;
            if reply.attributed_to != activity.actor {
                return Err(Error::BadRequest("a reply is its sender's own".into()));
            }
            intake::reply_received(ctx, sender, &reply.in_reply_to, &reply.content).await
        }
        AmendmentActivityKind::ExclusionProposed => Ok(()),
    }
}

/// A member's `Offer` of the `Remove` of another member: the host opens
/// the exclusion vote.
async fn exclusion_proposed(
    ctx: &Context,
    sender: &PeerRow,
    activity: &AmendmentActivity,
) -> Result<()> {
    let removal: ProposedRemoval = serde_json::from_value(activity.object.clone())
        .map_err(|e| Error::UnprocessableAt("/object".into(), e.to_string()))?;
    let reasons = activity.content.as_deref().unwrap_or_default();
    if reasons.trim().is_empty() {
        return Err(Error::UnprocessableAt(
            "/content".into(),
            "an exclusion gives its reasons".into(),
        ));
    }
    intake::exclusion_proposed(ctx, sender, &removal, reasons).await
}
