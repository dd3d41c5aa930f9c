//! Receipts: which of our objects each peer holds, and by which activity.

use passerelle_model::ObjectId;
use passerelle_model::PeerId;
use sqlx::Row;

use crate::{Store, now_millis};
use passerelle_model::ActivityKind;
use passerelle_model::error::{Error, Result};

/// What a peer acknowledged: one of our objects, by which activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub object_id: ObjectId,
    pub activity_id: i64,
    pub kind: ActivityKind,
}

/// Records that `peer_id` acknowledged `receipts`, within `tx`.
pub(super) async fn insert_receipts(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    peer_id: PeerId,
    receipts: &[Receipt],
) -> Result<()> {
    let now = now_millis();
    for receipt in receipts {
        sqlx::query(
            "INSERT INTO object_receipts (object_id, peer_id, activity_id, activity_kind, delivered_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (object_id, peer_id) DO UPDATE \
             SET activity_id = $3, activity_kind = $4, delivered_at = $5, \
             acknowledged_at = NULL, removal_acknowledged_at = NULL, receipt_uri = NULL",
        )
        .bind(receipt.object_id)
        .bind(peer_id)
        .bind(receipt.activity_id)
        .bind(receipt.kind.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The kind of a ledger row's last activity, as stored.
pub(crate) fn stored_kind(name: &str) -> Result<ActivityKind> {
    ActivityKind::parse(name)
        .ok_or_else(|| Error::Internal(format!("stored receipt activity type {name:?}")))
}

/// One of our objects as a peer received it.
#[derive(Debug, Clone)]
pub struct ReceiptRow {
    pub object_uri: String,
    pub object_kind: String,
    pub activity_kind: ActivityKind,
    pub delivered_at: i64,
    /// When the peer's receipt confirmed it holds what we last delivered.
    pub acknowledged_at: Option<i64>,
    /// When the peer's receipt confirmed it removed what we withdrew.
    pub removal_acknowledged_at: Option<i64>,
    /// The receipt that did.
    pub receipt_uri: Option<String>,
}

impl Store {
    /// The kind of the last activity about an object the peer acknowledged.
    pub async fn receipt_kind(
        &self,
        peer_id: PeerId,
        object_id: ObjectId,
    ) -> Result<Option<ActivityKind>> {
        let kind: Option<String> = sqlx::query_scalar(
            "SELECT activity_kind FROM object_receipts WHERE peer_id = $1 AND object_id = $2",
        )
        .bind(peer_id)
        .bind(object_id)
        .fetch_optional(self.pool())
        .await?;
        kind.as_deref().map(stored_kind).transpose()
    }

    /// What `peer_id` received of our objects, most recent first.
    pub async fn receipts(
        &self,
        peer_id: PeerId,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ReceiptRow>> {
        let rows = sqlx::query(
            "SELECT o.uri, o.kind, r.activity_kind, r.delivered_at, r.acknowledged_at, \
             r.removal_acknowledged_at, r.receipt_uri FROM object_receipts r \
             JOIN objects o ON o.id = r.object_id WHERE r.peer_id = $1 \
             ORDER BY r.delivered_at DESC, r.activity_id DESC LIMIT $2 OFFSET $3",
        )
        .bind(peer_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReceiptRow {
                    object_uri: row.try_get("uri")?,
                    object_kind: row.try_get("kind")?,
                    activity_kind: stored_kind(row.try_get("activity_kind")?)?,
                    delivered_at: row.try_get("delivered_at")?,
                    acknowledged_at: row.try_get("acknowledged_at")?,
                    removal_acknowledged_at: row.try_get("removal_acknowledged_at")?,
                    receipt_uri: row.try_get("receipt_uri")?,
                })
            })
            .collect()
    }

    /// Which peers received each object of a kind (object row id, peer id,
    /// when), for showing an object's recipients.
    /// Who received the objects whose ids are in `first..=last`: (object,
    /// peer, when), oldest delivery first.
    pub async fn recipients_between(
        &self,
        first: ObjectId,
        last: ObjectId,
    ) -> Result<Vec<(ObjectId, PeerId, i64)>> {
        let rows = sqlx::query(
            "SELECT object_id, peer_id, delivered_at FROM object_receipts \
             WHERE object_id >= $1 AND object_id <= $2 ORDER BY delivered_at",
        )
        .bind(first)
        .bind(last)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("object_id")?,
                    row.try_get("peer_id")?,
                    row.try_get("delivered_at")?,
                ))
            })
            .collect()
    }

    pub async fn recipients_of_kind(&self, kind: &str) -> Result<Vec<(ObjectId, PeerId, i64)>> {
        let rows = sqlx::query(
            "SELECT r.object_id, r.peer_id, r.delivered_at FROM object_receipts r \
             JOIN objects o ON o.id = r.object_id WHERE o.kind = $1 ORDER BY r.delivered_at",
        )
        .bind(kind)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("object_id")?,
                    row.try_get("peer_id")?,
                    row.try_get("delivered_at")?,
                ))
            })
            .collect()
    }
}
