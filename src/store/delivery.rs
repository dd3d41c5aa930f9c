//! Delivery streams: each peer's position in the activity log.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::Result;
use crate::store::{Store, now_millis};

#[derive(Debug, Clone)]
pub struct StreamRow {
    pub peer_id: i64,
    pub cursor: i64,
    pub failures: i64,
    pub next_attempt_at: i64,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    /// Activities the peer refused for good, and the last of them.
    pub skipped: i64,
    pub last_skipped: Option<String>,
    /// When the peer's inbox answered 404 or 410: not delivered to since.
    pub gone_at: Option<i64>,
}

/// An activity as the delivery worker needs it.
#[derive(Debug, Clone)]
pub struct OutgoingActivity {
    pub id: i64,
    pub published_at: i64,
    pub kind: String,
    pub object_id: Option<i64>,
    pub uri: String,
    pub target_peer_id: Option<i64>,
    pub public: bool,
    pub audience: String,
    pub document: String,
    /// Its object was deleted since: not sent.
    pub withdrawn: bool,
}

fn stream_row(row: &AnyRow) -> Result<StreamRow> {
    Ok(StreamRow {
        peer_id: row.try_get("peer_id")?,
        cursor: row.try_get("cursor")?,
        failures: row.try_get("failures")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_success_at: row.try_get("last_success_at")?,
        last_error: row.try_get("last_error")?,
        skipped: row.try_get("skipped")?,
        last_skipped: row.try_get("last_skipped")?,
        gone_at: row.try_get("gone_at")?,
    })
}

const STREAM_COLUMNS: &str = "peer_id, cursor, failures, next_attempt_at, last_success_at, \
     last_error, skipped, last_skipped, gone_at";

impl Store {
    /// Starts a peer's stream at the end of the log (what came before is
    /// for backfill, not delivery); an existing stream is kept.
    pub async fn ensure_delivery_stream(&self, peer_id: i64) -> Result<()> {
        // `WHERE TRUE` resolves SQLite's INSERT … SELECT … ON CONFLICT ambiguity.
        sqlx::query(
            "INSERT INTO delivery_streams (peer_id, cursor, failures, next_attempt_at) \
             SELECT $1, COALESCE(MAX(id), 0), 0, 0 FROM activities WHERE TRUE \
             ON CONFLICT (peer_id) DO NOTHING",
        )
        .bind(peer_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Peers the node has a delivery stream with.
    pub async fn delivery_peer_ids(&self) -> Result<Vec<i64>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT peer_id FROM delivery_streams ORDER BY peer_id")
                .fetch_all(self.pool())
                .await?;
        Ok(ids)
    }

    pub async fn delivery_stream(&self, peer_id: i64) -> Result<Option<StreamRow>> {
        let row = sqlx::query(&format!(
            "SELECT {STREAM_COLUMNS} FROM delivery_streams WHERE peer_id = $1"
        ))
        .bind(peer_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(stream_row).transpose()
    }

    /// Claims the streams that have work due and no live lease, for
    /// `lease_ms`: only the lease holder drives a stream, so no activity is
    /// sent concurrently by two replicas; a dead replica's leases expire.
    pub async fn claim_delivery_streams(
        &self,
        owner: &str,
        lease_ms: i64,
        limit: i64,
        alive_since: i64,
    ) -> Result<Vec<StreamRow>> {
        let now = now_millis();
        // SKIP LOCKED: replicas claiming at the same time take different rows.
        // Only free leases (expired, released, or held by a process not
        // alive since `alive_since`: it was killed): a stream a live
        // process is driving is never claimed twice.
        let lock = match self.kind() {
            crate::config::DatabaseKind::Postgres => "FOR UPDATE SKIP LOCKED",
            crate::config::DatabaseKind::Sqlite => "",
        };
        let rows = sqlx::query(&format!(
            "UPDATE delivery_streams SET lease_owner = $1, lease_until = $2 WHERE peer_id IN ( \
               SELECT s.peer_id FROM delivery_streams s \
               WHERE s.next_attempt_at <= $3 AND s.gone_at IS NULL \
               AND (s.lease_until < $3 OR s.lease_owner NOT IN \
                 (SELECT process FROM live_processes WHERE seen_at >= $5)) \
               AND EXISTS (SELECT 1 FROM activities a WHERE a.id > s.cursor) \
               ORDER BY s.peer_id LIMIT $4 {lock}) \
             RETURNING {STREAM_COLUMNS}"
        ))
        .bind(owner)
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .bind(alive_since)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stream_row).collect()
    }

    /// Streams being driven or with work due: what the replicas share.
    pub async fn busy_delivery_streams(&self) -> Result<i64> {
        let now = now_millis();
        let busy: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM delivery_streams s WHERE s.gone_at IS NULL AND \
             (s.lease_until >= $1 OR (s.next_attempt_at <= $1 \
              AND EXISTS (SELECT 1 FROM activities a WHERE a.id > s.cursor)))",
        )
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        Ok(busy)
    }

