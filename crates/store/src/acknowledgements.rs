//! Signed receipts (issue 26), both sides: what this node owes an origin a
//! receipt for, and the receipts peers sent us with what they acknowledged
//! on the ledger (`object_receipts`).

use sqlx::Row;

use crate::delivery::stored_kind;
use crate::{ChangeTx, Store, now_millis};
use passerelle_model::error::Result;
use passerelle_model::{ActivityKind, ObjectId, PeerId};

/// An object of an origin's this node now holds (at `version`) or removed
/// (`version` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedReceipt {
    pub object_uri: String,
    pub version: Option<String>,
    noted_at: i64,
}

/// One of our objects on a peer's ledger: the last activity about it the
/// peer got (its kind and, for a `Create`/`Update`, the document sent).
#[derive(Debug, Clone)]
pub struct LedgerEntry {
    pub object_id: ObjectId,
    pub activity_kind: ActivityKind,
    pub activity_document: Option<String>,
    /// A receipt acknowledged what was last delivered (the version, or
    /// the removal of a `Delete`).
    pub acknowledged: bool,
}

impl Store {
    /// The origins this node owes a receipt.
    pub async fn peers_owed_receipts(&self) -> Result<Vec<PeerId>> {
        let ids = sqlx::query_scalar("SELECT DISTINCT peer_id FROM owed_receipts ORDER BY peer_id")
            .fetch_all(self.pool())
            .await?;
        Ok(ids)
    }

    /// Our object `object_uri` as the ledger has it for `peer_id`, if it
    /// was delivered to that peer.
    pub async fn ledger_entry(
        &self,
        peer_id: PeerId,
        object_uri: &str,
    ) -> Result<Option<LedgerEntry>> {
        let row = sqlx::query(
            "SELECT r.object_id, r.activity_kind, a.document, \
             CASE WHEN r.activity_kind = 'Delete' THEN r.removal_acknowledged_at \
             ELSE r.acknowledged_at END AS acknowledged_at FROM object_receipts r \
             JOIN objects o ON o.id = r.object_id \
             LEFT JOIN activities a ON a.id = r.activity_id \
             WHERE r.peer_id = $1 AND o.uri = $2",
        )
        .bind(peer_id)
        .bind(object_uri)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(LedgerEntry {
                object_id: row.try_get("object_id")?,
                activity_kind: stored_kind(row.try_get("activity_kind")?)?,
                activity_document: row.try_get("document")?,
                acknowledged: row.try_get::<Option<i64>, _>("acknowledged_at")?.is_some(),
            })
        })
        .transpose()
    }

    /// The receipts `peer_id` sent us, as received, newest first.
    pub async fn peer_receipts(&self, peer_id: PeerId, limit: i64) -> Result<Vec<String>> {
        let documents = sqlx::query_scalar(
            "SELECT document FROM peer_receipts WHERE peer_id = $1 \
             ORDER BY received_at DESC, uri LIMIT $2",
        )
        .bind(peer_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(documents)
    }

    /// Up to `limit` receipts of `peer_id` kept waiting for deliveries the
    /// ledger did not record yet, oldest first: (id, document).
    pub async fn waiting_receipts(
        &self,
        peer_id: PeerId,
        limit: i64,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT uri, document FROM peer_receipts WHERE peer_id = $1 AND waiting = 1 \
             ORDER BY received_at, uri LIMIT $2",
        )
        .bind(peer_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("uri")?, row.try_get("document")?)))
            .collect()
    }

    /// How many receipts of `peer_id` wait for deliveries to be recorded.
    pub async fn count_waiting_receipts(&self, peer_id: PeerId) -> Result<i64> {
        let count = sqlx::query_scalar(
            "SELECT COUNT(*) FROM peer_receipts WHERE peer_id = $1 AND waiting = 1",
        )
        .bind(peer_id)
        .fetch_one(self.pool())
        .await?;
        Ok(count)
    }

    /// Withdrawals (a `Delete` delivered) before `before` (ms) whose removal
    /// no receipt acknowledged: of one peer, or of all with `None`.
    pub async fn overdue_withdrawals(&self, peer_id: Option<PeerId>, before: i64) -> Result<i64> {
        let overdue = "SELECT COUNT(*) FROM object_receipts WHERE activity_kind = 'Delete' \
             AND removal_acknowledged_at IS NULL AND delivered_at < $1";
        let count = match peer_id {
            Some(peer_id) => {
                sqlx::query_scalar(&format!("{overdue} AND peer_id = $2"))
                    .bind(before)
                    .bind(peer_id)
                    .fetch_one(self.pool())
                    .await?
            }
            None => {
                sqlx::query_scalar(overdue)
                    .bind(before)
                    .fetch_one(self.pool())
                    .await?
            }
        };
        Ok(count)
    }
}

