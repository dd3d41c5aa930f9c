//! A received `Follow`: a peer asks for this node's data; the admission
//! policy decides (see `domain::follows`).

use crate::apub::activities::follow::Follow;
use crate::apub::actor::actor_id;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::follows;
use crate::store::PeerRow;

pub(super) async fn received(ctx: &Context, sender: &PeerRow, follow: Follow) -> Result<()> {
    if follow.object != actor_id(&ctx.settings) {
        return Err(Error::UnprocessableAt(
            "/object".into(),
            "this node's actor is the only one to follow here".into(),
        ));
    }
    follows::follow_received(ctx, sender, &follow.id).await
}
