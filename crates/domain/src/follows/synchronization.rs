//! FEP-8fcf followers synchronisation: the partial followers collection
//! this node serves and the header its deliveries carry; on a peer's
//! header, the comparison with what this node believes, and the fetch and
//! reconciliation when they differ.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use serde_json::{Value, json};
use url::Url;

use crate::apub::activities::{self, follow, undo};
use crate::apub::actor::{FOLLOWERS_PATH, actor_id};
use crate::apub::collection_sync::{self, CollectionSync, PARTIAL_FOLLOWERS_PATH};
use crate::apub::context::ACTIVITY_STREAMS;
use crate::apub::fetch;
use crate::apub::peer::domain_of;
use crate::audit::{self, Event};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::FollowingState;
use crate::store::{FollowOutRow, PeerRow};
use crate::{catalog, change, outgoing};

/// Who takes the decisions synchronisation takes, in the audit log.
const SYNCHRONISATION: &str = "followers-synchronisation";

/// This node's approved followers whose ids are on `origin` (scheme, host
/// and port): the partial followers collection for that origin.
pub async fn partial_followers(ctx: &Context, origin: &Url) -> Result<Vec<String>> {
    let followers = ctx.store.approved_followers_on(&domain_of(origin)).await?;
    Ok(followers
        .into_iter()
        .filter(|id| Url::parse(id).is_ok_and(|id| id.origin() == origin.origin()))
        .collect())
}

/// The `Collection-Synchronization` header for a delivery to `inbox`:
/// our followers on the inbox's origin, and where that origin may read
/// them.
pub async fn header_for(ctx: &Context, inbox: &Url) -> Result<CollectionSync> {
    let followers = partial_followers(ctx, inbox).await?;
    Ok(CollectionSync {
        collection_id: ctx.settings.url_for(FOLLOWERS_PATH),
        url: ctx.settings.url_for(PARTIAL_FOLLOWERS_PATH),
        digest: collection_sync::digest(followers.iter().map(String::as_str)),
    })
}

/// The partial followers collection `reader` (a verified signer) may read:
/// our approved followers on its origin.
pub async fn partial_collection(ctx: &Context, reader: &PeerRow) -> Result<Value> {
    let origin = Url::parse(&reader.actor_uri)?;
    let followers = partial_followers(ctx, &origin).await?;
    Ok(json!({
        "@context": ACTIVITY_STREAMS,
        "id": ctx.settings.url_for(PARTIAL_FOLLOWERS_PATH),
        "type": "OrderedCollection",
        "totalItems": followers.len(),
        "orderedItems": followers,
    }))
}

/// Peers whose header is being checked now, by (our actor, peer): a
/// burst of deliveries fetches and reconciles once.
static CHECKING: LazyLock<Mutex<HashSet<(String, String)>>> =
    LazyLock::new(|| Mutex::new(HashSet::new()));

/// Checks the header `sync` a verified delivery from `sender` carried
/// (signed with it), in a task of its own so the inbox answers at once.
/// Nothing is kept if the process dies: the peer's next delivery carries
/// the header again and the check runs again.
pub fn check_delivery(ctx: Context, sender: PeerRow, sync: CollectionSync) {
    let key = (
        actor_id(&ctx.settings).to_string(),
        sender.actor_uri.clone(),
    );
    let fresh = CHECKING
        .lock()
        .map(|mut checking| checking.insert(key.clone()))
        .unwrap_or(false);
    if !fresh {
        return;
    }
    tokio::spawn(async move {
        if let Err(e) = check(&ctx, &sender, &sync).await {
            count(&ctx, "failed");
            tracing::info!(peer = %sender.actor_uri, error = %e, "followers synchronisation failed");
        }
        if let Ok(mut checking) = CHECKING.lock() {
            checking.remove(&key);
        }
    });
}

/// Compares the header with what we believe (our follow of the sender,
/// accepted) and, when they differ, fetches the sender's partial
/// collection and reconciles.
pub async fn check(ctx: &Context, sender: &PeerRow, sync: &CollectionSync) -> Result<()> {
    if let Some(why) = unusable(sender, sync) {
        tracing::info!(peer = %sender.actor_uri, why, "Collection-Synchronization header ignored");
        count(ctx, "ignored");
        return Ok(());
    }
    let us = actor_id(&ctx.settings);
    let follow = ctx.store.follow_out_by_peer(sender.id).await?;
    let believed: Vec<&str> = match &follow {
        Some(row) if row.state == FollowingState::Active => vec![us.as_str()],
        _ => Vec::new(),
    };
    if collection_sync::digest(believed) == sync.digest {
        count(ctx, "in_sync");
        return Ok(());
    }
    count(ctx, "mismatch");
    let listed = listed_followers(ctx, &sync.url).await?;
    let listed_us = listed.iter().any(|id| id == us.as_str());
    reconcile(ctx, sender, follow, listed_us).await
}

