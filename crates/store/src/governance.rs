//! The audit log, exclusions and the record of received activity ids.

use sqlx::Row;

use crate::{ChangeTx, Store, now_millis};
use passerelle_model::error::Result;

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub action: String,
    pub peer: Option<String>,
    pub decided_by: String,
    pub detail: String,
}

/// Which audit entries to list: each given field narrows the list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// An action name, exactly (`peer.excluded`).
    pub action: Option<String>,
    /// A peer's actor URL, exactly.
    pub peer: Option<String>,
    /// From this time on (ms, inclusive).
    pub since: Option<i64>,
    /// Before this time (ms, exclusive).
    pub until: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct ExclusionRow {
    pub domain: String,
    pub reason: String,
    pub excluded_by: String,
    pub excluded_at: i64,
}

/// Where a received activity id stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This request processes it.
    Claimed,
    /// Processed before: acknowledged, not redone.
    Done,
    /// Another request is processing it right now.
    InProgress,
}

impl Store {
    /// Audit entries with an id below `before`, newest first.
    pub async fn audit_before(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditRow>> {
        self.audit_filtered(before, limit, &AuditFilter::default())
            .await
    }

    /// Audit entries with an id below `before` that match `filter`,
    /// newest first.
    pub async fn audit_filtered(
        &self,
        before: Option<i64>,
        limit: i64,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRow>> {
        // Only the filters given become conditions: both engines then
        // know every parameter's type.
        let mut sql = String::from(
            "SELECT id, at, action, peer, decided_by, detail FROM audit_log WHERE id < $1",
        );
        let mut n = 1;
        let mut condition = |column: &str, op: &str| {
            n += 1;
            sql.push_str(&format!(" AND {column} {op} ${n}"));
        };
        if filter.action.is_some() {
            condition("action", "=");
        }
        if filter.peer.is_some() {
            condition("peer", "=");
        }
        if filter.since.is_some() {
            condition("at", ">=");
        }
        if filter.until.is_some() {
            condition("at", "<");
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", n + 1));
        let mut query = sqlx::query(&sql).bind(before.unwrap_or(i64::MAX));
        if let Some(action) = &filter.action {
            query = query.bind(action);
        }
        if let Some(peer) = &filter.peer {
            query = query.bind(peer);
        }
        if let Some(since) = filter.since {
            query = query.bind(since);
        }
        if let Some(until) = filter.until {
            query = query.bind(until);
        }
        let rows = query.bind(limit).fetch_all(self.pool()).await?;
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

    /// The actions the audit log holds, by name.
    pub async fn audit_actions(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT action FROM audit_log ORDER BY action")
                .fetch_all(self.pool())
                .await?,
        )
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

    /// Claims a received activity for `process`: new, or claimed and never
    /// finished, either before `stale_before` or by a process not alive
    /// since `alive_since` (its processing died with it).
    pub async fn claim_activity(
        &self,
        activity_uri: &str,
        process: &str,
        stale_before: i64,
        alive_since: i64,
    ) -> Result<Claim> {
        let mut connection = self.pool().acquire().await?;
        claim_activity(
            &mut connection,
            activity_uri,
            process,
            stale_before,
            alive_since,
        )
        .await
    }

    /// Marks a claimed activity as processed: replays are acknowledged.
    pub async fn activity_done(&self, activity_uri: &str) -> Result<()> {
        let mut connection = self.pool().acquire().await?;
        activity_done(&mut connection, activity_uri).await
    }

    /// Whether the activity was processed here before: a read, so that a
    /// replay costs no write and no verification.
    pub async fn activity_processed(&self, activity_uri: &str) -> Result<bool> {
        let done: Option<Option<i64>> =
            sqlx::query_scalar("SELECT done_at FROM inbox_seen WHERE activity_uri = $1")
                .bind(activity_uri)
                .fetch_optional(self.pool())
                .await?;
        Ok(matches!(done, Some(Some(_))))
    }

    /// Forgets processed activity ids received before `before` (senders
    /// stop retrying long before); returns how many.
    pub async fn prune_seen_activities(&self, before: i64) -> Result<u64> {
        let pruned =
            sqlx::query("DELETE FROM inbox_seen WHERE done_at IS NOT NULL AND received_at < $1")
                .bind(before)
                .execute(self.pool())
                .await?;
        Ok(pruned.rows_affected())
    }

    pub async fn forget_activity_seen(&self, activity_uri: &str) -> Result<()> {
        sqlx::query("DELETE FROM inbox_seen WHERE activity_uri = $1")
            .bind(activity_uri)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

impl ChangeTx {
    /// [`Store::claim_activity`] inside this change: the claim commits
    /// with what the activity changes, or not at all.
    pub async fn claim_activity(
        &mut self,
        activity_uri: &str,
        process: &str,
        stale_before: i64,
        alive_since: i64,
    ) -> Result<Claim> {
        claim_activity(
            self.connection(),
            activity_uri,
            process,
            stale_before,
            alive_since,
        )
        .await
    }

    /// Records a received activity as processed if its id was never seen:
    /// in a change that writes its processing, the claim and the done mark
    /// commit together, so one statement does for both. False when the id
    /// is known (then `claim_activity` says where it stands).
    pub async fn record_activity_processed(
        &mut self,
        activity_uri: &str,
        process: &str,
    ) -> Result<bool> {
        let now = now_millis();
        let inserted = sqlx::query(
            "INSERT INTO inbox_seen (activity_uri, received_at, done_at, claimed_by) \
             VALUES ($1, $2, $2, $3) ON CONFLICT (activity_uri) DO NOTHING",
        )
        .bind(activity_uri)
        .bind(now)
        .bind(process)
        .execute(self.connection())
        .await?;
        Ok(inserted.rows_affected() > 0)
    }

    /// [`Store::activity_done`] inside this change.
    pub async fn activity_done(&mut self, activity_uri: &str) -> Result<()> {
        activity_done(self.connection(), activity_uri).await
    }
}

async fn claim_activity(
    connection: &mut sqlx::AnyConnection,
    activity_uri: &str,
    process: &str,
    stale_before: i64,
    alive_since: i64,
) -> Result<Claim> {
    let now = now_millis();
    let inserted = sqlx::query(
        "INSERT INTO inbox_seen (activity_uri, received_at, done_at, claimed_by) \
         VALUES ($1, $2, NULL, $3) ON CONFLICT (activity_uri) DO NOTHING",
    )
    .bind(activity_uri)
    .bind(now)
    .bind(process)
    .execute(&mut *connection)
    .await?;
    if inserted.rows_affected() > 0 {
        return Ok(Claim::Claimed);
    }
    let taken_over = sqlx::query(
        "UPDATE inbox_seen SET received_at = $1, claimed_by = $2 \
         WHERE activity_uri = $3 AND done_at IS NULL AND (received_at < $4 \
           OR (received_at < $5 AND (claimed_by IS NULL OR claimed_by NOT IN \
             (SELECT process FROM live_processes WHERE seen_at >= $5))))",
    )
    .bind(now)
    .bind(process)
    .bind(activity_uri)
    .bind(stale_before)
    .bind(alive_since)
    .execute(&mut *connection)
    .await?;
    if taken_over.rows_affected() > 0 {
        return Ok(Claim::Claimed);
    }
    let done: Option<Option<i64>> =
        sqlx::query_scalar("SELECT done_at FROM inbox_seen WHERE activity_uri = $1")
            .bind(activity_uri)
            .fetch_optional(&mut *connection)
            .await?;
    Ok(match done {
        Some(Some(_)) => Claim::Done,
        Some(None) => Claim::InProgress,
        // Forgotten in between (its processing failed): the sender retries.
        None => Claim::InProgress,
    })
}

async fn activity_done(connection: &mut sqlx::AnyConnection, activity_uri: &str) -> Result<()> {
    sqlx::query("UPDATE inbox_seen SET done_at = $1 WHERE activity_uri = $2")
        .bind(now_millis())
        .bind(activity_uri)
        .execute(connection)
        .await?;
    Ok(())
}

async fn append_audit<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    action: &str,
    peer: Option<&str>,
    decided_by: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, action, peer, decided_by, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now_millis())
    .bind(action)
    .bind(peer)
    .bind(decided_by)
    .bind(detail)
    .execute(executor)
    .await?;
    Ok(())
}

impl ChangeTx {
    /// An audit entry committed with the change it records.
    pub async fn append_audit(
        &mut self,
        action: &str,
        peer: Option<&str>,
        decided_by: &str,
        detail: &str,
    ) -> Result<()> {
        append_audit(self.connection(), action, peer, decided_by, detail).await
    }
}

impl ChangeTx {
    pub async fn insert_exclusion(
        &mut self,
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
        .execute(self.connection())
        .await?;
        Ok(())
    }

    pub async fn delete_exclusion(&mut self, domain: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM exclusions WHERE domain = $1")
            .bind(domain)
            .execute(self.connection())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
