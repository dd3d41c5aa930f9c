//! Reading a DFC source over HTTP: a GET through the node's one
//! address-checked client (`outbound`), with the source's API token in
//! `X-Api-Token` (OFN's API key header), a size cap and a timeout. Each
//! failure says why in `DfcFailure` terms, never what was received. Only
//! URLs on the catalog's own origin are fetched (`fetch` refuses others),
//! so the token goes nowhere else.

use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::context::Context;
use crate::dfc::graph::quoted;
use crate::error::{DfcFailure, Error, Result};
use passerelle_outbound as outbound;

/// Largest DFC document read (a large catalog is a few MB).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);
/// DFC 2.0 first; OFN answers DFC 1.x to plain JSON.
const ACCEPT: &str =
    "application/ld+json; profile=\"dfc-v2\", application/ld+json;q=0.9, application/json;q=0.8";

/// A catalog to import: where, and the token to read it with.
#[derive(Debug, Clone)]
pub struct Source {
    pub catalog_url: Url,
    pub api_token: Option<String>,
}

fn failure(kind: DfcFailure, detail: String) -> Error {
    Error::DfcSource(kind, detail)
}

/// GETs one JSON-LD document of the source.
pub async fn fetch(ctx: &Context, source: &Source, url: &str) -> Result<Value> {
    let parsed = Url::parse(url).map_err(|_| {
        failure(
            DfcFailure::Malformed,
            format!("`{}` is not a URL", quoted(url)),
        )
    })?;
    // The token (and the node's requests) go to the catalog's origin only,
    // whoever asks for the document.
    if parsed.origin() != source.catalog_url.origin() {
        return Err(failure(
            DfcFailure::Malformed,
            format!(
                "refusing to fetch {}: not on the catalog's origin",
                quoted(url)
            ),
        ));
    }
    // Named in errors, cut short (an enterprise URL comes from the catalog).
    let shown = quoted(url);
    let url = shown.as_str();
    outbound::check_url_literal(&parsed, ctx.settings.federation.allow_private_addresses)
        .map_err(|e| failure(DfcFailure::Unreachable, format!("{url}: {e}")))?;
    let mut request = ctx
        .http
        .get(parsed.as_str())
        .header(reqwest::header::ACCEPT, ACCEPT)
        .timeout(TIMEOUT);
    if let Some(token) = &source.api_token {
        request = request.header("X-Api-Token", token);
    }
    let mut response = request.send().await.map_err(|e| {
        failure(
            DfcFailure::Unreachable,
            format!("{url}: {}", outbound::describe(&e)),
        )
    })?;
    let status = response.status();
    if matches!(status.as_u16(), 401 | 403) {
        return Err(failure(
            DfcFailure::Unauthorized,
            format!("{url} answered {status}: check the source's API token"),
        ));
    }
    if !status.is_success() {
        return Err(failure(
            DfcFailure::Status,
            format!("{url} answered {status}"),
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        failure(
            DfcFailure::Unreachable,
            format!("{url}: {}", outbound::describe(&e)),
        )
    })? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(failure(
                DfcFailure::Malformed,
                format!("{url} sent more than {MAX_DOCUMENT_BYTES} bytes"),
            ));
        }
    }
    serde_json::from_slice(&body).map_err(|e| {
        failure(
            DfcFailure::Malformed,
            format!("{url} did not send JSON ({e})"),
        )
    })
}
