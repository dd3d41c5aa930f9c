//! Periodic tasks shared by replicas on one database: each task is due at
//! a time, and the replica whose claim moves that time forward runs it, so
//! it runs once across replicas.

use crate::Store;
use passerelle_model::error::Result;

impl Store {
    /// Claims `task` for `process` when it is due at `now`, making it due
    /// again at `next`: of replicas asking at once, exactly one gets true
    /// (one writer on SQLite; on PostgreSQL the second update waits for the
    /// first's row lock, then finds the task no longer due).
    pub async fn claim_periodic_run(
        &self,
        task: &str,
        process: &str,
        now: i64,
        next: i64,
    ) -> Result<bool> {
        sqlx::query(
            "INSERT INTO periodic_runs (task, due_at) VALUES ($1, 0) ON CONFLICT (task) DO NOTHING",
        )
        .bind(task)
        .execute(self.pool())
        .await?;
        let claimed = sqlx::query(
            "UPDATE periodic_runs SET due_at = $1, ran_by = $2, ran_at = $3 \
             WHERE task = $4 AND due_at <= $3",
        )
        .bind(next)
        .bind(process)
        .bind(now)
        .bind(task)
        .execute(self.pool())
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Makes `task` due now (something it acts on changed): the next
    /// replica to ask runs it.
    pub async fn make_periodic_due(&self, task: &str) -> Result<()> {
        sqlx::query("UPDATE periodic_runs SET due_at = 0 WHERE task = $1")
            .bind(task)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
