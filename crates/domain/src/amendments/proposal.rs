//! The host opens an amendment: the proposed next version of a charter it
//! hosts, checked like a charter publication, addressed as a `Question` to
//! the peers whose commitment to the current version verifies.

use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::amendments::question::{self, Opening};
use crate::amendments::{
    AmendmentView, DEFAULT_DURATION, DEFAULT_QUORUM_PERCENT, MAX_DURATION, MIN_DURATION, Majority,
    view,
};
use crate::apub::activities;
use crate::apub::actor::actor_id;
use crate::apub::objects::charter::version_uri;
use crate::apub::peer::Peer;
use crate::commitments::check_peer_commitments;
use crate::context::Context;
use crate::documents::parse_stored;
use crate::error::{Error, Result, Violation};
use crate::model::AmendmentId;
use crate::model::PeerId;
use crate::model::payload::{CharterPayload, Payload};
use crate::model::{
    ActivityKind, AmendmentRole, Audience, FollowerState, FollowingState, ObjectKind, VoteSubject,
    time,
};
use crate::publish::object_uri;
use crate::store::{ChangeTx, NewAmendment, PeerRow};
use crate::{audit, change, validation, webhooks};

/// What the host's admin proposes.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// The local id of a charter hosted on this node.
    pub charter: String,
    /// Why the charter should change.
    pub summary: String,
    /// The proposed next version: a charter payload, as for
    /// `PUT /api/v1/charters/{id}`.
    pub proposed: Value,
    /// Voting period in seconds: 2 to 7 776 000 (90 days); default 604 800 (7 days).
    pub duration_seconds: Option<u64>,
    /// Percentage of the addressed nodes that must vote (0–100); default 50.
    pub quorum_percent: Option<u64>,
    /// `simple` (default: more approvals than rejections) or `two-thirds`.
    pub majority: Option<String>,
}

/// A proposal's checked rules.
struct Rules {
    charter: CharterPayload,
    duration: std::time::Duration,
    quorum: u64,
    majority: Majority,
}

fn unprocessable(pointer: &str, detail: impl Into<String>) -> Error {
    Error::Unprocessable(vec![Violation {
        pointer: pointer.into(),
        detail: detail.into(),
    }])
}

/// A proposed charter version, checked as a charter publication is;
/// violations point under `prefix`.
pub(super) fn check_charter(proposed: &Value, prefix: &str) -> Result<CharterPayload> {
    let charter = match validation::validate(ObjectKind::Charter, proposed) {
        Ok(Payload::Charter(charter)) => charter,
        Ok(_) => return Err(Error::Internal("a charter schema gave another kind".into())),
        Err(Error::Unprocessable(violations)) => {
            return Err(Error::Unprocessable(
                violations
                    .into_iter()
                    .map(|v| Violation {
                        pointer: format!("{prefix}{}", v.pointer),
                        detail: v.detail,
                    })
                    .collect(),
            ));
        }
        Err(other) => return Err(other),
    };
    for (index, principle) in charter.principles.iter().enumerate() {
        if charter.principles[..index]
            .iter()
            .any(|p| p.key == principle.key)
        {
            return Err(unprocessable(
                &format!("{prefix}/principles/{index}/key"),
                format!("principle key `{}` is used twice", principle.key),
            ));
        }
    }
    Ok(charter)
}

/// The proposed charter of a proposal whose every rule (summary,
/// duration, quorum, majority) is valid.
pub(super) fn checked_charter(proposal: &Proposal) -> Result<CharterPayload> {
    check(proposal).map(|rules| rules.charter)
}

fn check(proposal: &Proposal) -> Result<Rules> {
    if proposal.summary.trim().is_empty() || proposal.summary.len() > 4000 {
        return Err(unprocessable("/summary", "1 to 4000 characters"));
    }
    let charter = check_charter(&proposal.proposed, "/proposed")?;
    let seconds = proposal
        .duration_seconds
        .unwrap_or(DEFAULT_DURATION.as_secs());
    let duration = std::time::Duration::from_secs(seconds);
    if !(MIN_DURATION..=MAX_DURATION).contains(&duration) {
        return Err(unprocessable(
            "/duration_seconds",
            format!(
                "must be between {} and {}",
                MIN_DURATION.as_secs(),
                MAX_DURATION.as_secs()
            ),
        ));
    }
    let quorum = proposal.quorum_percent.unwrap_or(DEFAULT_QUORUM_PERCENT);
    if quorum > 100 {
        return Err(unprocessable(
            "/quorum_percent",
            "must be between 0 and 100",
        ));
    }
    let majority = match proposal.majority.as_deref() {
        None => Majority::Simple,
        Some(name) => Majority::parse(name)
            .ok_or_else(|| unprocessable("/majority", "must be `simple` or `two-thirds`"))?,
    };
    Ok(Rules {
        charter,
        duration,
        quorum,
        majority,
    })
}

