//! A received `Undo` of a `Follow`: the follower leaves.

use serde_json::Value;

use crate::apub::activities::answer::object_id;
use crate::apub::activities::undo::Undo;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::follows;
use crate::store::PeerRow;

pub(super) async fn received(ctx: &Context, sender: &PeerRow, undo: Undo) -> Result<()> {
    if let Value::Object(embedded) = &undo.object {
        if embedded.get("type").and_then(Value::as_str) != Some("Follow") {
            return Err(Error::UnprocessableAt(
                "/object/type".into(),
                "only a Follow can be undone here".into(),
            ));
        }
        if embedded.get("actor").and_then(Value::as_str) != Some(sender.actor_uri.as_str()) {
            return Err(Error::Forbidden(
                "an actor can only undo its own Follow".into(),
            ));
        }
    }
    let follow = object_id(&undo.object)
        .ok_or_else(|| Error::UnprocessableAt("/object".into(), "names no Follow".into()))?;
    follows::follow_undone(ctx, &undo.actor, &follow).await
}
