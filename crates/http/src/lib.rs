//! HTTP routers: one module per group of endpoints, assembled here with
//! the layers every request goes through (metrics, body limit, tracing,
//! panic containment). Handlers are thin: parse, call `domain`, map errors.

pub mod activitypub;
pub mod api;
pub mod auth;
pub mod console;
pub mod dfc;
pub mod extract;
pub mod hardening;
pub mod html;
pub mod inbox;
pub mod negotiation;
pub mod ops;
pub mod problem;
pub mod rate_limits;
pub mod state;
pub mod well_known;

use std::any::Any;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::error::Error;
use crate::problem::ApiError;
use crate::state::NodeState;
use passerelle_observability::metrics::Metrics;
use problem::Problem;

// The layers below, under the names the modules use.
use passerelle_apub as apub;
use passerelle_context as context;
use passerelle_domain as domain;
use passerelle_model as model;
use passerelle_model::error;

/// The version reported by NodeInfo, `/healthz` and the HTML pages.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn router(state: NodeState) -> Router {
    let body_limit = state.settings.http.max_body_bytes;
    let metrics = state.metrics.clone();
    let app = state.app.clone();
    Router::new()
        .merge(well_known::routes())
        .merge(activitypub::routes(app.clone()))
        .merge(api::routes())
        .merge(console::routes())
        .merge(inbox::routes())
        .merge(ops::routes())
        .merge(dfc::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(app, rate_limits::limit))
        .layer(middleware::from_fn(hardening::harden))
        .layer(middleware::from_fn_with_state(metrics, record_metrics))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

/// Serialises `body` as JSON with the given media type.
pub fn json_response(body: &impl Serialize, content_type: &'static str) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        Err(e) => ApiError(Error::Internal(format!("serialising response: {e}"))).into_response(),
    }
}

async fn not_found(request: Request) -> Response {
    ApiError(Error::NotFound(format!(
        "nothing at {}",
        request.uri().path()
    )))
    .into_response()
}

async fn method_not_allowed(request: Request) -> Response {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
    .into_response()
}

async fn record_metrics(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // The route template, not the raw path, keeps label cardinality bounded.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let response = next.run(request).await;
    metrics.observe_http(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

// tower-http's catch-panic hands the payload over by value.
#[allow(clippy::needless_pass_by_value)]
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = message, "request handler panicked");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the node failed to handle this request; the operator can find the cause in its logs",
    )
    .into_response()
}
