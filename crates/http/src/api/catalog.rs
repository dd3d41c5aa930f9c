//! The federated catalog API (scope `platform`): what followed peers
//! published, verified, with filters and cursor paging.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::parameters::{CatalogAddress, Collection, Paging};
use crate::api::openapi::problems::{BadRequest, NotAcceptable, NotFound, TokenRefused};
use crate::auth::PlatformToken;
use crate::context::Context;
use crate::dfc;
use crate::domain::catalog_listing::{self, CatalogItem, CatalogSearch};
use crate::domain::listing::{Page, page_request};
use crate::extract::{Json, Query};
use crate::model::ObjectKind;
use crate::problem::Result;

pub fn routes() -> DocumentedRoutes {
    DocumentedRoutes::new()
        .routes(utoipa_axum::routes!(list))
        .routes(utoipa_axum::routes!(show))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// A peer id, handle (@name@host) or actor URL.
    peer: Option<String>,
    /// RFC 3339 date-time: entries received or changed since then.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// Offers only: offer or request.
    purpose: Option<String>,
    /// Words to find in the objects' names and summaries.
    q: Option<String>,
    /// `dfc`: offers only, every received one as a DFC 2.0 graph (as with
    /// `Accept: application/ld+json; profile="dfc-v2"`; the filters do not
    /// apply); the offers DFC cannot express are counted in the
    /// `Passerelle-Dfc-Omitted` header.
    format: Option<String>,
    #[param(ignore)]
    cursor: Option<String>,
    #[param(ignore)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/catalog/{collection}", operation_id = "list_catalog", tag = "catalog",
    summary = "The federated catalog: objects received from followed peers, verified",
    params(Collection, ListQuery, Paging), security(("bearer" = ["platform"])),
    responses((status = 200, description = "A page of items (or, for DFC, a DFC graph)", body = Page<CatalogItem>),
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
        return super::objects::dfc_offers(kind, async || {
            crate::domain::dfc::views::catalog_offers(&ctx).await
        })
        .await;
    }
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let search = CatalogSearch {
        peer: query.peer,
        updated_since: query.updated_since,
        purpose: query.purpose,
        text: query.q,
    };
    let listing = Json(catalog_listing::page(&ctx, kind, &search, &page).await?);
    Ok(dfc::vary_accept(listing.into_response()))
}

#[utoipa::path(get, path = "/api/v1/catalog/{collection}/{id}", operation_id = "show_catalog_item", tag = "catalog",
    summary = "One catalog item", params(CatalogAddress), security(("bearer" = ["platform"])),
    responses((status = 200, description = "The item", body = CatalogItem), TokenRefused, NotFound))]
async fn show(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Path((collection, id)): Path<(String, String)>,
) -> Result<Json<CatalogItem>> {
    let kind = ObjectKind::from_collection_path(&collection)?;
    Ok(Json(catalog_listing::entry(&ctx, kind, &id).await?))
}
