//! `/actor`: the node's Organization actor, with its keys.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;

use crate::activitypub::represent;
use crate::domain::moving;
use crate::problem::Result;
use crate::state::NodeState;

pub(super) async fn actor(State(ctx): State<NodeState>, headers: HeaderMap) -> Result<Response> {
    let actor = moving::actor(&ctx).await?;
    represent(
        &ctx,
        &headers,
        StatusCode::OK,
        &actor,
        "actor.html",
        context! { actor => &actor, proof_key => ctx.keys().ed25519_multibase() },
    )
}
