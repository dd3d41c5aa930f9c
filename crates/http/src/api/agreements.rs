//! FEP-0837 agreements on offers (scope `platform`): ask a peer for some
//! of its offer, list and read agreements both ways, accept or reject
//! those asked of this node, complete or cancel accepted ones.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::parameters::{Paging, RowId};
use crate::api::openapi::problems::{
    BadRequest, Conflict, NotFound, TokenRefused, Unprocessable, UnsupportedMediaType,
};
use crate::auth::PlatformToken;
use crate::context::Context;
use crate::domain::agreements::{self, AgreementView, AskRequest};
use crate::domain::listing::{Page, page_request};
use crate::extract::{Json, Query};
use crate::model::{AgreementState, Side};
use crate::problem::Result;

pub fn routes() -> DocumentedRoutes {
    use utoipa_axum::routes;
    DocumentedRoutes::new()
        .routes(routes!(list, ask))
        .routes(routes!(show))
        .routes(routes!(accept))
        .routes(routes!(reject))
        .routes(routes!(complete))
        .routes(routes!(cancel))
}

fn decided_by(token: &PlatformToken) -> String {
    format!("platform token `{}`", token.token.name)
}

#[utoipa::path(post, path = "/api/v1/agreements", operation_id = "ask_agreement", tag = "agreements",
    summary = "Ask a followed peer for some of one of its offers (sends a signed Offer(Agreement)); the rules are checked first",
    security(("bearer" = ["platform"])), request_body = AskRequest,
    responses((status = 202, description = "Asked: pending until the owner answers", body = AgreementView),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn ask(
    token: PlatformToken,
    State(ctx): State<Context>,
    Json(request): Json<AskRequest>,
) -> Result<(StatusCode, Json<AgreementView>)> {
    let asked = agreements::ask(&ctx, &request, &decided_by(&token)).await?;
    Ok((StatusCode::ACCEPTED, Json(asked)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// pending, accepted, rejected, completed or cancelled (all when absent)
    state: Option<String>,
    /// asker (this node asked) or owner (a peer asked this node); both when absent
    side: Option<String>,
    #[param(ignore)]
    cursor: Option<String>,
    #[param(ignore)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/agreements", operation_id = "list_agreements", tag = "agreements",
    summary = "Agreements both ways, oldest first, filtered by state and side",
    params(ListQuery, Paging), security(("bearer" = ["platform"])),
    responses((status = 200, description = "A page of agreements", body = Page<AgreementView>),
        BadRequest, TokenRefused))]
async fn list(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<AgreementView>>> {
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let state = match query.state.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => Some(name.parse::<AgreementState>()?),
        None => None,
    };
    let side = match query.side.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => Some(name.parse::<Side>()?),
        None => None,
    };
    Ok(Json(agreements::list(&ctx, state, side, &page).await?))
}

#[utoipa::path(get, path = "/api/v1/agreements/{id}", operation_id = "show_agreement", tag = "agreements",
    summary = "One agreement", params(RowId), security(("bearer" = ["platform"])),
    responses((status = 200, description = "The agreement", body = AgreementView), TokenRefused, NotFound))]
async fn show(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<AgreementView>> {
    Ok(Json(agreements::show(&ctx, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/agreements/{id}/accept", operation_id = "accept_agreement", tag = "agreements",
    summary = "Accept an agreement a peer asked for (sends Accept with the finalised Agreement; the offer's available quantity drops and its Update is published)",
    params(RowId), security(("bearer" = ["platform"])),
    responses((status = 200, description = "The agreement, accepted", body = AgreementView),
        TokenRefused, NotFound, Conflict))]
async fn accept(
    token: PlatformToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<AgreementView>> {
    Ok(Json(
        agreements::accept(&ctx, &id, &decided_by(&token)).await?,
    ))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Reason {
    /// Told to the peer (reject), or kept here (cancel).
    reason: Option<String>,
}

/// An optional `{"reason": …}` body: none, or an empty one, is no reason.
fn reason_of(
    body: std::result::Result<axum::Json<Reason>, JsonRejection>,
) -> Result<Option<String>> {
    let body = match body {
        Err(JsonRejection::MissingJsonContentType(_)) => Reason::default(),
        other => other?.0,
    };
    Ok(body
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty()))
}

#[utoipa::path(post, path = "/api/v1/agreements/{id}/reject", operation_id = "reject_agreement", tag = "agreements",
    summary = "Reject an agreement a peer asked for, with an optional reason told to it (sends Reject)",
    params(RowId), security(("bearer" = ["platform"])), request_body(content = Option<Reason>),
    responses((status = 200, description = "The agreement, rejected", body = AgreementView),
        BadRequest, TokenRefused, NotFound, Conflict, Unprocessable))]
async fn reject(
    token: PlatformToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    body: std::result::Result<axum::Json<Reason>, JsonRejection>,
) -> Result<Json<AgreementView>> {
    let reason = reason_of(body)?;
    Ok(Json(
        agreements::reject(&ctx, &id, reason.as_deref(), &decided_by(&token)).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/agreements/{id}/complete", operation_id = "complete_agreement", tag = "agreements",
    summary = "Complete an accepted agreement (sends Update(Agreement))",
    params(RowId), security(("bearer" = ["platform"])),
    responses((status = 200, description = "The agreement, completed", body = AgreementView),
        TokenRefused, NotFound, Conflict))]
async fn complete(
    token: PlatformToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<AgreementView>> {
    Ok(Json(
        agreements::complete(&ctx, &id, &decided_by(&token)).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/agreements/{id}/cancel", operation_id = "cancel_agreement", tag = "agreements",
    summary = "Cancel an accepted agreement, with an optional reason (sends Update(Agreement); the owner's offer gets its quantity back)",
    params(RowId), security(("bearer" = ["platform"])), request_body(content = Option<Reason>),
    responses((status = 200, description = "The agreement, cancelled", body = AgreementView),
        BadRequest, TokenRefused, NotFound, Conflict, Unprocessable))]
async fn cancel(
    token: PlatformToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    body: std::result::Result<axum::Json<Reason>, JsonRejection>,
) -> Result<Json<AgreementView>> {
    let reason = reason_of(body)?;
    Ok(Json(
        agreements::cancel(&ctx, &id, reason.as_deref(), &decided_by(&token)).await?,
    ))
}
