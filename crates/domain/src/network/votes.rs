//! Inclusion and exclusion votes: amendments whose subject is a node's
//! membership, run by the amendment machinery (`crate::amendments`: the
//! same `Question`, votes, proofs, quorum, majority and tally). The host
//! opens them among the directory's members: an inclusion vote on a
//! pending `Join`, an exclusion vote on its own or on a member's proposal.
//! The node a vote is about is told, and may reply; the tally applies the
//! result to the directory (`network::directory`).

use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::amendments::question::{MembershipOpening, membership_opened};
use crate::amendments::{
    AmendmentView, DEFAULT_DURATION, DEFAULT_QUORUM_PERCENT, MAX_DURATION, MIN_DURATION, Majority,
    is_committed, local_charter, send_to_each, view,
};
use crate::apub::actor::actor_id;
use crate::apub::objects::charter::version_uri;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{
    ActivityKind, AmendmentId, AmendmentRole, JoinId, JoinState, ObjectKind, PeerId, VoteSubject,
    time,
};
use crate::network::{directory, joins};
use crate::outgoing::sign;
use crate::store::{NewAmendment, PeerRow};
use crate::{audit, change, webhooks};

/// The rules of a membership vote; each as for amendments.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRules {
    /// Voting period in seconds: 2 to 7 776 000; default 604 800 (7 days).
    pub duration_seconds: Option<u64>,
    /// Percentage of the addressed members that must vote; default 50.
    pub quorum_percent: Option<u64>,
    /// `simple` (default) or `two-thirds`.
    pub majority: Option<String>,
    /// An amendment (its `Question`'s id) or a draft the discussion links to.
    pub draft: Option<String>,
}

struct Checked {
    duration: std::time::Duration,
    quorum: u64,
    majority: Majority,
    draft: Option<Url>,
}

fn bad(pointer: &str, detail: impl Into<String>) -> Error {
    Error::UnprocessableAt(pointer.into(), detail.into())
}

fn check(rules: &VoteRules) -> Result<Checked> {
    let duration = std::time::Duration::from_secs(
        rules.duration_seconds.unwrap_or(DEFAULT_DURATION.as_secs()),
    );
    if !(MIN_DURATION..=MAX_DURATION).contains(&duration) {
        return Err(bad(
            "/duration_seconds",
            format!(
                "must be between {} and {}",
                MIN_DURATION.as_secs(),
                MAX_DURATION.as_secs()
            ),
        ));
    }
    let quorum = rules.quorum_percent.unwrap_or(DEFAULT_QUORUM_PERCENT);
    if quorum > 100 {
        return Err(bad("/quorum_percent", "must be between 0 and 100"));
    }
    let majority = match rules.majority.as_deref() {
        None => Majority::Simple,
        Some(name) => Majority::parse(name)
            .ok_or_else(|| bad("/majority", "must be `simple` or `two-thirds`"))?,
    };
    let draft = rules
        .draft
        .as_deref()
        .map(|d| {
            Url::parse(d).map_err(|_| bad("/draft", "must be an amendment's or a draft's URI"))
        })
        .transpose()?;
    Ok(Checked {
        duration,
        quorum,
        majority,
        draft,
    })
}

/// What a vote is about, ready to open.
struct Subject<'a> {
    kind: VoteSubject,
    charter: &'a str,
    candidate: &'a PeerRow,
    content: &'a str,
    join: Option<JoinId>,
}

