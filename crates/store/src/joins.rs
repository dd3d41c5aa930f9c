//! Requests to join a network (`Join`): on the charter's host, one row per
//! candidate's request; on the candidate, the request it sent.

use passerelle_model::error::{Error, Result};
use passerelle_model::{AmendmentId, JoinId, JoinRole, JoinState, PeerId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, Store, now_millis};

const COLUMNS: &str = "id, role, network, peer_id, peer_actor, join_uri, commitment, answers, \
    state, reason, amendment_id, created_at, decided_at";

#[derive(Debug, Clone)]
pub struct JoinRow {
    pub id: JoinId,
    pub role: JoinRole,
    /// The network: its charter's URI.
    pub network: String,
    /// The other side: the candidate (host) or the host (candidate).
    pub peer_id: PeerId,
    pub peer_actor: String,
    pub join_uri: String,
    /// The candidate's commitment it names.
    pub commitment: Option<String>,
    /// Its answers to the entry question, per principle (JSON).
    pub answers: String,
    pub state: JoinState,
    pub reason: Option<String>,
    /// The inclusion vote opened on it.
    pub amendment_id: Option<AmendmentId>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

/// A request as first stored.
pub struct NewJoin<'a> {
    pub role: JoinRole,
    pub network: &'a str,
    pub peer_id: PeerId,
    pub peer_actor: &'a str,
    pub join_uri: &'a str,
    pub commitment: Option<&'a str>,
    pub answers: &'a str,
}

fn join_row(row: &AnyRow) -> Result<JoinRow> {
    let named = |column: &str| -> Result<String> { Ok(row.try_get::<String, _>(column)?) };
    let parse_error =
        |column: &str, text: &str| Error::Internal(format!("stored join {column} {text:?}"));
    let role = named("role")?;
    let state = named("state")?;
    Ok(JoinRow {
        id: row.try_get("id")?,
        role: role.parse().map_err(|_| parse_error("role", &role))?,
        network: row.try_get("network")?,
        peer_id: row.try_get("peer_id")?,
        peer_actor: row.try_get("peer_actor")?,
        join_uri: row.try_get("join_uri")?,
        commitment: row.try_get("commitment")?,
        answers: row.try_get("answers")?,
        state: state.parse().map_err(|_| parse_error("state", &state))?,
        reason: row.try_get("reason")?,
        amendment_id: row.try_get("amendment_id")?,
        created_at: row.try_get("created_at")?,
        decided_at: row.try_get("decided_at")?,
    })
}

impl Store {
    /// Every request on this side, newest first.
    pub async fn joins(&self, role: JoinRole) -> Result<Vec<JoinRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM network_requests WHERE role = $1 ORDER BY id DESC"
        ))
        .bind(role.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(join_row).collect()
    }

    pub async fn join(&self, id: JoinId) -> Result<Option<JoinRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM network_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(join_row).transpose()
    }

    pub async fn join_by_uri(&self, join_uri: &str) -> Result<Option<JoinRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM network_requests WHERE join_uri = $1"
        ))
        .bind(join_uri)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(join_row).transpose()
    }

    /// The request the inclusion vote `amendment_id` decides, if any.
    pub async fn join_voted_by(&self, amendment_id: AmendmentId) -> Result<Option<JoinRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM network_requests WHERE amendment_id = $1"
        ))
        .bind(amendment_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(join_row).transpose()
    }
}

impl ChangeTx {
    pub async fn insert_join(&mut self, new: &NewJoin<'_>) -> Result<JoinId> {
        let id = sqlx::query_scalar(
            "INSERT INTO network_requests (role, network, peer_id, peer_actor, join_uri, \
             commitment, answers, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(new.role.as_str())
        .bind(new.network)
        .bind(new.peer_id)
        .bind(new.peer_actor)
        .bind(new.join_uri)
        .bind(new.commitment)
        .bind(new.answers)
        .bind(JoinState::Pending.as_str())
        .bind(now_millis())
        .fetch_one(self.connection())
        .await?;
        Ok(id)
    }

    /// The undecided request of `peer_id` to join `network` on this side.
    pub async fn open_join(
        &mut self,
        role: JoinRole,
        network: &str,
        peer_id: PeerId,
    ) -> Result<Option<JoinId>> {
        let id = sqlx::query_scalar(
            "SELECT id FROM network_requests WHERE role = $1 AND network = $2 AND peer_id = $3 \
             AND state IN ($4, $5)",
        )
        .bind(role.as_str())
        .bind(network)
        .bind(peer_id)
        .bind(JoinState::Pending.as_str())
        .bind(JoinState::Voting.as_str())
        .fetch_optional(self.connection())
        .await?;
        Ok(id)
    }

    /// Moves a request from `from` to `next`; false (nothing written) if it
    /// is not in `from` any more: each decision is taken once.
    pub async fn decide_join(
        &mut self,
        id: JoinId,
        from: JoinState,
        next: JoinState,
        reason: Option<&str>,
        amendment_id: Option<AmendmentId>,
    ) -> Result<bool> {
        if !from.may_become(next) {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE network_requests SET state = $1, reason = COALESCE($2, reason), \
             amendment_id = COALESCE($3, amendment_id), decided_at = $4 \
             WHERE id = $5 AND state = $6",
        )
        .bind(next.as_str())
        .bind(reason)
        .bind(amendment_id)
        .bind(now_millis())
        .bind(id)
        .bind(from.as_str())
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
