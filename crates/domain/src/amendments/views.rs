//! Amendments as the API and the console show them: the proposal and its
//! changes, the rules, the tally (live on the host, as published once
//! closed), and, on a member, whether our commitment is now outdated.

use crate::model::AmendmentId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::amendments::{Majority, quorum_met};
use crate::context::Context;
use crate::documents::parse_stored;
use crate::error::{Error, Result};
use crate::model::payload::CommitmentPayload;
use crate::model::time::format_millis;
use crate::model::{AmendmentRole, AmendmentState, Choice, ObjectKind, Outcome, VoteSubject};
use crate::store::{AmendmentRow, ObjectRow};

/// The counts of an amendment's votes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tally {
    pub approve: u64,
    pub reject: u64,
    pub abstain: u64,
    /// Nodes whose vote counts (one each, only addressed ones: never more
    /// than `eligible`).
    pub voters: u64,
    /// Nodes the amendment was addressed to.
    pub eligible: u64,
    /// Senders whose vote was refused, once each (not addressed, no valid
    /// commitment to the amended version, no valid proof).
    pub refused: u64,
    pub quorum_met: bool,
    /// Ids of the counted votes.
    pub votes: Vec<String>,
}

/// One of our commitments to the amended charter.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommitmentStatus {
    /// The commitment's local id.
    pub id: String,
    /// The charter version it names.
    pub charter: String,
    /// It names a version an adopted amendment replaced.
    pub outdated: bool,
    /// The current version, when outdated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AmendmentView {
    pub id: AmendmentId,
    /// The `Question`'s id.
    pub uri: String,
    /// `host` (this node tallies) or `member` (this node votes).
    pub role: AmendmentRole,
    pub state: AmendmentState,
    /// The host's actor.
    pub host: String,
    /// The charter version amended.
    pub amends: String,
    pub summary: String,
    /// The proposed next version (a charter payload).
    pub proposed: Value,
    /// Principle keys `added`, `removed`, `changed`; `text`: name or text changed.
    pub changes: Value,
    pub quorum_percent: i64,
    /// `simple` or `two-thirds`.
    pub majority: String,
    #[schema(format = DateTime)]
    pub end_time: String,
    #[schema(format = DateTime)]
    pub opened_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub our_choice: Option<Choice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tally: Option<Tally>,
    /// `adopted`, `rejected` or `superseded`, once closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adopted_version: Option<String>,
    /// On a member: our commitments to the amended charter.
    pub commitments: Vec<CommitmentStatus>,
    /// `charter` (an amendment), `inclusion` or `exclusion` (issue 27).
    pub subject: VoteSubject,
    /// The node a membership vote is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
    /// The amendment or draft the vote links to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
    /// What the node a membership vote is about replied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// Membership votes linking to this amendment (by `draft`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub linked_votes: Vec<AmendmentId>,
}

/// Every charter amendment, newest first.
pub async fn list(ctx: &Context) -> Result<Vec<AmendmentView>> {
    list_where(ctx, |subject| !subject.is_membership()).await
}

/// Every inclusion and exclusion vote, newest first.
pub async fn list_membership(ctx: &Context) -> Result<Vec<AmendmentView>> {
    list_where(ctx, VoteSubject::is_membership).await
}

async fn list_where(
    ctx: &Context,
    keep: impl Fn(VoteSubject) -> bool,
) -> Result<Vec<AmendmentView>> {
    let commitments = our_commitments(ctx).await?;
    let rows = ctx.store.amendments().await?;
    let mut views = Vec::new();
    for row in rows.iter().filter(|row| keep(row.subject)) {
        views.push(view_of(ctx, row, &commitments, &rows).await?);
    }
    Ok(views)
}