/// Why the header cannot be acted on, if it cannot: its collection must be
/// the sender's followers collection, on the sender's origin, and its url
/// on that origin too (so no third party's list is fetched).
fn unusable(sender: &PeerRow, sync: &CollectionSync) -> Option<&'static str> {
    let origin = Url::parse(&sender.actor_uri).ok()?.origin();
    let actor: Value = serde_json::from_str(&sender.actor_json).ok()?;
    let followers = match actor.get("followers") {
        Some(Value::String(id)) => Some(id.as_str()),
        Some(Value::Object(collection)) => collection.get("id").and_then(Value::as_str),
        _ => None,
    };
    if followers != Some(sync.collection_id.as_str()) {
        Some("collectionId is not the sender's followers collection")
    } else if sync.collection_id.origin() != origin {
        Some("the followers collection is not on the sender's origin")
    } else if sync.url.origin() != origin {
        Some("url is not on the sender's origin")
    } else {
        None
    }
}

/// The ids the partial collection at `url` lists (inline, or on its first
/// page on the same origin), fetched with a signed GET.
async fn listed_followers(ctx: &Context, url: &Url) -> Result<Vec<String>> {
    let fetched = |url: Url| async move {
        fetch::fetch_signed(ctx, &url)
            .await
            .map_err(|e| Error::PeerUnavailable(e.to_string()))
    };
    let document = fetched(url.clone()).await?;
    if let Some(items) = items_of(&document) {
        return Ok(items);
    }
    let first = match document.get("first") {
        Some(Value::Object(_)) => document.get("first").cloned(),
        Some(Value::String(first)) => match Url::parse(first) {
            Ok(first) if first.origin() == url.origin() => Some(fetched(first).await?),
            _ => None,
        },
        _ => None,
    };
    first
        .as_ref()
        .and_then(items_of)
        .ok_or_else(|| Error::PeerUnavailable(format!("{url} lists no followers")))
}

fn items_of(collection: &Value) -> Option<Vec<String>> {
    let items = collection
        .get("orderedItems")
        .or_else(|| collection.get("items"))?;
    let items = match items {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    Some(
        items
            .iter()
            .filter_map(|item| match item {
                Value::String(id) => Some(id.clone()),
                Value::Object(item) => item.get("id").and_then(Value::as_str).map(String::from),
                _ => None,
            })
            .collect(),
    )
}

/// What the FEP says to do once the peer's list is known: a follow it
/// lists and we do not hold is undone; one we hold and it does not list is
/// ended here; a pending one it lists is taken as accepted.
async fn reconcile(
    ctx: &Context,
    peer: &PeerRow,
    follow: Option<FollowOutRow>,
    listed_us: bool,
) -> Result<()> {
    let state = follow.as_ref().map(|row| row.state);
    match (listed_us, follow) {
        (true, Some(row)) if row.state == FollowingState::Pending => {
            let peer_uri = Url::parse(&peer.actor_uri)?;
            let follow_uri = Url::parse(&row.follow_uri)?;
            super::follow_answered(ctx, &peer_uri, &follow_uri, true).await
        }
        (true, Some(row)) if row.state == FollowingState::Active => Ok(()),
        (true, _) => undo_unknown_follow(ctx, peer, state).await,
        (false, Some(row)) if row.state == FollowingState::Active => {
            end_follow(ctx, peer, &row).await
        }
        (false, _) => Ok(()),
    }
}

/// The peer lists us among its followers, but we do not follow it: an
/// `Undo` of a `Follow` whose id we do not know (so it names none; the
/// receiver matches on actor and object, as Mastodon does).
async fn undo_unknown_follow(
    ctx: &Context,
    peer: &PeerRow,
    state: Option<FollowingState>,
) -> Result<()> {
    let us = actor_id(&ctx.settings);
    let peer_url = Url::parse(&peer.actor_uri)?;
    let follow = json!({"type": follow::TYPE, "actor": us, "object": peer_url});
    let id = activities::new_activity_id(&ctx.settings);
    let document = undo::document(&id, &us, &follow, &peer_url);
    ctx.store.ensure_delivery_stream(peer.id).await?;
    let mut tx = change::begin(ctx).await?;
    outgoing::record_for_peer(ctx, &mut tx, peer.id, undo::TYPE, &id, &document).await?;
    let ours = state.map_or("none", FollowingState::as_str);
    audit::record(
        &mut tx,
        Event::FollowSyncUndone,
        Some(&peer.actor_uri),
        SYNCHRONISATION,
        &format!(
            "{} lists us as a follower, our follow is {ours}: Undo sent",
            peer.handle
        ),
    )
    .await?;
    change::commit(ctx, tx).await?;
    count(ctx, "undone");
    Ok(())
}

/// We believe we follow the peer, but it does not list us: the follow is
/// over here too, and what it shared with us for a follower goes.
async fn end_follow(ctx: &Context, peer: &PeerRow, row: &FollowOutRow) -> Result<()> {
    let mut tx = change::begin(ctx).await?;
    tx.delete_follow_out(row.id).await?;
    catalog::purge_peer(&mut tx, peer, "no longer lists us as a follower").await?;
    audit::record(
        &mut tx,
        Event::FollowSyncEnded,
        Some(&peer.actor_uri),
        SYNCHRONISATION,
        &format!(
            "{} does not list us as a follower: our follow ended here",
            peer.handle
        ),
    )
    .await?;
    change::commit(ctx, tx).await?;
    count(ctx, "ended");
    Ok(())
}

/// Counts a header received, by what came of it.
pub fn count(ctx: &Context, outcome: &str) {
    ctx.metrics
        .followers_sync
        .with_label_values(&[outcome])
        .inc();
}
