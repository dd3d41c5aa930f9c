//! Fetching ActivityStreams documents from other servers through the
//! node's address-checked client: JSON media types only, a size cap and a
//! timeout. Error messages name what went wrong, never what was received.

use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::context::ACTIVITY_JSON;
use crate::knocking;
use passerelle_context::Context;
use passerelle_context::knocking::Signing;
use passerelle_outbound::{self as outbound, OutboundError};

/// Largest document accepted from a peer.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Refused(#[from] OutboundError),
    #[error("request to {0} failed: {1}")]
    Request(Url, String),
    #[error("{0} answered {1}")]
    Status(Url, u16),
    #[error("{0} sent more than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge(Url),
    #[error("{0} did not send JSON (Content-Type `{1}`)")]
    NotJsonType(Url, String),
    #[error("{0} sent malformed JSON")]
    NotJson(Url),
}

/// GETs an ActivityStreams document.
pub async fn fetch_document(client: &outbound::Client, url: &Url) -> Result<Value, FetchError> {
    fetch_json(client, url, ACTIVITY_JSON).await
}

/// GETs a JSON document of the `accept` media type (a WebFinger `jrd+json`).
pub async fn fetch_json(
    client: &outbound::Client,
    url: &Url,
    accept: &str,
) -> Result<Value, FetchError> {
    outbound::check_url_literal(url, true)?;
    let response = client
        .get(url.as_str())
        .header(reqwest::header::ACCEPT, accept)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| request_error(url, &e))?;
    read_document(url, response).await
}

/// GETs a document with a request signed by this node (authorized fetch):
/// what the peer serves to its approved followers. Signed as deliveries
/// found the server accepts, or knocking twice as they do
/// (`apub::knocking`).
pub async fn fetch_signed(data: &Context, url: &Url) -> Result<Value, FetchError> {
    outbound::check_url_literal(url, true)?;
    let origin = url.origin().ascii_serialization();
    let schemes = knocking::order(data, &origin, None);
    for (n, signing) in schemes.iter().enumerate() {
        let request = signed_get(data, url, *signing).await?;
        let response = data
            .http
            .execute(request)
            .await
            .map_err(|e| request_error(url, &e))?;
        let status = response.status();
        let knock_again = n + 1 < schemes.len()
            && matches!(
                status,
                reqwest::StatusCode::BAD_REQUEST | reqwest::StatusCode::UNAUTHORIZED
            );
        if knock_again {
            continue;
        }
        // Not remembered: a public document answers whatever the
        // signature; only a delivery tells what the server verifies.
        return read_document(url, response).await;
    }
    Err(FetchError::Request(
        url.clone(),
        "no signature scheme to try".into(),
    ))
}

async fn signed_get(
    data: &Context,
    url: &Url,
    signing: Signing,
) -> Result<reqwest::Request, FetchError> {
    let builder = data
        .http
        .get(url.as_str())
        .timeout(TIMEOUT)
        .header(reqwest::header::ACCEPT, ACTIVITY_JSON);
    knocking::sign(
        data,
        builder,
        &http::Method::GET,
        url,
        None,
        &[],
        signing,
        None,
    )
    .await
    .map_err(|e| FetchError::Request(url.clone(), e.to_string()))
}

fn request_error(url: &Url, error: &reqwest_middleware::Error) -> FetchError {
    match outbound::refusal_of(error) {
        Some(refusal) => FetchError::Refused(refusal),
        None => FetchError::Request(url.clone(), outbound::describe(error)),
    }
}

/// JSON media types: `application/json` and any `+json` type
/// (`activity+json`, `ld+json`, `jrd+json`).
fn is_json_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

async fn read_document(url: &Url, mut response: reqwest::Response) -> Result<Value, FetchError> {
    if !response.status().is_success() {
        return Err(FetchError::Status(url.clone(), response.status().as_u16()));
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !is_json_type(&content_type) {
        return Err(FetchError::NotJsonType(url.clone(), content_type));
    }
    if response
        .content_length()
        .is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(FetchError::TooLarge(url.clone()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Request(url.clone(), outbound::describe(&e)))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(FetchError::TooLarge(url.clone()));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|_| FetchError::NotJson(url.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types_are_recognised() {
        for json in [
            "application/activity+json",
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
            "application/json; charset=utf-8",
            "Application/JRD+JSON",
        ] {
            assert!(is_json_type(json), "{json}");
        }
        for other in ["text/html", "", "text/json+html", "application/jsonp"] {
            assert!(!is_json_type(other), "{other}");
        }
    }
}
