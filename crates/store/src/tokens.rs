//! API tokens. Only their SHA-256 is stored.

use passerelle_model::TokenId;
use sqlx::Row;

use crate::{Store, now_millis};
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

impl Store {
    /// Stores a new token; a name already used by an active token conflicts.
    pub async fn insert_token(&self, name: &str, scope: &str, token_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (name, scope, token_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(name)
        .bind(scope)
        .bind(token_hash)
        .bind(now_millis())
        .execute(self.pool())
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Conflict(format!("a token named `{name}` already exists"))
            }
            other => other.into(),
        })?;
        Ok(())
    }

    pub async fn list_tokens(&self) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"))
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

    /// The active token with this hash, marking it used.
    pub async fn active_token(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token = token_row(&row)?;
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now_millis())
            .bind(token.id)
            .execute(self.pool())
            .await?;
        Ok(Some(token))
    }
}
