//! The platform API for offers, members, charters and commitments:
//! idempotent upserts keyed by the platform's own ids.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::ObjectPayload;
use crate::api::openapi::parameters::{CharterId, Collection, ObjectAddress, Paging};
use crate::api::openapi::problems::{
    BadRequest, Conflict, Gone, NotAcceptable, NotFound, PayloadTooLarge, TokenRefused,
    Unprocessable, UnsupportedMediaType,
};
use crate::auth::PlatformToken;
use crate::context::Context;
use crate::dfc;
use crate::domain::listing::{Page, page_request};
use crate::domain::objects::{self, ObjectView, VersionView};
use crate::domain::publish::{self, Change};
use crate::extract::{Json, Query};
use crate::model::kinds::ObjectKind;
use crate::problem::Result;

pub fn routes() -> DocumentedRoutes {
    DocumentedRoutes::new()
        .routes(utoipa_axum::routes!(list))
        .routes(utoipa_axum::routes!(show, put, remove))
        .routes(utoipa_axum::routes!(charter_versions))
}

#[utoipa::path(put, path = "/api/v1/{collection}/{local_id}", operation_id = "put_object", tag = "objects",
    summary = "Create or update an object: the first PUT publishes Create, a changed one Update, an identical one nothing",
    params(ObjectAddress), security(("bearer" = ["platform"])),
    request_body(content = inline(ObjectPayload)),
    responses(
        (status = 201, description = "Created and published", body = ObjectView,
            headers(("Location" = String, description = "the object's URI"))),
        (status = 200, description = "Updated (change: updated) or identical (change: unchanged)", body = ObjectView),
        BadRequest, TokenRefused, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable))]
async fn put(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Path((collection, local_id)): Path<(String, String)>,
    Json(document): Json<Value>,
) -> Result<Response> {
    let kind = ObjectKind::from_collection_path(&collection)?;
    let published = publish::upsert(&ctx, kind, &local_id, &document).await?;
    let status = if published.change == Change::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (status, Json(ObjectView::from_published(&published))).into_response();
    if let Ok(location) = HeaderValue::from_str(&published.object.uri) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/{collection}/{local_id}", operation_id = "show_object", tag = "objects",
    summary = "Read an object", params(ObjectAddress), security(("bearer" = ["platform"])),
    responses((status = 200, description = "The object", body = ObjectView), TokenRefused, NotFound, Gone))]
async fn show(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Path((collection, local_id)): Path<(String, String)>,
) -> Result<Json<ObjectView>> {
    let kind = ObjectKind::from_collection_path(&collection)?;
    Ok(Json(objects::show(&ctx, kind, &local_id).await?))
}

#[utoipa::path(delete, path = "/api/v1/{collection}/{local_id}", operation_id = "remove_object", tag = "objects",
    summary = "Delete an object: publishes Delete with a Tombstone; its URL then answers 410",
    params(ObjectAddress), security(("bearer" = ["platform"])),
    responses((status = 204, description = "Deleted (or already deleted)"), TokenRefused, NotFound))]
async fn remove(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Path((collection, local_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let kind = ObjectKind::from_collection_path(&collection)?;
    publish::delete(&ctx, kind, &local_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `dfc`: offers only, every live one as a DFC 2.0 graph (as with
    /// `Accept: application/ld+json; profile="dfc-v2"`); the offers DFC
    /// cannot express are counted in the `Passerelle-Dfc-Omitted` header.
    format: Option<String>,
    #[param(ignore)]
    cursor: Option<String>,
    #[param(ignore)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/{collection}", operation_id = "list_objects", tag = "objects",
    summary = "List the platform's objects of a kind, oldest first, deleted ones included; offers also as a DFC graph",
    params(Collection, ListQuery, Paging), security(("bearer" = ["platform"])),
    responses((status = 200, description = "A page (or, for DFC, a DFC graph)", body = Page<ObjectView>),
        BadRequest, TokenRefused, NotFound, NotAcceptable))]
async fn list(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Path(collection): Path<String>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let kind = ObjectKind::from_collection_path(&collection)?;
    if dfc::wants_dfc(&headers, query.format.as_deref()) {
        return dfc_offers(kind, async || {
            crate::domain::dfc::views::own_offers(&ctx, false).await
        })
        .await;
    }
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let listing = Json(objects::list(&ctx, kind, &page).await?);
    Ok(dfc::vary_accept(listing.into_response()))
}

/// The DFC graph `export` makes, for offers only.
pub(super) async fn dfc_offers<F>(kind: ObjectKind, export: F) -> Result<Response>
where
    F: AsyncFnOnce() -> crate::error::Result<crate::domain::dfc::export::Exported>,
{
    if kind != ObjectKind::Offer {
        return Err(crate::error::Error::NotAcceptable("application/json").into());
    }
    Ok(dfc::respond(&export().await?))
}

#[utoipa::path(get, path = "/api/v1/charters/{local_id}/versions", tag = "objects",
    summary = "Every version of a charter, oldest first", params(CharterId), security(("bearer" = ["platform"])),
    responses((status = 200, description = "The versions", body = [VersionView]), TokenRefused, NotFound))]
async fn charter_versions(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Path(local_id): Path<String>,
) -> Result<Json<Vec<VersionView>>> {
    Ok(Json(objects::charter_versions(&ctx, &local_id).await?))
}
