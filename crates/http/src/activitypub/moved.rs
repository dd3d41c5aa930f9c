//! The old address of a node that moved: its actor keeps answering (with
//! `movedTo`), and every other ActivityPub resource answers with a
//! permanent redirect to the same path at the new address for
//! `federation.moved_redirect_for`, then 410 Gone.

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::apub::actor::ACTOR_PATH;
use crate::apub::context::NETWORK_CONTEXT_PATH;
use crate::context::Context;
use crate::domain::moving::{self, Served};
use crate::error::Error;
use crate::problem::ApiError;

/// Paths served the same after a move: the actor says where it went, the
/// vocabulary is the same everywhere.
const STILL_SERVED: [&str; 3] = ["/", ACTOR_PATH, NETWORK_CONTEXT_PATH];

pub async fn redirect(State(ctx): State<Context>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !matches!(*request.method(), Method::GET | Method::HEAD) || STILL_SERVED.contains(&path) {
        return next.run(request).await;
    }
    let moved = match moving::served(&ctx).await {
        Ok(Served::Here) => return next.run(request).await,
        Ok(Served::Redirected(actor)) => actor,
        Ok(Served::Gone(actor)) => {
            return ApiError::from(Error::Gone(format!("this node moved to {actor}")))
                .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut target = moved;
    target.set_path(path);
    target.set_query(request.uri().query());
    (
        axum::http::StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, target.to_string())],
    )
        .into_response()
}
