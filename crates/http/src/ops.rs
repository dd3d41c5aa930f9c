//! Operations endpoints: liveness, readiness and Prometheus metrics.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::context::Context;
use crate::domain::health;
use crate::error::Error;
use crate::problem::Result;
use crate::state::NodeState;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({"status": "ok", "version": crate::VERSION})),
    )
        .into_response()
}

async fn readyz(State(ctx): State<Context>) -> Result<Response> {
    health::readiness(&ctx).await?;
    Ok(axum::Json(json!({"status": "ready"})).into_response())
}

async fn metrics(State(ctx): State<Context>, headers: HeaderMap) -> Result<Response> {
    if let Some(expected) = &ctx.settings.metrics.token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let matches: bool = presented.as_bytes().ct_eq(expected.as_bytes()).into();
        if !matches {
            return Err(Error::Unauthorized(
                "the metrics need `Authorization: Bearer` with the metrics token".into(),
            )
            .into());
        }
    }
    health::refresh_queue_depths(&ctx).await;
    let text = ctx.metrics.render()?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
