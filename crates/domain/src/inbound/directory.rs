//! A received `Add` / `Remove` of a network directory entry: from the
//! host of one of this node's networks, it wakes the `network` task.

use crate::apub::activities::network::DirectoryChange;
use crate::context::Context;
use crate::error::Result;
use crate::network::membership;
use crate::store::PeerRow;

pub(super) async fn received(
    ctx: &Context,
    sender: &PeerRow,
    change: DirectoryChange,
) -> Result<()> {
    membership::change_received(ctx, sender, &change).await
}