    /// Gives a stream back before its lease runs out.
    pub async fn release_delivery_stream(&self, peer_id: i64, owner: &str) -> Result<()> {
        sqlx::query(
            "UPDATE delivery_streams SET lease_until = 0 WHERE peer_id = $1 AND lease_owner = $2",
        )
        .bind(peer_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Activities after `cursor`, oldest first.
    pub async fn activities_after(&self, cursor: i64, limit: i64) -> Result<Vec<OutgoingActivity>> {
        let rows = sqlx::query(
            "SELECT id, uri, kind, object_id, target_peer_id, public, audience, document, published_at, withdrawn_at FROM activities \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(cursor)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OutgoingActivity {
                    id: row.try_get("id")?,
                    published_at: row.try_get("published_at")?,
                    kind: row.try_get("kind")?,
                    object_id: row.try_get("object_id")?,
                    uri: row.try_get("uri")?,
                    target_peer_id: row.try_get("target_peer_id")?,
                    public: row.try_get::<i64, _>("public")? != 0,
                    audience: row.try_get("audience")?,
                    document: row.try_get("document")?,
                    withdrawn: row.try_get::<Option<i64>, _>("withdrawn_at")?.is_some(),
                })
            })
            .collect()
    }

    /// The kind of the last activity about an object the peer acknowledged.
    pub async fn receipt_kind(&self, peer_id: i64, object_id: i64) -> Result<Option<String>> {
        let kind = sqlx::query_scalar(
            "SELECT activity_kind FROM object_receipts WHERE peer_id = $1 AND object_id = $2",
        )
        .bind(peer_id)
        .bind(object_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(kind)
    }

    /// The URI of one of our objects.
    pub async fn object_uri(&self, object_id: i64) -> Result<Option<String>> {
        let uri = sqlx::query_scalar("SELECT uri FROM objects WHERE id = $1")
            .bind(object_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(uri)
    }

    /// Marks the peer gone (its inbox answered 404 or 410): its stream is
    /// left alone, cursor unmoved, until the peer is heard from again.
    pub async fn delivery_gone(&self, peer_id: i64, owner: &str, why: &str) -> Result<()> {
        sqlx::query(
            "UPDATE delivery_streams SET gone_at = $1, last_error = $2 \
             WHERE peer_id = $3 AND lease_owner = $4",
        )
        .bind(now_millis())
        .bind(why)
        .bind(peer_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A peer marked gone sent a verified request: it is delivered to again.
    pub async fn delivery_peer_back(&self, peer_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE delivery_streams SET gone_at = NULL, next_attempt_at = 0, failures = 0 \
             WHERE peer_id = $1 AND gone_at IS NOT NULL",
        )
        .bind(peer_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Counts an activity the peer refused for good, with why; its failed
    /// attempts are over (the cursor moves past it at the end of the pass).
    pub async fn delivery_skipped(&self, peer_id: i64, owner: &str, why: &str) -> Result<()> {
        sqlx::query(
            "UPDATE delivery_streams SET skipped = skipped + 1, last_skipped = $1, failures = 0 \
             WHERE peer_id = $2 AND lease_owner = $3",
        )
        .bind(why)
        .bind(peer_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Everything up to `cursor` is delivered (or skipped for good). Only
    /// the lease holder moves the cursor.
    pub async fn advance_delivery_stream(
        &self,
        peer_id: i64,
        owner: &str,
        cursor: i64,
        delivered: bool,
    ) -> Result<()> {
        let success = if delivered { Some(now_millis()) } else { None };
        sqlx::query(
            "UPDATE delivery_streams SET cursor = $1, failures = 0, next_attempt_at = 0, \
             last_success_at = COALESCE($2, last_success_at), last_error = NULL \
             WHERE peer_id = $3 AND lease_owner = $4",
        )
        .bind(cursor)
        .bind(success)
        .bind(peer_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a failed attempt in one statement: the stream moves up to
    /// `progress` (what was delivered before the failure) and counts
    /// `failures` in a row, which the caller computed (one when something
    /// went through in this pass, one more than before otherwise).
    pub async fn delivery_failed(
        &self,
        peer_id: i64,
        owner: &str,
        progress: &StreamProgress,
        error: &str,
        next_attempt_at: i64,
    ) -> Result<()> {
        let success = progress.delivered_any.then(now_millis);
        sqlx::query(
            "UPDATE delivery_streams SET cursor = $1, failures = $2, next_attempt_at = $3, \
             last_error = $4, last_success_at = COALESCE($5, last_success_at) \
             WHERE peer_id = $6 AND lease_owner = $7",
        )
        .bind(progress.cursor)
        .bind(progress.failures)
        .bind(next_attempt_at)
        .bind(error)
        .bind(success)
        .bind(peer_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Activities recorded after the stream's cursor (its backlog).
    pub async fn delivery_backlog(&self, peer_id: i64) -> Result<i64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM activities a, delivery_streams s WHERE s.peer_id = $1 AND a.id > s.cursor",
        )
        .bind(peer_id)
        .fetch_one(self.pool())
        .await?;
        Ok(count)
    }
}

/// One of our objects as a peer received it.
/// Where a stream stands when an attempt fails.
#[derive(Debug, Clone, Copy)]
pub struct StreamProgress {
    /// The last activity handled (delivered or passed over).
    pub cursor: i64,
    /// Something was delivered in this pass.
    pub delivered_any: bool,
    /// Failed attempts in a row, this one included.
    pub failures: i64,
}

#[derive(Debug, Clone)]
pub struct ReceiptRow {
    pub object_uri: String,
    pub object_kind: String,
    pub activity_kind: String,
    pub delivered_at: i64,
}

impl Store {
    /// Records that `peer_id` acknowledged these activities (object id,
    /// activity id, activity type), in one transaction.
    pub async fn record_receipts(
        &self,
        peer_id: i64,
        receipts: &[(i64, i64, String)],
    ) -> Result<()> {
        if receipts.is_empty() {
            return Ok(());
        }
        let now = now_millis();
        let mut tx = self.pool().begin().await?;
        for (object_id, activity_id, kind) in receipts {
            sqlx::query(
                "INSERT INTO object_receipts (object_id, peer_id, activity_id, activity_kind, delivered_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (object_id, peer_id) DO UPDATE \
                 SET activity_id = $3, activity_kind = $4, delivered_at = $5",
            )
            .bind(object_id)
            .bind(peer_id)
            .bind(activity_id)
            .bind(kind)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What `peer_id` received of our objects, most recent first.
    pub async fn receipts(&self, peer_id: i64, offset: i64, limit: i64) -> Result<Vec<ReceiptRow>> {
        let rows = sqlx::query(
            "SELECT o.uri, o.kind, r.activity_kind, r.delivered_at FROM object_receipts r \
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
                    activity_kind: row.try_get("activity_kind")?,
                    delivered_at: row.try_get("delivered_at")?,
                })
            })
            .collect()
    }

    /// Which peers received each object of a kind (object row id, peer id,
    /// when), for showing an object's recipients.
    pub async fn recipients_of_kind(&self, kind: &str) -> Result<Vec<(i64, i64, i64)>> {
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

    /// Every delivery stream.
    pub async fn delivery_streams(&self) -> Result<Vec<StreamRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {STREAM_COLUMNS} FROM delivery_streams ORDER BY peer_id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stream_row).collect()
    }
}

impl Store {
    /// Activities past each stream's cursor, summed, and undelivered
    /// webhook events: the queue depths.
    pub async fn queue_depths(&self) -> Result<(i64, i64)> {
        let deliveries: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM delivery_streams s JOIN activities a ON a.id > s.cursor \
             WHERE s.gone_at IS NULL",
        )
        .fetch_one(self.pool())
        .await?;
        let webhooks: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id \
             WHERE e.delivered_at IS NULL AND w.disabled_at IS NULL",
        )
        .fetch_one(self.pool())
        .await?;
        Ok((deliveries, webhooks))
    }
}
