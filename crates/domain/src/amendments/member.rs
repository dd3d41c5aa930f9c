//! A member node's side: it learns of an amendment (`Create(Question)`)
//! to a charter version it committed to, votes (a signed `Note` to the
//! host), learns the results (`Update(Question)`), and renews its
//! commitment when a new version was adopted.

use crate::model::AmendmentId;
use serde_json::{Value, json};
use url::Url;

use crate::amendments::views::{Tally, our_commitments};
use crate::amendments::{AmendmentView, parse_choice, quorum_met, view};
use crate::apub::activities::amendment::{CHOICES, Question};
use crate::apub::activities::{self};
use crate::apub::actor::actor_id;
use crate::apub::context::object_context;
use crate::apub::objects::charter::parse_version_uri;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::payload::CharterPayload;
use crate::model::{
    ActivityKind, AmendmentRole, AmendmentState, Audience, Choice, Outcome, VoteSubject, time,
};
use crate::outgoing::{record_for_peer, sign};
use crate::store::{AmendmentRow, ChangeTx, Closing, NewAmendment, PeerRow, now_millis};
use crate::{audit, change, webhooks};

fn bad(pointer: &str, detail: impl Into<String>) -> Error {
    Error::UnprocessableAt(pointer.into(), detail.into())
}

/// A `Question` from `sender`, checked: its id and author are the sender's.
fn question_from(sender: &PeerRow, object: &Value) -> Result<Question> {
    let question: Question = serde_json::from_value(object.clone())
        .map_err(|e| bad("/object", format!("not a Question: {e}")))?;
    let actor = Url::parse(&sender.actor_uri)?;
    if question.id.origin() != actor.origin() || question.attributed_to.as_ref() != Some(&actor) {
        return Err(Error::BadRequest(
            "the Question is not the sender's (id and attributedTo)".into(),
        ));
    }
    Ok(question)
}

/// Records an amendment the host `sender` opened, if this node holds a
/// commitment to the amended version.
pub async fn receive_opened(data: &Context, sender: &PeerRow, object: &Value) -> Result<()> {
    let question = question_from(sender, object)?;
    let amends = question
        .amends
        .clone()
        .filter(|a| a.origin() == question.id.origin() && parse_version_uri(a).is_some())
        .ok_or_else(|| bad("/object/amends", "must be a charter version of the sender"))?;
    let names: Vec<&str> = question.one_of.iter().map(|o| o.name.as_str()).collect();
    if names != CHOICES {
        return Err(bad(
            "/object/oneOf",
            "the options must be approve, reject, abstain",
        ));
    }
    let end_time = question
        .end_time
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| bad("/object/endTime", "must be an RFC 3339 date-time"))?
        .timestamp_millis();
    let committed = our_commitments(data)
        .await?
        .iter()
        .any(|(_, c)| c.charter == amends);
    if !committed {
        return Err(Error::Forbidden(format!(
            "this node has no commitment to {amends}"
        )));
    }
    if data
        .store
        .amendment_by_uri(question.id.as_str())
        .await?
        .is_some()
    {
        return Ok(());
    }
    let (subject, candidate) = subject_of(&question)?;
    let proposal = question.proposed_version.clone().unwrap_or(Value::Null);
    if !subject.is_membership() {
        serde_json::from_value::<CharterPayload>(proposal.clone())
            .map_err(|e| bad("/object/proposedVersion", format!("not a charter: {e}")))?;
    }
    let mut tx = change::begin(data).await?;
    tx.insert_amendment(&NewAmendment {
        uri: question.id.as_str(),
        role: AmendmentRole::Member,
        host_actor: &sender.actor_uri,
        host_peer_id: Some(sender.id),
        charter_local_id: None,
        base_version: amends.as_str(),
        summary: question.content.as_deref().unwrap_or_default(),
        proposal: &serde_json::to_string(&proposal)?,
        quorum_percent: i64::try_from(question.quorum.unwrap_or(50)).unwrap_or(100),
        majority: question.majority_rule.as_deref().unwrap_or("simple"),
        eligible: &[],
        end_time,
        question: &serde_json::to_string(object)?,
        subject,
        candidate: candidate.as_ref().map(Url::as_str),
        draft: question.draft.as_ref().map(Url::as_str),
    })
    .await?;
    announce_opened(
        &mut tx,
        sender,
        &question,
        &amends,
        subject,
        candidate.as_ref(),
    )
    .await?;
    change::commit(data, tx).await
}

