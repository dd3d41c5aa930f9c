//! Follow relationships in both directions.

use passerelle_model::PeerId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, Store, now_millis};
use passerelle_model::error::{Error, Result};
use passerelle_model::follow_state::UnknownFollowState;
use passerelle_model::{FollowId, FollowerState, FollowingState, RequestId};

#[derive(Debug, Clone)]
pub struct FollowOutRow {
    pub id: FollowId,
    pub peer_id: PeerId,
    pub follow_uri: String,
    pub state: FollowingState,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct FollowInRow {
    pub id: RequestId,
    pub peer_id: PeerId,
    pub follow_uri: String,
    pub state: FollowerState,
    pub reason: Option<String>,
    pub snapshot: String,
    pub commitments: String,
    pub created_at: i64,
    pub updated_at: i64,
}

fn out_row(row: &AnyRow) -> Result<FollowOutRow> {
    Ok(FollowOutRow {
        id: row.try_get("id")?,
        peer_id: row.try_get("peer_id")?,
        follow_uri: row.try_get("follow_uri")?,
        state: follow_state(row)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn in_row(row: &AnyRow) -> Result<FollowInRow> {
    Ok(FollowInRow {
        id: row.try_get("id")?,
        peer_id: row.try_get("peer_id")?,
        follow_uri: row.try_get("follow_uri")?,
        state: follow_state(row)?,
        reason: row.try_get("reason")?,
        snapshot: row.try_get("snapshot")?,
        commitments: row.try_get("commitments")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn follow_state<S: std::str::FromStr<Err = UnknownFollowState>>(row: &AnyRow) -> Result<S> {
    let name: String = row.try_get("state")?;
    name.parse()
        .map_err(|e: UnknownFollowState| Error::Internal(format!("stored follow: {e}")))
}

const OUT_COLUMNS: &str = "id, peer_id, follow_uri, state, created_at, updated_at";
const IN_COLUMNS: &str =
    "id, peer_id, follow_uri, state, reason, snapshot, commitments, created_at, updated_at";

impl Store {
    pub async fn follow_out_by_peer(&self, peer_id: PeerId) -> Result<Option<FollowOutRow>> {
        let row = sqlx::query(&format!(
            "SELECT {OUT_COLUMNS} FROM follows_out WHERE peer_id = $1"
        ))
        .bind(peer_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(out_row).transpose()
    }

    pub async fn follow_out(&self, id: FollowId) -> Result<Option<FollowOutRow>> {
        let row = sqlx::query(&format!(
            "SELECT {OUT_COLUMNS} FROM follows_out WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(out_row).transpose()
    }

    pub async fn follow_out_by_uri(&self, follow_uri: &str) -> Result<Option<FollowOutRow>> {
        let row = sqlx::query(&format!(
            "SELECT {OUT_COLUMNS} FROM follows_out WHERE follow_uri = $1"
        ))
        .bind(follow_uri)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(out_row).transpose()
    }

    pub async fn follows_out(&self, state: Option<FollowingState>) -> Result<Vec<FollowOutRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {OUT_COLUMNS} FROM follows_out WHERE $1 = '' OR state = $1 ORDER BY id"
        ))
        .bind(state.map_or("", FollowingState::as_str))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(out_row).collect()
    }

    pub async fn follow_in_by_peer(&self, peer_id: PeerId) -> Result<Option<FollowInRow>> {
        let row = sqlx::query(&format!(
            "SELECT {IN_COLUMNS} FROM follows_in WHERE peer_id = $1"
        ))
        .bind(peer_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(in_row).transpose()
    }

    pub async fn follow_in(&self, id: RequestId) -> Result<Option<FollowInRow>> {
        let row = sqlx::query(&format!(
            "SELECT {IN_COLUMNS} FROM follows_in WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(in_row).transpose()
    }

    pub async fn follows_in(&self, state: Option<FollowerState>) -> Result<Vec<FollowInRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {IN_COLUMNS} FROM follows_in WHERE $1 = '' OR state = $1 ORDER BY id"
        ))
        .bind(state.map_or("", FollowerState::as_str))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(in_row).collect()
    }
}

/// Which side of the relationships a collection lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Approved followers of this node.
    Followers,
    /// Peers this node follows, accepted.
    Following,
}

impl Direction {
    fn table_and_state(self) -> (&'static str, &'static str) {
        match self {
            Direction::Followers => ("follows_in", FollowerState::Approved.as_str()),
            Direction::Following => ("follows_out", FollowingState::Active.as_str()),
        }
    }
}

impl Store {
    pub async fn count_relationships(&self, direction: Direction) -> Result<i64> {
        let (table, state) = direction.table_and_state();
        let count: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE state = $1"))
                .bind(state)
                .fetch_one(self.pool())
                .await?;
        Ok(count)
    }

    /// The actor URIs of this node's approved followers on `domain`
    /// (host and port): a partial followers collection (FEP-8fcf).
    pub async fn approved_followers_on(&self, domain: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT p.actor_uri FROM follows_in f JOIN peers p ON p.id = f.peer_id \
             WHERE f.state = $1 AND p.domain = $2 ORDER BY f.id",
        )
        .bind(FollowerState::Approved.as_str())
        .bind(domain)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get("actor_uri")?))
            .collect()
    }

    /// Actor URIs with a relationship row id below `before`, newest first.
    pub async fn relationships_before(
        &self,
        direction: Direction,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        let (table, state) = direction.table_and_state();
        let rows = sqlx::query(&format!(
            "SELECT f.id, p.actor_uri FROM {table} f JOIN peers p ON p.id = f.peer_id \
             WHERE f.state = $1 AND f.id < $2 ORDER BY f.id DESC LIMIT $3"
        ))
        .bind(state)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, row.try_get("actor_uri")?)))
            .collect()
    }
}

