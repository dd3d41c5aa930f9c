//! API tokens. Only their SHA-256 is stored.

use passerelle_model::TokenId;
use sqlx::Row;

use crate::{ChangeTx, Store, now_millis};
use passerelle_model::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: TokenId,
    pub name: String,
    pub scope: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, name, scope, created_at, last_used_at, revoked_at";

/// A token's last use is written at most this often (a busy platform
/// token authenticates many times a second).
const LAST_USE_PRECISION_MS: i64 = 60_000;

pub(super) fn token_row(row: &sqlx::any::AnyRow) -> Result<TokenRow> {
    Ok(TokenRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scope: row.try_get("scope")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

async fn insert_token<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    name: &str,
    scope: &str,
    token_hash: &str,
) -> Result<TokenId> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (name, scope, token_hash, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(name)
    .bind(scope)
    .bind(token_hash)
    .bind(now_millis())
    .fetch_one(executor)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            Error::Conflict(format!("a token named `{name}` already exists"))
        }
        other => other.into(),
    })
}

impl Store {
    /// Stores a new token; a name already used by an active token conflicts.
    pub async fn insert_token(&self, name: &str, scope: &str, token_hash: &str) -> Result<()> {
        insert_token(self.pool(), name, scope, token_hash).await?;
        Ok(())
    }

    pub async fn list_tokens(&self) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(token_row).collect()
    }

    /// Tokens newest first: at most `limit` with an id below `before`.
    pub async fn tokens_before(&self, before: Option<i64>, limit: i64) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE id < $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(token_row).collect()
    }

    /// Revokes the active token named `name`; false when there is none.
    pub async fn revoke_token(&self, name: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
        )
        .bind(now_millis())
        .bind(name)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The active token with this hash. Its last use is recorded when the
    /// one recorded is older than a minute, so authenticating stays a read.
    pub async fn active_token(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token = token_row(&row)?;
        let now = now_millis();
        if token
            .last_used_at
            .is_none_or(|at| now - at >= LAST_USE_PRECISION_MS)
        {
            let recorded = sqlx::query(
                "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 \
                 AND (last_used_at IS NULL OR last_used_at <= $3)",
            )
            .bind(now)
            .bind(token.id)
            .bind(now - LAST_USE_PRECISION_MS)
            .execute(self.pool())
            .await
            .map_err(Error::from);
            match recorded {
                Ok(_) => {}
                // The last use is bookkeeping: a database too busy to
                // record it now does not refuse the caller, whose request
                // then reads, or writes and is put off on its own.
                Err(e) if e.is_database_unavailable() => {
                    tracing::warn!(error = %e, "a token's last use not recorded");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Some(token))
    }

    /// Whether an active admin token exists.
    pub async fn has_admin_token(&self) -> Result<bool> {
        has_admin_token(self.pool()).await
    }
}

async fn has_admin_token<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
) -> Result<bool> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_tokens WHERE scope = 'admin' AND revoked_at IS NULL",
    )
    .fetch_one(executor)
    .await?;
    Ok(count > 0)
}

impl ChangeTx {
    /// Stores a new token with the change; a name already used by an
    /// active token conflicts.
    pub async fn insert_token(
        &mut self,
        name: &str,
        scope: &str,
        token_hash: &str,
    ) -> Result<TokenId> {
        insert_token(self.connection(), name, scope, token_hash).await
    }

    /// Revokes the active token with this id (`Ok(id)`) or this name
    /// (`Err(name)`): the token revoked, none when there is no such
    /// active token.
    pub async fn revoke_token(
        &mut self,
        which: std::result::Result<TokenId, &str>,
    ) -> Result<Option<TokenRow>> {
        let by_id =
            format!("SELECT {COLUMNS} FROM api_tokens WHERE revoked_at IS NULL AND id = $1");
        let by_name =
            format!("SELECT {COLUMNS} FROM api_tokens WHERE revoked_at IS NULL AND name = $1");
        let query = match which {
            Ok(id) => sqlx::query(&by_id).bind(id),
            Err(name) => sqlx::query(&by_name).bind(name),
        };
        let Some(row) = query.fetch_optional(self.connection()).await? else {
            return Ok(None);
        };
        let mut token = token_row(&row)?;
        let now = now_millis();
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(token.id)
            .execute(self.connection())
            .await?;
        token.revoked_at = Some(now);
        Ok(Some(token))
    }

    /// Whether an active admin token exists, read inside the change.
    pub async fn has_admin_token(&mut self) -> Result<bool> {
        has_admin_token(self.connection()).await
    }
}
