//! The audit log, exclusions and the record of received activity ids.

use sqlx::Row;

use crate::error::Result;
use crate::store::{Store, now_millis};

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub action: String,
    pub peer: Option<String>,
    pub decided_by: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct ExclusionRow {
    pub domain: String,
    pub reason: String,
    pub excluded_by: String,
    pub excluded_at: i64,
}

impl Store {
    pub async fn append_audit(
        &self,
        action: &str,
        peer: Option<&str>,
        decided_by: &str,
        detail: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO audit_log (at, action, peer, decided_by, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(now_millis())
            .bind(action)
            .bind(peer)
            .bind(decided_by)
            .bind(detail)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Audit entries with an id below `before`, newest first.
    pub async fn audit_before(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT id, at, action, peer, decided_by, detail FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditRow {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    action: row.try_get("action")?,
                    peer: row.try_get("peer")?,
                    decided_by: row.try_get("decided_by")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }

    pub async fn exclusion(&self, domain: &str) -> Result<Option<ExclusionRow>> {
        let row = sqlx::query(
            "SELECT domain, reason, excluded_by, excluded_at FROM exclusions WHERE domain = $1",
        )
        .bind(domain)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(ExclusionRow {
                domain: row.try_get("domain")?,
                reason: row.try_get("reason")?,
                excluded_by: row.try_get("excluded_by")?,
                excluded_at: row.try_get("excluded_at")?,
            })
        })
        .transpose()
    }

    pub async fn insert_exclusion(
        &self,
        domain: &str,
        reason: &str,
        excluded_by: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO exclusions (domain, reason, excluded_by, excluded_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (domain) DO UPDATE SET reason = $2, excluded_by = $3, excluded_at = $4",
        )
        .bind(domain)
        .bind(reason)
        .bind(excluded_by)
        .bind(now_millis())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_exclusion(&self, domain: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM exclusions WHERE domain = $1")
            .bind(domain)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records an incoming activity id; false if it was seen before.
    pub async fn mark_activity_seen(&self, activity_uri: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO inbox_seen (activity_uri, received_at) VALUES ($1, $2) ON CONFLICT (activity_uri) DO NOTHING",
        )
        .bind(activity_uri)
        .bind(now_millis())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn forget_activity_seen(&self, activity_uri: &str) -> Result<()> {
        sqlx::query("DELETE FROM inbox_seen WHERE activity_uri = $1")
            .bind(activity_uri)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
