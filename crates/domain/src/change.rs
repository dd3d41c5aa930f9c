//! A change to the node's state, begun and committed here: the activities
//! and webhook events it records go out once it has committed (never for a
//! change rolled back, never lost for one that committed).

use crate::context::Context;
use crate::error::Result;
use crate::store::ChangeTx;

pub async fn begin(ctx: &Context) -> Result<ChangeTx> {
    ctx.store.begin_change().await
}

/// Commits, then wakes the delivery and webhook workers for what the
/// change queued.
pub async fn commit(ctx: &Context, tx: ChangeTx) -> Result<()> {
    tx.commit().await?;
    ctx.delivery_wakeup.notify_one();
    ctx.webhook_wakeup.notify_one();
    Ok(())
}
