//! A node admin's local overrides of its networks' directories (keep a
//! member the network removed, exclude one it lists), audited, and the
//! directory as the admin sees it: what is hosted here, what each network
//! lists, and where this node differs from it.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::audit::{self, Event};
use crate::change;
use crate::context::Context;
use crate::error::{Error, Result, Violation};
use crate::model::{OverrideDecision, OverrideId, time};
use crate::network::directory::{HostedDirectory, hosted_directories};
use crate::scheduler::NETWORK_TASK;
use crate::store::{MirrorRow, OverrideRow};

/// What the admin sets.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    /// The member's actor URI.
    pub actor: String,
    /// `keep` (though the network removed it) or `exclude` (though the
    /// network lists it).
    pub decision: String,
    /// Why (1 to 1000 characters).
    pub reason: String,
}

/// An override as the API and the console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverrideView {
    pub id: OverrideId,
    pub actor: String,
    pub decision: OverrideDecision,
    pub reason: String,
    pub decided_by: String,
    #[schema(format = DateTime)]
    pub decided_at: String,
}

impl OverrideView {
    fn of(row: &OverrideRow) -> OverrideView {
        OverrideView {
            id: row.id,
            actor: row.actor_uri.clone(),
            decision: row.decision,
            reason: row.reason.clone(),
            decided_by: row.decided_by.clone(),
            decided_at: time::format_millis(row.decided_at),
        }
    }
}

/// One member of a network as mirrored here.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MirroredView {
    pub actor: String,
    #[schema(format = DateTime)]
    pub since: String,
    pub version: String,
    /// Listed by the directory as last fetched.
    pub listed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<String>,
    /// When this node applied the removal (excluded the member).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<String>,
    /// This node's override, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_override: Option<OverrideDecision>,
    /// How this node differs from the network about this member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<String>,
}

/// A network this node belongs to, as mirrored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NetworkView {
    /// The network's charter URI.
    pub network: String,
    pub members: Vec<MirroredView>,
}

/// The directory as the admin sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DirectoryView {
    /// The directories of the charters hosted here.
    pub hosted: Vec<HostedDirectory>,
    /// The directories of `federation.networks`, mirrored.
    pub networks: Vec<NetworkView>,
    pub overrides: Vec<OverrideView>,
    /// Every difference from the networks, one sentence each.
    pub differences: Vec<String>,
}

fn difference(row: &MirrorRow, decision: Option<OverrideDecision>) -> Option<String> {
    match (row.listed, decision) {
        (true, Some(OverrideDecision::Exclude)) => Some(format!(
            "the network {} lists {}; excluded here by override",
            row.network, row.actor_uri
        )),
        (false, Some(OverrideDecision::Keep)) => Some(format!(
            "the network {} excluded {}; kept here by override",
            row.network, row.actor_uri
        )),
        _ => None,
    }
}

/// Hosted directories, mirrored ones, the overrides and the differences.
pub async fn directory(ctx: &Context) -> Result<DirectoryView> {
    let overrides = ctx.store.network_overrides().await?;
    let decision = |actor: &str| {
        overrides
            .iter()
            .find(|o| o.actor_uri == actor)
            .map(|o| o.decision)
    };
    let mirror = ctx.store.network_mirror().await?;
    let mut networks = Vec::new();
    let mut differences = Vec::new();
    for network in &ctx.settings.federation.networks {
        let members: Vec<MirroredView> = mirror
            .iter()
            .filter(|row| row.network == network.as_str())
            .map(|row| {
                let local_override = decision(&row.actor_uri);
                let difference = difference(row, local_override);
                differences.extend(difference.clone());
                MirroredView {
                    actor: row.actor_uri.clone(),
                    since: time::format_millis(row.since),
                    version: row.version.clone(),
                    listed: row.listed,
                    removed_at: row.removed_at.map(time::format_millis),
                    applied_at: row.applied_at.map(time::format_millis),
                    local_override,
                    difference,
                }
            })
            .collect();
        networks.push(NetworkView {
            network: network.to_string(),
            members,
        });
    }
    Ok(DirectoryView {
        hosted: hosted_directories(ctx).await?,
        networks,
        overrides: overrides.iter().map(OverrideView::of).collect(),
        differences,
    })
}

pub async fn list(ctx: &Context) -> Result<Vec<OverrideView>> {
    Ok(ctx
        .store
        .network_overrides()
        .await?
        .iter()
        .map(OverrideView::of)
        .collect())
}

fn unprocessable(pointer: &str, detail: &str) -> Error {
    Error::Unprocessable(vec![Violation {
        pointer: pointer.into(),
        detail: detail.into(),
    }])
}

fn check(request: &OverrideRequest) -> Result<(Url, OverrideDecision)> {
    let actor = Url::parse(request.actor.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
        .ok_or_else(|| unprocessable("/actor", "an http(s) actor URI"))?;
    let decision = request
        .decision
        .parse::<OverrideDecision>()
        .map_err(|_| unprocessable("/decision", "`keep` or `exclude`"))?;
    let reason = request.reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(unprocessable("/reason", "1 to 1000 characters"));
    }
    Ok((actor, decision))
}

/// The `network` task runs at once: an override changes what it applies.
async fn reapply(ctx: &Context) -> Result<()> {
    ctx.store.make_periodic_due(NETWORK_TASK).await?;
    ctx.network_wakeup.notify_one();
    Ok(())
}

/// Sets (or replaces) the override of one member.
pub async fn set(
    ctx: &Context,
    request: &OverrideRequest,
    decided_by: &str,
) -> Result<OverrideView> {
    let (actor, decision) = check(request)?;
    let reason = request.reason.trim();
    let mut tx = change::begin(ctx).await?;
    let id = tx
        .set_network_override(actor.as_str(), decision, reason, decided_by)
        .await?;
    audit::record(
        &mut tx,
        Event::NetworkOverrideSet,
        Some(actor.as_str()),
        decided_by,
        &format!("{decision} {actor} against the network directory: {reason}"),
    )
    .await?;
    change::commit(ctx, tx).await?;
    reapply(ctx).await?;
    ctx.store
        .network_override(id)
        .await?
        .map(|row| OverrideView::of(&row))
        .ok_or_else(|| Error::Internal("the override just set is not there".into()))
}

/// Removes an override: the directory applies again.
pub async fn remove(ctx: &Context, id: OverrideId, decided_by: &str) -> Result<()> {
    let row = ctx
        .store
        .network_override(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no override {id}")))?;
    let mut tx = change::begin(ctx).await?;
    if !tx.delete_network_override(id).await? {
        return Err(Error::NotFound(format!("no override {id}")));
    }
    audit::record(
        &mut tx,
        Event::NetworkOverrideRemoved,
        Some(&row.actor_uri),
        decided_by,
        &format!(
            "removed the override ({}) of {}: the network directory applies",
            row.decision, row.actor_uri
        ),
    )
    .await?;
    change::commit(ctx, tx).await?;
    reapply(ctx).await
}
