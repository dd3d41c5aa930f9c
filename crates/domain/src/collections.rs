//! The node's paged collections as ActivityPub serves them: the outbox,
//! each kind's objects (what a signed follower may read besides the public
//! ones) and the relationships. One pager serves them all.

use serde_json::Value;

use crate::apub::actor::{FOLLOWERS_PATH, FOLLOWING_PATH, OUTBOX_PATH};
use crate::apub::collection;
use crate::apub::signer::SignedRequest;
use crate::context::Context;
use crate::documents::parse_stored;
use crate::error::{Error, Result};
use crate::model::kinds::ObjectKind;
use crate::store::{Direction, Store};
use crate::visibility::{self, ReaderRights};

/// What a collection request asks for: the collection document, or the
/// page of items with row ids below `max_id` (the first page when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    Collection,
    Page { max_id: Option<i64> },
}

impl Paging {
    /// From the query's `page` and `max_id` parameters.
    pub fn from_query(page: Option<&str>, max_id: Option<&str>) -> Result<Paging> {
        let max_id = match max_id {
            None => None,
            Some(text) => Some(text.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| {
                Error::BadRequest(format!("`max_id` must be a positive integer, not `{text}`"))
            })?),
        };
        let paged = max_id.is_some() || page.is_some_and(|p| p == "true" || p == "1");
        Ok(if paged {
            Paging::Page { max_id }
        } else {
            Paging::Collection
        })
    }
}

/// Which relationships a collection lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relationships {
    Followers,
    Following,
}

/// The outbox: this node's public activities; for a signed reader, those
/// its sharing scope covers.
pub async fn outbox(ctx: &Context, request: &SignedRequest<'_>, paging: Paging) -> Result<Value> {
    let store = &ctx.store;
    if let Some(rights) = visibility::signed_reader(ctx, request).await? {
        if !rights.shares_everything() {
            return scoped_outbox(ctx, &rights, paging).await;
        }
    }
    paged(
        ctx.settings.url_for(OUTBOX_PATH),
        paging,
        || store.count_public_activities(),
        |max_id, limit| async move {
            let rows = store.public_activities_before(max_id, limit).await?;
            Ok(rows.into_iter().map(|row| (row.id, row.document)).collect())
        },
    )
    .await
}

/// The outbox as a reader with a narrower scope sees it: rows it may not
/// read are passed over until the page is full, so paging stays correct.
async fn scoped_outbox(ctx: &Context, rights: &ReaderRights, paging: Paging) -> Result<Value> {
    let store = &ctx.store;
    paged(
        ctx.settings.url_for(OUTBOX_PATH),
        paging,
        || async move {
            let rows = store.public_activities_before(None, i64::MAX).await?;
            Ok(crate::model::count(
                rows.iter()
                    .filter(|row| rights.may_read_activity(row.object_kind, &row.document))
                    .count(),
            ))
        },
        |max_id, limit| async move {
            let mut page = Vec::new();
            let mut before = max_id;
            loop {
                let rows = store.public_activities_before(before, limit).await?;
                let exhausted = crate::model::count(rows.len()) < limit;
                for row in rows {
                    before = Some(row.id);
                    if rights.may_read_activity(row.object_kind, &row.document) {
                        page.push((row.id, row.document));
                        if crate::model::count(page.len()) == limit {
                            return Ok(page);
                        }
                    }
                }
                if exhausted {
                    return Ok(page);
                }
            }
        },
    )
    .await
}

