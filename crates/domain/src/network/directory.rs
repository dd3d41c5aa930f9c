//! The member directory of each charter hosted here (host side): who was
//! admitted, since when and under which version; its signed
//! `OrderedCollection` at `/charters/{id}/members`; the `Add` / `Remove`
//! sent to every member when it changes.

use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use crate::apub::activities::network::{self as wire, NetworkMember};
use crate::apub::objects::charter::version_uri;
use crate::audit::{self, Event};
use crate::context::Context;
use crate::documents::Served;
use crate::error::{Error, Result, Violation};
use crate::model::{ActivityKind, ObjectKind, PeerId, time};
use crate::store::{ChangeTx, MemberRow, ObjectRow, PeerRow};
use crate::{change, follows, webhooks};

/// What the host's admin asks: admit `actor` to the network of `charter`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Admission {
    /// The local id of a charter hosted here.
    pub charter: String,
    /// The member's actor URI (or `@name@host`).
    pub actor: String,
}

/// One admission to a directory, as the admin API and the console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub peer_id: PeerId,
    pub actor: String,
    #[schema(format = DateTime)]
    pub since: String,
    /// The charter version URI its verified commitment names.
    pub version: String,
    pub admitted_by: String,
    /// When it left (absent for a current member).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl MemberView {
    pub fn of(row: &MemberRow) -> MemberView {
        MemberView {
            peer_id: row.peer_id,
            actor: row.actor_uri.clone(),
            since: time::format_millis(row.since),
            version: row.version.clone(),
            admitted_by: row.admitted_by.clone(),
            left_at: row.removed_at.map(time::format_millis),
            reason: row.removed_reason.clone(),
        }
    }
}

/// The directory of a charter hosted here.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HostedDirectory {
    /// The charter's local id.
    pub charter: String,
    /// The charter's URI: the network's name.
    pub network: String,
    pub members: Vec<MemberView>,
    /// Members that left, with when and why.
    pub left: Vec<MemberView>,
}

/// The charter hosted here under `charter`, live.
async fn hosted(ctx: &Context, charter: &str) -> Result<ObjectRow> {
    ctx.store
        .object(ObjectKind::Charter, charter)
        .await?
        .filter(|row| row.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("no charter `{charter}` on this node")))
}

fn entry(row_actor: &str, since: i64, version: &str) -> Result<NetworkMember> {
    Ok(NetworkMember::new(
        Url::parse(row_actor)?,
        Some(time::format_millis(since)),
        Some(Url::parse(version)?),
    ))
}

/// Adds `member` to the directory of the charter hosted here under local id
/// `charter`, under `version` (the charter version URI its verified commitment
/// names); sends `Add` to every member (the new one included); emits
/// `network.member_joined`, an audit entry. Conflict if already a member.
pub async fn admit(
    ctx: &Context,
    tx: &mut ChangeTx,
    charter: &str,
    member: &PeerRow,
    version: &Url,
    decided_by: &str,
) -> Result<()> {
    let row = tx
        .object(ObjectKind::Charter, charter)
        .await?
        .filter(|row| row.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("no charter `{charter}` on this node")))?;
    if tx.current_member(charter, member.id).await?.is_some() {
        return Err(Error::Conflict(format!(
            "{} is a member of `{charter}` already",
            member.actor_uri
        )));
    }
    let since = crate::store::now_millis();
    tx.insert_member(charter, member, version.as_str(), since, decided_by)
        .await?;
    let network = Url::parse(&row.uri)?;
    let object = entry(&member.actor_uri, since, version.as_str())?;
    let members = tx.member_peers(charter).await?;
    announce(ctx, tx, ActivityKind::Add, &network, &object, &members).await?;
    webhooks::emit(
        tx,
        webhooks::Event::NetworkMemberJoined,
        &format!("{network}:joined:{}:{since}", member.actor_uri),
        json!({"network": network, "member": member.actor_uri, "version": version,
            "since": time::format_millis(since)}),
    )
    .await?;
    audit::record(
        tx,
        Event::NetworkMemberAdmitted,
        Some(&member.actor_uri),
        decided_by,
        &format!(
            "admitted {} to the network {network} under {version}",
            member.handle
        ),
    )
    .await
}

/// Removes `member`; sends `Remove` to every member and to the removed one;
/// emits `network.member_left`, an audit entry with `reason`.
pub async fn remove(
    ctx: &Context,
    tx: &mut ChangeTx,
    charter: &str,
    member: &PeerRow,
    reason: &str,
    decided_by: &str,
) -> Result<()> {
    let row = tx
        .object(ObjectKind::Charter, charter)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no charter `{charter}` on this node")))?;
    let current = tx
        .current_member(charter, member.id)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "{} is not a member of `{charter}`",
                member.actor_uri
            ))
        })?;
    tx.remove_member(current.id, reason, decided_by).await?;
    let network = Url::parse(&row.uri)?;
    let object = NetworkMember::new(Url::parse(&member.actor_uri)?, None, None);
    let mut told = tx.member_peers(charter).await?;
    told.push(member.clone());
    announce(ctx, tx, ActivityKind::Remove, &network, &object, &told).await?;
    webhooks::emit(
        tx,
        webhooks::Event::NetworkMemberLeft,
        &format!(
            "{network}:left:{}:{}",
            member.actor_uri,
            crate::store::now_millis()
        ),
        json!({"network": network, "member": member.actor_uri, "reason": reason}),
    )
    .await?;
    audit::record(
        tx,
        Event::NetworkMemberRemoved,
        Some(&member.actor_uri),
        decided_by,
        &format!(
            "removed {} from the network {network}: {reason}",
            member.handle
        ),
    )
    .await
}

