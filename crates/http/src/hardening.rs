//! What every response gets on its way out: the framework's own rejections
//! (unparsable paths, queries and bodies, body limits, unknown methods)
//! rewritten as problem documents, `nosniff`, and a content security
//! policy on HTML pages that did not set a stricter one.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;

/// The policy of the public HTML pages (the actor's profile, objects):
/// they load nothing but the node's own styles and images.
const PUBLIC_PAGE_POLICY: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Longest rejection text kept as a problem's detail.
const MAX_DETAIL_BYTES: usize = 4 * 1024;

pub async fn harden(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let mut response = if needs_problem(&response) {
        as_problem(response).await
    } else {
        response
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PUBLIC_PAGE_POLICY),
        );
    }
    response
}

/// An error answered in plain text or with no body type: the framework's
/// own rejections (a `Tombstone` answered 410, a problem document or a
/// page are left as they are).
fn needs_problem(response: &Response) -> bool {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    content_type.is_empty() || content_type.starts_with("text/plain")
}

/// The same answer as a problem document: status and headers kept (an
/// `Allow`, a `Retry-After`), the text become its detail.
async fn as_problem(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_DETAIL_BYTES)
        .await
        .unwrap_or_default();
    let detail = String::from_utf8_lossy(&text).trim().to_owned();
    let detail = if detail.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_owned()
    } else {
        detail
    };
    let problem = Problem::new(parts.status, detail).into_response();
    let (problem_parts, problem_body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &problem_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, Body::new(problem_body))
}

/// Marks a response whose content depends on who signed the request or
/// which token it carried: shared caches must not serve it to others.
pub fn vary_by_reader(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Signature, Authorization"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    }
    response
}
