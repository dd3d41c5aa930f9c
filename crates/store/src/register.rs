//! The sharing register's figures: per peer, what the ledger says it
//! holds, withdrew and acknowledged.

use sqlx::Row;

use crate::Store;
use passerelle_model::PeerId;
use passerelle_model::error::Result;

/// One peer's line of the ledger, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SharingCounts {
    pub peer_id: PeerId,
    /// Objects whose last activity delivered to the peer (a 2xx) was not a
    /// `Delete`: what it holds as far as we sent.
    pub delivered: i64,
    /// Of those, the ones whose current version the peer's signed receipt
    /// acknowledged.
    pub acknowledged: i64,
    /// Objects withdrawn from the peer (a `Delete` delivered).
    pub withdrawn: i64,
    /// Of those, the ones whose removal the peer's receipt acknowledged.
    pub removal_acknowledged: i64,
    /// Withdrawn before `overdue_before` and not acknowledged.
    pub overdue: i64,
}

impl Store {
    /// The ledger's counts for every peer that received anything; a
    /// withdrawal delivered before `overdue_before` (ms) and not
    /// acknowledged is overdue.
    pub async fn sharing_counts(&self, overdue_before: i64) -> Result<Vec<SharingCounts>> {
        let rows = sqlx::query(
            "SELECT peer_id, \
             SUM(CASE WHEN activity_kind <> 'Delete' THEN 1 ELSE 0 END) AS delivered, \
             SUM(CASE WHEN activity_kind <> 'Delete' AND acknowledged_at IS NOT NULL \
                 THEN 1 ELSE 0 END) AS acknowledged, \
             SUM(CASE WHEN activity_kind = 'Delete' THEN 1 ELSE 0 END) AS withdrawn, \
             SUM(CASE WHEN activity_kind = 'Delete' AND removal_acknowledged_at IS NOT NULL \
                 THEN 1 ELSE 0 END) AS removal_acknowledged, \
             SUM(CASE WHEN activity_kind = 'Delete' AND removal_acknowledged_at IS NULL \
                 AND delivered_at < $1 THEN 1 ELSE 0 END) AS overdue \
             FROM object_receipts GROUP BY peer_id ORDER BY peer_id",
        )
        .bind(overdue_before)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SharingCounts {
                    peer_id: row.try_get("peer_id")?,
                    delivered: row.try_get("delivered")?,
                    acknowledged: row.try_get("acknowledged")?,
                    withdrawn: row.try_get("withdrawn")?,
                    removal_acknowledged: row.try_get("removal_acknowledged")?,
                    overdue: row.try_get("overdue")?,
                })
            })
            .collect()
    }
}
