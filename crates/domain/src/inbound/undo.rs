//! A received `Undo` of a `Follow`: the follower leaves.

use serde_json::Value;

use crate::apub::activities::answer::object_id;
use crate::apub::activities::undo::Undo;
use crate::apub::actor::actor_id;
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
    if let Some(followed) = anonymous_follow(&undo.object) {
        if followed != actor_id(&ctx.settings).as_str() {
            return Err(Error::UnprocessableAt(
                "/object/object".into(),
                "the Follow undone is not of this node".into(),
            ));
        }
        return follows::follow_undone_by_actor(ctx, &undo.actor).await;
    }
    let follow = object_id(&undo.object)
        .ok_or_else(|| Error::UnprocessableAt("/object".into(), "names no Follow".into()))?;
    follows::follow_undone(ctx, &undo.actor, &follow).await
}

/// The followed actor of an embedded `Follow` that has no id (the
/// follower does not know which follow it undoes: FEP-8fcf).
fn anonymous_follow(object: &Value) -> Option<&str> {
    let Value::Object(embedded) = object else {
        return None;
    };
    if embedded.contains_key("id") {
        return None;
    }
    embedded.get("object").and_then(Value::as_str)
}
