//! The node's activity log, read newest first for the outbox.

use sqlx::Row;

use crate::Store;
use crate::activity_kind_column;
use passerelle_model::error::Result;
use passerelle_model::{ActivityKind, ObjectKind};

#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub id: i64,
    pub uri: String,
    pub kind: ActivityKind,
    pub public: bool,
    pub document: String,
    /// Withdrawn when its object was deleted: the document is a tombstone.
    pub withdrawn: bool,
    /// The kind of the object it is about, if any (what a reader's
    /// sharing scope is judged on).
    pub object_kind: Option<ObjectKind>,
}

/// The columns `activity_row` reads, from `activities a` joined with its
/// object `o`.
const ACTIVITY_COLUMNS: &str = "a.id, a.uri, a.kind, a.public, a.document, a.withdrawn_at, \
     o.kind AS object_kind FROM activities a LEFT JOIN objects o ON o.id = a.object_id";

fn activity_row(row: &sqlx::any::AnyRow) -> Result<ActivityRow> {
    Ok(ActivityRow {
        id: row.try_get("id")?,
        uri: row.try_get("uri")?,
        kind: activity_kind_column(row, "kind")?,
        public: row.try_get::<i64, _>("public")? != 0,
        document: row.try_get("document")?,
        withdrawn: row.try_get::<Option<i64>, _>("withdrawn_at")?.is_some(),
        object_kind: row
            .try_get::<Option<String>, _>("object_kind")?
            .as_deref()
            .and_then(ObjectKind::parse),
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
        let rows = sqlx::query(&format!(
            "SELECT {ACTIVITY_COLUMNS} WHERE a.public = 1 AND a.id < $1 ORDER BY a.id DESC LIMIT $2"
        ))
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
        let row = sqlx::query(&format!("SELECT {ACTIVITY_COLUMNS} WHERE a.uri = $1"))
            .bind(uri)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(activity_row).transpose()
    }
}
