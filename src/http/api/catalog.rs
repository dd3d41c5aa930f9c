//! The federated catalog API (scope `platform`): what followed peers
//! published, verified, with filters and cursor paging.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde::Deserialize;

use crate::domain::catalog_listing::{self, CatalogItem, CatalogSearch, kind_of_collection};
use crate::domain::listing::{Page, page_request};
use crate::error::Result;
use crate::http::auth::PlatformToken;
use crate::http::extract::{Json, Query};
use crate::node::{AppContext, NodeState};

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/api/v1/catalog/{collection}", get(list))
        .route("/api/v1/catalog/{collection}/{id}", get(show))
}

#[derive(Deserialize)]
struct ListQuery {
    /// A peer id, handle (@name@host) or actor URL.
    peer: Option<String>,
    /// RFC 3339 date-time: entries received or changed since then.
    updated_since: Option<String>,
    purpose: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path(collection): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<CatalogItem>>> {
    let kind = kind_of_collection(&collection)?;
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let search = CatalogSearch {
        peer: query.peer,
        updated_since: query.updated_since,
        purpose: query.purpose,
        text: query.q,
    };
    Ok(Json(
        catalog_listing::page(&ctx, kind, &search, &page).await?,
    ))
}

async fn show(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path((collection, id)): Path<(String, String)>,
) -> Result<Json<CatalogItem>> {
    let kind = kind_of_collection(&collection)?;
    Ok(Json(catalog_listing::entry(&ctx, kind, &id).await?))
}