/// One amendment.
pub async fn view(ctx: &Context, id: AmendmentId) -> Result<AmendmentView> {
    let row = ctx
        .store
        .amendment(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no amendment {id}")))?;
    let rows = ctx.store.amendments().await?;
    view_of(ctx, &row, &our_commitments(ctx).await?, &rows).await
}

async fn view_of(
    ctx: &Context,
    row: &AmendmentRow,
    commitments: &[(ObjectRow, CommitmentPayload)],
    all: &[AmendmentRow],
) -> Result<AmendmentView> {
    let question = parse_stored(&row.question)?;
    let tally = match (&row.result, row.role) {
        (Some(result), _) => Some(serde_json::from_str(result)?),
        (None, AmendmentRole::Host) => Some(live_tally(ctx, row).await?),
        (None, _) => None,
    };
    let adopted = (row.outcome == Some(Outcome::Adopted))
        .then(|| row.adopted_version.clone())
        .flatten();
    Ok(AmendmentView {
        id: row.id,
        uri: row.uri.clone(),
        role: row.role,
        state: row.state,
        host: row.host_actor.clone(),
        amends: row.base_version.clone(),
        summary: row.summary.clone(),
        proposed: parse_stored(&row.proposal)?,
        changes: question.get("changes").cloned().unwrap_or(Value::Null),
        quorum_percent: row.quorum_percent,
        majority: row.majority.clone(),
        end_time: format_millis(row.end_time),
        opened_at: format_millis(row.opened_at),
        our_choice: row.our_choice,
        tally,
        outcome: row.outcome,
        adopted_version: row.adopted_version.clone(),
        commitments: commitments
            .iter()
            .filter(|(_, c)| {
                c.charter.as_str() == row.base_version
                    || Some(c.charter.as_str()) == row.adopted_version.as_deref()
            })
            .map(|(object, c)| {
                let outdated = adopted.is_some() && c.charter.as_str() == row.base_version;
                CommitmentStatus {
                    id: object.local_id.clone(),
                    charter: c.charter.to_string(),
                    outdated,
                    current: adopted.clone().filter(|_| outdated),
                }
            })
            .collect(),
        subject: row.subject,
        candidate: row.candidate.clone(),
        draft: row.draft.clone(),
        reply: row.reply.clone(),
        linked_votes: all
            .iter()
            .filter(|other| other.draft.as_deref() == Some(row.uri.as_str()))
            .map(|other| other.id)
            .collect(),
    })
}

/// The counts so far of a hosted amendment. Only votes of the addressed
/// nodes count, one each, so `voters` never exceeds `eligible` (even for a
/// vote stored before that rule held).
pub async fn live_tally(ctx: &Context, row: &AmendmentRow) -> Result<Tally> {
    let ids = &row.eligible;
    let mut addressed = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(peer) = ctx.store.peer(*id).await? {
            addressed.push(peer.actor_uri);
        }
    }
    let mut votes = ctx.store.amendment_votes(row.id).await?;
    // The store keeps one vote per voter: at most one per addressed node.
    votes.retain(|v| addressed.contains(&v.voter));
    let count = |choice: Choice| {
        crate::model::unsigned(votes.iter().filter(|v| v.choice == choice).count())
    };
    let eligible = crate::model::unsigned(ids.len());
    let voters = crate::model::unsigned(votes.len());
    let quorum = u64::try_from(row.quorum_percent).unwrap_or(100);
    Ok(Tally {
        approve: count(Choice::Approve),
        reject: count(Choice::Reject),
        abstain: count(Choice::Abstain),
        voters,
        eligible,
        refused: u64::try_from(ctx.store.amendment_refusals(row.id).await?).unwrap_or(0),
        quorum_met: quorum_met(voters, eligible, quorum),
        votes: votes.into_iter().map(|v| v.vote_uri).collect(),
    })
}

/// Whether a tally adopts the amendment under its rules.
pub fn adopts(tally: &Tally, majority: &str) -> bool {
    tally.quorum_met
        && Majority::parse(majority)
            .unwrap_or(Majority::Simple)
            .adopts(tally.approve, tally.reject)
}

/// This node's live commitments with their payloads.
pub async fn our_commitments(ctx: &Context) -> Result<Vec<(ObjectRow, CommitmentPayload)>> {
    let mut found = Vec::new();
    let mut after = 0;
    loop {
        let page = ctx
            .store
            .list_objects(ObjectKind::Commitment, after, 200, false)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        for row in page {
            if row.deleted_at.is_some() {
                continue;
            }
            let payload: CommitmentPayload = serde_json::from_str(&row.payload)?;
            found.push((row, payload));
        }
    }
    Ok(found)
}
