//! The admin API (scope `admin`): follows, follow requests, peers,
//! exclusions and the audit log. Every decision is recorded with the name
//! of the token that took it.

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;

use crate::domain::audit::{self, AuditEntry};
use crate::domain::follows;
use crate::domain::listing::{Page, PageRequest, page_after, page_request};
use crate::domain::peers::{self, FollowView, PeerView, RequestView};
use crate::error::{Error, Result};
use crate::http::api::paging::linked_page;
use crate::http::auth::AdminToken;
use crate::http::extract::{Json, Query};
use crate::model::{FollowerState, FollowingState};
use crate::node::{AppContext, NodeState};

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route(
            "/api/v1/admin/follows",
            get(list_follows).post(create_follow),
        )
        .route("/api/v1/admin/follows/{id}", delete(remove_follow))
        .route("/api/v1/admin/follow-requests", get(list_requests))
        .route(
            "/api/v1/admin/follow-requests/{id}/approve",
            post(approve_request),
        )
        .route(
            "/api/v1/admin/follow-requests/{id}/reject",
            post(reject_request),
        )
        .route("/api/v1/admin/peers", get(list_peers))
        .route("/api/v1/admin/peers/{id}/exclude", post(exclude_peer))
        .route("/api/v1/admin/peers/{id}/reinclude", post(reinclude_peer))
        .route("/api/v1/admin/audit", get(audit))
        .route("/api/v1/admin/deliveries", get(deliveries))
        .route("/api/v1/admin/peers/{id}/received", get(received))
}

fn decided_by(token: &AdminToken) -> String {
    format!("admin token `{}`", token.token.name)
}

fn id_of(text: &str) -> Result<i64> {
    text.parse()
        .map_err(|_| Error::NotFound(format!("`{text}` is not an id")))
}

#[derive(Deserialize)]
struct FollowRequest {
    target: String,
}

async fn create_follow(
    token: AdminToken,
    State(state): State<NodeState>,
    Json(request): Json<FollowRequest>,
) -> Result<Response> {
    let (peer, row) = follows::follow(&state.data(), &request.target, &decided_by(&token)).await?;
    let status = if row.state == FollowingState::Pending {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(FollowView::of(&row, &peer.row))).into_response())
}

/// `cursor` and `limit` of an admin list.
#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

impl ListQuery {
    fn page(&self) -> Result<PageRequest> {
        page_request(self.cursor.as_deref(), self.limit)
    }
}

async fn list_follows(
    _token: AdminToken,
    State(ctx): State<AppContext>,
    uri: Uri,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let (items, next) = page_after(peers::follows(&ctx).await?, &query.page()?, |f| f.id);
    Ok(linked_page(&ctx.settings.public_url, &uri, &items, next))
}

async fn remove_follow(
    token: AdminToken,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    follows::unfollow(&ctx, id_of(&id)?, &decided_by(&token)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct RequestsQuery {
    /// pending (default), approved, rejected or all
    state: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list_requests(
    _token: AdminToken,
    State(ctx): State<AppContext>,
    uri: Uri,
    Query(query): Query<RequestsQuery>,
) -> Result<Response> {
    let state = match query.state.as_deref().unwrap_or("pending") {
        "all" => None,
        name => Some(name.parse::<FollowerState>().map_err(|_| {
            Error::BadRequest(format!(
                "`state` is pending, approved, rejected or all, not `{name}`"
            ))
        })?),
    };
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let (items, next) = page_after(peers::requests(&ctx, state).await?, &page, |r| r.id);
    Ok(linked_page(&ctx.settings.public_url, &uri, &items, next))
}

async fn request_view(ctx: &AppContext, id: i64) -> Result<Json<RequestView>> {
    Ok(Json(peers::request(ctx, id).await?))
}

async fn approve_request(
    token: AdminToken,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
) -> Result<Json<RequestView>> {
    let id = id_of(&id)?;
    follows::approve(&ctx, id, &decided_by(&token)).await?;
    request_view(&ctx, id).await
}

#[derive(Deserialize, Default)]
struct RejectRequest {
    reason: Option<String>,
}

async fn reject_request(
    token: AdminToken,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
    request: std::result::Result<axum::Json<RejectRequest>, JsonRejection>,
) -> Result<Json<RequestView>> {
    let id = id_of(&id)?;
    let request = match request {
        Err(JsonRejection::MissingJsonContentType(_)) => RejectRequest::default(),
        // An empty body is a rejection without a reason.
        other => other?.0,
    };
    follows::reject(
        &ctx,
        id,
        request.reason.as_deref().filter(|r| !r.trim().is_empty()),
        &decided_by(&token),
    )
    .await?;
    request_view(&ctx, id).await
}

async fn list_peers(
    _token: AdminToken,
    State(ctx): State<AppContext>,
    uri: Uri,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let (items, next) = page_after(peers::list(&ctx).await?, &query.page()?, |p| p.peer.id);
    Ok(linked_page(&ctx.settings.public_url, &uri, &items, next))
}

#[derive(Deserialize)]
struct ExcludeRequest {
    reason: String,
}

async fn exclude_peer(
    token: AdminToken,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
    Json(request): Json<ExcludeRequest>,
) -> Result<Json<PeerView>> {
    let id = id_of(&id)?;
    follows::exclude(&ctx, id, &request.reason, &decided_by(&token)).await?;
    peer_view(&ctx, id).await
}

async fn reinclude_peer(
    token: AdminToken,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
) -> Result<Json<PeerView>> {
    let id = id_of(&id)?;
    follows::reinclude(&ctx, id, &decided_by(&token)).await?;
    peer_view(&ctx, id).await
}

async fn peer_view(ctx: &AppContext, id: i64) -> Result<Json<PeerView>> {
    Ok(Json(peers::view_by_id(ctx, id).await?))
}

#[derive(Deserialize)]
struct AuditQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn audit(
    _token: AdminToken,
    State(ctx): State<AppContext>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>> {
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    Ok(Json(audit::page(&ctx, &page).await?))
}

#[derive(Deserialize)]
struct DeliveriesQuery {
    peer: Option<String>,
    /// all (default), pending, failing or unreachable
    state: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn deliveries(
    _token: AdminToken,
    State(ctx): State<AppContext>,
    uri: Uri,
    Query(query): Query<DeliveriesQuery>,
) -> Result<Response> {
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let state = query.state.as_deref().unwrap_or("all");
    if !["all", "pending", "failing", "unreachable"].contains(&state) {
        return Err(Error::BadRequest(format!(
            "`state` is all, pending, failing or unreachable, not `{state}`"
        )));
    }
    let peer = match query.peer.as_deref().filter(|p| !p.is_empty()) {
        Some(target) => Some(peers::find_known(&ctx, target).await?.id),
        None => None,
    };
    let (items, next) = page_after(peers::deliveries(&ctx, peer, state).await?, &page, |d| {
        d.peer.id
    });
    Ok(linked_page(&ctx.settings.public_url, &uri, &items, next))
}

/// What a peer received, newest first; the cursor is a position.
async fn received(
    _token: AdminToken,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
    uri: Uri,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let PageRequest { cursor, limit } = query.page()?;
    let offset = cursor.unwrap_or(0);
    let mut items = peers::received(&ctx, id_of(&id)?, offset, limit + 1).await?;
    let next = (items.len() as i64 > limit).then(|| (offset + limit).to_string());
    items.truncate(limit as usize);
    Ok(linked_page(&ctx.settings.public_url, &uri, &items, next))
}
