//! Web console sessions. Only the SHA-256 of the cookie value is stored.

use passerelle_model::TokenId;
use sqlx::Row;

use crate::tokens::token_row;
use crate::{ChangeTx, Store, TokenRow, now_millis};
use passerelle_model::error::Result;

/// A live session and the admin token it was opened with.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub csrf: String,
    pub expires_at: i64,
    pub token: TokenRow,
}

async fn insert_session(
    connection: &mut sqlx::AnyConnection,
    id_hash: &str,
    token_id: TokenId,
    csrf: &str,
    expires_at: i64,
) -> Result<()> {
    // Expired sessions are swept as new ones open.
    sqlx::query("DELETE FROM console_sessions WHERE expires_at < $1")
        .bind(now_millis())
        .execute(&mut *connection)
        .await?;
    sqlx::query(
        "INSERT INTO console_sessions (id_hash, token_id, csrf, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_hash)
    .bind(token_id)
    .bind(csrf)
    .bind(now_millis())
    .bind(expires_at)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

impl ChangeTx {
    /// Opens a session with the change (the setup link's first session).
    pub async fn insert_session(
        &mut self,
        id_hash: &str,
        token_id: TokenId,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()> {
        insert_session(self.connection(), id_hash, token_id, csrf, expires_at).await
    }
}

impl Store {
    pub async fn insert_session(
        &self,
        id_hash: &str,
        token_id: TokenId,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()> {
        let mut connection = self.pool().acquire().await?;
        insert_session(&mut connection, id_hash, token_id, csrf, expires_at).await
    }

    /// The session with this hash, if it has not expired and its token is
    /// still active.
    pub async fn live_session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT s.csrf, s.expires_at, t.id, t.name, t.scope, t.created_at, t.last_used_at, \
             t.revoked_at FROM console_sessions s JOIN api_tokens t ON t.id = s.token_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL",
        )
        .bind(id_hash)
        .bind(now_millis())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SessionRow {
            csrf: row.try_get("csrf")?,
            expires_at: row.try_get("expires_at")?,
            token: token_row(&row)?,
        }))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
