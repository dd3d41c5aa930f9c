//! The admin API for sharing (scope `admin`): what each follower receives,
//! for which purpose and how long.

use axum::extract::{Path, State};

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::parameters::RowId;
use crate::api::openapi::problems::{
    BadRequest, NotFound, TokenRefused, Unprocessable, UnsupportedMediaType,
};
use crate::auth::AdminToken;
use crate::context::Context;
use crate::domain::sharing::{self, ScopeTerms, ScopeView};
use crate::extract::Json;
use crate::model::{SharingScope, parse_id};
use crate::problem::Result;

pub fn routes() -> DocumentedRoutes {
    use utoipa_axum::routes;
    DocumentedRoutes::new()
        .routes(routes!(get_scope, put_scope))
        .routes(routes!(get_terms))
}

#[utoipa::path(get, path = "/api/v1/admin/peers/{id}/scope", tag = "admin",
    summary = "What this peer receives of ours: kinds, offer categories, purpose, retention",
    params(RowId), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The scope", body = ScopeView), TokenRefused, NotFound))]
async fn get_scope(
    _token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<ScopeView>> {
    Ok(Json(sharing::view(&ctx, parse_id(&id)?).await?))
}

#[utoipa::path(put, path = "/api/v1/admin/peers/{id}/scope", tag = "admin",
    summary = "Set what this peer receives of ours from now on",
    params(RowId), security(("bearer" = ["admin"])), request_body = SharingScope,
    responses((status = 200, description = "The scope as set", body = ScopeView),
        BadRequest, TokenRefused, NotFound, UnsupportedMediaType, Unprocessable))]
async fn put_scope(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    Json(scope): Json<SharingScope>,
) -> Result<Json<ScopeView>> {
    let decided_by = format!("admin token `{}`", token.token.name);
    Ok(Json(
        sharing::set_scope(&ctx, parse_id(&id)?, scope, &decided_by).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/admin/peers/{id}/terms", tag = "admin",
    summary = "The sharing terms with this peer, both ways: those we sent (sent or accepted) and those it sent us",
    params(RowId), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The terms", body = ScopeTerms), TokenRefused, NotFound))]
async fn get_terms(
    _token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<ScopeTerms>> {
    Ok(Json(sharing::terms_with(&ctx, parse_id(&id)?).await?))
}
