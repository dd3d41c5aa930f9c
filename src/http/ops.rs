//! Operations endpoints: liveness, readiness and Prometheus metrics.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::node::{AppContext, NodeState};

/// `/readyz` answers within this even when the database hangs.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

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

async fn readyz(State(ctx): State<AppContext>) -> Result<Response> {
    match tokio::time::timeout(READINESS_TIMEOUT, ctx.store.check_ready()).await {
        Ok(Ok(())) => Ok(axum::Json(json!({"status": "ready"})).into_response()),
        Ok(Err(not_ready)) => Err(Error::Unavailable(not_ready.to_string())),
        Err(_) => Err(Error::Unavailable(format!(
            "database did not answer within {}s",
            READINESS_TIMEOUT.as_secs()
        ))),
    }
}

async fn metrics(State(ctx): State<AppContext>, headers: HeaderMap) -> Result<Response> {
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
            ));
        }
    }
    // Scrapes still answer when the database does not.
    if let Ok((deliveries, webhooks)) = ctx.store.queue_depths().await {
        ctx.metrics.delivery_queue_depth.set(deliveries);
        ctx.metrics.webhook_queue_depth.set(webhooks);
    }
    let text = ctx.metrics.render()?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
