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
