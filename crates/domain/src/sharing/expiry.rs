//! Retention on the receiving side (issue 26): what a followed peer shared
//! under terms with `retentionDays` leaves our catalog once it has not been
//! updated for that long, each object with a `catalog.deleted` webhook
//! event, in one change per peer. The scheduler runs it
//! (`federation.retention_check_every`, once across replicas).

use serde_json::json;

use crate::context::Context;
use crate::error::Result;
use crate::store::{ReceivedTermsRow, now_millis};
use crate::{change, webhooks};

const DAY_MILLIS: i64 = 24 * 3600 * 1000;

/// Removes what is past its peer's retention; how many objects left.
pub async fn expire(ctx: &Context) -> Result<usize> {
    let mut expired = 0;
    for terms in ctx.store.received_terms_all().await? {
        if let Some(days) = terms.terms.retention_days {
            expired += expire_peer(ctx, &terms, days).await?;
        }
    }
    Ok(expired)
}

async fn expire_peer(ctx: &Context, terms: &ReceivedTermsRow, days: u32) -> Result<usize> {
    let Some(peer) = ctx.store.peer(terms.peer_id).await? else {
        return Ok(0);
    };
    let before = now_millis() - i64::from(days) * DAY_MILLIS;
    let mut tx = change::begin(ctx).await?;
    let held = tx.catalog_updated_before(peer.id, before).await?;
    for (object, kind) in &held {
        tx.delete_catalog(object).await?;
        webhooks::emit(
            &mut tx,
            webhooks::Event::CatalogDeleted,
            &format!("{object}:expired:{before}"),
            json!({
                "kind": kind,
                "peer": peer.actor_uri,
                "object": {"id": object, "type": "Tombstone"},
                "reason": format!("past the {days}-day retention of the peer's sharing terms"),
            }),
        )
        .await?;
    }
    change::commit(ctx, tx).await?;
    if !held.is_empty() {
        tracing::info!(peer = %peer.actor_uri, expired = held.len(), days, "catalog: past retention, removed");
    }
    Ok(held.len())
}
