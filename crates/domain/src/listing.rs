//! Cursor pages of the API's listings: `cursor` (an opaque row id the API
//! gave) and `limit` in, the page and the `next_cursor` out.

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
    let more = crate::model::count(rows.len()) > limit;
    rows.truncate(crate::model::length(limit));
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

/// One page of a listing and the cursor of the next, if any.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page of rows fetched with `limit + 1`, each turned into a view.
    pub fn of_rows<R>(
        rows: Vec<R>,
        limit: i64,
        key: impl Fn(&R) -> i64,
        view: impl Fn(&R) -> T,
    ) -> Page<T> {
        let (rows, next_cursor) = split_page(rows, limit, key);
        Page {
            items: rows.iter().map(view).collect(),
            next_cursor,
        }
    }
}
