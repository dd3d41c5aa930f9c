//! Following and being followed: the governance of who shares with whom.
//! Every decision is audited; every message to a peer is recorded in the
//! activity log and delivered by the delivery workers, so it survives a
//! crash between the decision and the network.

mod exclusion;
mod followers;
mod following;
pub mod synchronization;

pub use exclusion::{exclude, reinclude};
pub use followers::{approve, follow_received, follow_undone, follow_undone_by_actor, reject};
pub use following::{find_follow, follow, follow_answered, unfollow, unfollow_peer};

use url::Url;

use crate::apub::actor::actor_id;
use crate::apub::peer::{Peer, domain_of};
use crate::apub::resolve;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::policy::{self};

/// Who takes a decision the policy took.
pub(super) const POLICY: &str = "policy";

/// Finds a peer by handle (`@slug@host` or `slug@host`, via WebFinger) or
/// by actor URL, fetching and storing its actor.
pub async fn resolve_peer(data: &Context, target: &str) -> Result<Peer> {
    let actor = locate(data, target).await?;
    let peer = resolve::actor(data, &actor).await?;
    if peer.row.actor_uri == actor_id(&data.settings).as_str() {
        return Err(Error::BadRequest("a node cannot follow itself".into()));
    }
    Ok(peer)
}

/// The URL a target names: itself when it is an http(s) URL, else the
/// actor that the host's WebFinger gives for a handle (`@name@host` or
/// `name@host`). A refused domain or an address the client would never
/// reach is refused before any request; nothing is stored.
pub async fn locate(data: &Context, target: &str) -> Result<Url> {
    let target = target.trim();
    if target.contains("://") {
        let url = Url::parse(target)
            .map_err(|_| Error::BadRequest(format!("`{target}` is not a URL")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::BadRequest(format!(
                "`{target}` is not an http(s) URL"
            )));
        }
        policy::refuse(data, &domain_of(&url)).await?;
        check_reachable(data, &url).await?;
        return Ok(url);
    }
    let handle = target.strip_prefix('@').unwrap_or(target);
    let Some((user, host)) = handle.split_once('@') else {
        return Err(Error::BadRequest(format!(
            "`{target}` is neither @name@host nor a URL"
        )));
    };
    if user.is_empty() || host.is_empty() || host.contains('@') {
        return Err(Error::BadRequest(format!(
            "`{target}` is neither @name@host nor a URL"
        )));
    }
    policy::refuse(data, host).await?;
    let webfinger = Url::parse(&format!("{}://{host}/", data.settings.public_url.scheme()))
        .map_err(|_| Error::BadRequest(format!("`{host}` is not a host name")))?;
    check_reachable(data, &webfinger).await?;
    resolve::webfinger(data, handle, host).await
}

/// Refuses at once a target the client would never reach (a private
/// address on a node that does not allow them), with the reason.
async fn check_reachable(ctx: &Context, url: &Url) -> Result<()> {
    passerelle_outbound::check_target(url, ctx.settings.federation.allow_private_addresses)
        .await
        .map_err(|e| Error::BadRequest(format!("cannot reach {url}: {e}")))
}
