//! ActivityPub resources, one file per resource: the node's actor, its
//! published objects and activities, its collections, the outbox's
//! client-to-server door and the network vocabulary's context.

mod actor;
mod collections;
mod moved;
mod objects;
mod outbox;
mod sharing;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::context;
use serde_json::Value;

use crate::apub::activities::ACTIVITIES_PATH;
use crate::apub::actor::{ACTOR_PATH, FOLLOWERS_PATH, FOLLOWING_PATH, OUTBOX_PATH};
use crate::apub::collection_sync::PARTIAL_FOLLOWERS_PATH;
use crate::apub::context::{
    ACTIVITY_JSON, LD_JSON, LD_JSON_ACTIVITY_STREAMS, NETWORK_CONTEXT, NETWORK_CONTEXT_PATH,
};
use crate::context::Context;
use crate::domain::discovery;
use crate::domain::documents::Served;
use crate::domain::sharing::register;
use crate::json_response;
use crate::negotiation::{Representation, activitypub_representation};
use crate::problem::Result;
use crate::state::NodeState;

/// The routes, answered with redirects once the node moved (`moved`).
pub fn routes(ctx: Context) -> Router<NodeState> {
    Router::new()
        .route("/", get(|| async { Redirect::to(ACTOR_PATH) }))
        .route(ACTOR_PATH, get(actor::actor))
        .route(
            OUTBOX_PATH,
            get(collections::outbox).post(outbox::post_outbox),
        )
        .route(&format!("{ACTIVITIES_PATH}/{{id}}"), get(objects::activity))
        .route(NETWORK_CONTEXT_PATH, get(network_context))
        .route(register::PEER_PATH, get(sharing::own_entry))
        .route("/amendments/{id}", get(objects::amendment))
        .route("/amendments/{id}/votes", get(objects::amendment_votes))
        .route(FOLLOWERS_PATH, get(collections::followers))
        .route(FOLLOWING_PATH, get(collections::following))
        .route(PARTIAL_FOLLOWERS_PATH, get(collections::partial_followers))
        .route("/{collection}", get(collections::objects))
        .route("/{collection}/{local_id}", get(objects::object))
        .route(
            "/charters/{local_id}/versions/{version}",
            get(objects::charter_version),
        )
        .route("/charters/{local_id}/members", get(objects::directory))
        .route_layer(axum::middleware::from_fn_with_state(ctx, moved::redirect))
}

/// An ActivityStreams document in the representation the client asked for;
/// `page` renders it for browsers.
fn represent(
    ctx: &NodeState,
    headers: &HeaderMap,
    status: StatusCode,
    document: &impl serde::Serialize,
    page: &str,
    page_context: minijinja::Value,
) -> Result<Response> {
    let mut response = match activitypub_representation(headers)? {
        Representation::ActivityJson => json_response(document, ACTIVITY_JSON),
        Representation::LdJson => json_response(document, LD_JSON_ACTIVITY_STREAMS),
        Representation::Html => ctx
            .templates
            .render(
                page,
                context! {
                    handle => format!("@{}", discovery::account(&ctx.settings)),
                    node_name => &ctx.settings.platform.name,
                    version => crate::VERSION,
                    ..page_context
                },
            )?
            .into_response(),
    };
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

/// A served document: 410 for a tombstone, never shared-cached when only
/// some signers may read it.
fn represent_served(ctx: &NodeState, headers: &HeaderMap, served: &Served) -> Result<Response> {
    let status = if served.gone {
        StatusCode::GONE
    } else {
        StatusCode::OK
    };
    let mut response = represent(
        ctx,
        headers,
        status,
        &served.document,
        "object.html",
        context! { object => &served.document },
    )?;
    if served.private {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(response)
}

fn collection_response(document: &Value) -> Response {
    json_response(document, ACTIVITY_JSON)
}

async fn network_context() -> Response {
    let mut response = NETWORK_CONTEXT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(LD_JSON));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}
