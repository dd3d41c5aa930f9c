//! The federated catalog as it is read, by the platform API and the
//! console alike: one item type, one listing, one search.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::listing::{Page, PageRequest, split_page};
use crate::model::PeerId;
use crate::model::kinds::ObjectKind;
use crate::model::time::format_millis;
use crate::peers::{self, PeerSummary};
use crate::store::{CatalogFilter, CatalogRow, PeerRow};

/// A peer's object in the catalog.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CatalogItem {
    /// The object's URI.
    pub id: String,
    pub kind: String,
    pub name: String,
    pub summary: String,
    /// Offers only: offer or request.
    pub purpose: Option<String>,
    /// The object as the peer published it, with its integrity proof.
    #[schema(value_type = Object)]
    pub object: Value,
    pub peer: PeerSummary,
    #[schema(format = DateTime)]
    pub received_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Its id is on the peer's host, its integrity proof verified with the
    /// peer's key, and it passed the schema: nothing unverified is stored.
    pub verified: bool,
}

impl CatalogItem {
    fn of(row: CatalogRow, peer: &PeerRow) -> CatalogItem {
        CatalogItem {
            peer: PeerSummary::of(peer),
            object: serde_json::from_str(&row.document).unwrap_or(Value::Null),
            received_at: format_millis(row.received_at),
            updated_at: format_millis(row.updated_at),
            id: row.object_uri,
            kind: row.kind.as_str().to_owned(),
            name: row.name,
            summary: row.summary,
            purpose: row.purpose,
            verified: true,
        }
    }
}

/// What a reader searches for; every field narrows, empty ones are
/// ignored.
#[derive(Debug, Clone, Default)]
pub struct CatalogSearch {
    /// A peer id, handle (@name@host) or actor URL.
    pub peer: Option<String>,
    /// RFC 3339 date-time: entries received or changed since then.
    pub updated_since: Option<String>,
    pub purpose: Option<String>,
    /// Text searched in the name and summary, case-insensitively.
    pub text: Option<String>,
}

impl CatalogSearch {
    async fn filter(&self, ctx: &Context) -> Result<CatalogFilter> {
        let given = |field: &Option<String>| field.clone().filter(|v| !v.trim().is_empty());
        let peer_id = match given(&self.peer) {
            None => None,
            Some(target) => Some(peers::find_known(ctx, &target).await?.id),
        };
        let updated_since = match given(&self.updated_since) {
            None => None,
            Some(text) => Some(
                chrono::DateTime::parse_from_rfc3339(&text)
                    .map_err(|_| {
                        Error::BadRequest(format!(
                            "`updated_since` must be an RFC 3339 date-time, not `{text}`"
                        ))
                    })?
                    .timestamp_millis(),
            ),
        };
        Ok(CatalogFilter {
            peer_id,
            updated_since,
            purpose: given(&self.purpose),
            text: given(&self.text),
        })
    }
}

/// The entries of `kind` matching `search`, after the page's cursor.
pub async fn page(
    ctx: &Context,
    kind: ObjectKind,
    search: &CatalogSearch,
    page: &PageRequest,
) -> Result<Page<CatalogItem>> {
    let filter = search.filter(ctx).await?;
    let rows = ctx
        .store
        .list_catalog(kind, &filter, page.cursor.unwrap_or(0), page.limit + 1)
        .await?;
    let (rows, next_cursor) = split_page(rows, page.limit, |row| row.id);
    let peers: HashMap<PeerId, PeerRow> = ctx
        .store
        .peers()
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let items = rows
        .into_iter()
        .map(|row| match peers.get(&row.peer_id) {
            Some(peer) => Ok(CatalogItem::of(row, peer)),
            None => Err(Error::Internal("catalog entry without peer".into())),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor })
}

/// One entry of `kind`, by its object id.
pub async fn entry(ctx: &Context, kind: ObjectKind, id: &str) -> Result<CatalogItem> {
    let row = ctx
        .store
        .catalog_entry(id)
        .await?
        .filter(|row| row.kind == kind)
        .ok_or_else(|| Error::NotFound(format!("no {} {id} in the catalog", kind.as_str())))?;
    let peer = ctx
        .store
        .peer(row.peer_id)
        .await?
        .ok_or_else(|| Error::Internal("catalog entry without peer".into()))?;
    Ok(CatalogItem::of(row, &peer))
}
