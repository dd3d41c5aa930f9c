//! The admin API for signed receipts (scope `admin`): the receipts a peer
//! sent us, as received, so an auditor can check each proof against the
//! peer's key.

use axum::extract::{Path, State};
use serde_json::Value;

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::parameters::RowId;
use crate::api::openapi::problems::{NotFound, TokenRefused};
use crate::auth::AdminToken;
use crate::context::Context;
use crate::domain::peers;
use crate::extract::Json;
use crate::model::parse_id;
use crate::problem::Result;

/// At most this many receipts, the newest.
const RECEIPTS_SHOWN: i64 = 100;

pub fn routes() -> DocumentedRoutes {
    use utoipa_axum::routes;
    DocumentedRoutes::new().routes(routes!(peer_receipts))
}

#[utoipa::path(get, path = "/api/v1/admin/peers/{id}/receipts", tag = "admin",
    summary = "The signed receipts this peer sent us (newest 100), as received, proofs included",
    params(RowId), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The receipts", body = [Object]), TokenRefused, NotFound))]
async fn peer_receipts(
    _token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>> {
    Ok(Json(
        peers::receipts(&ctx, parse_id(&id)?, RECEIPTS_SHOWN).await?,
    ))
}
