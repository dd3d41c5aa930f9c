//! The platform API for offers, members, charters and commitments:
//! idempotent upserts keyed by the platform's own ids.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::publish::{self, Change, Published};
use crate::error::{Error, Result};
use crate::http::api::paging::{PageRequest, page_request, split_page};
use crate::http::auth::PlatformToken;
use crate::model::kinds::ObjectKind;
use crate::model::time::format_millis;
use crate::node::{AppContext, NodeState};
use crate::store::ObjectRow;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/api/v1/{collection}", get(list))
        .route(
            "/api/v1/{collection}/{local_id}",
            get(show).put(put).delete(remove),
        )
        .route(
            "/api/v1/charters/{local_id}/versions",
            get(charter_versions),
        )
}

/// How the platform sees one of its objects.
#[derive(Debug, Serialize)]
pub struct ObjectView {
    pub id: String,
    pub kind: String,
    pub uri: String,
    pub version: i64,
    pub audience: Value,
    pub payload: Value,
    /// The signed ActivityStreams document (a Tombstone once deleted).
    pub object: Value,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
}

impl ObjectView {
    pub fn from_row(row: &ObjectRow) -> ObjectView {
        let parse = |text: &str| serde_json::from_str(text).unwrap_or(Value::Null);
        ObjectView {
            id: row.local_id.clone(),
            kind: row.kind.clone(),
            uri: row.uri.clone(),
            version: row.version,
            audience: parse(&row.audience),
            payload: parse(&row.payload),
            object: parse(&row.document),
            created_at: format_millis(row.created_at),
            updated_at: format_millis(row.updated_at),
            deleted_at: row.deleted_at.map(format_millis),
            change: None,
            activity: None,
        }
    }

    pub fn from_published(published: &Published) -> ObjectView {
        ObjectView {
            change: Some(published.change),
            activity: published.activity_uri.clone(),
            ..ObjectView::from_row(&published.object)
        }
    }
}

fn kind_of(collection: &str) -> Result<ObjectKind> {
    ObjectKind::from_collection(collection).ok_or_else(|| {
        Error::NotFound(format!(
            "no collection `{collection}`: use offers, members, charters or commitments"
        ))
    })
}

async fn put(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path((collection, local_id)): Path<(String, String)>,
    body: std::result::Result<Json<Value>, JsonRejection>,
) -> Result<Response> {
    let kind = kind_of(&collection)?;
    let Json(document) = body?;
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

async fn show(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path((collection, local_id)): Path<(String, String)>,
) -> Result<Json<ObjectView>> {
    let kind = kind_of(&collection)?;
    let row = ctx
        .store
        .object(kind.as_str(), &local_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no {} `{local_id}`", kind.as_str())))?;
    if row.deleted_at.is_some() {
        return Err(Error::Gone(format!(
            "{} `{local_id}` was deleted",
            kind.as_str()
        )));
    }
    Ok(Json(ObjectView::from_row(&row)))
}

async fn remove(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path((collection, local_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let kind = kind_of(&collection)?;
    publish::delete(&ctx, kind, &local_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

#[derive(Serialize)]
struct ObjectList {
    items: Vec<ObjectView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

async fn list(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path(collection): Path<String>,
    query: std::result::Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<ObjectList>> {
    let kind = kind_of(&collection)?;
    let Query(query) = query?;
    let PageRequest { cursor, limit } = page_request(query.cursor.as_deref(), query.limit)?;
    let after = cursor.unwrap_or(0);
    let rows = ctx
        .store
        .list_objects(kind.as_str(), after, limit + 1, false)
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |row| row.id);
    Ok(Json(ObjectList {
        next_cursor,
        items: rows.iter().map(ObjectView::from_row).collect(),
    }))
}

#[derive(Serialize)]
struct VersionView {
    version: i64,
    uri: String,
    created_at: String,
    object: Value,
}

async fn charter_versions(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path(local_id): Path<String>,
) -> Result<Json<Vec<VersionView>>> {
    let row = ctx
        .store
        .object(ObjectKind::Charter.as_str(), &local_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no charter `{local_id}`")))?;
    let versions = ctx.store.object_versions(row.id).await?;
    Ok(Json(
        versions
            .into_iter()
            .map(|v| VersionView {
                version: v.version,
                uri: v.uri,
                created_at: format_millis(v.created_at),
                object: serde_json::from_str(&v.document).unwrap_or(Value::Null),
            })
            .collect(),
    ))
}
