//! Asking to join a network: the candidate sends the charter's host a
//! `Join` with its commitment and its answer, per principle, to the entry
//! question; the host keeps the request until its admin refuses it or
//! opens an inclusion vote on it (`network::votes`), and answers the
//! candidate `Accept` or `Reject` once it is decided.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::amendments::local_charter;
use crate::apub::activities::join::{Join, JoinAnswer};
use crate::apub::activities::{self};
use crate::apub::objects::charter::version_uri;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{ActivityKind, Audience, JoinId, JoinRole, JoinState, ObjectKind, time};
use crate::outgoing::record_for_peer;
use crate::store::{ChangeTx, JoinRow, NewJoin, PeerRow};
use crate::{audit, change};

/// The longest answer to the entry question, per principle.
pub const MAX_ANSWER: usize = 4000;

/// What a candidate's admin sends.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The network: its charter's URI (`https://host/charters/{id}`).
    pub network: String,
    /// Per principle key of the charter's current version: how this
    /// platform recognises itself in it.
    pub answers: BTreeMap<String, String>,
}

/// A request to join, as the API shows it on either side.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JoinView {
    pub id: JoinId,
    /// `host` (a candidate asked us) or `candidate` (we asked).
    pub role: String,
    pub network: String,
    /// The candidate (host side) or the host (candidate side).
    pub peer: String,
    pub join: String,
    pub commitment: Option<String>,
    /// `[{"principle": URI, "content": text}]`.
    #[schema(value_type = Object)]
    pub answers: Value,
    /// `pending`, `voting`, `admitted` or `refused`.
    pub state: String,
    pub reason: Option<String>,
    /// The inclusion vote (an amendment id) opened on it.
    pub vote: Option<crate::model::AmendmentId>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

impl JoinView {
    pub fn of(row: &JoinRow) -> JoinView {
        JoinView {
            id: row.id,
            role: row.role.as_str().to_owned(),
            network: row.network.clone(),
            peer: row.peer_actor.clone(),
            join: row.join_uri.clone(),
            commitment: row.commitment.clone(),
            answers: serde_json::from_str(&row.answers).unwrap_or(Value::Null),
            state: row.state.as_str().to_owned(),
            reason: row.reason.clone(),
            vote: row.amendment_id,
            created_at: time::format_millis(row.created_at),
            decided_at: row.decided_at.map(time::format_millis),
        }
    }
}

fn bad(pointer: &str, detail: impl Into<String>) -> Error {
    Error::UnprocessableAt(pointer.into(), detail.into())
}

/// Requests on one side, newest first.
pub async fn list(ctx: &Context, role: JoinRole) -> Result<Vec<JoinView>> {
    Ok(ctx
        .store
        .joins(role)
        .await?
        .iter()
        .map(JoinView::of)
        .collect())
}

pub async fn view(ctx: &Context, id: JoinId) -> Result<JoinView> {
    let row = ctx
        .store
        .join(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no request to join {id}")))?;
    Ok(JoinView::of(&row))
}

/// The host's side: a `Join` from `sender` for the network of a charter
/// hosted here, kept until the admin decides. Every principle of the
/// charter's current version must be answered.
pub async fn received(ctx: &Context, sender: &PeerRow, join: Join) -> Result<()> {
    if join.actor.as_str() != sender.actor_uri {
        return Err(Error::BadRequest("a Join is its sender's own".into()));
    }
    let charter = local_charter(ctx, &join.object)
        .ok_or_else(|| Error::NotFound(format!("no charter {} hosted here", join.object)))?;
    let row = ctx
        .store
        .object(ObjectKind::Charter, &charter)
        .await?
        .filter(|row| row.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("no charter {} hosted here", join.object)))?;
    let commitment = join
        .commitment
        .as_ref()
        .filter(|c| c.origin() == join.actor.origin())
        .ok_or_else(|| bad("/commitment", "the candidate's own commitment is required"))?;
    let current = version_uri(&join.object, row.version);
    check_received_answers(ctx, &current, &join.answers).await?;
    if crate::network::directory::members(ctx, &charter)
        .await?
        .iter()
        .any(|m| m.peer_id == sender.id)
    {
        return Err(Error::Conflict(format!(
            "{} is a member already",
            sender.actor_uri
        )));
    }
    let mut tx = change::begin(ctx).await?;
    if tx
        .open_join(JoinRole::Host, join.object.as_str(), sender.id)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "{} asked to join already; its request waits for a decision",
            sender.actor_uri
        )));
    }
    tx.insert_join(&NewJoin {
        role: JoinRole::Host,
        network: join.object.as_str(),
        peer_id: sender.id,
        peer_actor: &sender.actor_uri,
        join_uri: join.id.as_str(),
        commitment: Some(commitment.as_str()),
        answers: &serde_json::to_string(&join.answers)?,
    })
    .await?;
    let detail = format!(
        "{} asks to join {} ({})",
        sender.actor_uri, join.object, join.id
    );
    audit::record(
        &mut tx,
        audit::Event::NetworkJoinReceived,
        Some(&sender.actor_uri),
        "inbox",
        &detail,
    )
    .await?;
    change::commit(ctx, tx).await
}

