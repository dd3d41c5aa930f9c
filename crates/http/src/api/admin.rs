//! The admin API (scope `admin`): follows, follow requests, peers,
//! exclusions and the audit log. Every decision is recorded with the name
//! of the token that took it.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::parameters::{Paging, RowId};
use crate::api::openapi::problems::{
    BadRequest, Conflict, NotFound, PeerUnreachable, TokenRefused, Unprocessable,
    UnsupportedMediaType,
};
use crate::api::paging::linked_page;
use crate::auth::AdminToken;
use crate::context::Context;
use crate::domain::audit::{self, AuditEntry};
use crate::domain::follows;
use crate::domain::listing::{Page, PageRequest, page_after, page_request};
use crate::domain::peers::{self, DeliveryView, FollowView, PeerView, ReceivedView, RequestView};
use crate::error::Error;
use crate::extract::{Json, Query};
use crate::model::parse_id;
use crate::model::{FollowerState, FollowingState, PeerHealth};
use crate::model::{PeerId, RequestId};
use crate::problem::Result;
use crate::state::NodeState;

pub fn routes() -> DocumentedRoutes {
    use utoipa_axum::routes;
    DocumentedRoutes::new()
        .routes(routes!(list_follows, create_follow))
        .routes(routes!(remove_follow))
        .routes(routes!(list_requests))
        .routes(routes!(approve_request))
        .routes(routes!(reject_request))
        .routes(routes!(list_peers))
        .routes(routes!(exclude_peer))
        .routes(routes!(reinclude_peer))
        .routes(routes!(audit))
        .routes(routes!(deliveries))
        .routes(routes!(received))
}

fn decided_by(token: &AdminToken) -> String {
    format!("admin token `{}`", token.token.name)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct FollowRequest {
    /// `@name@host` (resolved with WebFinger) or an actor URL.
    target: String,
}

#[utoipa::path(post, path = "/api/v1/admin/follows", tag = "admin",
    summary = "Ask a peer to let this node follow it", security(("bearer" = ["admin"])),
    request_body = FollowRequest,
    responses(
        (status = 202, description = "Follow sent, pending", body = FollowView),
        (status = 200, description = "Already following or pending", body = FollowView),
        BadRequest, TokenRefused, UnsupportedMediaType, Unprocessable, PeerUnreachable))]
async fn create_follow(
    token: AdminToken,
    State(state): State<NodeState>,
    Json(request): Json<FollowRequest>,
) -> Result<Response> {
    let (peer, row) = follows::follow(&state, &request.target, &decided_by(&token)).await?;
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
    fn page(&self) -> crate::error::Result<PageRequest> {
        page_request(self.cursor.as_deref(), self.limit)
    }
}

#[utoipa::path(get, path = "/api/v1/admin/follows", tag = "admin",
    summary = "This node's follows of peers, with their state (pending, active, rejected)",
    params(Paging), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The follows", body = [FollowView],
        headers(("Link" = String, description = "the next page, if any (RFC 8288, rel=\"next\")"))), BadRequest, TokenRefused))]
async fn list_follows(
    _token: AdminToken,
    State(ctx): State<Context>,
    uri: Uri,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let (items, next) = page_after(peers::follows(&ctx).await?, &query.page()?, |f| f.id.0);
    Ok(linked_page(&ctx.settings.public_url, &uri, &items, next))
}

#[utoipa::path(delete, path = "/api/v1/admin/follows/{id}", tag = "admin",
    summary = "Stop following (sends Undo(Follow))", params(RowId), security(("bearer" = ["admin"])),
    responses((status = 204, description = "Unfollowed"), TokenRefused, NotFound))]
async fn remove_follow(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    follows::unfollow(&ctx, parse_id(&id)?, &decided_by(&token)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RequestsQuery {
    /// pending (default), approved, rejected or all
    state: Option<String>,
    #[param(ignore)]
    cursor: Option<String>,
    #[param(ignore)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/admin/follow-requests", tag = "admin",
    summary = "Follow requests with the requester's name, handle, summary and charter commitments (with proof check)",
    params(RequestsQuery, Paging), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The requests", body = [RequestView],
        headers(("Link" = String, description = "the next page, if any (RFC 8288, rel=\"next\")"))), BadRequest, TokenRefused))]
async fn list_requests(
    _token: AdminToken,
    State(ctx): State<Context>,
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
    let (items, next) = page_after(peers::requests(&ctx, state).await?, &page, |r| r.id.0);
    Ok(linked_page(&ctx.settings.public_url, &uri, &items, next))
}