/// An amendment ready to record: checked, addressed, its `Question` signed.
struct Prepared {
    rules: Rules,
    /// The charter's version when checked (it must not change meanwhile).
    version: i64,
    base: Url,
    eligible: Vec<PeerRow>,
    id: Url,
    end_time: i64,
    document: Value,
}

/// Opens an amendment on a charter hosted here; `decided_by` names who.
pub async fn open(data: &Context, proposal: &Proposal, decided_by: &str) -> Result<AmendmentView> {
    let prepared = prepare(data, proposal).await?;
    let amendment_id = record(data, proposal, &prepared, decided_by).await?;
    view(data, amendment_id).await
}

/// Checks the proposal against the charter, finds the committed peers and
/// builds the signed `Question` (before the change: fetching commitments
/// takes time, and the change holds the write lock).
async fn prepare(data: &Context, proposal: &Proposal) -> Result<Prepared> {
    let mut rules = check(proposal)?;
    let missing = || Error::NotFound(format!("no charter `{}` on this node", proposal.charter));
    let charter = data
        .store
        .object(ObjectKind::Charter, &proposal.charter)
        .await?
        .filter(|row| row.deleted_at.is_none())
        .ok_or_else(missing)?;
    let current: CharterPayload = serde_json::from_str(&charter.payload)?;
    if rules.charter.audience.is_none() {
        // The next version keeps the charter's audience unless it says.
        rules.charter.audience.clone_from(&current.audience);
    }
    if current == rules.charter {
        return Err(unprocessable(
            "/proposed",
            "proposes no change to the current version",
        ));
    }
    let base = version_uri(&Url::parse(&charter.uri)?, charter.version);
    let (_, base_version) = data
        .store
        .object_version_by_uri(base.as_str())
        .await?
        .ok_or_else(missing)?;
    let changes = question::changes(&parse_stored(&base_version.document)?, &rules.charter);
    let eligible = committed_peers(data, &base).await?;
    for peer in &eligible {
        data.store.ensure_delivery_stream(peer.id).await?;
    }
    let id = data
        .settings
        .url_for(&format!("/amendments/{}", uuid::Uuid::new_v4()));
    let end_time = crate::store::now_millis() + time::millis(rules.duration);
    let document = question::opened(
        &data.settings,
        &Opening {
            id: &id,
            summary: &proposal.summary,
            base: &base,
            proposal: &rules.charter,
            changes,
            quorum: rules.quorum,
            majority: rules.majority.as_str(),
            end_time: &time::format_millis(end_time),
            to: &peer_actors(&eligible)?,
        },
    )?;
    let document = crate::outgoing::sign(data, &document)?;
    Ok(Prepared {
        rules,
        version: charter.version,
        base,
        eligible,
        id,
        end_time,
        document,
    })
}

