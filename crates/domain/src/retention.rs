//! What the node forgets, and when: processed inbox activity ids after a
//! week (senders stop retrying long before), delivered webhook events after
//! `delivery.webhook_retention`, hourly delivery counts after two days.
//! The audit log is never pruned. Pruning
//! runs hourly, once across the replicas sharing a database (`scheduler`).

use std::time::Duration;

use crate::context::Context;
use crate::error::Result;
use crate::store::now_millis;

/// Processed activity ids are kept this long, so replays within it are
/// recognised.
pub const SEEN_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Hourly delivery counts (the dashboard's sparklines) are kept this long.
pub const HOURS_RETENTION: Duration = Duration::from_secs(48 * 3600);
/// How often the pruning runs.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Prunes what is past its retention.
pub async fn prune(ctx: &Context) -> Result<()> {
    let before = now_millis() - crate::model::time::millis(SEEN_RETENTION);
    let pruned = ctx.store.prune_seen_activities(before).await?;
    if pruned > 0 {
        tracing::info!(pruned, "forgot processed activity ids older than a week");
    }
    let retention = crate::model::time::millis(ctx.settings.delivery.webhook_retention);
    let pruned = ctx
        .store
        .prune_delivered_webhook_events(now_millis() - retention)
        .await?;
    if pruned > 0 {
        tracing::info!(
            pruned,
            "forgot delivered webhook events past their retention"
        );
    }
    let before = now_millis() - crate::model::time::millis(HOURS_RETENTION);
    ctx.store.prune_delivery_hours(before).await?;
    Ok(())
}
