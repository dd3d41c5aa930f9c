//! The tally: once a hosted amendment's end time has passed, the host
//! counts its votes, publishes `Update(Question)` with the counts, the
//! outcome and the counted vote ids to the nodes it was addressed to, and,
//! if adopted, the charter's next version (`previousVersion` → the amended
//! one). It all commits in one change that first finds the amendment still
//! open, so with several replicas on one database it happens once.

use crate::model::AmendmentId;
use serde_json::json;
use url::Url;

use crate::amendments::proposal::send_to_each;
use crate::amendments::question::{self, Results};
use crate::amendments::views::{Tally, adopts, live_tally};
use crate::apub::objects::charter::version_uri;
use crate::context::Context;
use crate::documents::parse_stored;
use crate::error::Result;
use crate::model::{ActivityKind, AmendmentState, ObjectKind, Outcome, time};
use crate::outgoing::sign;
use crate::store::{AmendmentRow, ChangeTx, Closing, PeerRow, now_millis};
use crate::{audit, change, publish, webhooks};

/// Closes every hosted amendment whose end time passed; returns how many
/// this call closed.
pub async fn tally_due(ctx: &Context) -> Result<usize> {
    let mut closed = 0;
    for id in ctx.store.due_amendments(now_millis()).await? {
        if close(ctx, id).await? {
            closed += 1;
        }
    }
    Ok(closed)
}

async fn close(ctx: &Context, id: AmendmentId) -> Result<bool> {
    let Some(row) = ctx.store.amendment(id).await? else {
        return Ok(false);
    };
    if row.state != AmendmentState::Open {
        return Ok(false);
    }
    let peers = addressed(ctx, &row).await?;
    let mut tx = change::begin(ctx).await?;
    // Votes commit under the same change lock: none lands after this.
    let tally = live_tally(ctx, &row).await?;
    let (outcome, adopted) = decide(ctx, &mut tx, &row, &tally).await?;
    let closed_at = time::now();
    let votes = tally
        .votes
        .iter()
        .filter_map(|v| Url::parse(v).ok())
        .collect();
    let document = sign(
        ctx,
        &question::closed(
            &parse_stored(&row.question)?,
            &Results {
                counts: [tally.approve, tally.reject, tally.abstain],
                outcome,
                adopted_version: adopted.as_ref(),
                votes,
                refused: tally.refused,
                closed: &closed_at,
                reply: row.reply.as_deref(),
            },
        )?,
    )?;
    let claimed = tx
        .close_amendment(
            row.id,
            &Closing {
                outcome,
                result: &serde_json::to_string(&tally)?,
                adopted_version: adopted.as_ref().map(Url::as_str),
                question: &serde_json::to_string(&document)?,
            },
        )
        .await?;
    if !claimed {
        // Another replica tallied it; this change rolls back.
        return Ok(false);
    }
    send_to_each(ctx, &mut tx, &peers, ActivityKind::Update, &document).await?;
    let detail = format!(
        "amendment {} closed: {outcome} ({} approve, {} reject, {} abstain, {} of {} node(s) voted, {} refused){}",
        row.uri,
        tally.approve,
        tally.reject,
        tally.abstain,
        tally.voters,
        tally.eligible,
        tally.refused,
        adopted
            .as_ref()
            .map(|v| format!("; version {v} adopted"))
            .unwrap_or_default()
    );
    let (logged, emitted) = if row.subject.is_membership() {
        (
            audit::Event::NetworkVoteClosed,
            webhooks::Event::NetworkVoteClosed,
        )
    } else {
        (
            audit::Event::AmendmentClosed,
            webhooks::Event::AmendmentClosed,
        )
    };
    audit::record(&mut tx, logged, row.candidate.as_deref(), "tally", &detail).await?;
    let event = json!({"amendment": row.uri, "outcome": outcome, "tally": tally,
        "adopted_version": adopted, "decides": row.subject, "candidate": row.candidate});
    webhooks::emit(&mut tx, emitted, &row.uri, event).await?;
    change::commit(ctx, tx).await?;
    tracing::info!(amendment = %row.uri, outcome = outcome.as_str(), "amendment tallied");
    Ok(true)
}

/// The outcome, and the adopted version (published in `tx`) if any. An
/// amendment whose charter changed during the vote is `superseded`.
async fn decide(
    ctx: &Context,
    tx: &mut ChangeTx,
    row: &AmendmentRow,
    tally: &Tally,
) -> Result<(Outcome, Option<Url>)> {
    if row.subject.is_membership() {
        let outcome = crate::network::outcome::decide(ctx, tx, row, tally).await?;
        return Ok((outcome, None));
    }
    if !adopts(tally, &row.majority) {
        return Ok((Outcome::Rejected, None));
    }
    let Some(local_id) = row.charter_local_id.as_deref() else {
        return Ok((Outcome::Superseded, None));
    };
    let current = tx.object(ObjectKind::Charter, local_id).await?;
    let Some(current) = current.filter(|c| c.deleted_at.is_none()) else {
        return Ok((Outcome::Superseded, None));
    };
    let uri = Url::parse(&current.uri)?;
    if version_uri(&uri, current.version).as_str() != row.base_version {
        return Ok((Outcome::Superseded, None));
    }
    let proposal = parse_stored(&row.proposal)?;
    let prepared = publish::prepare(ctx, ObjectKind::Charter, &proposal).await?;
    let published = publish::publish_in(ctx, tx, local_id, &prepared).await?;
    Ok((
        Outcome::Adopted,
        Some(version_uri(&uri, published.object.version)),
    ))
}

/// The peers the amendment was addressed to, and the node a membership
/// vote is about, with delivery streams.
async fn addressed(ctx: &Context, row: &AmendmentRow) -> Result<Vec<PeerRow>> {
    let mut peers = Vec::new();
    for &id in &row.eligible {
        if let Some(peer) = ctx.store.peer(id).await? {
            peers.push(peer);
        }
    }
    if let Some(candidate) = row.candidate.as_deref() {
        peers.extend(ctx.store.peer_by_uri(candidate).await?);
    }
    for peer in &peers {
        ctx.store.ensure_delivery_stream(peer.id).await?;
    }
    Ok(peers)
}
