//! Network membership: the member directory of each charter hosted here
//! (`network_members`), the mirror of each followed network's directory
//! (`network_mirror`) and the admin's local overrides (`network_overrides`).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, PeerRow, Store, now_millis};
use passerelle_model::error::{Error, Result};
use passerelle_model::{MembershipId, OverrideDecision, OverrideId, PeerId};

/// One admission to a hosted charter's directory; `removed_at` once the
/// member left.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: MembershipId,
    pub charter: String,
    pub peer_id: PeerId,
    pub actor_uri: String,
    /// When it was admitted (ms).
    pub since: i64,
    /// The charter version URI its verified commitment named.
    pub version: String,
    pub admitted_by: String,
    pub removed_at: Option<i64>,
    pub removed_reason: Option<String>,
    pub removed_by: Option<String>,
}

/// One member of a followed network's directory, as last mirrored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorRow {
    /// The network's charter URI.
    pub network: String,
    pub actor_uri: String,
    pub since: i64,
    pub version: String,
    /// Listed by the directory as last fetched.
    pub listed: bool,
    /// When this node saw the network remove it.
    pub removed_at: Option<i64>,
    /// When this node applied the removal (excluded it).
    pub applied_at: Option<i64>,
}

/// A member of a directory as fetched.
#[derive(Debug, Clone)]
pub struct MirroredMember<'a> {
    pub actor_uri: &'a str,
    pub since: i64,
    pub version: &'a str,
}

/// A node admin's decision about one network member, against the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideRow {
    pub id: OverrideId,
    pub actor_uri: String,
    pub decision: OverrideDecision,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: i64,
}

const MEMBER_COLUMNS: &str = "id, charter, peer_id, actor_uri, since, version, admitted_by, \
                              removed_at, removed_reason, removed_by";

fn member_row(row: &AnyRow) -> Result<MemberRow> {
    Ok(MemberRow {
        id: MembershipId(row.try_get("id")?),
        charter: row.try_get("charter")?,
        peer_id: PeerId(row.try_get("peer_id")?),
        actor_uri: row.try_get("actor_uri")?,
        since: row.try_get("since")?,
        version: row.try_get("version")?,
        admitted_by: row.try_get("admitted_by")?,
        removed_at: row.try_get("removed_at")?,
        removed_reason: row.try_get("removed_reason")?,
        removed_by: row.try_get("removed_by")?,
    })
}

fn mirror_row(row: &AnyRow) -> Result<MirrorRow> {
    let listed: i64 = row.try_get("listed")?;
    Ok(MirrorRow {
        network: row.try_get("network")?,
        actor_uri: row.try_get("actor_uri")?,
        since: row.try_get("since")?,
        version: row.try_get("version")?,
        listed: listed != 0,
        removed_at: row.try_get("removed_at")?,
        applied_at: row.try_get("applied_at")?,
    })
}

fn override_row(row: &AnyRow) -> Result<OverrideRow> {
    let decision: String = row.try_get("decision")?;
    Ok(OverrideRow {
        id: OverrideId(row.try_get("id")?),
        actor_uri: row.try_get("actor_uri")?,
        decision: decision
            .parse()
            .map_err(|e| Error::Internal(format!("stored override: {e}")))?,
        reason: row.try_get("reason")?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get("decided_at")?,
    })
}

