//! The node's key pairs, stored once and replaced only by a rotation,
//! and the history of its Ed25519 proof keys.

use crate::{ChangeTx, Store, now_millis};
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

    /// The Ed25519 proof keys by verification method, oldest first; empty
    /// while the first key has never been rotated.
    pub async fn ed25519_keys(&self) -> Result<Vec<Ed25519KeyRow>> {
        let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT fragment, public_key_multibase, created_at, retired_at FROM ed25519_keys \
             ORDER BY created_at, fragment",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(fragment, public_key_multibase, created_at, retired_at)| Ed25519KeyRow {
                    fragment,
                    public_key_multibase,
                    created_at,
                    retired_at,
                },
            )
            .collect())
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

/// One of the node's Ed25519 proof keys: the current one has no
/// `retired_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ed25519KeyRow {
    pub fragment: String,
    pub public_key_multibase: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// The key that takes over in an Ed25519 rotation.
#[derive(Debug, Clone)]
pub struct NewEd25519Key<'a> {
    pub fragment: &'a str,
    pub public_key_multibase: &'a str,
    pub secret: &'a [u8],
}

impl ChangeTx {
    /// Replaces the RSA key pair (key rotation); the Ed25519 key stays.
    pub async fn replace_rsa_keys(&mut self, private_pem: &str, public_pem: &str) -> Result<()> {
        sqlx::query("UPDATE node_keys SET rsa_private_pem = $1, rsa_public_pem = $2 WHERE id = 1")
            .bind(private_pem)
            .bind(public_pem)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    /// Retires the signing Ed25519 key (`current`: its fragment and public
    /// key, recorded now if it is the first key, which has no row yet) and
    /// puts `new` in its place. The retired secret is dropped: only its
    /// public half is needed, to verify what it signed.
    pub async fn rotate_ed25519_key(
        &mut self,
        current_fragment: &str,
        current_multibase: &str,
        new: &NewEd25519Key<'_>,
    ) -> Result<()> {
        let now = now_millis();
        let retired =
            sqlx::query("UPDATE ed25519_keys SET retired_at = $1 WHERE retired_at IS NULL")
                .bind(now)
                .execute(self.connection())
                .await?
                .rows_affected();
        if retired == 0 {
            sqlx::query(
                "INSERT INTO ed25519_keys (fragment, public_key_multibase, created_at, retired_at) \
                 SELECT $1, $2, created_at, $3 FROM node_keys WHERE id = 1",
            )
            .bind(current_fragment)
            .bind(current_multibase)
            .bind(now)
            .execute(self.connection())
            .await?;
        }
        sqlx::query(
            "INSERT INTO ed25519_keys (fragment, public_key_multibase, created_at, retired_at) \
             VALUES ($1, $2, $3, NULL)",
        )
        .bind(new.fragment)
        .bind(new.public_key_multibase)
        .bind(now)
        .execute(self.connection())
        .await?;
        sqlx::query("UPDATE node_keys SET ed25519_secret = $1 WHERE id = 1")
            .bind(new.secret)
            .execute(self.connection())
            .await?;
        Ok(())
    }
}
