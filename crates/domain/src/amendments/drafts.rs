//! Drafts: a member node offers the host an amendment (`Offer` of a
//! `CharterAmendment`, as ForgeFed offers a change); the host's admin
//! accepts it, which opens the vote (`Accept` with the `Question` as
//! `result`), or rejects it (`Reject`, with an optional reason).

use crate::model::AmendmentId;
use crate::model::DraftId;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::amendments::proposal::{check_charter, is_committed, local_charter};
use crate::amendments::{AmendmentView, Proposal, open};
use crate::apub::activities::amendment::{DRAFT, Draft};
use crate::apub::activities::{self};
use crate::apub::actor::actor_id;
use crate::apub::context::object_context;
use crate::apub::objects::charter::parse_version_uri;
use crate::apub::peer::domain_of;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{
    ActivityKind, Audience, DraftState, FollowerState, FollowingState, ObjectKind, time,
};
use crate::outgoing::record_for_peer;
use crate::store::{DraftRow, PeerRow};
use crate::{audit, change};

/// A member's draft, as the host's admin sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DraftView {
    pub id: DraftId,
    /// The `Offer`'s id.
    pub offer: String,
    /// The proposing node's actor.
    pub proposer: String,
    /// The local id of the charter.
    pub charter: String,
    pub summary: String,
    /// The draft: `amends`, `proposedVersion`, `summary`.
    pub draft: Value,
    pub state: DraftState,
    #[schema(format = DateTime)]
    pub received_at: String,
    /// The amendment opened from it, once accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amendment: Option<AmendmentId>,
}

impl DraftView {
    fn of(row: &DraftRow) -> Result<DraftView> {
        Ok(DraftView {
            id: row.id,
            offer: row.offer_uri.clone(),
            proposer: row.proposer.clone(),
            charter: row.charter_local_id.clone(),
            summary: row.summary.clone(),
            draft: serde_json::from_str(&row.proposal)?,
            state: row.state,
            received_at: time::format_millis(row.received_at),
            amendment: row.amendment_id,
        })
    }
}

/// What a member's admin offers.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// The peer's charter version to amend (its current one).
    pub amends: String,
    pub summary: String,
    /// The proposed next version: a charter payload.
    pub proposed: Value,
}

/// The rules the host's admin sets when accepting a draft.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    pub duration_seconds: Option<u64>,
    pub quorum_percent: Option<u64>,
    pub majority: Option<String>,
}

/// Received drafts, newest first.
pub async fn drafts(ctx: &Context) -> Result<Vec<DraftView>> {
    ctx.store
        .amendment_drafts()
        .await?
        .iter()
        .map(DraftView::of)
        .collect()
}

/// Offers a draft to the peer hosting `amends`; returns the `Offer`'s id.
pub async fn offer_draft(ctx: &Context, request: &DraftRequest, decided_by: &str) -> Result<Url> {
    let amends = Url::parse(&request.amends)
        .ok()
        .filter(|a| parse_version_uri(a).is_some())
        .ok_or_else(|| {
            Error::UnprocessableAt("/amends".into(), "not a charter version URI".into())
        })?;
    if request.summary.trim().is_empty() {
        return Err(Error::UnprocessableAt(
            "/summary".into(),
            "must not be empty".into(),
        ));
    }
    let charter = check_charter(&request.proposed, "/proposed")?;
    let domain = domain_of(&amends);
    let host = ctx
        .store
        .peers()
        .await?
        .into_iter()
        .find(|p| p.domain == domain)
        .ok_or_else(|| Error::NotFound(format!("no known peer hosts {amends}")))?;
    let draft = json!({
        "id": ctx.settings.url_for(&format!("/amendment-drafts/{}", uuid::Uuid::new_v4())),
        "type": DRAFT,
        "attributedTo": actor_id(&ctx.settings),
        "amends": amends,
        "proposedVersion": charter,
        "summary": request.summary,
    });
    let host_actor = Url::parse(&host.actor_uri)?;
    let id = activities::new_activity_id(&ctx.settings);
    let mut offer = activities::document(
        &ctx.settings,
        ActivityKind::Offer,
        id.clone(),
        draft,
        &Audience::Peers(vec![host_actor.clone()]),
        &time::now(),
    )?;
    offer["target"] = json!(host_actor);
    ctx.store.ensure_delivery_stream(host.id).await?;
    let mut tx = change::begin(ctx).await?;
    record_for_peer(ctx, &mut tx, host.id, ActivityKind::Offer, &id, &offer).await?;
    let detail = format!("draft amendment to {amends} offered ({id})");
    audit::record(
        &mut tx,
        audit::Event::DraftOffered,
        Some(&host.actor_uri),
        decided_by,
        &detail,
    )
    .await?;
    change::commit(ctx, tx).await?;
    Ok(id)
}

