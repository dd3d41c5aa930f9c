//! The node's activity log, read newest first for the outbox.

use sqlx::Row;

use crate::Store;
use crate::activity_kind_column;
use passerelle_model::ActivityKind;
use passerelle_model::error::Result;

#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub id: i64,
    pub uri: String,
    pub kind: ActivityKind,
    pub public: bool,
    pub document: String,
    /// Withdrawn when its object was deleted: the document is a tombstone.
    pub withdrawn: bool,
}

fn activity_row(row: &sqlx::any::AnyRow) -> Result<ActivityRow> {
    Ok(ActivityRow {
        id: row.try_get("id")?,
        uri: row.try_get("uri")?,
        kind: activity_kind_column(row, "kind")?,
        public: row.try_get::<i64, _>("public")? != 0,
        document: row.try_get("document")?,
        withdrawn: row.try_get::<Option<i64>, _>("withdrawn_at")?.is_some(),
    })
}

impl Store {
    /// Public activities with an id below `before` (all when `None`),
    /// newest first. Keyed on the immutable id, pages stay stable while new
    /// activities are published.
    pub async fn public_activities_before(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ActivityRow>> {
        let rows = sqlx::query(
            "SELECT id, uri, kind, public, document, withdrawn_at FROM activities \
             WHERE public = 1 AND id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(activity_row).collect()
    }

    pub async fn count_public_activities(&self) -> Result<i64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activities WHERE public = 1")
            .fetch_one(self.pool())
            .await?;
        Ok(count)
    }

    pub async fn activity_by_uri(&self, uri: &str) -> Result<Option<ActivityRow>> {
        let row = sqlx::query(
            "SELECT id, uri, kind, public, document, withdrawn_at FROM activities WHERE uri = $1",
        )
        .bind(uri)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(activity_row).transpose()
    }
}