/// Stores the amendment and sends its `Question`, in one change.
async fn record(
    data: &Context,
    proposal: &Proposal,
    prepared: &Prepared,
    decided_by: &str,
) -> Result<AmendmentId> {
    let Prepared {
        rules,
        base,
        eligible,
        id,
        end_time,
        document,
        ..
    } = prepared;
    let mut tx = change::begin(data).await?;
    if tx.open_amendment_on(&proposal.charter).await?.is_some() {
        return Err(Error::Conflict(format!(
            "an amendment to `{}` is open already; wait for its tally",
            proposal.charter
        )));
    }
    let still = tx.object(ObjectKind::Charter, &proposal.charter).await?;
    if still.is_none_or(|row| row.version != prepared.version) {
        return Err(Error::Conflict(
            "the charter changed meanwhile; propose again".into(),
        ));
    }
    let peer_ids: Vec<PeerId> = eligible.iter().map(|p| p.id).collect();
    let amendment_id = tx
        .insert_amendment(&NewAmendment {
            uri: id.as_str(),
            role: AmendmentRole::Host,
            host_actor: actor_id(&data.settings).as_str(),
            host_peer_id: None,
            charter_local_id: Some(&proposal.charter),
            base_version: base.as_str(),
            summary: &proposal.summary,
            proposal: &serde_json::to_string(&rules.charter)?,
            quorum_percent: i64::try_from(rules.quorum).unwrap_or(100),
            majority: rules.majority.as_str(),
            eligible: &peer_ids,
            end_time: *end_time,
            question: &serde_json::to_string(document)?,
            subject: VoteSubject::Charter,
            candidate: None,
            draft: None,
        })
        .await?;
    send_to_each(data, &mut tx, eligible, ActivityKind::Create, document).await?;
    let ends = time::format_millis(*end_time);
    let detail = format!(
        "amendment {id} to {base} opened for {} node(s) until {ends}",
        eligible.len()
    );
    audit::record(
        &mut tx,
        audit::Event::AmendmentOpened,
        None,
        decided_by,
        &detail,
    )
    .await?;
    let event = json!({"amendment": id, "amends": base, "end_time": ends,
        "addressed": document["to"]});
    webhooks::emit(
        &mut tx,
        webhooks::Event::AmendmentOpened,
        id.as_str(),
        event,
    )
    .await?;
    change::commit(data, tx).await?;
    Ok(amendment_id)
}

/// Peers that follow us (approved) or that we follow, whose public
/// commitment to `base` carries a valid proof.
async fn committed_peers(data: &Context, base: &Url) -> Result<Vec<PeerRow>> {
    let mut ids: Vec<PeerId> = data
        .store
        .follows_in(Some(FollowerState::Approved))
        .await?
        .iter()
        .map(|f| f.peer_id)
        .collect();
    ids.extend(
        data.store
            .follows_out(Some(FollowingState::Active))
            .await?
            .iter()
            .map(|f| f.peer_id),
    );
    ids.sort_unstable();
    ids.dedup();
    let mut committed = Vec::new();
    for id in ids {
        let Some(row) = data.store.peer(id).await? else {
            continue;
        };
        if data.store.exclusion(&row.domain).await?.is_some() {
            continue;
        }
        if is_committed(data, &row, base).await? {
            committed.push(row);
        }
    }
    Ok(committed)
}

/// Whether `peer` publishes a commitment to `base` with a valid proof.
pub(crate) async fn is_committed(data: &Context, peer: &PeerRow, base: &Url) -> Result<bool> {
    let peer = Peer::from_row(peer.clone())?;
    Ok(check_peer_commitments(data, &peer)
        .await
        .iter()
        .any(|c| c.valid && c.charter.as_deref() == Some(base.as_str())))
}

fn peer_actors(peers: &[PeerRow]) -> Result<Vec<Url>> {
    Ok(peers
        .iter()
        .map(|p| Url::parse(&p.actor_uri))
        .collect::<Result<_, _>>()?)
}

/// Records `kind` of `object` for each peer, one activity each; the
/// caller commits. Their delivery streams must exist.
pub(crate) async fn send_to_each(
    ctx: &Context,
    tx: &mut ChangeTx,
    peers: &[PeerRow],
    kind: ActivityKind,
    object: &Value,
) -> Result<()> {
    let now = time::now();
    crate::outgoing::send_each(ctx, tx, peers, kind, |id, actor| {
        activities::document(
            &ctx.settings,
            kind,
            id.clone(),
            object.clone(),
            &Audience::Peers(vec![actor.clone()]),
            &now,
        )
    })
    .await
}

/// The local id of the charter at `uri`, if hosted here.
pub(crate) fn local_charter(ctx: &Context, uri: &Url) -> Option<String> {
    match crate::publish::parse_object_uri(ctx, uri) {
        Some((ObjectKind::Charter, local_id)) => Some(local_id),
        _ => None,
    }
    .filter(|local_id| object_uri(ctx, ObjectKind::Charter, local_id) == *uri)
}
