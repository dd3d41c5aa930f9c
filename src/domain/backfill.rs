//! Backfill: when a peer accepts our follow, the node walks the peer's
//! outbox (newest first, a bounded number of pages) and imports the
//! objects it may see, so the catalog does not wait for the next change.
//! Importing is idempotent (stale versions are skipped), so a backfill cut
//! short is simply run again at the next acceptance.

use serde_json::Value;
use url::Url;

use crate::apub::fetch;
use crate::apub::peer::domain_of;
use crate::domain::catalog;
use crate::node::AppContext;
use crate::store::PeerRow;

/// Pages of a peer's outbox walked at most.
const MAX_PAGES: usize = 50;

/// Runs the backfill of `peer` in the background.
pub fn spawn(ctx: AppContext, peer: PeerRow) {
    tokio::spawn(async move {
        match run(&ctx, &peer).await {
            Ok(imported) => tracing::info!(peer = %peer.actor_uri, imported, "backfill done"),
            Err(reason) => tracing::warn!(peer = %peer.actor_uri, reason, "backfill stopped"),
        }
    });
}

async fn run(ctx: &AppContext, peer: &PeerRow) -> Result<usize, String> {
    let actor: Value = serde_json::from_str(&peer.actor_json).map_err(|e| e.to_string())?;
    let outbox = actor
        .get("outbox")
        .and_then(Value::as_str)
        .ok_or("the peer has no outbox")?;
    let allow_private = ctx.settings.federation.allow_private_addresses;
    let client = ctx.http.clone();
    let on_peer = |url: &str| -> Result<Url, String> {
        let url = Url::parse(url).map_err(|e| e.to_string())?;
        if domain_of(&url) == peer.domain {
            Ok(url)
        } else {
            Err(format!("{url} is not on the peer's host"))
        }
    };
    let collection = fetch::fetch_document(&client, &on_peer(outbox)?, allow_private)
        .await
        .map_err(|e| e.to_string())?;
    let mut next = collection
        .get("first")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut imported = 0;
    for _ in 0..MAX_PAGES {
        let Some(page_url) = next.take() else { break };
        let page = fetch::fetch_document(&client, &on_peer(&page_url)?, allow_private)
            .await
            .map_err(|e| e.to_string())?;
        for activity in page
            .get("orderedItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = activity
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let object = activity.get("object").cloned().unwrap_or(Value::Null);
            let outcome = match kind {
                "Create" | "Update" if object.is_object() => {
                    catalog::receive_object(ctx, peer, &object).await
                }
                "Delete" => catalog::receive_delete(ctx, peer, &object).await,
                _ => continue,
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
