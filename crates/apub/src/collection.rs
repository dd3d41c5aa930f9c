//! Paged `OrderedCollection`s (outbox, object collections, followers...).
//! The collection document gives `totalItems` and a link to the first page;
//! pages are keyed on an immutable row id, newest first, so paging stays
//! stable while items are added.

use serde_json::{Value, json};
use url::Url;

use crate::context::ACTIVITY_STREAMS;

/// Items per collection page.
pub const PAGE_SIZE: i64 = 20;

/// The collection at `id` with `total` items.
pub fn collection(id: &Url, total: i64) -> Value {
    json!({
        "@context": ACTIVITY_STREAMS,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": page_url(id, None),
    })
}

/// URL of the page of items with row ids below `max_id` (the first page
/// when `None`).
pub fn page_url(collection: &Url, max_id: Option<i64>) -> Url {
    let mut url = collection.clone();
    url.set_query(None);
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("page", "true");
        if let Some(max_id) = max_id {
            query.append_pair("max_id", &max_id.to_string());
        }
    }
    url
}

/// One page: `items` newest first, `last_id` the row id of the last item
/// when a further page may exist.
pub fn page(
    collection: &Url,
    max_id: Option<i64>,
    items: &[Value],
    next_max_id: Option<i64>,
) -> Value {
    let mut page = json!({
        "@context": ACTIVITY_STREAMS,
        "id": page_url(collection, max_id),
        "type": "OrderedCollectionPage",
        "partOf": collection,
        "orderedItems": items,
    });
    if let Some(next) = next_max_id {
        page["next"] = json!(page_url(collection, Some(next)));
    }
    page
}
