//! The candidate's side of a `Join`: this node asks the host of a
//! network's charter to let it in, with its commitment to the charter's
//! current version and its answers, and learns the host's answer.

use std::collections::BTreeMap;

use serde_json::json;
use url::Url;

use crate::amendments::our_commitments;
use crate::apub::activities::join::JoinAnswer;
use crate::apub::activities::{self};
use crate::apub::actor::actor_id;
use crate::apub::fetch::fetch_signed;
use crate::apub::objects::charter::version_uri;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::follows::resolve_peer;
use crate::model::{ActivityKind, Audience, JoinRole, JoinState, ObjectKind, time};
use crate::network::joins::{JoinRequest, JoinView, MAX_ANSWER, view};
use crate::outgoing::record_for_peer;
use crate::store::{JoinRow, NewJoin, PeerRow};
use crate::{audit, change};

fn bad(pointer: &str, detail: impl Into<String>) -> Error {
    Error::UnprocessableAt(pointer.into(), detail.into())
}

/// The candidate's side: asks the host of `request.network` to join, with
/// this node's commitment to the charter's current version.
pub async fn join(ctx: &Context, request: &JoinRequest, decided_by: &str) -> Result<JoinView> {
    let network = Url::parse(&request.network)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.path().contains("/charters/"))
        .ok_or_else(|| {
            bad(
                "/network",
                "must be a charter's URI (https://host/charters/{id})",
            )
        })?;
    if network.origin() == actor_id(&ctx.settings).origin() {
        return Err(bad(
            "/network",
            "the charter is hosted here: this node runs that network",
        ));
    }
    check_answers(&request.answers)?;
    let charter = fetch_signed(ctx, &network)
        .await
        .map_err(|e| Error::PeerUnavailable(format!("cannot read the charter: {e}")))?;
    let host = charter["attributedTo"]
        .as_str()
        .and_then(|a| Url::parse(a).ok())
        .filter(|a| a.origin() == network.origin())
        .ok_or_else(|| bad("/network", "the charter names no author on its own origin"))?;
    let version = charter["version"].as_i64().unwrap_or(1);
    let current = version_uri(&network, version);
    let commitment = our_commitments(ctx)
        .await?
        .into_iter()
        .find(|(_, c)| c.charter == current)
        .map(|(row, _)| crate::publish::object_uri(ctx, ObjectKind::Commitment, &row.local_id))
        .ok_or_else(|| {
            bad(
                "/network",
                format!("publish a commitment to {current} first: the host checks it"),
            )
        })?;
    let answers: Vec<JoinAnswer> = request
        .answers
        .iter()
        .map(|(key, content)| {
            let mut principle = current.clone();
            principle.set_fragment(Some(key));
            JoinAnswer {
                principle,
                content: content.clone(),
            }
        })
        .collect();
    let host = resolve_peer(ctx, host.as_str()).await?;
    send_join(ctx, &host.row, &network, &commitment, &answers, decided_by).await
}

fn check_answers(answers: &BTreeMap<String, String>) -> Result<()> {
    if answers.is_empty() {
        return Err(bad(
            "/answers",
            "answer the entry question for each principle",
        ));
    }
    for (key, content) in answers {
        let valid_key = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_key {
            return Err(bad(&format!("/answers/{key}"), "not a principle key"));
        }
        if content.trim().is_empty() || content.len() > MAX_ANSWER {
            return Err(bad(
                &format!("/answers/{key}"),
                format!("1 to {MAX_ANSWER} characters"),
            ));
        }
    }
    Ok(())
}

async fn send_join(
    ctx: &Context,
    host: &PeerRow,
    network: &Url,
    commitment: &Url,
    answers: &[JoinAnswer],
    decided_by: &str,
) -> Result<JoinView> {
    let id = activities::new_activity_id(&ctx.settings);
    let host_actor = Url::parse(&host.actor_uri)?;
    let mut document = activities::document(
        &ctx.settings,
        ActivityKind::Join,
        id.clone(),
        json!(network),
        &Audience::Peers(vec![host_actor]),
        &time::now(),
    )?;
    document["commitment"] = json!(commitment);
    document["answers"] = serde_json::to_value(answers)?;
    ctx.store.ensure_delivery_stream(host.id).await?;
    let mut tx = change::begin(ctx).await?;
    if tx
        .open_join(JoinRole::Candidate, network.as_str(), host.id)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "a request to join {network} waits for its answer already"
        )));
    }
    let join_id = tx
        .insert_join(&NewJoin {
            role: JoinRole::Candidate,
            network: network.as_str(),
            peer_id: host.id,
            peer_actor: &host.actor_uri,
            join_uri: id.as_str(),
            commitment: Some(commitment.as_str()),
            answers: &serde_json::to_string(answers)?,
        })
        .await?;
    record_for_peer(ctx, &mut tx, host.id, ActivityKind::Join, &id, &document).await?;
    let detail = format!("asked to join {network} ({id})");
    audit::record(
        &mut tx,
        audit::Event::NetworkJoinSent,
        Some(&host.actor_uri),
        decided_by,
        &detail,
    )
    .await?;
    change::commit(ctx, tx).await?;
    view(ctx, join_id).await
}

/// The candidate's side: the host answered our `Join`.
pub async fn answered(
    ctx: &Context,
    sender: &PeerRow,
    row: &JoinRow,
    accepted: bool,
    reason: Option<&str>,
) -> Result<()> {
    if row.role != JoinRole::Candidate || row.peer_id != sender.id {
        return Err(Error::Forbidden(
            "only the host asked answers a Join".into(),
        ));
    }
    let next = if accepted {
        JoinState::Admitted
    } else {
        JoinState::Refused
    };
    let mut tx = change::begin(ctx).await?;
    let mut decided = false;
    for from in [JoinState::Pending, JoinState::Voting] {
        decided |= tx.decide_join(row.id, from, next, reason, None).await?;
    }
    if !decided {
        return Ok(());
    }
    let detail = format!(
        "the request to join {} was {}{}",
        row.network,
        if accepted { "accepted" } else { "refused" },
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
    audit::record(
        &mut tx,
        audit::Event::NetworkJoinAnswered,
        Some(&sender.actor_uri),
        "inbox",
        &detail,
    )
    .await?;
    change::commit(ctx, tx).await
}
