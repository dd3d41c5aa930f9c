//! Whether the node can serve: readiness (the database answers, migrated)
//! and the queue depths the metrics report.

use std::time::Duration;

use crate::context::Context;
use crate::error::{Error, Result};

/// Readiness waits no longer than this for the database.
pub const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// `Ok` when the database answers within the timeout and is migrated.
pub async fn readiness(ctx: &Context) -> Result<()> {
    match tokio::time::timeout(READINESS_TIMEOUT, ctx.store.check_ready()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(not_ready)) => Err(Error::Unavailable(not_ready.to_string())),
        Err(_) => Err(Error::Unavailable(format!(
            "database did not answer within {}s",
            READINESS_TIMEOUT.as_secs()
        ))),
    }
}

/// Sets the gauges read at scrape: readiness, the delivery and webhook
/// queue depths, unreachable peers, disabled webhooks and overdue
/// withdrawals. The counts keep
/// their last value when the database does not answer (`ready` is then 0),
/// so scrapes still succeed.
pub async fn refresh_queue_depths(ctx: &Context) {
    let ready = readiness(ctx).await.is_ok();
    ctx.metrics.ready.set(i64::from(ready));
    if !ready {
        return;
    }
    if let Ok((deliveries, webhooks)) = ctx.store.queue_depths().await {
        ctx.metrics.delivery_queue_depth.set(deliveries);
        ctx.metrics.webhook_queue_depth.set(webhooks);
    }
    let dead_after = crate::model::time::millis(ctx.settings.delivery.dead_after);
    let dead_before = crate::store::now_millis() - dead_after;
    if let Ok((_, webhooks)) = ctx.store.unreachable_counts(dead_before).await {
        ctx.metrics.webhooks_disabled.set(webhooks);
    }
    // Peers as the console shows them: one that is gone or excluded is
    // not counted unreachable.
    if let Ok(states) = crate::peers::stream_health(ctx).await {
        let unreachable = states
            .iter()
            .filter(|s| **s == crate::model::PeerHealth::Unreachable)
            .count();
        ctx.metrics
            .peers_unreachable
            .set(crate::model::count(unreachable));
    }
    let deadline = crate::model::time::millis(ctx.settings.federation.removal_deadline);
    let withdrawn_before = crate::store::now_millis() - deadline;
    if let Ok(overdue) = ctx.store.overdue_withdrawals(None, withdrawn_before).await {
        ctx.metrics.withdrawals_overdue.set(overdue);
    }
}

/// Public objects of every kind: NodeInfo's `localPosts`.
pub async fn public_object_count(ctx: &Context) -> Result<i64> {
    ctx.store.count_public_objects(None).await
}
