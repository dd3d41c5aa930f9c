//! The host receives a vote: a FEP-9967 `Note` from a peer whose request
//! signature verified. Only the nodes the amendment was addressed to when
//! it opened may vote, once each: a vote on an amendment is final, as
//! FEP-9967 and Mastodon polls have it (a later vote from the same node is
//! answered 409 and not kept); on a membership vote the latest replaces
//! the earlier until the end time. A vote counts while the vote is open, with a valid FEP-8b32 proof
//! by the voter, from a node with a valid commitment to the amended
//! version. Any other vote is refused (403) and kept once per sender for
//! the audit, whatever its retries; every attempt is counted in
//! `amendment_votes_total`. A vote after the end time is answered 409 and
//! not kept.

use serde_json::Value;
use url::Url;

use crate::amendments::parse_choice;
use crate::amendments::proposal::is_committed;
use crate::apub::activities::amendment::Vote;
use crate::apub::verification::verify_with_actor;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{AmendmentRole, AmendmentState};
use crate::store::{AmendmentRow, PeerRow, VoteRow, now_millis};
use crate::{audit, change};

/// Counts or refuses `note`, a vote sent by `sender`.
pub async fn receive_vote(data: &Context, sender: &PeerRow, note: &Value) -> Result<()> {
    let vote: Vote = serde_json::from_value(note.clone())
        .map_err(|e| Error::UnprocessableAt("/object".into(), format!("not a vote: {e}")))?;
    let actor = Url::parse(&sender.actor_uri)
        .map_err(|e| Error::Internal(format!("stored peer URI: {e}")))?;
    if vote.attributed_to != actor || vote.id.origin() != actor.origin() {
        return Err(Error::BadRequest(
            "a vote is attributed to its sender and has an id on its origin".into(),
        ));
    }
    let amendment = data
        .store
        .amendment_by_uri(vote.in_reply_to.as_str())
        .await?
        .filter(|row| row.role == AmendmentRole::Host)
        .ok_or_else(|| Error::NotFound(format!("no amendment {} hosted here", vote.in_reply_to)))?;
    let choice = parse_choice(&vote.name, "/object/name")?;
    if amendment.state != AmendmentState::Open || now_millis() >= amendment.end_time {
        // Too late: answered, not kept (the tally is, or is about to be, final).
        count_attempt(data, "late");
        return Err(Error::Conflict(format!(
            "the vote on {} has ended",
            amendment.uri
        )));
    }
    // Before anything that costs a fetch: a node not asked when the vote
    // opened cannot vote, whatever commitment it shows.
    if !amendment.eligible.contains(&sender.id) {
        let reason = format!(
            "{} was not addressed when the vote on {} opened: only those nodes vote",
            sender.actor_uri, amendment.uri
        );
        return refuse(data, sender, &amendment, &vote, reason).await;
    }
    let earlier = data
        .store
        .amendment_vote_by(amendment.id, &sender.actor_uri)
        .await?;
    if let Some(earlier) = &earlier {
        // On a membership vote a node may change its mind until the end
        // time: its latest vote counts, once.
        if !amendment.subject.is_membership() || earlier.vote_uri == vote.id.as_str() {
            return repeated(data, &vote, earlier);
        }
    }
    if let Some(reason) = refusal(data, sender, &amendment, note).await? {
        return refuse(data, sender, &amendment, &vote, reason).await;
    }
    let row = VoteRow {
        voter: sender.actor_uri.clone(),
        vote_uri: vote.id.to_string(),
        choice,
        received_at: now_millis(),
    };
    record(data, &amendment, &row, note, earlier.is_some()).await
}

/// Counts a checked vote, in one change that finds the vote still open
/// and the node without a vote.
async fn record(
    data: &Context,
    amendment: &AmendmentRow,
    row: &VoteRow,
    note: &Value,
    replacing: bool,
) -> Result<()> {
    let mut tx = change::begin(data).await?;
    if !tx.amendment_takes_votes(amendment.id, now_millis()).await? {
        return Err(Error::Conflict("the vote has ended".into()));
    }
    let document = serde_json::to_string(note)?;
    let kept = if replacing {
        tx.replace_vote(amendment.id, row, &document).await?
    } else {
        tx.insert_vote(amendment.id, row, &document).await?
    };
    if !kept {
        // Another vote of the node's landed meanwhile; this one rolls back.
        count_attempt(data, "repeated");
        return Err(already_voted(&row.voter));
    }
    let detail = format!(
        "vote {} ({}) on {}",
        row.vote_uri, row.choice, amendment.uri
    );
    audit::record(
        &mut tx,
        audit::Event::VoteCounted,
        Some(&row.voter),
        "inbox",
        &detail,
    )
    .await?;
    change::commit(data, tx).await?;
    count_attempt(data, "counted");
    Ok(())
}

/// A second vote from a node whose vote counts: the same vote again (a
/// retry under a new activity id) is acknowledged; another is refused.
/// Nothing is kept either way.
fn repeated(data: &Context, vote: &Vote, earlier: &VoteRow) -> Result<()> {
    count_attempt(data, "repeated");
    if earlier.vote_uri == vote.id.as_str() {
        return Ok(());
    }
    Err(already_voted(&earlier.voter))
}

fn already_voted(voter: &str) -> Error {
    Error::Conflict(format!(
        "{voter} has voted already: a vote is final (FEP-9967, as Mastodon polls)"
    ))
}

/// Keeps a refused vote once per sender (its retries add nothing: no row,
/// no audit entry), counts every attempt, and answers 403 with the reason.
async fn refuse(
    data: &Context,
    sender: &PeerRow,
    amendment: &AmendmentRow,
    vote: &Vote,
    reason: String,
) -> Result<()> {
    count_attempt(data, "refused");
    // Most retries stop here, without taking the change lock.
    if data
        .store
        .vote_refused(amendment.id, &sender.actor_uri)
        .await?
    {
        return Err(Error::Forbidden(reason));
    }
    let mut tx = change::begin(data).await?;
    let first = tx
        .refuse_vote(amendment.id, &sender.actor_uri, vote.id.as_str(), &reason)
        .await?;
    if first {
        let detail = format!("vote {} on {} refused: {reason}", vote.id, amendment.uri);
        audit::record(
            &mut tx,
            audit::Event::VoteRefused,
            Some(&sender.actor_uri),
            "inbox",
            &detail,
        )
        .await?;
        change::commit(data, tx).await?;
    }
    Err(Error::Forbidden(reason))
}

/// Why a well-formed vote of an addressed node is refused, if it is.
async fn refusal(
    data: &Context,
    sender: &PeerRow,
    amendment: &AmendmentRow,
    note: &Value,
) -> Result<Option<String>> {
    let base = Url::parse(&amendment.base_version)?;
    if !is_committed(data, sender, &base).await? {
        return Ok(Some(format!("the voter has no valid commitment to {base}")));
    }
    let actor_document: Value = serde_json::from_str(&sender.actor_json).unwrap_or(Value::Null);
    if let Err(e) = verify_with_actor(&actor_document, note) {
        return Ok(Some(format!(
            "the vote carries no valid integrity proof: {e}"
        )));
    }
    Ok(None)
}

/// One vote received, by outcome: `counted`, `repeated`, `refused`, `late`
/// (a closed set, so the metric's series stay few).
fn count_attempt(data: &Context, outcome: &'static str) {
    data.metrics
        .amendment_votes
        .with_label_values(&[outcome])
        .inc();
}
