//! DFC catalog sources: the last import run of each catalog URL, and the
//! offer each of its catalog items became.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, Store};
use passerelle_model::error::Result;

/// The last run of one source, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfcSourceRow {
    pub catalog_url: String,
    pub last_run_at: i64,
    /// `ok` or `failed`.
    pub last_outcome: String,
    pub created: i64,
    pub updated: i64,
    pub deleted: i64,
    pub unchanged: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

fn source_row(row: &AnyRow) -> Result<DfcSourceRow> {
    Ok(DfcSourceRow {
        catalog_url: row.try_get("catalog_url")?,
        last_run_at: row.try_get("last_run_at")?,
        last_outcome: row.try_get("last_outcome")?,
        created: row.try_get("created")?,
        updated: row.try_get("updated")?,
        deleted: row.try_get("deleted")?,
        unchanged: row.try_get("unchanged")?,
        last_error: row.try_get("last_error")?,
        last_error_at: row.try_get("last_error_at")?,
    })
}

impl Store {
    /// How many offers the items of `catalog_url` are tracked as (what
    /// forgetting the source deletes).
    pub async fn dfc_tracked_offers(&self, catalog_url: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM dfc_items WHERE catalog_url = $1 AND local_id IS NOT NULL",
        )
        .bind(catalog_url)
        .fetch_one(self.pool())
        .await?)
    }

    /// Every source that ran at least once, by URL.
    pub async fn dfc_sources(&self) -> Result<Vec<DfcSourceRow>> {
        let rows = sqlx::query(
            "SELECT catalog_url, last_run_at, last_outcome, created, updated, deleted, \
             unchanged, last_error, last_error_at FROM dfc_sources ORDER BY catalog_url",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(source_row).collect()
    }

    /// Records a run that changed what `row` says.
    pub async fn record_dfc_success(&self, row: &DfcSourceRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO dfc_sources (catalog_url, last_run_at, last_outcome, created, updated, \
             deleted, unchanged) VALUES ($1, $2, 'ok', $3, $4, $5, $6) \
             ON CONFLICT (catalog_url) DO UPDATE SET last_run_at = excluded.last_run_at, \
             last_outcome = 'ok', created = excluded.created, updated = excluded.updated, \
             deleted = excluded.deleted, unchanged = excluded.unchanged",
        )
        .bind(&row.catalog_url)
        .bind(row.last_run_at)
        .bind(row.created)
        .bind(row.updated)
        .bind(row.deleted)
        .bind(row.unchanged)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a run that failed and changed nothing.
    pub async fn record_dfc_failure(&self, catalog_url: &str, at: i64, error: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO dfc_sources (catalog_url, last_run_at, last_outcome, created, updated, \
             deleted, unchanged, last_error, last_error_at) \
             VALUES ($1, $2, 'failed', 0, 0, 0, 0, $3, $2) \
             ON CONFLICT (catalog_url) DO UPDATE SET last_run_at = excluded.last_run_at, \
             last_outcome = 'failed', created = 0, updated = 0, deleted = 0, unchanged = 0, \
             last_error = excluded.last_error, last_error_at = excluded.last_error_at",
        )
        .bind(catalog_url)
        .bind(at)
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// One catalog item of a source: the offer it is now (none once deleted)
/// and how many offers it became before this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfcItemRow {
    pub item_id: String,
    pub local_id: Option<String>,
    pub generation: i64,
}

impl ChangeTx {
    /// Every catalog item a source ever had, with its offer's local id
    /// while it is tracked.
    pub async fn dfc_items(&mut self, catalog_url: &str) -> Result<Vec<DfcItemRow>> {
        let rows = sqlx::query(
            "SELECT item_id, local_id, generation FROM dfc_items WHERE catalog_url = $1 \
             ORDER BY item_id",
        )
        .bind(catalog_url)
        .fetch_all(self.connection())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DfcItemRow {
                    item_id: row.try_get("item_id")?,
                    local_id: row.try_get("local_id")?,
                    generation: row.try_get("generation")?,
                })
            })
            .collect()
    }

    /// Records that a catalog item is now the offer `local_id`, its
    /// `generation`th.
    pub async fn track_dfc_item(
        &mut self,
        catalog_url: &str,
        item_id: &str,
        local_id: &str,
        generation: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO dfc_items (catalog_url, item_id, local_id, generation) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (catalog_url, item_id) \
             DO UPDATE SET local_id = excluded.local_id, generation = excluded.generation",
        )
        .bind(catalog_url)
        .bind(item_id)
        .bind(local_id)
        .bind(generation)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// Records that a catalog item's offer is gone; its generation stays.
    pub async fn untrack_dfc_item(&mut self, catalog_url: &str, item_id: &str) -> Result<()> {
        sqlx::query("UPDATE dfc_items SET local_id = NULL WHERE catalog_url = $1 AND item_id = $2")
            .bind(catalog_url)
            .bind(item_id)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    /// Forgets a source: its items and its last run.
    pub async fn forget_dfc_source(&mut self, catalog_url: &str) -> Result<()> {
        for sql in [
            "DELETE FROM dfc_items WHERE catalog_url = $1",
            "DELETE FROM dfc_sources WHERE catalog_url = $1",
        ] {
            sqlx::query(sql)
                .bind(catalog_url)
                .execute(self.connection())
                .await?;
        }
        Ok(())
    }
}
