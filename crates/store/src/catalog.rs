//! The federated catalog: what followed peers published, as received.

use passerelle_model::PeerId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, Store, kind_column, now_millis};
use passerelle_model::ObjectKind;
use passerelle_model::error::Result;

#[derive(Debug, Clone)]
pub struct CatalogRow {
    pub id: i64,
    pub peer_id: PeerId,
    pub kind: ObjectKind,
    pub object_uri: String,
    pub name: String,
    pub summary: String,
    pub purpose: Option<String>,
    pub document: String,
    pub object_updated: String,
    pub received_at: i64,
    pub updated_at: i64,
}

/// A received object to store.
#[derive(Debug, Clone)]
pub struct CatalogEntry<'a> {
    pub peer_id: PeerId,
    pub kind: ObjectKind,
    pub object_uri: &'a str,
    pub name: &'a str,
    pub summary: &'a str,
    pub purpose: Option<&'a str>,
    pub document: &'a str,
    pub object_updated: &'a str,
}

/// Filters of a catalog listing.
#[derive(Debug, Clone, Default)]
pub struct CatalogFilter {
    pub peer_id: Option<PeerId>,
    /// Milliseconds since the epoch.
    pub updated_since: Option<i64>,
    pub purpose: Option<String>,
    /// Text searched in the name and summary, case-insensitively.
    pub text: Option<String>,
}

const COLUMNS: &str = "id, peer_id, kind, object_uri, name, summary, purpose, document, object_updated, \
                       received_at, updated_at";

fn catalog_row(row: &AnyRow) -> Result<CatalogRow> {
    Ok(CatalogRow {
        id: row.try_get("id")?,
        peer_id: row.try_get("peer_id")?,
        kind: kind_column(row)?,
        object_uri: row.try_get("object_uri")?,
        name: row.try_get("name")?,
        summary: row.try_get("summary")?,
        purpose: row.try_get("purpose")?,
        document: row.try_get("document")?,
        object_updated: row.try_get("object_updated")?,
        received_at: row.try_get("received_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    pub async fn catalog_entry(&self, object_uri: &str) -> Result<Option<CatalogRow>> {
        catalog_entry(self.pool(), object_uri).await
    }

    /// How many catalog entries of each kind we hold.
    pub async fn count_catalog_by_kind(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT kind, COUNT(*) AS n FROM catalog GROUP BY kind")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("kind")?, row.try_get("n")?)))
            .collect()
    }

    /// How many catalog entries of each kind we hold from each peer.
    pub async fn count_catalog_by_peer(&self) -> Result<Vec<(PeerId, String, i64)>> {
        let rows = sqlx::query(
            "SELECT peer_id, kind, COUNT(*) AS n FROM catalog GROUP BY peer_id, kind ORDER BY peer_id, kind",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("peer_id")?,
                    row.try_get("kind")?,
                    row.try_get("n")?,
                ))
            })
            .collect()
    }

    /// Catalog entries of a kind after row id `after`, oldest first.
    pub async fn list_catalog(
        &self,
        kind: ObjectKind,
        filter: &CatalogFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<CatalogRow>> {
        let text = filter
            .text
            .as_deref()
            .map(|t| format!("%{}%", t.to_lowercase()));
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM catalog WHERE kind = $1 AND id > $2 \
             AND ($3 = 0 OR peer_id = $3) AND updated_at >= $4 \
             AND ($5 = '' OR purpose = $5) \
             AND ($6 = '' OR LOWER(name) LIKE $6 OR LOWER(summary) LIKE $6) \
             ORDER BY id LIMIT $7"
        ))
        .bind(kind.as_str())
        .bind(after)
        .bind(filter.peer_id.map_or(0, |peer| peer.0))
        .bind(filter.updated_since.unwrap_or(0))
        .bind(filter.purpose.as_deref().unwrap_or(""))
        .bind(text.unwrap_or_default())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(catalog_row).collect()
    }
}

async fn catalog_entry<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    object_uri: &str,
) -> Result<Option<CatalogRow>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM catalog WHERE object_uri = $1"
    ))
    .bind(object_uri)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(catalog_row).transpose()
}

impl ChangeTx {
    /// What the catalog holds under `object_uri`, as this change sees it.
    pub async fn catalog_entry(&mut self, object_uri: &str) -> Result<Option<CatalogRow>> {
        catalog_entry(self.connection(), object_uri).await
    }

    /// Inserts or replaces a received object (whether it was held, the
    /// caller read already: one statement less in the inbox's writer).
    pub async fn upsert_catalog(&mut self, entry: &CatalogEntry<'_>) -> Result<()> {
        let now = now_millis();
        sqlx::query(
            "INSERT INTO catalog (peer_id, kind, object_uri, name, summary, purpose, document, object_updated, \
             received_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             ON CONFLICT (object_uri) DO UPDATE SET name = $4, summary = $5, purpose = $6, document = $7, \
             object_updated = $8, updated_at = $9",
        )
        .bind(entry.peer_id)
        .bind(entry.kind.as_str())
        .bind(entry.object_uri)
        .bind(entry.name)
        .bind(entry.summary)
        .bind(entry.purpose)
        .bind(entry.document)
        .bind(entry.object_updated)
        .bind(now)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    pub async fn delete_catalog(&mut self, object_uri: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM catalog WHERE object_uri = $1")
            .bind(object_uri)
            .execute(self.connection())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A peer's objects go when the relationship ends.
    /// The objects held from a peer: (object URI, kind).
    pub async fn peer_catalog_objects(&mut self, peer_id: PeerId) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT object_uri, kind FROM catalog WHERE peer_id = $1 ORDER BY id")
                .bind(peer_id)
                .fetch_all(self.connection())
                .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("object_uri")?, row.try_get("kind")?)))
            .collect()
    }

    pub async fn delete_peer_catalog(&mut self, peer_id: PeerId) -> Result<u64> {
        let done = sqlx::query("DELETE FROM catalog WHERE peer_id = $1")
            .bind(peer_id)
            .execute(self.connection())
            .await?;
        Ok(done.rows_affected())
    }
}

impl ChangeTx {
    /// A peer moved from the origin `from` to `to` (both `scheme://host/`):
    /// its catalog entries, and the receipts still owed to it, take ids
    /// under `to`. Returns each entry's new id and the version held.
    pub async fn move_catalog(
        &mut self,
        peer_id: PeerId,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, String)>> {
        sqlx::query(
            "UPDATE owed_receipts SET \
             object_uri = CAST($3 AS TEXT) || substr(object_uri, length(CAST($2 AS TEXT)) + 1) \
             WHERE peer_id = $1 AND substr(object_uri, 1, length(CAST($2 AS TEXT))) = CAST($2 AS TEXT)",
        )
        .bind(peer_id)
        .bind(from)
        .bind(to)
        .execute(self.connection())
        .await?;
        let rows = sqlx::query(
            "UPDATE catalog SET \
             object_uri = CAST($3 AS TEXT) || substr(object_uri, length(CAST($2 AS TEXT)) + 1), \
             document = replace(document, CAST($2 AS TEXT), CAST($3 AS TEXT)) \
             WHERE peer_id = $1 AND substr(object_uri, 1, length(CAST($2 AS TEXT))) = CAST($2 AS TEXT) \
             RETURNING object_uri, object_updated",
        )
        .bind(peer_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.connection())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("object_uri")?, row.try_get("object_updated")?)))
            .collect()
    }
}
