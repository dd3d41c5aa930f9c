//! Deliveries and failures per peer and hour, what the dashboard's
//! sparklines draw: added to when a pass ends, pruned after two days.

use passerelle_model::PeerId;
use passerelle_model::error::Result;
use sqlx::Row;

use crate::Store;

/// One hour of deliveries to one peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourRow {
    pub peer_id: PeerId,
    /// The hour's start, in ms since the epoch.
    pub hour: i64,
    pub delivered: i64,
    pub failed: i64,
}

/// An hour's length in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

impl Store {
    /// Adds a pass's deliveries and failures to the peer's hour `at` falls
    /// in. Nothing is written for a pass that sent nothing.
    pub async fn count_delivery_hour(
        &self,
        peer_id: PeerId,
        at: i64,
        delivered: i64,
        failed: i64,
    ) -> Result<()> {
        if delivered == 0 && failed == 0 {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO delivery_hours (peer_id, hour, delivered, failed) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (peer_id, hour) DO UPDATE SET \
             delivered = delivery_hours.delivered + excluded.delivered, \
             failed = delivery_hours.failed + excluded.failed",
        )
        .bind(peer_id)
        .bind(at - at.rem_euclid(HOUR_MS))
        .bind(delivered)
        .bind(failed)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every peer's hours from `since` on, oldest first.
    pub async fn delivery_hours(&self, since: i64) -> Result<Vec<HourRow>> {
        let rows = sqlx::query(
            "SELECT peer_id, hour, delivered, failed FROM delivery_hours \
             WHERE hour >= $1 ORDER BY hour",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(HourRow {
                    peer_id: row.try_get("peer_id")?,
                    hour: row.try_get("hour")?,
                    delivered: row.try_get("delivered")?,
                    failed: row.try_get("failed")?,
                })
            })
            .collect()
    }

    /// Forgets the hours before `before`; how many were forgotten.
    pub async fn prune_delivery_hours(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM delivery_hours WHERE hour < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