/// Keeps a draft a committed member offered, for the admin to decide.
pub async fn receive_draft(data: &Context, sender: &PeerRow, offer: &Value) -> Result<()> {
    let offer_id = offer["id"]
        .as_str()
        .ok_or_else(|| Error::UnprocessableAt("/id".into(), "missing".into()))?;
    let draft: Draft = serde_json::from_value(offer["object"].clone())
        .map_err(|e| Error::UnprocessableAt("/object".into(), format!("not a draft: {e}")))?;
    check_charter(&draft.proposed_version, "/object/proposedVersion")?;
    let (charter_uri, _) = parse_version_uri(&draft.amends).ok_or_else(|| {
        Error::UnprocessableAt("/object/amends".into(), "not a charter version".into())
    })?;
    let local_id = local_charter(data, &charter_uri)
        .ok_or_else(|| Error::NotFound(format!("no charter {charter_uri} hosted here")))?;
    let current = data
        .store
        .object(ObjectKind::Charter, &local_id)
        .await?
        .filter(|row| row.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("no charter {charter_uri} hosted here")))?;
    if current.version != parse_version_uri(&draft.amends).map_or(0, |(_, v)| v) {
        return Err(Error::Conflict("the draft amends an older version".into()));
    }
    if !federates_with(data, sender).await? {
        return Err(Error::Forbidden(
            "only approved followers and followed nodes may offer amendments".into(),
        ));
    }
    if !is_committed(data, sender, &draft.amends).await? {
        return Err(Error::Forbidden(format!(
            "only nodes committed to {} may offer amendments",
            draft.amends
        )));
    }
    let mut tx = change::begin(data).await?;
    tx.insert_draft(&DraftRow {
        id: DraftId(0),
        offer_uri: offer_id.to_owned(),
        proposer: sender.actor_uri.clone(),
        proposer_peer_id: sender.id,
        charter_local_id: local_id,
        summary: draft.summary.clone(),
        proposal: serde_json::to_string(&offer["object"])?,
        state: DraftState::Pending,
        received_at: 0,
        amendment_id: None,
    })
    .await?;
    let detail = format!("draft amendment to {} offered ({offer_id})", draft.amends);
    audit::record(
        &mut tx,
        audit::Event::DraftReceived,
        Some(&sender.actor_uri),
        "inbox",
        &detail,
    )
    .await?;
    change::commit(data, tx).await
}

/// Whether `peer` is an approved follower or a node we follow: those an
/// amendment can be addressed to, so the only ones whose drafts are kept
/// (a stranger's draft stores nothing, and costs no fetch).
async fn federates_with(ctx: &Context, peer: &PeerRow) -> Result<bool> {
    let follower = ctx
        .store
        .follow_in_by_peer(peer.id)
        .await?
        .is_some_and(|f| f.state == FollowerState::Approved);
    let followed = ctx
        .store
        .follow_out_by_peer(peer.id)
        .await?
        .is_some_and(|f| f.state == FollowingState::Active);
    Ok(follower || followed)
}

