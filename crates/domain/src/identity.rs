//! The node's identity: an RSA-2048 key pair signs HTTP requests
//! (draft-cavage, as the fediverse expects) and an Ed25519 key pair signs
//! object integrity proofs (FEP-8b32). Both are generated on first start and
//! kept in the database so that peers' cached keys stay valid.

use crate::error::{Error, Result};
use crate::model::keys::NodeKeys;
use crate::store::Store;

/// Loads the node's keys, generating and storing them on first start.
pub async fn load_or_create(store: &Store) -> Result<NodeKeys> {
    if let Some(stored) = store.node_keys().await? {
        return NodeKeys::from_stored(&stored);
    }
    let fresh = tokio::task::spawn_blocking(NodeKeys::generate)
        .await
        .map_err(|e| Error::Internal(format!("key generation task: {e}")))??;
    let kept = store.insert_node_keys_if_absent(&fresh.to_stored()).await?;
    NodeKeys::from_stored(&kept)
}

/// Replaces the node's RSA key pair. Peers learn the new key from the
/// actor `Update` that `outgoing::announce_actor` sends, or when a
/// signature fails to verify with the key they hold and they refetch.
pub async fn rotate_rsa_key(store: &Store) -> Result<()> {
    if store.node_keys().await?.is_none() {
        return Err(Error::NotFound(
            "this database has no node keys yet: start the node once".into(),
        ));
    }
    let fresh = tokio::task::spawn_blocking(NodeKeys::generate)
        .await
        .map_err(|e| Error::Internal(format!("key generation task: {e}")))??;
    store
        .replace_rsa_keys(&fresh.rsa_private_pem, &fresh.rsa_public_pem)
        .await
}
