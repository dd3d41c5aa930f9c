//! The node's key pairs, stored once and kept for the node's lifetime.

use crate::{Store, now_millis};
use passerelle_model::error::Result;
use passerelle_model::keys::StoredKeys;

impl Store {
    pub async fn node_keys(&self) -> Result<Option<StoredKeys>> {
        let row: Option<(String, String, Vec<u8>)> = sqlx::query_as(
            "SELECT rsa_private_pem, rsa_public_pem, ed25519_secret FROM node_keys WHERE id = 1",
        )
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(
            |(rsa_private_pem, rsa_public_pem, ed25519_secret)| StoredKeys {
                rsa_private_pem,
                rsa_public_pem,
                ed25519_secret,
            },
        ))
    }

    /// Replaces the RSA key pair (key rotation); the Ed25519 key stays.
    pub async fn replace_rsa_keys(&self, private_pem: &str, public_pem: &str) -> Result<()> {
        sqlx::query("UPDATE node_keys SET rsa_private_pem = $1, rsa_public_pem = $2 WHERE id = 1")
            .bind(private_pem)
            .bind(public_pem)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Stores `keys` unless keys already exist, and returns the keys that
    /// are now stored: when two replicas start together, both end up using
    /// the first one's keys.
    pub async fn insert_node_keys_if_absent(&self, keys: &StoredKeys) -> Result<StoredKeys> {
        sqlx::query(
            "INSERT INTO node_keys (id, rsa_private_pem, rsa_public_pem, ed25519_secret, created_at) \
             VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&keys.rsa_private_pem)
        .bind(&keys.rsa_public_pem)
        .bind(&keys.ed25519_secret)
        .bind(now_millis())
        .execute(self.pool())
        .await?;
        match self.node_keys().await? {
            Some(stored) => Ok(stored),
            None => Err(passerelle_model::error::Error::Internal(
                "node keys vanished right after being stored".to_owned(),
            )),
        }
    }
}
