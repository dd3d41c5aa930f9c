//! The streams themselves: one a peer, its cursor in the activity log,
//! and the activities past it.

use passerelle_model::ObjectId;
use passerelle_model::PeerId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, activity_kind_column, json_column};
use passerelle_model::error::Result;
use passerelle_model::{ActivityKind, Audience, ObjectKind};

#[derive(Debug, Clone)]
pub struct StreamRow {
    pub peer_id: PeerId,
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
    pub kind: ActivityKind,
    pub object_id: Option<ObjectId>,
    pub uri: String,
    pub target_peer_id: Option<PeerId>,
    pub public: bool,
    pub audience: Audience,
    pub document: String,
    /// The kind of the object the activity is about, if any (what a
    /// peer's sharing scope is judged on).
    pub object_kind: Option<ObjectKind>,
    /// Its object was deleted since: not sent.
    pub withdrawn: bool,
}

pub(super) fn stream_row(row: &AnyRow) -> Result<StreamRow> {
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

pub(super) const STREAM_COLUMNS: &str = "peer_id, cursor, failures, next_attempt_at, last_success_at, \
     last_error, skipped, last_skipped, gone_at";

impl crate::ChangeTx {
    /// `Store::ensure_delivery_stream` inside a change: for a change that
    /// sends to peers it may never have sent to (a directory's members).
    pub async fn ensure_delivery_stream(&mut self, peer_id: PeerId) -> Result<()> {
        sqlx::query(
            "INSERT INTO delivery_streams (peer_id, cursor, failures, next_attempt_at) \
             SELECT $1, COALESCE(MAX(id), 0), 0, 0 FROM activities WHERE TRUE \
             ON CONFLICT (peer_id) DO NOTHING",
        )
        .bind(peer_id)
        .execute(self.connection())
        .await?;
        Ok(())
    }
}

impl Store {
    /// Starts a peer's stream at the end of the log (what came before is
    /// for backfill, not delivery); an existing stream is kept.
    pub async fn ensure_delivery_stream(&self, peer_id: PeerId) -> Result<()> {
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
    pub async fn delivery_peer_ids(&self) -> Result<Vec<PeerId>> {
        let ids: Vec<PeerId> =
            sqlx::query_scalar("SELECT peer_id FROM delivery_streams ORDER BY peer_id")
                .fetch_all(self.pool())
                .await?;
        Ok(ids)
    }

    pub async fn delivery_stream(&self, peer_id: PeerId) -> Result<Option<StreamRow>> {
        let row = sqlx::query(&format!(
            "SELECT {STREAM_COLUMNS} FROM delivery_streams WHERE peer_id = $1"
        ))
        .bind(peer_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(stream_row).transpose()
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

    /// Activities after `cursor`, oldest first.
    pub async fn activities_after(&self, cursor: i64, limit: i64) -> Result<Vec<OutgoingActivity>> {
        let rows = sqlx::query(
            "SELECT a.id, a.uri, a.kind, a.object_id, a.target_peer_id, a.public, a.audience, a.document, \
             a.published_at, a.withdrawn_at, o.kind AS object_kind FROM activities a \
             LEFT JOIN objects o ON o.id = a.object_id WHERE a.id > $1 ORDER BY a.id LIMIT $2",
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
                    kind: activity_kind_column(row, "kind")?,
                    object_id: row.try_get("object_id")?,
                    uri: row.try_get("uri")?,
                    target_peer_id: row.try_get("target_peer_id")?,
                    public: row.try_get::<i64, _>("public")? != 0,
                    audience: json_column(row, "audience")?,
                    document: row.try_get("document")?,
                    object_kind: row
                        .try_get::<Option<String>, _>("object_kind")?
                        .as_deref()
                        .and_then(ObjectKind::parse),
                    withdrawn: row.try_get::<Option<i64>, _>("withdrawn_at")?.is_some(),
                })
            })
            .collect()
    }

    /// The URI of one of our objects.
    pub async fn object_uri(&self, object_id: ObjectId) -> Result<Option<String>> {
        let uri = sqlx::query_scalar("SELECT uri FROM objects WHERE id = $1")
            .bind(object_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(uri)
    }

    /// Activities recorded after the stream's cursor (its backlog).
    pub async fn delivery_backlog(&self, peer_id: PeerId) -> Result<i64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM activities a, delivery_streams s WHERE s.peer_id = $1 AND a.id > s.cursor",
        )
        .bind(peer_id)
        .fetch_one(self.pool())
        .await?;
        Ok(count)
    }

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

    /// Peers whose stream has failed since before `dead_before` (only
    /// probed now), and disabled webhooks.
    pub async fn unreachable_counts(&self, dead_before: i64) -> Result<(i64, i64)> {
        let peers: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM delivery_streams \
             WHERE failures > 0 AND COALESCE(last_success_at, 0) < $1",
        )
        .bind(dead_before)
        .fetch_one(self.pool())
        .await?;
        let webhooks: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE disabled_at IS NOT NULL")
                .fetch_one(self.pool())
                .await?;
        Ok((peers, webhooks))
    }
}
