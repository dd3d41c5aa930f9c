//! Extractors whose rejections are problem documents: a malformed query
//! string or JSON body is answered through `Error`, like every other bad
//! input, so handlers take the parsed value and never see a rejection.

use axum::extract::{FromRequest, FromRequestParts};
use axum::response::{IntoResponse, Response};

use crate::problem::ApiError;

/// A query string parsed into `T`; a malformed one is a 400 problem.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// A JSON body parsed into `T`: a wrong media type is a 415, malformed
/// JSON a 400, a body of the wrong shape a 422, an oversized one a 413.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
