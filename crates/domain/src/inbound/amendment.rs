//! A received amendment activity: an amendment opened or closed by its
//! host (member side), a vote or a draft from a member (host side), the
//! host's answer to a draft (member side).

use crate::amendments;
use crate::apub::activities::amendment::{AmendmentActivity, AmendmentActivityKind};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::PeerRow;

/// The embedded object must be the sender's own (its id on the sender's
/// origin), except in an answer, whose object is our `Offer`.
pub(super) async fn received(
    ctx: &Context,
    sender: &PeerRow,
    activity: AmendmentActivity,
) -> Result<()> {
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
    }
}