async fn pending(ctx: &Context, id: DraftId) -> Result<DraftRow> {
    let row = ctx
        .store
        .amendment_draft(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no draft {id}")))?;
    if row.state != DraftState::Pending {
        return Err(Error::Conflict(format!(
            "draft {id} was {} already",
            row.state
        )));
    }
    Ok(row)
}

/// Opens the vote on a pending draft and answers its proposer `Accept`.
pub async fn accept_draft(
    data: &Context,
    id: DraftId,
    rules: &Acceptance,
    decided_by: &str,
) -> Result<AmendmentView> {
    let row = pending(data, id).await?;
    let draft: Value = serde_json::from_str(&row.proposal)?;
    let opened = open(
        data,
        &Proposal {
            charter: row.charter_local_id.clone(),
            summary: row.summary.clone(),
            proposed: draft["proposedVersion"].clone(),
            duration_seconds: rules.duration_seconds,
            quorum_percent: rules.quorum_percent,
            majority: rules.majority.clone(),
        },
        decided_by,
    )
    .await?;
    answer(
        data,
        &row,
        true,
        Some(json!(opened.uri)),
        decided_by,
        Some(opened.id),
    )
    .await?;
    Ok(opened)
}

/// Refuses a pending draft; `Reject` to its proposer, with the reason.
pub async fn reject_draft(
    ctx: &Context,
    id: DraftId,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<()> {
    let row = pending(ctx, id).await?;
    answer(ctx, &row, false, reason.map(|r| json!(r)), decided_by, None).await
}

async fn answer(
    ctx: &Context,
    row: &DraftRow,
    accepted: bool,
    extra: Option<Value>,
    decided_by: &str,
    amendment: Option<AmendmentId>,
) -> Result<()> {
    let kind = if accepted {
        ActivityKind::Accept
    } else {
        ActivityKind::Reject
    };
    let proposer = Url::parse(&row.proposer)?;
    let offer = json!({"id": row.offer_uri, "type": "Offer", "actor": proposer,
        "object": serde_json::from_str::<Value>(&row.proposal)?});
    let id = activities::new_activity_id(&ctx.settings);
    let mut document = json!({"@context": object_context(&ctx.settings), "id": id, "type": kind,
        "actor": actor_id(&ctx.settings), "object": offer, "to": [proposer]});
    match (accepted, extra) {
        (true, Some(result)) => document["result"] = result,
        (false, Some(reason)) => document["summary"] = reason,
        _ => {}
    }
    ctx.store
        .ensure_delivery_stream(row.proposer_peer_id)
        .await?;
    let mut tx = change::begin(ctx).await?;
    if !tx
        .decide_draft(
            row.id,
            if accepted {
                DraftState::Accepted
            } else {
                DraftState::Rejected
            },
            amendment,
        )
        .await?
    {
        return Err(Error::Conflict(format!(
            "draft {} was decided already",
            row.id
        )));
    }
    record_for_peer(ctx, &mut tx, row.proposer_peer_id, kind, &id, &document).await?;
    let event = if accepted {
        audit::Event::DraftAccepted
    } else {
        audit::Event::DraftRejected
    };
    let detail = format!("draft {} ({})", row.id, row.offer_uri);
    audit::record(&mut tx, event, Some(&row.proposer), decided_by, &detail).await?;
    change::commit(ctx, tx).await
}

/// The host's answer to a draft this node offered: logged once it is
/// known to be the answer of the host the draft was sent to (any other
/// signer is refused, 403, and nothing is stored). The log line is made of
/// what we sent, not of the answer's text.
pub async fn receive_answer(
    data: &Context,
    sender: &PeerRow,
    accepted: bool,
    activity: &Value,
) -> Result<()> {
    let offer = &activity["object"];
    let ours = actor_id(&data.settings);
    if offer["actor"].as_str() != Some(ours.as_str()) {
        return Err(Error::BadRequest(
            "answers an Offer this node did not make".into(),
        ));
    }
    let offered = match offer["id"].as_str() {
        Some(id) => data.store.offered_draft(id).await?,
        None => None,
    };
    let Some(offered) = offered.filter(|o| o.host_peer_id == sender.id) else {
        return Err(Error::Forbidden(
            "only the host a draft was offered to may answer it".into(),
        ));
    };
    let sent: Value = serde_json::from_str(&offered.document)?;
    let event = if accepted {
        audit::Event::DraftAccepted
    } else {
        audit::Event::DraftRejected
    };
    let detail = format!(
        "our draft {} amending {} {}",
        sent["id"].as_str().unwrap_or_default(),
        sent["object"]["amends"].as_str().unwrap_or_default(),
        if accepted {
            "accepted: vote opened"
        } else {
            "rejected"
        },
    );
    let mut tx = change::begin(data).await?;
    audit::record(&mut tx, event, Some(&sender.actor_uri), "inbox", &detail).await?;
    change::commit(data, tx).await
}