async fn set_follow_in_state<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: RequestId,
    state: FollowerState,
    reason: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE follows_in SET state = $1, reason = $2, updated_at = $3 WHERE id = $4")
        .bind(state.as_str())
        .bind(reason)
        .bind(now_millis())
        .bind(id)
        .execute(executor)
        .await?;
    Ok(())
}

impl ChangeTx {
    /// Decides a follow request inside the transaction that records the
    /// answer and its audit entry: all three or none.
    pub async fn set_follow_in_state(
        &mut self,
        id: RequestId,
        state: FollowerState,
        reason: Option<&str>,
    ) -> Result<()> {
        set_follow_in_state(self.connection(), id, state, reason).await
    }
}

impl ChangeTx {
    /// Records (or renews) our follow of a peer, pending.
    pub async fn upsert_follow_out(
        &mut self,
        peer_id: PeerId,
        follow_uri: &str,
    ) -> Result<FollowOutRow> {
        let now = now_millis();
        let row = sqlx::query(&format!(
            "INSERT INTO follows_out (peer_id, follow_uri, state, created_at, updated_at) \
             VALUES ($1, $2, 'pending', $3, $3) ON CONFLICT (peer_id) DO UPDATE \
             SET follow_uri = $2, state = 'pending', updated_at = $3 RETURNING {OUT_COLUMNS}",
        ))
        .bind(peer_id)
        .bind(follow_uri)
        .bind(now)
        .fetch_one(self.connection())
        .await?;
        out_row(&row)
    }

    pub async fn set_follow_out_state(
        &mut self,
        id: FollowId,
        state: FollowingState,
    ) -> Result<()> {
        sqlx::query("UPDATE follows_out SET state = $1, updated_at = $2 WHERE id = $3")
            .bind(state.as_str())
            .bind(now_millis())
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    pub async fn delete_follow_out(&mut self, id: FollowId) -> Result<()> {
        sqlx::query("DELETE FROM follows_out WHERE id = $1")
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    /// Records a peer's follow request (or a renewed one), pending.
    /// Records a peer's follow request (or a renewed one), pending, with
    /// why it waits.
    pub async fn upsert_follow_in(
        &mut self,
        peer_id: PeerId,
        follow_uri: &str,
        snapshot: &str,
        commitments: &str,
        reason: Option<&str>,
    ) -> Result<FollowInRow> {
        let now = now_millis();
        let row = sqlx::query(&format!(
            "INSERT INTO follows_in (peer_id, follow_uri, state, reason, snapshot, commitments, created_at, updated_at) \
             VALUES ($1, $2, 'pending', $3, $4, $5, $6, $6) ON CONFLICT (peer_id) DO UPDATE \
             SET follow_uri = $2, state = 'pending', reason = $3, snapshot = $4, commitments = $5, \
             created_at = $6, updated_at = $6 RETURNING {IN_COLUMNS}",
        ))
        .bind(peer_id)
        .bind(follow_uri)
        .bind(reason)
        .bind(snapshot)
        .bind(commitments)
        .bind(now)
        .fetch_one(self.connection())
        .await?;
        in_row(&row)
    }

    /// Records the id of a follower's latest `Follow` (what an `Accept`
    /// answers), leaving its state as it is.
    pub async fn set_follow_in_uri(&mut self, id: RequestId, follow_uri: &str) -> Result<()> {
        sqlx::query("UPDATE follows_in SET follow_uri = $1, updated_at = $2 WHERE id = $3")
            .bind(follow_uri)
            .bind(now_millis())
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    pub async fn delete_follow_in(&mut self, id: RequestId) -> Result<()> {
        sqlx::query("DELETE FROM follows_in WHERE id = $1")
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(())
    }
}