/// Records the `Add` / `Remove` of `object` for each of `peers` (their
/// delivery streams started inside the change).
async fn announce(
    ctx: &Context,
    tx: &mut ChangeTx,
    kind: ActivityKind,
    network: &Url,
    object: &NetworkMember,
    peers: &[PeerRow],
) -> Result<()> {
    for peer in peers {
        tx.ensure_delivery_stream(peer.id).await?;
    }
    let now = time::now();
    crate::outgoing::send_each(ctx, tx, peers, kind, |id, actor| {
        wire::change_document(
            &ctx.settings,
            kind,
            id,
            network,
            object,
            std::slice::from_ref(actor),
            &now,
        )
    })
    .await
}

/// The current members of the directory of hosted charter `charter`.
pub async fn members(ctx: &Context, charter: &str) -> Result<Vec<MemberRow>> {
    Ok(ctx
        .store
        .network_members(charter)
        .await?
        .into_iter()
        .filter(|row| row.removed_at.is_none())
        .collect())
}

/// Charters listed at most in the admin's directory view.
const MAX_HOSTED: i64 = 1000;

/// The directory of every live charter hosted here (empty for one nobody
/// was admitted to yet): current members and those that left.
pub async fn hosted_directories(ctx: &Context) -> Result<Vec<HostedDirectory>> {
    let charters = ctx
        .store
        .list_objects(ObjectKind::Charter, 0, MAX_HOSTED, false)
        .await?;
    let mut directories = Vec::new();
    for row in charters.into_iter().filter(|row| row.deleted_at.is_none()) {
        let rows = ctx.store.network_members(&row.local_id).await?;
        let (current, left): (Vec<_>, Vec<_>) =
            rows.iter().partition(|row| row.removed_at.is_none());
        directories.push(HostedDirectory {
            charter: row.local_id,
            network: row.uri,
            members: current.into_iter().map(MemberView::of).collect(),
            left: left.into_iter().map(MemberView::of).collect(),
        });
    }
    Ok(directories)
}

/// The signed directory of a public charter hosted here (404 otherwise,
/// as for the charter itself).
pub async fn served(ctx: &Context, charter: &str) -> Result<Served> {
    let missing = || Error::NotFound(format!("no directory of `{charter}`"));
    let row = match hosted(ctx, charter).await {
        Ok(row) if row.public => row,
        Ok(_) | Err(Error::NotFound(_)) => return Err(missing()),
        Err(other) => return Err(other),
    };
    let rows = ctx.store.network_members(charter).await?;
    let last_change = rows
        .iter()
        .map(|r| r.removed_at.unwrap_or(r.since).max(r.since))
        .max()
        .unwrap_or(row.updated_at);
    let items = rows
        .iter()
        .filter(|r| r.removed_at.is_none())
        .map(|r| entry(&r.actor_uri, r.since, &r.version))
        .collect::<Result<Vec<_>>>()?;
    let network = Url::parse(&row.uri)?;
    let document = wire::directory_document(
        &ctx.settings,
        &network,
        &time::format_millis(last_change),
        &items,
    )?;
    Ok(Served {
        document: crate::outgoing::sign(ctx, &document)?,
        gone: false,
        private: false,
    })
}

fn unprocessable(pointer: &str, detail: String) -> Error {
    Error::Unprocessable(vec![Violation {
        pointer: pointer.into(),
        detail,
    }])
}

/// The host's admin admits a founding member directly: its public
/// commitment to the charter's current version must verify.
pub async fn admit_founding(
    ctx: &Context,
    request: &Admission,
    decided_by: &str,
) -> Result<MemberView> {
    let charter = hosted(ctx, &request.charter).await?;
    let target = request.actor.trim();
    if target.is_empty() {
        return Err(unprocessable("/actor", "an actor URI is required".into()));
    }
    let peer = follows::resolve_peer(ctx, target)
        .await
        .map_err(|e| match e {
            Error::BadRequest(detail) | Error::NotFound(detail) => unprocessable("/actor", detail),
            other => other,
        })?;
    let version = version_uri(&Url::parse(&charter.uri)?, charter.version);
    if !crate::amendments::is_committed(ctx, &peer.row, &version).await? {
        return Err(unprocessable(
            "/actor",
            format!(
                "{} publishes no commitment to {version} (the charter's current version) \
                 with a valid proof",
                peer.row.actor_uri
            ),
        ));
    }
    let mut tx = change::begin(ctx).await?;
    admit(
        ctx,
        &mut tx,
        &request.charter,
        &peer.row,
        &version,
        decided_by,
    )
    .await?;
    let row = tx
        .current_member(&request.charter, peer.row.id)
        .await?
        .ok_or_else(|| Error::Internal("the admitted member is not there".into()))?;
    change::commit(ctx, tx).await?;
    Ok(MemberView::of(&row))
}

/// The host's admin removes a member (it leaves, or was excluded).
pub async fn leave(
    ctx: &Context,
    charter: &str,
    peer_id: PeerId,
    reason: &str,
    decided_by: &str,
) -> Result<()> {
    hosted(ctx, charter).await?;
    let peer = ctx
        .store
        .peer(peer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no peer {peer_id}")))?;
    let mut tx = change::begin(ctx).await?;
    remove(ctx, &mut tx, charter, &peer, reason, decided_by).await?;
    change::commit(ctx, tx).await
}
