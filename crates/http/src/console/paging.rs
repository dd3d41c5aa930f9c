//! Console lists a page at a time: the lists the domain computes whole
//! (peers, requests, the sharing register, agreements) cut to 50 items
//! after the `after` cursor, with the links of `templates/console/pager.html`.

use serde::Deserialize;

use crate::console::Page;
use crate::domain::listing::{PageRequest, page_after};

/// Items on one page of a console list.
pub(super) const LIST_PAGE: i64 = 50;

/// Where a page of a console list starts: after the item whose key is
/// `after` (a page's own lists have cursors of their own, such as
/// `pending_after` on the requests page).
#[derive(Deserialize, Default)]
pub(crate) struct Cursors {
    pub(crate) after: Option<i64>,
    pub(crate) pending_after: Option<i64>,
}

impl Page {
    /// Adds the page of `items` after `cursor` as `name`, with the cursor
    /// of the next page as `NAME_next` and whether this is not the first
    /// page as `NAME_paged`.
    pub(super) fn with_page<T: serde::Serialize>(
        self,
        name: &str,
        items: Vec<T>,
        cursor: Option<i64>,
        key: impl Fn(&T) -> i64,
    ) -> Page {
        let request = PageRequest {
            cursor,
            limit: LIST_PAGE,
        };
        let (items, next) = page_after(items, &request, key);
        self.with(name, items)
            .with(&format!("{name}_next"), next)
            .with(&format!("{name}_paged"), cursor.is_some())
    }
}
