//! The platform API for offers, members, charters and commitments:
//! idempotent upserts keyed by the platform's own ids.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::listing::{Page, page_request};
use crate::domain::objects::{self, ObjectView, VersionView};
use crate::domain::publish::{self, Change};
use crate::error::{Error, Result};
use crate::http::auth::PlatformToken;
use crate::http::extract::{Json, Query};
use crate::model::kinds::ObjectKind;
use crate::node::{AppContext, NodeState};

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
    Json(document): Json<Value>,
) -> Result<Response> {
    let kind = kind_of(&collection)?;
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
    Ok(Json(objects::show(&ctx, kind, &local_id).await?))
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

async fn list(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path(collection): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<ObjectView>>> {
    let kind = kind_of(&collection)?;
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    Ok(Json(objects::list(&ctx, kind, &page).await?))
}

async fn charter_versions(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path(local_id): Path<String>,
) -> Result<Json<Vec<VersionView>>> {
    Ok(Json(objects::charter_versions(&ctx, &local_id).await?))
}