impl ChangeTx {
    /// Notes, with the catalog change, that this node now holds
    /// `object_uri` of `peer_id`'s at `version` (or removed it: `None`).
    pub async fn owe_receipt(
        &mut self,
        peer_id: PeerId,
        object_uri: &str,
        version: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO owed_receipts (peer_id, object_uri, version, noted_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (peer_id, object_uri) DO UPDATE \
             SET version = $3, noted_at = $4",
        )
        .bind(peer_id)
        .bind(object_uri)
        .bind(version)
        .bind(now_millis())
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// Up to `limit` of what is owed to `peer_id`, oldest first.
    pub async fn owed_receipts(&mut self, peer_id: PeerId, limit: i64) -> Result<Vec<OwedReceipt>> {
        let rows = sqlx::query(
            "SELECT object_uri, version, noted_at FROM owed_receipts WHERE peer_id = $1 \
             ORDER BY noted_at, object_uri LIMIT $2",
        )
        .bind(peer_id)
        .bind(limit)
        .fetch_all(self.connection())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OwedReceipt {
                    object_uri: row.try_get("object_uri")?,
                    version: row.try_get("version")?,
                    noted_at: row.try_get("noted_at")?,
                })
            })
            .collect()
    }

    /// Settles what a recorded receipt covers; a note made since (a newer
    /// version) stays owed.
    pub async fn settle_owed(&mut self, peer_id: PeerId, owed: &[OwedReceipt]) -> Result<()> {
        for entry in owed {
            sqlx::query(
                "DELETE FROM owed_receipts WHERE peer_id = $1 AND object_uri = $2 AND noted_at = $3",
            )
            .bind(peer_id)
            .bind(&entry.object_uri)
            .bind(entry.noted_at)
            .execute(self.connection())
            .await?;
        }
        Ok(())
    }

    /// Keeps a verified receipt from `peer_id`; `false` if it was kept before.
    pub async fn keep_peer_receipt(
        &mut self,
        uri: &str,
        peer_id: PeerId,
        document: &str,
        waiting: bool,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO peer_receipts (uri, peer_id, document, received_at, waiting) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (uri) DO NOTHING",
        )
        .bind(uri)
        .bind(peer_id)
        .bind(document)
        .bind(now_millis())
        .bind(i64::from(waiting))
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The receipt `uri` waits for nothing more: every delivery it names
    /// is recorded, and what it acknowledges is applied.
    pub async fn receipt_applied(&mut self, uri: &str) -> Result<()> {
        sqlx::query("UPDATE peer_receipts SET waiting = 0 WHERE uri = $1")
            .bind(uri)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    /// The receipt `receipt_uri` acknowledged what we last delivered of
    /// `object_id` to `peer_id`: holding it (`removal` false) or having
    /// removed it.
    pub async fn acknowledge(
        &mut self,
        peer_id: PeerId,
        object_id: ObjectId,
        removal: bool,
        receipt_uri: &str,
    ) -> Result<()> {
        let column = if removal {
            "removal_acknowledged_at"
        } else {
            "acknowledged_at"
        };
        sqlx::query(&format!(
            "UPDATE object_receipts SET {column} = $1, receipt_uri = $2 \
             WHERE peer_id = $3 AND object_id = $4"
        ))
        .bind(now_millis())
        .bind(receipt_uri)
        .bind(peer_id)
        .bind(object_id)
        .execute(self.connection())
        .await?;
        Ok(())
    }
}