/// The audit entry and webhook event of a vote the host opened.
async fn announce_opened(
    tx: &mut ChangeTx,
    sender: &PeerRow,
    question: &Question,
    amends: &Url,
    subject: VoteSubject,
    candidate: Option<&Url>,
) -> Result<()> {
    let (logged, emitted, detail) = match candidate {
        Some(candidate) => (
            audit::Event::NetworkVoteOpened,
            webhooks::Event::NetworkVoteOpened,
            format!(
                "{subject} vote {} on {candidate} opened by the network's host",
                question.id
            ),
        ),
        None => (
            audit::Event::AmendmentOpened,
            webhooks::Event::AmendmentOpened,
            format!("amendment {} to {amends} opened by its host", question.id),
        ),
    };
    audit::record(tx, logged, Some(&sender.actor_uri), "inbox", &detail).await?;
    let event = json!({"amendment": question.id, "amends": amends, "end_time": question.end_time,
        "peer": sender.actor_uri, "decides": subject, "candidate": candidate});
    webhooks::emit(tx, emitted, question.id.as_str(), event).await
}

/// What a received `Question` decides: a charter version, or (with
/// `decides` and `candidate`) a node's membership.
fn subject_of(question: &Question) -> Result<(VoteSubject, Option<Url>)> {
    let Some(decides) = question.decides.as_deref() else {
        return Ok((VoteSubject::Charter, None));
    };
    let subject = decides
        .parse::<VoteSubject>()
        .ok()
        .filter(|s| s.is_membership())
        .ok_or_else(|| bad("/object/decides", "must be `inclusion` or `exclusion`"))?;
    let candidate = question
        .candidate
        .clone()
        .ok_or_else(|| bad("/object/candidate", "a membership vote names its node"))?;
    Ok((subject, Some(candidate)))
}

/// The host's published counts, refused when they count more voters than
/// the nodes the vote was addressed to (as we received its opening).
fn published_tally(question: &Question, row: &AmendmentRow) -> Result<Tally> {
    let count = |choice: Choice| {
        question
            .one_of
            .iter()
            .find(|o| o.name == choice.as_str())
            .and_then(|o| o.replies.as_ref())
            .map_or(0, |r| r.total_items)
    };
    // The nodes addressed when the vote opened (as we received it): results
    // naming more voters than those are not the host's to publish.
    let opened: Value = serde_json::from_str(&row.question)?;
    let eligible = crate::model::unsigned(opened["to"].as_array().map_or(0, Vec::len));
    let voters = question.voters_count.unwrap_or(0);
    let counted = count(Choice::Approve)
        .saturating_add(count(Choice::Reject))
        .saturating_add(count(Choice::Abstain));
    let listed = crate::model::unsigned(question.votes.as_ref().map_or(0, Vec::len));
    if voters.max(counted).max(listed) > eligible {
        return Err(bad(
            "/object/votersCount",
            format!("the results count more voters than the {eligible} node(s) addressed"),
        ));
    }
    Ok(Tally {
        approve: count(Choice::Approve),
        reject: count(Choice::Reject),
        abstain: count(Choice::Abstain),
        voters,
        eligible,
        refused: question.refused_votes.unwrap_or(0),
        quorum_met: quorum_met(voters, eligible, question.quorum.unwrap_or(50)),
        votes: question
            .votes
            .iter()
            .flatten()
            .map(Url::to_string)
            .collect(),
    })
}

/// Records the results the host `sender` published.
pub async fn receive_closed(data: &Context, sender: &PeerRow, object: &Value) -> Result<()> {
    let question = question_from(sender, object)?;
    let row = data
        .store
        .amendment_by_uri(question.id.as_str())
        .await?
        .filter(|r| r.role == AmendmentRole::Member && r.host_actor == sender.actor_uri)
        .ok_or_else(|| Error::NotFound(format!("no amendment {} from the sender", question.id)))?;
    let Some(outcome) = question.outcome.as_deref() else {
        // An update of an open poll (counts so far): nothing to record.
        return Ok(());
    };
    let outcome: Outcome = outcome.parse().map_err(|_| {
        Error::UnprocessableAt(
            "/object/outcome".into(),
            format!("`{outcome}` is not an outcome"),
        )
    })?;
    if row.state != AmendmentState::Open {
        return Ok(());
    }
    let tally = published_tally(&question, &row)?;
    let adopted = question
        .adopted_version
        .filter(|_| outcome == Outcome::Adopted);
    let mut tx = change::begin(data).await?;
    tx.close_amendment(
        row.id,
        &Closing {
            outcome,
            result: &serde_json::to_string(&tally)?,
            adopted_version: adopted.as_ref().map(Url::as_str),
            question: &serde_json::to_string(object)?,
        },
    )
    .await?;
    let detail = format!("amendment {} closed by its host: {outcome}", row.uri);
    audit::record(
        &mut tx,
        audit::Event::AmendmentClosed,
        Some(&sender.actor_uri),
        "inbox",
        &detail,
    )
    .await?;
    let emitted = if row.subject.is_membership() {
        webhooks::Event::NetworkVoteClosed
    } else {
        webhooks::Event::AmendmentClosed
    };
    let event = json!({"amendment": row.uri, "outcome": outcome, "tally": tally,
        "adopted_version": adopted, "peer": sender.actor_uri, "decides": row.subject,
        "candidate": row.candidate});
    webhooks::emit(&mut tx, emitted, &row.uri, event).await?;
    change::commit(data, tx).await
}

