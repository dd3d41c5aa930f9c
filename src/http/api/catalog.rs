//! The federated catalog API (scope `platform`): what followed peers
//! published, verified, with filters and cursor paging.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::catalog::kind_of_collection;
use crate::error::{Error, Result};
use crate::http::api::paging::{PageRequest, page_request, split_page};
use crate::http::auth::PlatformToken;
use crate::model::time::format_millis;
use crate::node::{AppContext, NodeState};
use crate::store::{CatalogFilter, CatalogRow};

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/api/v1/catalog/{collection}", get(list))
        .route("/api/v1/catalog/{collection}/{id}", get(show))
}

#[derive(Debug, Serialize)]
pub struct CatalogItem {
    pub id: String,
    pub kind: String,
    pub object: Value,
    pub peer: PeerRef,
    pub received_at: String,
    pub updated_at: String,
    /// Its id is on the peer's host, its integrity proof verified with the
    /// peer's key, and it passed the schema: nothing unverified is stored.
    pub verified: bool,
}

#[derive(Debug, Serialize)]
pub struct PeerRef {
    pub id: i64,
    pub actor: String,
    pub handle: String,
    pub name: String,
}

async fn item(ctx: &AppContext, row: &CatalogRow) -> Result<CatalogItem> {
    let peer = ctx
        .store
        .peer(row.peer_id)
        .await?
        .ok_or_else(|| Error::Internal("catalog entry without peer".into()))?;
    Ok(CatalogItem {
        id: row.object_uri.clone(),
        kind: row.kind.clone(),
        object: serde_json::from_str(&row.document).unwrap_or(Value::Null),
        peer: PeerRef {
            id: peer.id,
            actor: peer.actor_uri,
            handle: format!("@{}", peer.handle),
            name: peer.name,
        },
        received_at: format_millis(row.received_at),
        updated_at: format_millis(row.updated_at),
        verified: true,
    })
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

#[derive(Serialize)]
struct CatalogPage {
    items: Vec<CatalogItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

async fn list(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path(collection): Path<String>,
    query: std::result::Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<CatalogPage>> {
    let kind = kind_of_collection(&collection)?;
    let Query(query) = query?;
    let peer_id = match query.peer.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(target) => Some(crate::domain::peers::find_known(&ctx, target).await?.id),
    };
    let updated_since = match query.updated_since.as_deref().filter(|u| !u.is_empty()) {
        None => None,
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|_| {
                    Error::BadRequest(format!(
                        "`updated_since` must be an RFC 3339 date-time, not `{text}`"
                    ))
                })?
                .timestamp_millis(),
        ),
    };
    let PageRequest { cursor, limit } = page_request(query.cursor.as_deref(), query.limit)?;
    let after = cursor.unwrap_or(0);
    let filter = CatalogFilter {
        peer_id,
        updated_since,
        purpose: query.purpose.filter(|p| !p.is_empty()),
        text: query.q.filter(|q| !q.trim().is_empty()),
    };
    let rows = ctx
        .store
        .list_catalog(kind.as_str(), &filter, after, limit + 1)
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |row| row.id);
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(item(&ctx, &row).await?);
    }
    Ok(Json(CatalogPage { next_cursor, items }))
}

async fn show(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path((collection, id)): Path<(String, String)>,
) -> Result<Json<CatalogItem>> {
    let kind = kind_of_collection(&collection)?;
    let row = ctx
        .store
        .catalog_entry(&id)
        .await?
        .filter(|row| row.kind == kind.as_str())
        .ok_or_else(|| Error::NotFound(format!("no {} {id} in the catalog", kind.as_str())))?;
    Ok(Json(item(&ctx, &row).await?))
}
