//! One-time setup links: only the SHA-256 of each link's secret is kept.

use sqlx::Row;

use crate::{ChangeTx, Store, now_millis};
use passerelle_model::error::Result;

/// A setup link as stored.
#[derive(Debug, Clone)]
pub struct SetupLinkRow {
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl Store {
    /// Stores a new link; links that expired or were used are swept.
    pub async fn insert_setup_link(&self, secret_hash: &str, expires_at: i64) -> Result<()> {
        let now = now_millis();
        sqlx::query("DELETE FROM setup_links WHERE expires_at < $1 OR used_at IS NOT NULL")
            .bind(now)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO setup_links (secret_hash, created_at, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(secret_hash)
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The link with this hash, whatever its state.
    pub async fn setup_link(&self, secret_hash: &str) -> Result<Option<SetupLinkRow>> {
        let row = sqlx::query(
            "SELECT created_at, expires_at, used_at FROM setup_links WHERE secret_hash = $1",
        )
        .bind(secret_hash)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(SetupLinkRow {
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
                used_at: row.try_get("used_at")?,
            })
        })
        .transpose()
    }
}

impl ChangeTx {
    /// Spends the link with this hash if it is unused and unexpired (a
    /// conditional update: of two replicas, one wins); then every other
    /// pending link. False when the link could not be spent.
    pub async fn spend_setup_link(&mut self, secret_hash: &str) -> Result<bool> {
        let now = now_millis();
        let spent = sqlx::query(
            "UPDATE setup_links SET used_at = $1 \
             WHERE secret_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(secret_hash)
        .execute(self.connection())
        .await?;
        if spent.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE setup_links SET used_at = $1 WHERE used_at IS NULL")
            .bind(now)
            .execute(self.connection())
            .await?;
        Ok(true)
    }
}
