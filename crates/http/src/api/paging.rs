//! The admin lists' paging over HTTP: a plain JSON array, and the next
//! page in a `Link` header.

/// A JSON array answered with the next page, if any, in a `Link` header
/// (RFC 8288, `rel="next"`): the admin lists stay plain arrays.
pub fn linked_page<T: serde::Serialize>(
    public_url: &url::Url,
    uri: &axum::http::Uri,
    items: &[T],
    next: Option<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = axum::Json(items).into_response();
    if let Some(next) = next {
        let mut link = public_url.clone();
        link.set_path(uri.path());
        let kept: Vec<(String, String)> =
            url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
                .filter(|(name, _)| name != "cursor")
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect();
        link.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("cursor", &next);
        if let Ok(value) = axum::http::HeaderValue::from_str(&format!("<{link}>; rel=\"next\"")) {
            response
                .headers_mut()
                .insert(axum::http::header::LINK, value);
        }
    }
    response
}