impl Store {
    /// Every admission to `charter`'s directory, current members and
    /// those that left, oldest first.
    pub async fn network_members(&self, charter: &str) -> Result<Vec<MemberRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM network_members WHERE charter = $1 ORDER BY id"
        ))
        .bind(charter)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(member_row).collect()
    }

    /// The mirrored directories, by network then member.
    pub async fn network_mirror(&self) -> Result<Vec<MirrorRow>> {
        let rows = sqlx::query(
            "SELECT network, actor_uri, since, version, listed, removed_at, applied_at \
             FROM network_mirror ORDER BY network, actor_uri",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(mirror_row).collect()
    }

    /// Replaces the mirror of `network` with `members`: those listed are
    /// (again) present, those no longer listed are marked removed once.
    pub async fn mirror_network(
        &self,
        network: &str,
        members: &[MirroredMember<'_>],
    ) -> Result<()> {
        let now = now_millis();
        let mut tx = self.pool().begin().await?;
        for member in members {
            sqlx::query(
                "INSERT INTO network_mirror (network, actor_uri, since, version, listed, synced_at) \
                 VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (network, actor_uri) DO UPDATE \
                 SET since = $3, version = $4, listed = 1, removed_at = NULL, applied_at = NULL, \
                 synced_at = $5",
            )
            .bind(network)
            .bind(member.actor_uri)
            .bind(member.since)
            .bind(member.version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE network_mirror SET listed = 0, removed_at = $1 \
             WHERE network = $2 AND listed = 1 AND synced_at < $1",
        )
        .bind(now)
        .bind(network)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that the removal of `actor_uri` from `network` was applied.
    pub async fn mirror_removal_applied(&self, network: &str, actor_uri: &str) -> Result<()> {
        sqlx::query(
            "UPDATE network_mirror SET applied_at = $1 \
             WHERE network = $2 AND actor_uri = $3 AND listed = 0",
        )
        .bind(now_millis())
        .bind(network)
        .bind(actor_uri)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The admin's overrides, oldest first.
    pub async fn network_overrides(&self) -> Result<Vec<OverrideRow>> {
        let rows = sqlx::query(
            "SELECT id, actor_uri, decision, reason, decided_by, decided_at \
             FROM network_overrides ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(override_row).collect()
    }

    pub async fn network_override(&self, id: OverrideId) -> Result<Option<OverrideRow>> {
        let row = sqlx::query(
            "SELECT id, actor_uri, decision, reason, decided_by, decided_at \
             FROM network_overrides WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(override_row).transpose()
    }
}

impl ChangeTx {
    /// The current membership of `peer_id` in `charter`'s directory.
    pub async fn current_member(
        &mut self,
        charter: &str,
        peer_id: PeerId,
    ) -> Result<Option<MemberRow>> {
        let row = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM network_members \
             WHERE charter = $1 AND peer_id = $2 AND removed_at IS NULL"
        ))
        .bind(charter)
        .bind(peer_id)
        .fetch_optional(self.connection())
        .await?;
        row.as_ref().map(member_row).transpose()
    }

    /// Adds `member` to `charter`'s directory from `since`.
    pub async fn insert_member(
        &mut self,
        charter: &str,
        member: &PeerRow,
        version: &str,
        since: i64,
        admitted_by: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO network_members (charter, peer_id, actor_uri, since, version, admitted_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(charter)
        .bind(member.id)
        .bind(&member.actor_uri)
        .bind(since)
        .bind(version)
        .bind(admitted_by)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// Marks the current membership `id` as ended.
    pub async fn remove_member(
        &mut self,
        id: MembershipId,
        reason: &str,
        removed_by: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE network_members SET removed_at = $1, removed_reason = $2, removed_by = $3 \
             WHERE id = $4 AND removed_at IS NULL",
        )
        .bind(now_millis())
        .bind(reason)
        .bind(removed_by)
        .bind(id)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// The peers currently in `charter`'s directory.
    pub async fn member_peers(&mut self, charter: &str) -> Result<Vec<PeerRow>> {
        let columns = crate::peers::COLUMNS
            .split(", ")
            .map(|c| format!("p.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM network_members m JOIN peers p ON p.id = m.peer_id \
             WHERE m.charter = $1 AND m.removed_at IS NULL ORDER BY m.id"
        ))
        .bind(charter)
        .fetch_all(self.connection())
        .await?;
        rows.iter().map(crate::peers::peer_row).collect()
    }

    /// Sets the override of `actor_uri` (one per member), replacing any.
    pub async fn set_network_override(
        &mut self,
        actor_uri: &str,
        decision: OverrideDecision,
        reason: &str,
        decided_by: &str,
    ) -> Result<OverrideId> {
        let id = sqlx::query_scalar(
            "INSERT INTO network_overrides (actor_uri, decision, reason, decided_by, decided_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (actor_uri) DO UPDATE \
             SET decision = $2, reason = $3, decided_by = $4, decided_at = $5 RETURNING id",
        )
        .bind(actor_uri)
        .bind(decision.as_str())
        .bind(reason)
        .bind(decided_by)
        .bind(now_millis())
        .fetch_one(self.connection())
        .await?;
        Ok(OverrideId(id))
    }

    /// Deletes an override; false if there was none.
    pub async fn delete_network_override(&mut self, id: OverrideId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM network_overrides WHERE id = $1")
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
