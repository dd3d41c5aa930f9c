//! Finding a peer's actor: by URL (the stored one while fresh, else fetched
//! with a signed request and checked) or by handle through WebFinger. Every
//! request goes through the node's address-checked client, and no domain
//! the policy refuses is asked anything.

use std::time::Duration;

use activitypub_federation::fetch::webfinger::Webfinger;
use url::Url;

use crate::domain_policy;
use crate::error::{Error, Result};
use crate::fetch::{self, FetchError};
use crate::peer::{Peer, domain_of, verify_actor_document};
use passerelle_context::Context;

/// A stored actor older than this is fetched again when next needed.
const REFRESH_AFTER: Duration = Duration::from_secs(24 * 3600);
const JRD: &str = "application/jrd+json";

/// The peer whose actor is `actor`: stored, or fetched, checked and stored.
/// A stale actor is fetched again; if that fails the stored one serves.
pub async fn actor(ctx: &Context, actor: &Url) -> Result<Peer> {
    let stored = Peer::stored(actor, ctx).await?;
    let fresh = |peer: &Peer| {
        crate::store::now_millis() - peer.row.fetched_at < crate::model::time::millis(REFRESH_AFTER)
    };
    match stored {
        Some(peer) if fresh(&peer) => Ok(peer),
        stored => match fetched(ctx, actor).await {
            Ok(peer) => Ok(peer),
            Err(e) => stored.ok_or(e),
        },
    }
}

/// The peer's actor fetched afresh (it announced a change), checked and
/// stored.
pub async fn refetched(ctx: &Context, actor: &Url) -> Result<Peer> {
    fetched(ctx, actor).await
}

/// The peer's actor fetched afresh because a proof names a verification
/// method its stored actor does not list (the peer rotated its proof key,
/// or the proof is forged): within the key-fetch bounds
/// (`key_fetches`: once per window, the origin's budget), so forged
/// methods cost at most one fetch.
pub async fn refetched_for_unknown_key(ctx: &Context, actor: &Url) -> Result<Peer> {
    let document = crate::key_fetches::fetched(ctx, actor)
        .await?
        .ok_or_else(|| Error::Unauthorized(format!("{actor} could not be fetched again")))?;
    verify_actor_document(&document, actor)?;
    Peer::store(document, None, ctx).await
}

/// An actor's document fetched with a signed request and checked, not
/// stored: the new actor a `Move` names is stored only once the move is
/// accepted.
pub async fn unstored(ctx: &Context, actor: &Url) -> Result<serde_json::Value> {
    domain_policy::refuse(ctx, &domain_of(actor)).await?;
    let document = fetch::fetch_signed(ctx, actor)
        .await
        .map_err(|e| unavailable(&e))?;
    verify_actor_document(&document, actor)?;
    Ok(document)
}

async fn fetched(ctx: &Context, actor: &Url) -> Result<Peer> {
    domain_policy::refuse(ctx, &domain_of(actor)).await?;
    let document = fetch::fetch_signed(ctx, actor)
        .await
        .map_err(|e| unavailable(&e))?;
    verify_actor_document(&document, actor)?;
    Peer::store(document, None, ctx).await
}

/// The peer a handle (`name@host`) names, through the host's WebFinger.
pub async fn handle(ctx: &Context, handle: &str, host: &str) -> Result<Peer> {
    let actor_url = webfinger(ctx, handle, host).await?;
    actor(ctx, &actor_url).await
}

/// The actor URL that `host`'s WebFinger gives for a handle (`name@host`);
/// nothing is stored.
pub async fn webfinger(ctx: &Context, handle: &str, host: &str) -> Result<Url> {
    let scheme = ctx.settings.public_url.scheme();
    let mut url = Url::parse(&format!("{scheme}://{host}/.well-known/webfinger"))
        .map_err(|_| Error::BadRequest(format!("`{host}` is not a host name")))?;
    url.query_pairs_mut()
        .append_pair("resource", &format!("acct:{handle}"));
    let document = fetch::fetch_json(&ctx.http, &url, JRD)
        .await
        .map_err(|e| unavailable(&e))?;
    let webfinger: Webfinger = serde_json::from_value(document).map_err(|e| {
        Error::PeerUnavailable(format!(
            "{host} answered WebFinger with no usable links: {e}"
        ))
    })?;
    let Some(actor_url) = webfinger
        .links
        .iter()
        .rev()
        .filter(|link| link.rel.as_deref() == Some("self"))
        .filter(|link| {
            link.kind
                .as_deref()
                .is_some_and(|kind| kind.starts_with("application/"))
        })
        .find_map(|link| link.href.clone())
    else {
        return Err(Error::NotFound(format!(
            "{host} names no actor for {handle}"
        )));
    };
    Ok(actor_url)
}

fn unavailable(error: &FetchError) -> Error {
    match error {
        FetchError::Status(url, 404 | 410) => Error::NotFound(format!("{url} answered not found")),
        other => Error::PeerUnavailable(other.to_string()),
    }
}