/// Each principle of the current version answered, and nothing else.
async fn check_received_answers(
    ctx: &Context,
    current: &Url,
    answers: &[JoinAnswer],
) -> Result<()> {
    let (_, version) = ctx
        .store
        .object_version_by_uri(current.as_str())
        .await?
        .ok_or_else(|| Error::Internal(format!("no stored version {current}")))?;
    let document: Value = serde_json::from_str(&version.document)?;
    let principles: Vec<&str> = document["principles"]
        .as_array()
        .map(|list| list.iter().filter_map(|p| p["id"].as_str()).collect())
        .unwrap_or_default();
    for (index, answer) in answers.iter().enumerate() {
        if !principles.contains(&answer.principle.as_str()) {
            return Err(bad(
                &format!("/answers/{index}/principle"),
                format!("not a principle of {current}"),
            ));
        }
        if answer.content.trim().is_empty() || answer.content.len() > MAX_ANSWER {
            return Err(bad(
                &format!("/answers/{index}/content"),
                format!("1 to {MAX_ANSWER} characters"),
            ));
        }
    }
    if let Some(missing) = principles
        .iter()
        .find(|p| !answers.iter().any(|a| a.principle.as_str() == **p))
    {
        return Err(bad(
            "/answers",
            format!("the principle {missing} is not answered"),
        ));
    }
    Ok(())
}

/// The host's admin refuses a pending request outright.
pub async fn refuse(ctx: &Context, id: JoinId, reason: &str, decided_by: &str) -> Result<JoinView> {
    if reason.trim().is_empty() || reason.len() > MAX_ANSWER {
        return Err(bad("/reason", format!("1 to {MAX_ANSWER} characters")));
    }
    let row = host_request(ctx, id).await?;
    ctx.store.ensure_delivery_stream(row.peer_id).await?;
    let mut tx = change::begin(ctx).await?;
    if !tx
        .decide_join(
            id,
            JoinState::Pending,
            JoinState::Refused,
            Some(reason),
            None,
        )
        .await?
    {
        return Err(Error::Conflict(format!(
            "request {id} is {}: only a pending request is refused outright",
            row.state
        )));
    }
    answer(ctx, &mut tx, &row, false, Some(reason)).await?;
    let detail = format!(
        "request {} to join {} refused: {reason}",
        row.join_uri, row.network
    );
    audit::record(
        &mut tx,
        audit::Event::NetworkJoinRefused,
        Some(&row.peer_actor),
        decided_by,
        &detail,
    )
    .await?;
    change::commit(ctx, tx).await?;
    view(ctx, id).await
}

/// A request a candidate made to this node (the host).
pub async fn host_request(ctx: &Context, id: JoinId) -> Result<JoinRow> {
    ctx.store
        .join(id)
        .await?
        .filter(|row| row.role == JoinRole::Host)
        .ok_or_else(|| Error::NotFound(format!("no request to join {id} here")))
}

/// Tells the candidate its request was accepted or rejected (in `tx`).
pub async fn answer(
    ctx: &Context,
    tx: &mut ChangeTx,
    row: &JoinRow,
    accepted: bool,
    reason: Option<&str>,
) -> Result<()> {
    let kind = if accepted {
        ActivityKind::Accept
    } else {
        ActivityKind::Reject
    };
    let id = activities::new_activity_id(&ctx.settings);
    let candidate = Url::parse(&row.peer_actor)?;
    let mut document = activities::document(
        &ctx.settings,
        kind,
        id.clone(),
        json!(row.join_uri),
        &Audience::Peers(vec![candidate]),
        &time::now(),
    )?;
    if let Some(reason) = reason {
        document["content"] = json!(reason);
    }
    record_for_peer(ctx, tx, row.peer_id, kind, &id, &document).await
}