/// The host's admin opens an inclusion vote on the pending request `id`.
pub async fn open_inclusion(
    ctx: &Context,
    id: JoinId,
    rules: &VoteRules,
    decided_by: &str,
) -> Result<AmendmentView> {
    let rules = check(rules)?;
    let request = joins::host_request(ctx, id).await?;
    if request.state != JoinState::Pending {
        return Err(Error::Conflict(format!(
            "request {id} is {}, not pending",
            request.state
        )));
    }
    let network = Url::parse(&request.network)?;
    let charter = local_charter(ctx, &network)
        .ok_or_else(|| Error::Internal(format!("a request names {network}, not hosted here")))?;
    let candidate = peer(ctx, request.peer_id).await?;
    let answers: Vec<Value> = serde_json::from_str(&request.answers)?;
    let content = answers
        .iter()
        .map(|a| {
            format!(
                "{}: {}",
                a["principle"].as_str().unwrap_or_default(),
                a["content"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let subject = Subject {
        kind: VoteSubject::Inclusion,
        charter: &charter,
        candidate: &candidate,
        content: &content,
        join: Some(id),
    };
    let amendment = open(ctx, &subject, &rules, decided_by).await?;
    view(ctx, amendment).await
}

/// The host opens an exclusion vote on `member` of the network of its
/// charter `charter`, for `reasons`.
pub async fn open_exclusion(
    ctx: &Context,
    charter: &str,
    member: &PeerRow,
    reasons: &str,
    rules: &VoteRules,
    decided_by: &str,
) -> Result<AmendmentView> {
    let rules = check(rules)?;
    if reasons.trim().is_empty() || reasons.len() > joins::MAX_ANSWER {
        return Err(bad(
            "/reasons",
            format!("1 to {} characters", joins::MAX_ANSWER),
        ));
    }
    if !is_member(ctx, charter, member.id).await? {
        return Err(Error::Conflict(format!(
            "{} is not a member",
            member.actor_uri
        )));
    }
    let subject = Subject {
        kind: VoteSubject::Exclusion,
        charter,
        candidate: member,
        content: reasons,
        join: None,
    };
    let amendment = open(ctx, &subject, &rules, decided_by).await?;
    view(ctx, amendment).await
}

pub(super) async fn is_member(ctx: &Context, charter: &str, peer: PeerId) -> Result<bool> {
    Ok(directory::members(ctx, charter)
        .await?
        .iter()
        .any(|m| m.peer_id == peer))
}

async fn peer(ctx: &Context, id: PeerId) -> Result<PeerRow> {
    ctx.store
        .peer(id)
        .await?
        .ok_or_else(|| Error::Internal(format!("no peer {id}")))
}

/// A membership vote ready to record: addressed, its `Question` signed.
struct Prepared {
    network: Url,
    base: Url,
    voters: Vec<PeerRow>,
    id: Url,
    end_time: i64,
    document: Value,
}

/// Addresses the vote to the directory's members (the subject aside),
/// tells the subject, and records it all in one change.
async fn open(
    ctx: &Context,
    subject: &Subject<'_>,
    rules: &Checked,
    decided_by: &str,
) -> Result<AmendmentId> {
    let prepared = prepare(ctx, subject, rules).await?;
    record(ctx, subject, rules, &prepared, decided_by).await
}

/// The checks, the voters and the signed `Question`, before the change
/// (checking a commitment fetches, and the change holds the write lock).
async fn prepare(ctx: &Context, subject: &Subject<'_>, rules: &Checked) -> Result<Prepared> {
    let charter_row = ctx
        .store
        .object(ObjectKind::Charter, subject.charter)
        .await?
        .filter(|row| row.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("no charter `{}` here", subject.charter)))?;
    let network = Url::parse(&charter_row.uri)?;
    let base = version_uri(&network, charter_row.version);
    if subject.kind == VoteSubject::Inclusion
        && !is_committed(ctx, subject.candidate, &base).await?
    {
        return Err(bad(
            "/candidate",
            format!(
                "{} publishes no commitment to {base} with a valid proof",
                subject.candidate.actor_uri
            ),
        ));
    }
    let mut voters = Vec::new();
    for member in directory::members(ctx, subject.charter).await? {
        if member.peer_id != subject.candidate.id {
            voters.push(peer(ctx, member.peer_id).await?);
        }
    }
    if voters.is_empty() {
        return Err(Error::Conflict(
            "the network has no member to vote: admit its founding members directly".into(),
        ));
    }
    for p in voters.iter().chain([subject.candidate]) {
        ctx.store.ensure_delivery_stream(p.id).await?;
    }
    let id = ctx
        .settings
        .url_for(&format!("/amendments/{}", uuid::Uuid::new_v4()));
    let end_time = crate::store::now_millis() + time::millis(rules.duration);
    let to: Vec<Url> = voters
        .iter()
        .map(|p| Url::parse(&p.actor_uri))
        .collect::<Result<_, _>>()?;
    let payload: crate::model::payload::CharterPayload =
        serde_json::from_str(&charter_row.payload)?;
    let opening = MembershipOpening {
        id: &id,
        subject: subject.kind,
        candidate: &Url::parse(&subject.candidate.actor_uri)?,
        network_name: &payload.name,
        content: subject.content,
        base: &base,
        draft: rules.draft.as_ref(),
        quorum: rules.quorum,
        majority: rules.majority.as_str(),
        end_time: &time::format_millis(end_time),
        to: &to,
    };
    let document = sign(ctx, &membership_opened(&ctx.settings, &opening)?)?;
    Ok(Prepared {
        network,
        base,
        voters,
        id,
        end_time,
        document,
    })
}

async fn record(
    ctx: &Context,
    subject: &Subject<'_>,
    rules: &Checked,
    prepared: &Prepared,
    decided_by: &str,
) -> Result<AmendmentId> {
    let Prepared {
        network,
        base,
        voters,
        id,
        end_time,
        document,
    } = prepared;
    let candidate = &subject.candidate.actor_uri;
    let mut tx = change::begin(ctx).await?;
    if tx
        .open_membership_vote(subject.charter, candidate)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "a vote on {candidate} is open already; wait for its tally"
        )));
    }
    let eligible: Vec<PeerId> = voters.iter().map(|p| p.id).collect();
    let amendment = tx
        .insert_amendment(&NewAmendment {
            uri: id.as_str(),
            role: AmendmentRole::Host,
            host_actor: actor_id(&ctx.settings).as_str(),
            host_peer_id: None,
            charter_local_id: Some(subject.charter),
            base_version: base.as_str(),
            summary: subject.content,
            proposal: "null",
            quorum_percent: i64::try_from(rules.quorum).unwrap_or(100),
            majority: rules.majority.as_str(),
            eligible: &eligible,
            end_time: *end_time,
            question: &serde_json::to_string(document)?,
            subject: subject.kind,
            candidate: Some(candidate),
            draft: rules.draft.as_ref().map(Url::as_str),
        })
        .await?;
    if let Some(join) = subject.join {
        let (from, next) = (JoinState::Pending, JoinState::Voting);
        if !tx
            .decide_join(join, from, next, None, Some(amendment))
            .await?
        {
            return Err(Error::Conflict(format!(
                "request {join} was decided meanwhile"
            )));
        }
    }
    let mut recipients = voters.clone();
    recipients.push(subject.candidate.clone());
    send_to_each(ctx, &mut tx, &recipients, ActivityKind::Create, document).await?;
    let ends = time::format_millis(*end_time);
    let detail = format!(
        "{} vote {id} on {candidate} in {network} opened for {} member(s) until {ends}",
        subject.kind,
        voters.len()
    );
    let event = audit::Event::NetworkVoteOpened;
    audit::record(&mut tx, event, Some(candidate), decided_by, &detail).await?;
    let event = json!({"vote": id, "decides": subject.kind, "candidate": candidate,
        "network": network, "end_time": ends, "addressed": document["to"]});
    webhooks::emit(
        &mut tx,
        webhooks::Event::NetworkVoteOpened,
        id.as_str(),
        event,
    )
    .await?;
    change::commit(ctx, tx).await?;
    Ok(amendment)
}
