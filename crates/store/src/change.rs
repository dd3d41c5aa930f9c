//! The change transaction: one decision or one publication, with everything
//! it causes (the state it changes, the activities it sends, its audit
//! entry, the webhook events it raises), commits whole or not at all. Each
//! aggregate's file adds the statements it takes part with.

use sqlx::{Any, Transaction};

use crate::Store;
use passerelle_config::DatabaseKind;
use passerelle_model::error::Result;

/// Arbitrary key of the advisory lock that serialises changes on
/// PostgreSQL, so activity ids become visible in increasing order (a
/// delivery cursor never skips a late-committing lower id).
const CHANGE_LOCK: i64 = 0x7061_7373_6572_656c;

/// One change: everything in it commits together or not at all.
pub struct ChangeTx {
    tx: Transaction<'static, Any>,
    /// The webhook endpoints, read once per transaction: a batch of
    /// changes raising events asks for them once per part.
    pub(crate) webhooks: Option<Vec<crate::WebhookRow>>,
}

impl Store {
    pub async fn begin_change(&self) -> Result<ChangeTx> {
        let tx = match self.kind() {
            // IMMEDIATE takes the write lock now: no deadlock between two
            // transactions that both read, then both try to write.
            DatabaseKind::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await?,
            DatabaseKind::Postgres => {
                let mut tx = self.pool().begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(CHANGE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(ChangeTx { tx, webhooks: None })
    }
}

impl ChangeTx {
    /// The transaction's connection, for each aggregate's statements.
    pub(crate) fn connection(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Marks where one part of a batched change starts, so that a part
    /// that fails is undone alone (`undo_part`) and the others commit.
    /// A part that succeeds is not released: the next part's savepoint of
    /// the same name hides it (both engines roll back to the newest), and
    /// the commit ends them all, which saves a round trip per part.
    pub async fn begin_part(&mut self) -> Result<()> {
        sqlx::query("SAVEPOINT part").execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Undoes what the part since `begin_part` wrote; on PostgreSQL this
    /// also lifts the abort a failed statement left on the transaction.
    pub async fn undo_part(&mut self) -> Result<()> {
        sqlx::query("ROLLBACK TO SAVEPOINT part")
            .execute(&mut *self.tx)
            .await?;
        // What the part read may have been undone with it.
        self.webhooks = None;
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
