//! A member node's part in the network's decisions beyond voting: it
//! proposes an exclusion to the host (`Offer` of the `Remove` of a member
//! from the directory, its reasons as `content`), and, when a vote is
//! about it, replies (a `Note` in reply to the `Question`).

use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::amendments::{AmendmentView, member_row, note_to_host, view};
use crate::apub::activities::{self};
use crate::apub::actor::actor_id;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::follows::resolve_peer;
use crate::model::{ActivityKind, AmendmentId, Audience, time};
use crate::network::joins::MAX_ANSWER;
use crate::network::votes::{VoteRules, open_exclusion};
use crate::outgoing::record_for_peer;
use crate::{audit, change};

/// An exclusion proposed by this node's admin.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExclusionProposal {
    /// The network: the local id of a charter hosted here (the vote opens
    /// at once), or the URI of another host's charter (the proposal goes
    /// to that host, which opens the vote).
    pub network: String,
    /// The member to exclude (its actor URI).
    pub member: String,
    /// Why: shown to the voters and to the member.
    pub reasons: String,
    /// Voting period in seconds (2 to 7 776 000; default 7 days): the host
    /// checks it.
    pub duration_seconds: Option<u64>,
    /// Percentage of the addressed members that must vote; default 50.
    pub quorum_percent: Option<u64>,
    /// `simple` (default) or `two-thirds`.
    pub majority: Option<String>,
    /// An amendment (its `Question`'s id) or a draft the discussion links to.
    pub draft: Option<String>,
}

impl ExclusionProposal {
    fn rules(&self) -> VoteRules {
        VoteRules {
            duration_seconds: self.duration_seconds,
            quorum_percent: self.quorum_percent,
            majority: self.majority.clone(),
            draft: self.draft.clone(),
        }
    }
}

/// What proposing an exclusion did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Proposed {
    /// The vote opened here (host), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote: Option<AmendmentView>,
    /// The `Offer` sent to the host (member), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<String>,
}

fn bad(pointer: &str, detail: impl Into<String>) -> Error {
    Error::UnprocessableAt(pointer.into(), detail.into())
}

/// Opens the exclusion vote (on the host) or sends the proposal to the
/// network's host (on a member).
pub async fn propose_exclusion(
    ctx: &Context,
    proposal: &ExclusionProposal,
    decided_by: &str,
) -> Result<Proposed> {
    if proposal.reasons.trim().is_empty() || proposal.reasons.len() > MAX_ANSWER {
        return Err(bad("/reasons", format!("1 to {MAX_ANSWER} characters")));
    }
    let member = Url::parse(&proposal.member)
        .map_err(|_| bad("/member", "must be the member's actor URI"))?;
    if !proposal.network.contains("://") {
        let peer = ctx
            .store
            .peer_by_uri(member.as_str())
            .await?
            .ok_or_else(|| Error::NotFound(format!("{member} is not a member")))?;
        let vote = open_exclusion(
            ctx,
            &proposal.network,
            &peer,
            &proposal.reasons,
            &proposal.rules(),
            decided_by,
        )
        .await?;
        return Ok(Proposed {
            vote: Some(vote),
            offer: None,
        });
    }
    let network = Url::parse(&proposal.network)
        .map_err(|_| bad("/network", "a local charter id or a charter URI"))?;
    let offer = send_proposal(ctx, &network, &member, proposal, decided_by).await?;
    Ok(Proposed {
        vote: None,
        offer: Some(offer.to_string()),
    })
}

async fn send_proposal(
    ctx: &Context,
    network: &Url,
    member: &Url,
    proposal: &ExclusionProposal,
    decided_by: &str,
) -> Result<Url> {
    let reasons = &proposal.reasons;
    if !ctx.settings.federation.networks.contains(network) {
        return Err(bad(
            "/network",
            "not one of this node's networks (federation.networks)",
        ));
    }
    let host_actor = network
        .join("/actor")
        .map_err(|_| bad("/network", "not a charter URI"))?;
    let host = resolve_peer(ctx, host_actor.as_str()).await?;
    let directory = Url::parse(&format!("{network}/members"))?;
    let id = activities::new_activity_id(&ctx.settings);
    let mut removal = json!({"type": "Remove", "object": member, "target": directory});
    let rules = proposal.rules();
    if let Some(seconds) = rules.duration_seconds {
        let millis = i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
        removal["endTime"] = json!(time::format_millis(crate::store::now_millis() + millis));
    }
    if let Some(quorum) = rules.quorum_percent {
        removal["quorum"] = json!(quorum);
    }
    if let Some(majority) = &rules.majority {
        removal["majorityRule"] = json!(majority);
    }
    let mut document = activities::document(
        &ctx.settings,
        ActivityKind::Offer,
        id.clone(),
        removal,
        &Audience::Peers(vec![Url::parse(&host.row.actor_uri)?]),
        &time::now(),
    )?;
    document["content"] = json!(reasons);
    ctx.store.ensure_delivery_stream(host.row.id).await?;
    let mut tx = change::begin(ctx).await?;
    record_for_peer(
        ctx,
        &mut tx,
        host.row.id,
        ActivityKind::Offer,
        &id,
        &document,
    )
    .await?;
    let detail = format!("proposed to exclude {member} from {network}: {reasons}");
    audit::record(
        &mut tx,
        audit::Event::NetworkExclusionProposed,
        Some(member.as_str()),
        decided_by,
        &detail,
    )
    .await?;
    change::commit(ctx, tx).await?;
    Ok(id)
}

/// This node replies to the vote `id` about it: a signed `Note` in reply
/// to the `Question`, sent to the host, which keeps the latest.
pub async fn reply(
    ctx: &Context,
    id: AmendmentId,
    content: &str,
    decided_by: &str,
) -> Result<AmendmentView> {
    if content.trim().is_empty() || content.len() > MAX_ANSWER {
        return Err(bad("/content", format!("1 to {MAX_ANSWER} characters")));
    }
    let row = member_row(ctx, id).await?;
    let us = actor_id(&ctx.settings);
    if row.candidate.as_deref() != Some(us.as_str()) {
        return Err(Error::Conflict(format!("vote {id} is not about this node")));
    }
    let fields = json!({"content": content});
    let (mut tx, _, host) = note_to_host(ctx, &row, "/replies", fields).await?;
    tx.set_reply(row.id, content).await?;
    let detail = format!("replied to vote {}", row.uri);
    audit::record(
        &mut tx,
        audit::Event::NetworkReplied,
        Some(host.as_str()),
        decided_by,
        &detail,
    )
    .await?;
    change::commit(ctx, tx).await?;
    view(ctx, id).await
}
