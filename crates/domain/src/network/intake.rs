//! What members send the host about the network's votes: the reply of
//! the node a vote is about, and a member's proposal to exclude another
//! (the host opens the exclusion vote at once, with the rules proposed).

use url::Url;

use crate::amendments::local_charter;
use crate::apub::activities::amendment::ProposedRemoval;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::AmendmentRole;
use crate::network::joins::MAX_ANSWER;
use crate::network::votes::{VoteRules, is_member, open_exclusion};
use crate::store::PeerRow;
use crate::{audit, change};

fn bad(pointer: &str, detail: impl Into<String>) -> Error {
    Error::UnprocessableAt(pointer.into(), detail.into())
}

/// The host's side: the reply of the node a membership vote is about,
/// kept with the vote (its latest reply counts). A reply to anything else
/// is no business of this node.
pub async fn reply_received(
    ctx: &Context,
    sender: &PeerRow,
    question: &Url,
    content: &str,
) -> Result<()> {
    let Some(row) = ctx.store.amendment_by_uri(question.as_str()).await? else {
        return Ok(());
    };
    if row.role != AmendmentRole::Host || !row.subject.is_membership() {
        return Ok(());
    }
    if row.candidate.as_deref() != Some(sender.actor_uri.as_str()) {
        return Err(Error::Forbidden(
            "only the node a vote is about replies to it".into(),
        ));
    }
    if content.trim().is_empty() || content.len() > MAX_ANSWER {
        return Err(bad(
            "/object/content",
            format!("1 to {} characters", MAX_ANSWER),
        ));
    }
    let mut tx = change::begin(ctx).await?;
    tx.set_reply(row.id, content).await?;
    let detail = format!("reply to vote {}", row.uri);
    audit::record(
        &mut tx,
        audit::Event::NetworkReplied,
        Some(&sender.actor_uri),
        "inbox",
        &detail,
    )
    .await?;
    change::commit(ctx, tx).await
}

/// The host's side: a member proposes to exclude another member; the
/// vote opens at once with the default rules, naming the proposer.
pub async fn exclusion_proposed(
    ctx: &Context,
    sender: &PeerRow,
    removal: &ProposedRemoval,
    reasons: &str,
) -> Result<()> {
    let member = &removal.object;
    let network = removal
        .target
        .as_str()
        .strip_suffix("/members")
        .and_then(|n| Url::parse(n).ok())
        .ok_or_else(|| bad("/object/target", "not a member directory"))?;
    let charter = local_charter(ctx, &network)
        .ok_or_else(|| Error::NotFound(format!("no network {network} hosted here")))?;
    if !is_member(ctx, &charter, sender.id).await? {
        return Err(Error::Forbidden(format!(
            "{} is not a member of {network}: only members propose exclusions",
            sender.actor_uri
        )));
    }
    let subject = ctx
        .store
        .peer_by_uri(member.as_str())
        .await?
        .ok_or_else(|| Error::NotFound(format!("{member} is not a member")))?;
    let reasons = format!("Proposed by {}: {reasons}", sender.actor_uri);
    let by = format!("proposal of {}", sender.actor_uri);
    let rules = proposed_rules(removal)?;
    open_exclusion(ctx, &charter, &subject, &reasons, &rules, &by).await?;
    Ok(())
}

/// The rules a proposer suggests: an end time (checked as a duration from
/// now), a quorum and a majority; the host's defaults for the others.
fn proposed_rules(removal: &ProposedRemoval) -> Result<VoteRules> {
    let duration_seconds = removal
        .end_time
        .as_deref()
        .map(|end| {
            chrono::DateTime::parse_from_rfc3339(end)
                .map(|end| {
                    let millis = end.timestamp_millis() - crate::store::now_millis();
                    u64::try_from(millis.max(0) / 1000).unwrap_or(0)
                })
                .map_err(|_| bad("/object/endTime", "must be an RFC 3339 date-time"))
        })
        .transpose()?;
    Ok(VoteRules {
        duration_seconds,
        quorum_percent: removal.quorum,
        majority: removal.majority_rule.clone(),
        draft: None,
    })
}
