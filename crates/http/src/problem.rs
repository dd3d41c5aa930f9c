//! The one mapping from `Error` to HTTP: RFC 9457 problem documents
//! (`application/problem+json`). Bad input gets a 4xx that says what was
//! wrong; internal failures are logged and answered without their details.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{Error, Violation};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// What a 422 found wrong in the payload.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<Violation>,
}

impl Problem {
    /// A problem of the generic `about:blank` type, whose title is the
    /// status phrase (RFC 9457 §4.2.1).
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

pub fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::BadRequest(_) => StatusCode::BAD_REQUEST,
        Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Error::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::Gone(_) => StatusCode::GONE,
        Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::Unprocessable(_) | Error::UnprocessableAt(..) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        e if e.is_database_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
        Error::PeerUnavailable(_) | Error::DfcSource(..) => StatusCode::BAD_GATEWAY,
        Error::Database(_)
        | Error::Migration(_)
        | Error::Keys(_)
        | Error::Internal(_)
        | Error::Json(_)
        | Error::StoredUrl(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What a client is told to wait while the database is out of reach.
const DATABASE_RETRY_AFTER_SECONDS: u64 = 5;

/// An `Error` on its way out as a problem document. The error type lives in
/// the model crate, below the web framework; this is the HTTP layer's one
/// mapping of it.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        ApiError(error)
    }
}

/// Errors that reach a handler unconverted take the way `Error` gives them.
macro_rules! through_error {
    ($($source:ty),*) => {$(
        impl From<$source> for ApiError {
            fn from(error: $source) -> ApiError {
                ApiError(error.into())
            }
        }
    )*};
}
through_error!(serde_json::Error, url::ParseError);

/// What HTTP handlers return.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError(error) = self;
        error_response(error)
    }
}

/// The problem document of `error`, with `Retry-After` and
/// `WWW-Authenticate` where they apply.
fn error_response(error: Error) -> Response {
    let status = status_of(&error);
    let mut problem = if error.is_database_unavailable() {
        tracing::warn!(error = %error, "database unavailable");
        Problem::new(
            status,
            "the node's database is unavailable for a moment; nothing was changed, retry shortly",
        )
    } else if status.is_server_error()
        && status != StatusCode::SERVICE_UNAVAILABLE
        && status != StatusCode::BAD_GATEWAY
    {
        tracing::error!(error = %error, "request failed");
        Problem::new(
            status,
            "the node failed to handle this request; the operator can find the cause in its logs",
        )
    } else {
        Problem::new(status, error.to_string())
    };
    let retry_after = match &error {
        Error::TooManyRequests(wait) => Some(wait.as_secs().max(1)),
        e if e.is_database_unavailable() => Some(DATABASE_RETRY_AFTER_SECONDS),
        _ => None,
    };
    match error {
        Error::Unprocessable(violations) => problem.errors = violations,
        Error::UnprocessableAt(pointer, detail) => {
            problem.errors = vec![Violation { pointer, detail }]
        }
        _ => {}
    }
    let mut response = problem.into_response();
    if let Some(seconds) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, seconds);
    }
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError(Error::BadRequest(format!(
            "malformed query string: {}",
            rejection.body_text()
        )))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        ApiError(json_rejection(rejection))
    }
}

fn json_rejection(rejection: JsonRejection) -> Error {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Error::UnsupportedMediaType(
            "expected a JSON body with Content-Type: application/json".to_owned(),
        ),
        JsonRejection::JsonDataError(e) => Error::Unprocessable(vec![Violation {
            pointer: String::new(),
            detail: e.body_text(),
        }]),
        JsonRejection::JsonSyntaxError(e) => {
            Error::BadRequest(format!("malformed JSON: {}", e.body_text()))
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Error::PayloadTooLarge(other.body_text())
        }
        other => Error::BadRequest(other.body_text()),
    }
}
