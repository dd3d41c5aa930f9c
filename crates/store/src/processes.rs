//! Serving processes that share the database, and whether they are alive.

use crate::{Store, now_millis};
use passerelle_model::error::Result;

impl Store {
    /// Records that `process` is alive, forgets processes not heard from
    /// for `alive_ms`, and tells how many are alive (this one included).
    pub async fn process_alive(&self, process: &str, alive_ms: i64) -> Result<i64> {
        let now = now_millis();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO live_processes (process, seen_at) VALUES ($1, $2) \
             ON CONFLICT (process) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(process)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM live_processes WHERE seen_at < $1")
            .bind(now - alive_ms)
            .execute(&mut *tx)
            .await?;
        let alive: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM live_processes")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(alive)
    }

    /// A process stopping cleanly is forgotten at once.
    pub async fn process_leaving(&self, process: &str) -> Result<()> {
        sqlx::query("DELETE FROM live_processes WHERE process = $1")
            .bind(process)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
