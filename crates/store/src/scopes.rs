//! Sharing scopes: what each follower may receive of ours, as the admin
//! set it.

use sqlx::Row;

use crate::{ChangeTx, ObjectRow, Store};
use passerelle_model::error::{Error, Result};
use passerelle_model::{ActivityKind, PeerId, SharingScope};

/// A follower's scope as set, and since when it holds (ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRow {
    pub peer_id: PeerId,
    pub scope: SharingScope,
    pub since: i64,
}

fn stored(text: &str) -> Result<SharingScope> {
    serde_json::from_str(text).map_err(|e| Error::Internal(format!("stored sharing scope: {e}")))
}

impl Store {
    /// The scope set for `peer_id`, if one was (otherwise the settings'
    /// default applies).
    pub async fn peer_scope(&self, peer_id: PeerId) -> Result<Option<ScopeRow>> {
        let row = sqlx::query("SELECT scope, since FROM peer_scopes WHERE peer_id = $1")
            .bind(peer_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| {
            Ok(ScopeRow {
                peer_id,
                scope: stored(row.try_get("scope")?)?,
                since: row.try_get("since")?,
            })
        })
        .transpose()
    }

    /// Every scope set, by peer.
    pub async fn peer_scopes(&self) -> Result<Vec<ScopeRow>> {
        let rows = sqlx::query("SELECT peer_id, scope, since FROM peer_scopes ORDER BY peer_id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ScopeRow {
                    peer_id: row.try_get("peer_id")?,
                    scope: stored(row.try_get("scope")?)?,
                    since: row.try_get("since")?,
                })
            })
            .collect()
    }
}

impl ChangeTx {
    /// Our live objects, each with whether `peer_id` holds it (the last
    /// activity about it the peer received is not a `Delete`): what a
    /// change of its scope is judged on.
    pub async fn live_objects_held_by(
        &mut self,
        peer_id: PeerId,
    ) -> Result<Vec<(ObjectRow, bool)>> {
        let columns = crate::objects::COLUMNS
            .split(", ")
            .map(|c| format!("o.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {columns}, r.activity_kind FROM objects o \
             LEFT JOIN object_receipts r ON r.object_id = o.id AND r.peer_id = $1 \
             WHERE o.deleted_at IS NULL ORDER BY o.id"
        ))
        .bind(peer_id)
        .fetch_all(self.connection())
        .await?;
        rows.iter()
            .map(|row| {
                let last: Option<String> = row.try_get("activity_kind")?;
                let held = last
                    .as_deref()
                    .map(crate::delivery::stored_kind)
                    .transpose()?
                    .is_some_and(|kind| kind != ActivityKind::Delete);
                Ok((crate::objects::object_row(row)?, held))
            })
            .collect()
    }

    /// Sets `peer_id`'s scope from `since`, inside the change.
    pub async fn set_peer_scope(
        &mut self,
        peer_id: PeerId,
        scope: &SharingScope,
        since: i64,
    ) -> Result<()> {
        let text = serde_json::to_string(scope)?;
        sqlx::query(
            "INSERT INTO peer_scopes (peer_id, scope, since) VALUES ($1, $2, $3) \
             ON CONFLICT (peer_id) DO UPDATE SET scope = $2, since = $3",
        )
        .bind(peer_id)
        .bind(text)
        .bind(since)
        .execute(self.connection())
        .await?;
        Ok(())
    }
}