async fn request_view(ctx: &Context, id: RequestId) -> Result<Json<RequestView>> {
    Ok(Json(peers::request(ctx, id).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/follow-requests/{id}/approve", tag = "admin",
    summary = "Approve: the peer becomes a follower (sends Accept)", params(RowId), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The request, approved", body = RequestView), TokenRefused, NotFound))]
async fn approve_request(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<RequestView>> {
    let id = parse_id(&id)?;
    follows::approve(&ctx, id, &decided_by(&token)).await?;
    request_view(&ctx, id).await
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct RejectRequest {
    /// Told to the peer.
    reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/admin/follow-requests/{id}/reject", tag = "admin",
    summary = "Reject, with an optional reason told to the peer (sends Reject)", params(RowId),
    security(("bearer" = ["admin"])), request_body(content = Option<RejectRequest>),
    responses((status = 200, description = "The request, rejected", body = RequestView), BadRequest, TokenRefused, NotFound))]
async fn reject_request(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    request: std::result::Result<axum::Json<RejectRequest>, JsonRejection>,
) -> Result<Json<RequestView>> {
    let id = parse_id(&id)?;
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

#[utoipa::path(get, path = "/api/v1/admin/peers", tag = "admin",
    summary = "Every known peer: relationship in both directions, exclusion, delivery health",
    params(Paging), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The peers", body = [PeerView],
        headers(("Link" = String, description = "the next page, if any (RFC 8288, rel=\"next\")"))), BadRequest, TokenRefused))]
async fn list_peers(
    _token: AdminToken,
    State(ctx): State<Context>,
    uri: Uri,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let (items, next) = page_after(peers::list(&ctx).await?, &query.page()?, |p| p.peer.id.0);
    Ok(linked_page(&ctx.settings.public_url, &uri, &items, next))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ExcludeRequest {
    /// Recorded in the audit log with who decided and when.
    #[schema(min_length = 1)]
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/admin/peers/{id}/exclude", tag = "admin",
    summary = "Exclude a peer: removed from followers, our follow undone, its domain refused; recorded with who, when and why",
    params(RowId), security(("bearer" = ["admin"])), request_body = ExcludeRequest,
    responses((status = 200, description = "The peer, excluded", body = PeerView),
        BadRequest, TokenRefused, NotFound, UnsupportedMediaType, Unprocessable))]
async fn exclude_peer(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    Json(request): Json<ExcludeRequest>,
) -> Result<Json<PeerView>> {
    let id = parse_id(&id)?;
    follows::exclude(&ctx, id, &request.reason, &decided_by(&token)).await?;
    peer_view(&ctx, id).await
}

#[utoipa::path(post, path = "/api/v1/admin/peers/{id}/reinclude", tag = "admin",
    summary = "Lift an exclusion", params(RowId), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The peer", body = PeerView), TokenRefused, NotFound, Conflict))]
async fn reinclude_peer(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<PeerView>> {
    let id = parse_id(&id)?;
    follows::reinclude(&ctx, id, &decided_by(&token)).await?;
    peer_view(&ctx, id).await
}

async fn peer_view(ctx: &Context, id: PeerId) -> Result<Json<PeerView>> {
    Ok(Json(peers::view_by_id(ctx, id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only this action (`peer.excluded`, `request.approved`...).
    action: Option<String>,
    /// Only about this peer: id, @name@host or actor URL.
    peer: Option<String>,
    /// From this time (RFC 3339, or a date: from its start).
    since: Option<String>,
    /// Up to this time (RFC 3339, or a date: to its end).
    until: Option<String>,
    #[param(ignore)]
    cursor: Option<String>,
    #[param(ignore)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin",
    summary = "The audit log of governance decisions, newest first, filtered by action, peer and time",
    params(AuditQuery, Paging), security(("bearer" = ["admin"])),
    responses((status = 200, description = "A page of entries", body = Page<AuditEntry>), BadRequest, TokenRefused, NotFound))]
async fn audit(
    _token: AdminToken,
    State(ctx): State<Context>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>> {
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let search = audit::AuditSearch {
        action: query.action,
        peer: query.peer,
        since: query.since,
        until: query.until,
    };
    let filter = audit::filter(&ctx, &search).await?;
    Ok(Json(audit::filtered(&ctx, &page, &filter).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveriesQuery {
    /// A peer id, @name@host or actor URL.
    peer: Option<String>,
    /// all (default), pending (a backlog), or a health state: healthy,
    /// failing, unreachable, gone, excluded or refused
    state: Option<String>,
    #[param(ignore)]
    cursor: Option<String>,
    #[param(ignore)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/admin/deliveries", tag = "admin",
    summary = "Delivery streams per peer: backlog, failures, last success and error, unreachable",
    params(DeliveriesQuery, Paging), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The streams", body = [DeliveryView],
        headers(("Link" = String, description = "the next page, if any (RFC 8288, rel=\"next\")"))), BadRequest, TokenRefused, NotFound))]
async fn deliveries(
    _token: AdminToken,
    State(ctx): State<Context>,
    uri: Uri,
    Query(query): Query<DeliveriesQuery>,
) -> Result<Response> {
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let state = query.state.as_deref().unwrap_or("all");
    if !["all", "pending"].contains(&state) && state.parse::<PeerHealth>().is_err() {
        return Err(Error::BadRequest(format!(
            "`state` is all, pending, healthy, failing, unreachable, gone, excluded or refused, not `{state}`"
        ))
        .into());
    }
    let peer = match query.peer.as_deref().filter(|p| !p.is_empty()) {
        Some(target) => Some(peers::find_known(&ctx, target).await?.id),
        None => None,
    };
    let (items, next) = page_after(peers::deliveries(&ctx, peer, state).await?, &page, |d| {
        d.peer.id.0
    });
    Ok(linked_page(&ctx.settings.public_url, &uri, &items, next))
}

/// What a peer received, newest first; the cursor is a position.
#[utoipa::path(get, path = "/api/v1/admin/peers/{id}/received", tag = "admin",
    summary = "Which of our objects this peer received, and when, newest first",
    params(RowId, Paging), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The objects", body = [ReceivedView],
        headers(("Link" = String, description = "the next page, if any (RFC 8288, rel=\"next\")"))), BadRequest, TokenRefused, NotFound))]
async fn received(
    _token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    uri: Uri,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let PageRequest { cursor, limit } = query.page()?;
    let offset = cursor.unwrap_or(0);
    let mut items = peers::received(&ctx, parse_id(&id)?, offset, limit + 1).await?;
    let next = (crate::model::count(items.len()) > limit).then(|| (offset + limit).to_string());
    items.truncate(crate::model::length(limit));
    Ok(linked_page(&ctx.settings.public_url, &uri, &items, next))
}
