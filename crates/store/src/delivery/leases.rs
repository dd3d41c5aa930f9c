//! Leases on streams: with several replicas on one database, only the
//! holder of a stream's lease sends on it.

use crate::delivery::streams::{STREAM_COLUMNS, StreamRow, stream_row};
use crate::{Store, now_millis};
use passerelle_model::PeerId;
use passerelle_model::error::Result;

impl Store {
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
        // Furthest behind first, along `delivery_streams_by_cursor`: the
        // caught-up streams sort last and are not scanned on each claim.
        // Only free leases (expired, released, or held by a process not
        // alive since `alive_since`: it was killed): a stream a live
        // process is driving is never claimed twice.
        let lock = match self.kind() {
            passerelle_config::DatabaseKind::Postgres => "FOR UPDATE SKIP LOCKED",
            passerelle_config::DatabaseKind::Sqlite => "",
        };
        let rows = sqlx::query(&format!(
            "UPDATE delivery_streams SET lease_owner = $1, lease_until = $2 WHERE peer_id IN ( \
               SELECT s.peer_id FROM delivery_streams s \
               WHERE s.next_attempt_at <= $3 AND s.gone_at IS NULL \
               AND (s.lease_until < $3 OR s.lease_owner NOT IN \
                 (SELECT process FROM live_processes WHERE seen_at >= $5)) \
               AND EXISTS (SELECT 1 FROM activities a WHERE a.id > s.cursor) \
               ORDER BY s.cursor, s.peer_id LIMIT $4 {lock}) \
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
    pub async fn release_delivery_stream(&self, peer_id: PeerId, owner: &str) -> Result<()> {
        sqlx::query(
            "UPDATE delivery_streams SET lease_until = 0 WHERE peer_id = $1 AND lease_owner = $2",
        )
        .bind(peer_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Whether `object` may have reached `peer_id` without the ledger
    /// knowing yet: a pass over its stream holds the lease (what it
    /// delivered reaches the ledger when it checkpoints), or an activity
    /// about the object lies past the stream's cursor (a pass that ended on
    /// a failure delivered it but stopped its cursor below; the next pass
    /// sends it again and records it).
    pub async fn delivery_unrecorded(&self, peer_id: PeerId, object: &str) -> Result<bool> {
        let unrecorded: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM delivery_streams s WHERE s.peer_id = $1 \
             AND (s.lease_until >= $2 OR EXISTS (SELECT 1 FROM activities a \
             JOIN objects o ON o.id = a.object_id WHERE a.id > s.cursor AND o.uri = $3))",
        )
        .bind(peer_id)
        .bind(crate::now_millis())
        .bind(object)
        .fetch_one(self.pool())
        .await?;
        Ok(unrecorded > 0)
    }
}
