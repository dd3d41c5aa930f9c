//! `POST /outbox`: client-to-server publishing, through the same
//! validation and publication path as the REST API.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::apub::context::{ACTIVITY_JSON, LD_JSON};
use crate::auth::PlatformToken;
use crate::context::Context;
use crate::domain::objects::ObjectView;
use crate::domain::publish::{self, Change};
use crate::error::Error;
use crate::problem::Result;

pub(super) async fn post_outbox(
    _token: PlatformToken,
    State(ctx): State<Context>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if ![ACTIVITY_JSON, LD_JSON, "application/json"].contains(&media_type) {
        return Err(Error::UnsupportedMediaType(format!(
            "POST /outbox takes {ACTIVITY_JSON}, not `{content_type}`"
        ))
        .into());
    }
    let axum::Json(activity) = axum::Json::<serde_json::Value>::from_bytes(&body)?;
    let published = publish::apply_client_activity(&ctx, &activity).await?;
    let status = if published.change == Change::Unchanged {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (status, axum::Json(ObjectView::from_published(&published))).into_response();
    if let Some(location) = published
        .activity_uri
        .as_deref()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
