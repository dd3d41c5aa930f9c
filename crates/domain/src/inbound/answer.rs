//! A received `Accept` or `Reject`: of this node's `Follow`, of an
//! FEP-0837 `Offer` this node sent (then the agreement's answer), or of
//! the sharing terms it sent, or of its request to join a network.

use crate::apub::activities::answer::Answer;
use crate::context::Context;
use crate::error::Result;
use crate::store::PeerRow;
use crate::{agreements, follows, sharing};

pub(super) async fn received(ctx: &Context, sender: &PeerRow, answer: Answer) -> Result<()> {
    let answered = answer.follow_id()?;
    let accepted = answer.accepted();
    if let Some(agreement) = ctx.store.agreement_by_offer(answered.as_str()).await? {
        return agreements::answer_received(
            ctx,
            &answer.actor,
            &agreement,
            accepted,
            answer.result.as_ref(),
            answer.content.as_deref(),
        )
        .await;
    }
    if let Some(join) = ctx.store.join_by_uri(answered.as_str()).await? {
        let reason = answer.content.as_deref();
        return crate::network::candidacy::answered(ctx, sender, &join, accepted, reason).await;
    }
    if let Some(sent) = ctx.store.sent_terms_by_offer(answered.as_str()).await? {
        return sharing::terms::answered(ctx, sender, &sent, accepted).await;
    }
    follows::follow_answered(ctx, &answer.actor, &answered, accepted).await
}
