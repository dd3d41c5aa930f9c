//! Cursor paging of API listings: `cursor` (an opaque row id this API gave)
//! and `limit`, and the `next_cursor` of a page.

use crate::error::{Error, Result};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// The row id after (or before) which a page starts, and its size.
pub struct PageRequest {
    pub cursor: Option<i64>,
    pub limit: i64,
}

pub fn page_request(cursor: Option<&str>, limit: Option<i64>) -> Result<PageRequest> {
    let cursor = match cursor {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|c| *c >= 0)
                .ok_or_else(|| {
                    Error::BadRequest(format!("`{text}` is not a cursor this API gave"))
                })?,
        ),
    };
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::BadRequest(format!(
            "`limit` must be between 1 and {MAX_LIMIT}"
        )));
    }
    Ok(PageRequest { cursor, limit })
}

/// Cuts rows fetched with `limit + 1` to the page, with the cursor of the
/// next page when there is one.
pub fn split_page<T>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|row| key(row).to_string())
    } else {
        None
    };
    (rows, next)
}

/// A page of a listing the domain computes whole (the admin lists, which
/// grow with the number of peers): the items whose key is above the
/// cursor, at most `limit`, sorted by key.
pub fn page_after<T>(
    mut items: Vec<T>,
    request: &PageRequest,
    key: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<String>) {
    items.sort_by_key(|item| key(item));
    if let Some(cursor) = request.cursor {
        items.retain(|item| key(item) > cursor);
    }
    split_page(items, request.limit, key)
}

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
