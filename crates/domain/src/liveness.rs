//! This process among those serving from the same database: each records
//! that it is alive (at start, then about once a second from the delivery
//! loop); one not heard from for `ALIVE` is dead. Replicas split delivery
//! work by the live count; an inbox claim held by a dead process is taken
//! over at once.

use std::time::Duration;

use crate::context::Context;
use crate::error::Result;

/// How long a process counts as alive after it last said so.
pub const ALIVE: Duration = Duration::from_secs(5);

/// Records that this process is alive; returns how many are.
pub async fn heartbeat(ctx: &Context) -> Result<i64> {
    ctx.store
        .process_alive(&ctx.process, crate::model::time::millis(ALIVE))
        .await
}

/// Forgets this process at once (a clean stop).
pub async fn leave(ctx: &Context) {
    if let Err(e) = ctx.store.process_leaving(&ctx.process).await {
        tracing::warn!(error = %e, "cannot record this process stopping");
    }
}
