//! The host receives a vote: a FEP-9967 `Note` from a peer whose request
//! signature verified. It counts (once per node, the latest replacing the
//! earlier) only while the vote is open, with a valid FEP-8b32 proof by the
//! voter, from a node with a valid commitment to the amended version; any
//! other vote is refused, and counted as refused. A vote after the end
//! time is answered 409 and not kept.

use activitypub_federation::config::Data;
use serde_json::Value;
use url::Url;

use crate::apub::activities::amendment::Vote;
use crate::apub::verification::verify_with_actor;
use crate::domain::amendments::parse_choice;
use crate::domain::amendments::proposal::is_committed;
use crate::domain::{audit, change};
use crate::error::{Error, Result};
use crate::node::AppContext;
use crate::store::{AmendmentRow, PeerRow, VoteRow, now_millis};

/// Counts or refuses `note`, a vote sent by `sender`.
pub async fn receive_vote(data: &Data<AppContext>, sender: &PeerRow, note: &Value) -> Result<()> {
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
        .filter(|row| row.role == "host")
        .ok_or_else(|| Error::NotFound(format!("no amendment {} hosted here", vote.in_reply_to)))?;
    let choice = parse_choice(&vote.name, "/object/name")?;
    if amendment.state != "open" || now_millis() >= amendment.end_time {
        // Too late: answered, not kept (the tally is, or is about to be, final).
        data.metrics
            .amendment_votes
            .with_label_values(&["late"])
            .inc();
        return Err(Error::Conflict(format!(
            "the vote on {} has ended",
            amendment.uri
        )));
    }
    if let Some(reason) = refusal(data, sender, &amendment, note).await? {
        return refuse(data, sender, &amendment, &vote, reason).await;
    }
    let mut tx = change::begin(data).await?;
    if !tx.amendment_takes_votes(amendment.id, now_millis()).await? {
        return Err(Error::Conflict("the vote has ended".into()));
    }
    let row = VoteRow {
        voter: sender.actor_uri.clone(),
        vote_uri: vote.id.to_string(),
        choice: choice.to_owned(),
        received_at: now_millis(),
    };
    let replaced = tx
        .put_vote(amendment.id, &row, &serde_json::to_string(note)?)
        .await?;
    let detail = format!(
        "vote {} ({choice}) on {}{}",
        vote.id,
        amendment.uri,
        if replaced {
            ", replacing the node's earlier vote"
        } else {
            ""
        }
    );
    audit::record(
        &mut tx,
        audit::Event::VoteCounted,
        Some(&sender.actor_uri),
        "inbox",
        &detail,
    )
    .await?;
    change::commit(data, tx).await?;
    let outcome = if replaced { "replaced" } else { "counted" };
    data.metrics
        .amendment_votes
        .with_label_values(&[outcome])
        .inc();
    Ok(())
}

/// Keeps a refused vote (counted once, whatever its retries), and answers
/// 403 with the reason.
async fn refuse(
    data: &Data<AppContext>,
    sender: &PeerRow,
    amendment: &AmendmentRow,
    vote: &Vote,
    reason: String,
) -> Result<()> {
    let mut tx = change::begin(data).await?;
    tx.refuse_vote(amendment.id, &sender.actor_uri, vote.id.as_str(), &reason)
        .await?;
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
    data.metrics
        .amendment_votes
        .with_label_values(&["refused"])
        .inc();
    Err(Error::Forbidden(reason))
}

/// Why a well-formed vote is refused, if it is.
async fn refusal(
    data: &Data<AppContext>,
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
