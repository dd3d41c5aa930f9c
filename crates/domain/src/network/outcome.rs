//! A tallied membership vote applied: the directory gains or loses the
//! node, and a candidate hears the answer to its `Join`.

use url::Url;

use crate::amendments::{Tally, adopts};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{JoinState, Outcome, VoteSubject};
use crate::network::votes::is_member;
use crate::network::{directory, joins};
use crate::store::{AmendmentRow, ChangeTx};

/// The tally's decision on a membership vote, applied in `tx`: the
/// directory gains or loses the node, and a candidate hears the answer to
/// its `Join`. `superseded` when the node's membership changed meanwhile.
pub(crate) async fn decide(
    ctx: &Context,
    tx: &mut ChangeTx,
    row: &AmendmentRow,
    tally: &Tally,
) -> Result<Outcome> {
    let charter = row.charter_local_id.as_deref().unwrap_or_default();
    let candidate = ctx
        .store
        .peer_by_uri(row.candidate.as_deref().unwrap_or_default())
        .await?
        .ok_or_else(|| Error::Internal(format!("vote {} names no known node", row.uri)))?;
    let member = is_member(ctx, charter, candidate.id).await?;
    let adopted = adopts(tally, &row.majority);
    let by = format!("network vote {}", row.uri);
    let outcome = match (row.subject, adopted, member) {
        (VoteSubject::Inclusion, true, false) => {
            let version = Url::parse(&row.base_version)?;
            directory::admit(ctx, tx, charter, &candidate, &version, &by).await?;
            Outcome::Adopted
        }
        (VoteSubject::Exclusion, true, true) => {
            directory::remove(ctx, tx, charter, &candidate, &row.summary, &by).await?;
            Outcome::Adopted
        }
        (_, false, _) => Outcome::Rejected,
        _ => Outcome::Superseded,
    };
    if let Some(join) = ctx.store.join_voted_by(row.id).await? {
        let admitted = outcome == Outcome::Adopted;
        let (next, reason) = if admitted {
            (JoinState::Admitted, None)
        } else {
            (
                JoinState::Refused,
                Some(format!("the network's vote ended {outcome}")),
            )
        };
        if tx
            .decide_join(join.id, JoinState::Voting, next, reason.as_deref(), None)
            .await?
        {
            joins::answer(ctx, tx, &join, admitted, reason.as_deref()).await?;
        }
    }
    Ok(outcome)
}
