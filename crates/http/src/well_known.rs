//! Discovery: WebFinger (RFC 7033) and NodeInfo 2.1.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use crate::apub::actor::actor_id;
use crate::apub::context::ACTIVITY_JSON;
use crate::context::Context;
use crate::domain::discovery;
use crate::domain::health;
use crate::error::Error;
use crate::extract::Query;
use crate::json_response;
use crate::problem::Result;
use crate::state::NodeState;

const NODEINFO_SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";
pub const NODEINFO_PATH: &str = "/nodeinfo/2.1";

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route(NODEINFO_PATH, get(nodeinfo))
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

async fn webfinger(
    State(ctx): State<Context>,
    Query(query): Query<WebfingerQuery>,
) -> Result<Response> {
    let resource = query
        .resource
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| Error::BadRequest("the `resource` query parameter is required".into()))?;
    discovery::resolve_webfinger_resource(&ctx.settings, &resource)?;
    let actor = actor_id(&ctx.settings);
    let jrd = json!({
        "subject": format!("acct:{}", discovery::account(&ctx.settings)),
        "aliases": [actor],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor},
        ],
    });
    Ok(json_with_type(&jrd, "application/jrd+json"))
}

async fn nodeinfo_links(State(ctx): State<Context>) -> Response {
    let body = json!({
        "links": [{"rel": NODEINFO_SCHEMA, "href": ctx.settings.url_for(NODEINFO_PATH)}],
    });
    json_with_type(&body, "application/json")
}

async fn nodeinfo(State(ctx): State<Context>) -> Result<Response> {
    let settings = &ctx.settings;
    let local_posts = health::public_object_count(&ctx).await?;
    let body = json!({
        "version": "2.1",
        "software": {
            "name": "passerelle",
            "version": crate::VERSION,
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": false,
        "usage": {
            // One actor per node: the platform itself.
            "users": {"total": 1, "activeHalfyear": 1, "activeMonth": 1},
            // Public offers, members, charters and commitments.
            "localPosts": local_posts,
        },
        "metadata": {
            "nodeName": settings.platform.name,
            "nodeDescription": settings.platform.summary,
            "account": discovery::account(settings),
            // FEP-844e, as on the actor: RFC 9421 signatures, with Ed25519.
            "implements": crate::apub::knocking::implements(),
        },
    });
    Ok(json_with_type(
        &body,
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
    ))
}

/// Discovery documents are public and read by browser-based clients too.
fn json_with_type(body: &serde_json::Value, content_type: &'static str) -> Response {
    let mut response = json_response(body, content_type);
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}
