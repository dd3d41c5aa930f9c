//! The admin API for sharing (scope `admin`): what each follower receives,
//! for which purpose and how long.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::parameters::RowId;
use crate::api::openapi::problems::{
    BadRequest, NotFound, TokenRefused, Unprocessable, UnsupportedMediaType,
};
use crate::auth::AdminToken;
use crate::context::Context;
use crate::domain::sharing::register::{self, Register};
use crate::domain::sharing::{self, ScopeTerms, ScopeView};
use crate::error::Error;
use crate::extract::{Json, Query};
use crate::model::{SharingScope, parse_id};
use crate::problem::Result;

pub fn routes() -> DocumentedRoutes {
    use utoipa_axum::routes;
    DocumentedRoutes::new()
        .routes(routes!(get_scope, put_scope))
        .routes(routes!(get_register))
        .routes(routes!(get_terms))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RegisterQuery {
    /// `json` (default) or `signed`: the register with this node's FEP-8b32
    /// proof, for an auditor to check offline (`passerelle verify`).
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/admin/sharing", tag = "admin",
    summary = "The sharing register: for each peer, its scope, since when, and what it holds, withdrew and acknowledged",
    params(RegisterQuery), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The register (`format=signed`: the same with a `proof`)", body = Register),
        BadRequest, TokenRefused))]
async fn get_register(
    _token: AdminToken,
    State(ctx): State<Context>,
    Query(query): Query<RegisterQuery>,
) -> Result<Response> {
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(register::register(&ctx).await?).into_response()),
        "signed" => Ok(Json(register::signed_register(&ctx).await?).into_response()),
        other => {
            Err(Error::BadRequest(format!("`format` is json or signed, not `{other}`")).into())
        }
    }
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
