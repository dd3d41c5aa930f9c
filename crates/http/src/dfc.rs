//! The DFC face of the node: `GET /dfc/catalog` serves the public offers
//! as a DFC 2.0 graph, with no token, for OFN's DFC import; and the
//! negotiation the offers APIs use to answer in DFC
//! (`Accept: application/ld+json; profile="dfc-v2"` or `?format=dfc`).
//! Offers DFC cannot express are counted in `Passerelle-Dfc-Omitted`;
//! `/dfc/catalog` serves at most `views::PUBLIC_EXPORT_MAX` offers and says
//! so in `Passerelle-Dfc-Truncated`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::domain::dfc::export::Exported;
use crate::domain::dfc::views;
use crate::problem::Result;
use crate::state::NodeState;

/// The media type of a DFC 2.0 document.
pub const DFC_MEDIA_TYPE: &str = "application/ld+json; profile=\"dfc-v2\"";
/// How many offers the graph leaves out.
pub const OMITTED_HEADER: &str = "passerelle-dfc-omitted";
/// Set when the graph was cut at `views::PUBLIC_EXPORT_MAX` offers.
pub const TRUNCATED_HEADER: &str = "passerelle-dfc-truncated";

pub fn routes() -> Router<NodeState> {
    Router::new().route("/dfc/catalog", get(public_catalog))
}

async fn public_catalog(State(ctx): State<NodeState>) -> Result<Response> {
    Ok(respond(&views::own_offers(&ctx, true).await?))
}

/// Whether the request asks for DFC: `format=dfc`, or an `Accept` naming
/// JSON-LD with the `dfc-v2` profile.
pub fn wants_dfc(headers: &HeaderMap, format: Option<&str>) -> bool {
    if format.is_some_and(|f| f.eq_ignore_ascii_case("dfc")) {
        return true;
    }
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| {
            let lower = range.to_ascii_lowercase();
            lower.trim_start().starts_with("application/ld+json")
                && lower
                    .split(';')
                    .skip(1)
                    .any(|p| p.trim().replace('"', "") == "profile=dfc-v2")
        })
}

/// A DFC graph response with its omitted count.
pub fn respond(exported: &Exported) -> Response {
    let mut response = crate::json_response(&exported.document, DFC_MEDIA_TYPE);
    response.headers_mut().insert(
        OMITTED_HEADER,
        HeaderValue::from(u64::try_from(exported.omitted).unwrap_or(u64::MAX)),
    );
    if exported.truncated {
        response
            .headers_mut()
            .insert(TRUNCATED_HEADER, HeaderValue::from_static("true"));
    }
    vary_accept(response.into_response())
}

/// An answer chosen by `Accept` says so to caches (`Vary: Accept`).
pub fn vary_accept(mut response: Response) -> Response {
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept"));
    response.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dfc_is_asked_by_profile_or_format() {
        let mut headers = HeaderMap::new();
        assert!(!wants_dfc(&headers, None));
        assert!(wants_dfc(&headers, Some("dfc")));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/ld+json; profile=\"dfc-v2\""),
        );
        assert!(wants_dfc(&headers, None));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/ld+json"),
        );
        assert!(!wants_dfc(&headers, None));
    }
}
