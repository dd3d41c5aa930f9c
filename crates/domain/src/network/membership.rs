//! The member side: the mirror of each network's member directory
//! (fetched from its host, its proof checked against the host's key), the
//! `network` task that keeps it and applies it, the hosts' `Add` / `Remove`
//! that wake that task, and whether a follow request comes from a member.

use url::Url;

use crate::apub::activities::network::{Directory, DirectoryChange, directory_uri};
use crate::apub::actor::actor_id;
use crate::apub::verification::verify_with_actor;
use crate::apub::{fetch, resolve};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{OverrideDecision, time};
use crate::network::apply;
use crate::scheduler::NETWORK_TASK;
use crate::store::{MirroredMember, PeerRow};
use passerelle_config::Admission;

/// Who takes the decisions a network's directory dictates, in the audit log.
pub fn decider(network: &str) -> String {
    format!("network {network}")
}

/// The `network` task: mirrors each network's directory, then applies
/// them (in `network` admission). A network whose directory cannot be read
/// keeps its last mirror.
pub async fn sync(ctx: &Context) -> Result<()> {
    for network in &ctx.settings.federation.networks {
        match fetch_directory(ctx, network).await {
            Ok(directory) => mirror(ctx, network, &directory).await?,
            Err(reason) => {
                tracing::warn!(%network, reason, "could not read the network's member directory");
            }
        }
    }
    if ctx.settings.federation.admission == Admission::Network {
        apply::apply(ctx).await?;
    }
    Ok(())
}

/// The directory of `network`, its proof checked against the key of the
/// host's actor (on the charter's origin).
async fn fetch_directory(ctx: &Context, network: &Url) -> Result<Directory, String> {
    let url = directory_uri(network);
    let document = fetch::fetch_document(&ctx.http, &url)
        .await
        .map_err(|e| e.to_string())?;
    let directory: Directory = serde_json::from_value(document.clone())
        .map_err(|e| format!("{url} is not a member directory: {e}"))?;
    if directory.id != url || directory.network != *network {
        return Err(format!("{url} is the directory of another network"));
    }
    if directory.attributed_to.origin() != network.origin() {
        return Err(format!(
            "{url} is attributed to {}, not to the charter's host",
            directory.attributed_to
        ));
    }
    let host = resolve::actor(ctx, &directory.attributed_to)
        .await
        .map_err(|e| e.to_string())?;
    if verify_with_actor(&host.actor_document(), &document).is_err() {
        // The host may have rotated its key since its actor was stored.
        let host = resolve::refetched(ctx, &directory.attributed_to)
            .await
            .map_err(|e| e.to_string())?;
        verify_with_actor(&host.actor_document(), &document)
            .map_err(|e| format!("{url}'s proof does not verify: {e}"))?;
    }
    Ok(directory)
}

async fn mirror(ctx: &Context, network: &Url, directory: &Directory) -> Result<()> {
    let members: Vec<(String, i64, String)> = directory
        .ordered_items
        .iter()
        .filter(|m| m.kind == crate::apub::activities::network::MEMBER_TYPE)
        .map(|m| {
            (
                m.actor.to_string(),
                m.since
                    .as_deref()
                    .and_then(time::parse_millis)
                    .unwrap_or_default(),
                m.version.as_ref().map(Url::to_string).unwrap_or_default(),
            )
        })
        .collect();
    let rows: Vec<MirroredMember<'_>> = members
        .iter()
        .map(|(actor_uri, since, version)| MirroredMember {
            actor_uri,
            since: *since,
            version,
        })
        .collect();
    ctx.store.mirror_network(network.as_str(), &rows).await
}

/// A host's `Add` / `Remove`: accepted only from the host of one of this
/// node's networks, for that network's directory; it wakes the `network`
/// task (the signed directory, not the activity, is what is applied).
pub async fn change_received(
    ctx: &Context,
    sender: &PeerRow,
    change: &DirectoryChange,
) -> Result<()> {
    let ours = ctx.settings.federation.networks.iter().any(|network| {
        directory_uri(network) == change.target
            && network.origin() == change.actor.origin()
            && change.actor.as_str() == sender.actor_uri
    });
    if !ours {
        return Err(Error::Forbidden(
            "only the host of one of this node's networks may change its member directory".into(),
        ));
    }
    ctx.store.make_periodic_due(NETWORK_TASK).await?;
    ctx.network_wakeup.notify_one();
    Ok(())
}

/// Why a follow request from `actor` is approved at once, if it is: in
/// `network` admission, a member of one of this node's networks (or one
/// its admin keeps by override) that no override excludes.
pub async fn member_reason(ctx: &Context, actor: &str) -> Result<Option<String>> {
    if ctx.settings.federation.admission != Admission::Network
        || actor_id(&ctx.settings).as_str() == actor
    {
        return Ok(None);
    }
    let decision = ctx
        .store
        .network_overrides()
        .await?
        .into_iter()
        .find(|o| o.actor_uri == actor)
        .map(|o| o.decision);
    match decision {
        Some(OverrideDecision::Exclude) => return Ok(None),
        Some(OverrideDecision::Keep) => {
            return Ok(Some("kept as a network member by a local override".into()));
        }
        None => {}
    }
    let configured = &ctx.settings.federation.networks;
    Ok(ctx
        .store
        .network_mirror()
        .await?
        .into_iter()
        .find(|row| {
            row.listed
                && row.actor_uri == actor
                && configured.iter().any(|n| n.as_str() == row.network)
        })
        .map(|row| format!("member of the network {}", row.network)))
}
