//! Network membership's directory (scope `admin`): the directories hosted
//! here and those mirrored, founding members admitted and members removed
//! by the host's admin, and the local overrides of a member node.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::parameters::RowId;
use crate::api::openapi::problems::{
    BadRequest, Conflict, NotFound, PeerUnreachable, TokenRefused, Unprocessable,
    UnsupportedMediaType,
};
use crate::auth::AdminToken;
use crate::context::Context;
use crate::domain::network::directory::{self, Admission, MemberView};
use crate::domain::network::overrides::{self, DirectoryView, OverrideRequest, OverrideView};
use crate::error::Error;
use crate::extract::{Json, Query};
use crate::model::parse_id;
use crate::problem::Result;

pub fn routes() -> DocumentedRoutes {
    use utoipa_axum::routes;
    DocumentedRoutes::new()
        .routes(routes!(get_directory))
        .routes(routes!(admit_member))
        .routes(routes!(remove_member))
        .routes(routes!(list_overrides, put_override))
        .routes(routes!(delete_override))
}

fn decided_by(token: &AdminToken) -> String {
    format!("admin token `{}`", token.token.name)
}

#[utoipa::path(get, path = "/api/v1/network/directory", tag = "network",
    summary = "The member directories: of each charter hosted here, of each network this node belongs to (mirrored), with the local overrides and the differences they make",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "The directories", body = DirectoryView), TokenRefused))]
async fn get_directory(
    _token: AdminToken,
    State(ctx): State<Context>,
) -> Result<Json<DirectoryView>> {
    Ok(Json(overrides::directory(&ctx).await?))
}

#[utoipa::path(post, path = "/api/v1/network/members", tag = "network",
    summary = "Admit a founding member to the network of a charter hosted here (its public commitment to the current version must verify); sends Add to every member",
    security(("bearer" = ["admin"])), request_body = Admission,
    responses((status = 201, description = "Admitted", body = MemberView),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable,
        PeerUnreachable))]
async fn admit_member(
    token: AdminToken,
    State(ctx): State<Context>,
    Json(request): Json<Admission>,
) -> Result<(StatusCode, Json<MemberView>)> {
    let admitted = directory::admit_founding(&ctx, &request, &decided_by(&token)).await?;
    Ok((StatusCode::CREATED, Json(admitted)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RemovalQuery {
    /// The local id of the charter hosted here.
    charter: Option<String>,
    /// Why the member leaves (recorded in the audit log).
    reason: Option<String>,
}

#[utoipa::path(delete, path = "/api/v1/network/members/{id}", tag = "network",
    summary = "Remove a member (the peer `id`) from the network of a charter hosted here; sends Remove to every member and to it",
    params(RowId, RemovalQuery), security(("bearer" = ["admin"])),
    responses((status = 204, description = "Removed"), BadRequest, TokenRefused, NotFound))]
async fn remove_member(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    Query(query): Query<RemovalQuery>,
) -> Result<StatusCode> {
    let charter = query
        .charter
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            Error::BadRequest("`charter` (a hosted charter's local id) is required".into())
        })?;
    let reason = query
        .reason
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| "left the network".to_owned());
    directory::leave(&ctx, &charter, parse_id(&id)?, &reason, &decided_by(&token)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/network/overrides", tag = "network",
    summary = "This node's overrides of its networks' directories",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "The overrides", body = [OverrideView]), TokenRefused))]
async fn list_overrides(
    _token: AdminToken,
    State(ctx): State<Context>,
) -> Result<Json<Vec<OverrideView>>> {
    Ok(Json(overrides::list(&ctx).await?))
}

#[utoipa::path(put, path = "/api/v1/network/overrides", tag = "network",
    summary = "Keep a member the network removed, or exclude one it lists (replaces that member's override); applied at once",
    security(("bearer" = ["admin"])), request_body = OverrideRequest,
    responses((status = 200, description = "The override as set", body = OverrideView),
        BadRequest, TokenRefused, UnsupportedMediaType, Unprocessable))]
async fn put_override(
    token: AdminToken,
    State(ctx): State<Context>,
    Json(request): Json<OverrideRequest>,
) -> Result<Json<OverrideView>> {
    Ok(Json(
        overrides::set(&ctx, &request, &decided_by(&token)).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/network/overrides/{id}", tag = "network",
    summary = "Remove an override: the network's directory applies again",
    params(RowId), security(("bearer" = ["admin"])),
    responses((status = 204, description = "Removed"), TokenRefused, NotFound))]
async fn delete_override(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    overrides::remove(&ctx, parse_id(&id)?, &decided_by(&token)).await?;
    Ok(StatusCode::NO_CONTENT)
}
