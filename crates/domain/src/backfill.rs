//! Backfill: when a peer accepts our follow, the node imports what the peer
//! already published and it may see. A Passerelle peer (its actor lists its
//! `commitments`) serves its object collections, with the non-public objects
//! we may read when the request is signed by us, an approved follower; from
//! other software, the public outbox is walked. Pages are bounded; importing
//! is idempotent (stale versions are skipped), so a backfill cut short is
//! simply run again at the next acceptance.

use std::collections::HashSet;

use serde_json::Value;
use url::Url;

use crate::apub::fetch;
use crate::apub::peer::is_peer_own;
use crate::catalog::{self, Arrival};
use crate::context::Context;
use crate::model::kinds::ObjectKind;
use crate::store::PeerRow;

/// Pages of one collection walked at most.
const MAX_PAGES: usize = 50;

/// Runs the backfill of `peer` in the background, unless one is running
/// already: a peer cannot make the node walk its collections twice at once.
/// `arrival` says why (`Backfilled`, or `Moved` to read again what the
/// catalog holds).
pub fn spawn(data: Context, peer: PeerRow, arrival: Arrival) {
    if !data.backfills.start(peer.id) {
        tracing::info!(peer = %peer.actor_uri, "backfill already running: not started again");
        return;
    }
    tokio::spawn(async move {
        match run(&data, &peer, arrival).await {
            Ok(imported) => tracing::info!(peer = %peer.actor_uri, imported, "backfill done"),
            Err(reason) => tracing::warn!(peer = %peer.actor_uri, reason, "backfill stopped"),
        }
        data.backfills.finish(peer.id);
    });
}

async fn run(data: &Context, peer: &PeerRow, arrival: Arrival) -> Result<usize, String> {
    let actor: Value = serde_json::from_str(&peer.actor_json).map_err(|e| e.to_string())?;
    let actor_id = Url::parse(&peer.actor_uri).map_err(|e| e.to_string())?;
    if actor.get("commitments").is_some() {
        let mut imported = 0;
        for kind in ObjectKind::ALL {
            let collection = actor_id
                .join(&format!("/{}", kind.collection()))
                .map_err(|e| e.to_string())?;
            imported += walk(data, peer, &collection, true, arrival).await?;
        }
        return Ok(imported);
    }
    let outbox = actor
        .get("outbox")
        .and_then(Value::as_str)
        .ok_or("the peer has no outbox")?;
    let outbox = Url::parse(outbox).map_err(|e| e.to_string())?;
    walk(data, peer, &outbox, false, arrival).await
}

/// Walks a collection's pages, importing objects (or the objects of
/// activities, for an outbox).
async fn walk(
    data: &Context,
    peer: &PeerRow,
    collection: &Url,
    signed: bool,
    arrival: Arrival,
) -> Result<usize, String> {
    let on_peer = |url: &str| -> Result<Url, String> {
        let url = Url::parse(url).map_err(|e| e.to_string())?;
        if is_peer_own(peer, &url, data.settings.federation.allow_private_addresses) {
            Ok(url)
        } else {
            Err(format!("{url} is not on the peer's origin"))
        }
    };
    let get = |url: Url| async move {
        if signed {
            fetch::fetch_signed(data, &url).await
        } else {
            fetch::fetch_document(&data.http, &url).await
        }
        .map_err(|e| e.to_string())
    };
    let first = get(on_peer(collection.as_str())?).await?;
    let mut next = first
        .get("first")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut imported = 0;
    // Newest first: a deletion is met before the older activities that
    // created the object, which must then not bring it back.
    let mut deleted: HashSet<String> = HashSet::new();
    let id_of = |object: Option<&Value>| -> Option<String> {
        match object? {
            Value::String(id) => Some(id.clone()),
            Value::Object(fields) => fields.get("id").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        }
    };
    for _ in 0..MAX_PAGES {
        let Some(page_url) = next.take() else { break };
        let page = get(on_peer(&page_url)?).await?;
        for item in page
            .get("orderedItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = item.get("type").and_then(Value::as_str).unwrap_or_default();
            let outcome = match kind {
                "Create" | "Update" => match item.get("object") {
                    Some(object @ Value::Object(_))
                        if !id_of(Some(object)).is_some_and(|id| deleted.contains(&id)) =>
                    {
                        catalog::receive_object(data, peer, object, arrival).await
                    }
                    _ => continue,
                },
                "Delete" => {
                    if let Some(id) = id_of(item.get("object")) {
                        deleted.insert(id);
                    }
                    catalog::receive_delete(
                        data,
                        peer,
                        item.get("object").unwrap_or(&Value::Null),
                        arrival,
                    )
                    .await
                }
                _ => catalog::receive_object(data, peer, item, arrival).await,
            };
            match outcome {
                Ok(catalog::Received::Created | catalog::Received::Updated) => imported += 1,
                Ok(_) => {}
                Err(e) => {
                    tracing::info!(peer = %peer.actor_uri, error = %e, "backfill: object refused")
                }
            }
        }
        next = page.get("next").and_then(Value::as_str).map(str::to_owned);
    }
    Ok(imported)
}