/// A member amendment by id, for voting and renewing.
pub(crate) async fn member_row(ctx: &Context, id: AmendmentId) -> Result<AmendmentRow> {
    let row = ctx
        .store
        .amendment(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no amendment {id}")))?;
    if row.role != AmendmentRole::Member {
        return Err(Error::Conflict(format!(
            "amendment {id} is hosted here: its member nodes vote on it"
        )));
    }
    Ok(row)
}

/// Votes `choice` on the member amendment `id`: a signed `Note` sent to
/// the host. A vote is final (FEP-9967, as Mastodon polls): a second one is
/// answered 409, as the host would answer it.
pub async fn vote(
    ctx: &Context,
    id: AmendmentId,
    choice: &str,
    decided_by: &str,
) -> Result<AmendmentView> {
    let choice = parse_choice(choice, "/choice")?;
    let row = member_row(ctx, id).await?;
    if row.state != AmendmentState::Open || now_millis() >= row.end_time {
        return Err(Error::Conflict(format!(
            "the vote on amendment {id} has ended"
        )));
    }
    if let Some(earlier) = row.our_choice.filter(|_| !row.subject.is_membership()) {
        return Err(voted_already(id, earlier));
    }
    if row.candidate.as_deref() == Some(actor_id(&ctx.settings).as_str()) {
        return Err(Error::Conflict(format!(
            "vote {id} is about this node: it replies, the other members vote"
        )));
    }
    let (mut tx, vote_id, host) =
        note_to_host(ctx, &row, "/votes", json!({"name": choice})).await?;
    let logged = if row.subject.is_membership() {
        // The latest vote on a membership vote replaces the earlier.
        tx.replace_our_vote(row.id, choice, vote_id.as_str())
            .await?;
        audit::Event::NetworkVoted
    } else {
        if !tx.set_our_vote(row.id, choice, vote_id.as_str()).await? {
            // Another vote landed meanwhile; this change (and its Note) rolls back.
            return Err(voted_already(id, "already"));
        }
        audit::Event::AmendmentVoted
    };
    let detail = format!("voted {choice} on {} ({vote_id})", row.uri);
    audit::record(&mut tx, logged, Some(host.as_str()), decided_by, &detail).await?;
    change::commit(ctx, tx).await?;
    view(ctx, id).await
}

/// Begins the change that sends the host of `row` a signed `Note` of this
/// node in reply to its `Question`, with `fields` (a vote's `name`, a
/// reply's `content`), its id under `path`; the caller records what it
/// keeps and commits. Returns the change, the `Note`'s id and the host.
pub(crate) async fn note_to_host(
    ctx: &Context,
    row: &AmendmentRow,
    path: &str,
    fields: Value,
) -> Result<(ChangeTx, Url, Url)> {
    let host_peer = row
        .host_peer_id
        .ok_or_else(|| Error::Internal("a member amendment has its host".into()))?;
    let host = Url::parse(&row.host_actor)?;
    let note_id = ctx
        .settings
        .url_for(&format!("{path}/{}", uuid::Uuid::new_v4()));
    let mut note = json!({
        "@context": object_context(&ctx.settings),
        "id": note_id,
        "type": "Note",
        "attributedTo": actor_id(&ctx.settings),
        "inReplyTo": row.uri,
        "to": [host],
        "published": time::now(),
    });
    if let (Some(note), Value::Object(fields)) = (note.as_object_mut(), fields) {
        note.extend(fields);
    }
    let activity_id = activities::new_activity_id(&ctx.settings);
    let activity = activities::document(
        &ctx.settings,
        ActivityKind::Create,
        activity_id.clone(),
        sign(ctx, &note)?,
        &Audience::Peers(vec![host.clone()]),
        &time::now(),
    )?;
    ctx.store.ensure_delivery_stream(host_peer).await?;
    let mut tx = change::begin(ctx).await?;
    record_for_peer(
        ctx,
        &mut tx,
        host_peer,
        ActivityKind::Create,
        &activity_id,
        &activity,
    )
    .await?;
    Ok((tx, note_id, host))
}

fn voted_already(id: AmendmentId, choice: impl std::fmt::Display) -> Error {
    Error::Conflict(format!(
        "this node voted {choice} on amendment {id}: a vote is final"
    ))
}
