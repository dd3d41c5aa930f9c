//! ActivityPub resources: the node's actor (and, in later issues, inbox,
//! outbox, collections and objects).

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::context;

use crate::apub::actor::{ACTOR_PATH, OrganizationActor};
use crate::apub::context::{ACTIVITY_JSON, LD_JSON_ACTIVITY_STREAMS};
use crate::domain::discovery;
use crate::error::Result;
use crate::http::json_response;
use crate::http::negotiation::{Representation, activitypub_representation};
use crate::node::AppContext;

pub fn routes() -> Router<AppContext> {
    Router::new()
        .route("/", get(|| async { Redirect::to(ACTOR_PATH) }))
        .route(ACTOR_PATH, get(actor))
}

async fn actor(State(ctx): State<AppContext>, headers: HeaderMap) -> Result<Response> {
    let representation = activitypub_representation(&headers)?;
    let actor = OrganizationActor::for_node(&ctx.settings, &ctx.keys);
    let mut response = match representation {
        Representation::ActivityJson => json_response(&actor, ACTIVITY_JSON),
        Representation::LdJson => json_response(&actor, LD_JSON_ACTIVITY_STREAMS),
        Representation::Html => ctx
            .templates
            .render(
                "actor.html",
                context! {
                    actor => &actor,
                    handle => format!("@{}", discovery::account(&ctx.settings)),
                    proof_key => ctx.keys.ed25519_multibase(),
                    version => crate::VERSION,
                },
            )?
            .into_response(),
    };
    response.headers_mut().insert(
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("Accept"),
    );
    Ok(response)
}