/// `/offers`, `/members`...: the public objects; a request signed by an
/// approved follower also lists the non-public ones it may read (what a
/// follower's backfill walks); a signed request lists only what the
/// signer's sharing scope covers.
pub async fn objects(
    data: &Context,
    kind: ObjectKind,
    request: &SignedRequest<'_>,
    paging: Paging,
) -> Result<Value> {
    let id = data.settings.url_for(&format!("/{}", kind.collection()));
    let store = &data.store;
    let Some(rights) = visibility::signed_reader(data, request).await? else {
        return paged(
            id,
            paging,
            || store.count_public_objects(Some(kind)),
            |max_id, limit| async move {
                let rows = store.live_objects_before(kind, max_id, limit, true).await?;
                Ok(rows
                    .into_iter()
                    .map(|row| (row.id.0, row.document))
                    .collect())
            },
        )
        .await;
    };
    let rights = &rights;
    if rights.excludes_kind(kind) {
        // Nothing of this kind is shared with the reader: an empty list.
        return paged(
            id,
            paging,
            || async { Ok(0) },
            |_, _| async { Ok(Vec::new()) },
        )
        .await;
    }
    paged(
        id,
        paging,
        || async move {
            // Counting reads only audiences, unless the scope has to look
            // into each object (an offer's categories).
            if !rights.judges_content(kind) {
                let audiences = store.live_object_audiences(kind).await?;
                return Ok(crate::model::count(
                    audiences.iter().filter(|a| rights.may_read(a)).count(),
                ));
            }
            let rows = store
                .live_objects_before(kind, None, i64::MAX, false)
                .await?;
            Ok(crate::model::count(
                rows.iter()
                    .filter(|row| rights.may_read_object(row))
                    .count(),
            ))
        },
        |max_id, limit| readable_objects(store, kind, rights, max_id, limit),
    )
    .await
}

/// Up to `limit` objects below `max_id` that the reader may see, reading
/// on past the ones it may not until the page is full, so paging stays
/// correct.
async fn readable_objects(
    store: &Store,
    kind: ObjectKind,
    rights: &ReaderRights,
    max_id: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    let mut page = Vec::new();
    let mut before = max_id;
    loop {
        let rows = store
            .live_objects_before(kind, before, limit, false)
            .await?;
        let exhausted = crate::model::count(rows.len()) < limit;
        for row in rows {
            before = Some(row.id.0);
            if rights.may_read_object(&row) {
                page.push((row.id.0, row.document));
                if crate::model::count(page.len()) == limit {
                    return Ok(page);
                }
            }
        }
        if exhausted {
            return Ok(page);
        }
    }
}

/// `/followers` and `/following`: approved relationships, items hidden
/// (count kept) when `federation.hide_relationships` is set.
pub async fn relationships(ctx: &Context, which: Relationships, paging: Paging) -> Result<Value> {
    let (direction, path) = match which {
        Relationships::Followers => (Direction::Followers, FOLLOWERS_PATH),
        Relationships::Following => (Direction::Following, FOLLOWING_PATH),
    };
    let id = ctx.settings.url_for(path);
    let store = &ctx.store;
    if ctx.settings.federation.hide_relationships {
        let mut document = collection::collection(&id, store.count_relationships(direction).await?);
        if let Value::Object(fields) = &mut document {
            fields.remove("first");
        }
        return Ok(document);
    }
    paged(
        id,
        paging,
        || store.count_relationships(direction),
        |max_id, limit| async move {
            let rows = store.relationships_before(direction, max_id, limit).await?;
            Ok(rows
                .into_iter()
                .map(|(row_id, uri)| (row_id, Value::String(uri).to_string()))
                .collect())
        },
    )
    .await
}

/// The collection document (with its count), or the page asked for, from
/// rows `(row id, stored document)` that `rows(max_id, limit)` returns.
async fn paged<CountFuture, RowsFuture>(
    id: url::Url,
    paging: Paging,
    count: impl FnOnce() -> CountFuture,
    rows: impl FnOnce(Option<i64>, i64) -> RowsFuture,
) -> Result<Value>
where
    CountFuture: std::future::Future<Output = Result<i64>>,
    RowsFuture: std::future::Future<Output = Result<Vec<(i64, String)>>>,
{
    let Paging::Page { max_id } = paging else {
        return Ok(collection::collection(&id, count().await?));
    };
    // One row beyond the page tells whether a next page exists.
    let mut rows = rows(max_id, collection::PAGE_SIZE + 1).await?;
    let more = crate::model::count(rows.len()) > collection::PAGE_SIZE;
    rows.truncate(crate::model::length(collection::PAGE_SIZE));
    let next = if more {
        rows.last().map(|(id, _)| *id)
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|(_, document)| parse_stored(&document))
        .collect::<Result<Vec<_>>>()?;
    Ok(collection::page(&id, max_id, &items, next))
}
