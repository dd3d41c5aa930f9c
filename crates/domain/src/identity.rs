//! The node's identity: an RSA-2048 key pair signs HTTP requests
//! (draft-cavage, as the fediverse expects) and an Ed25519 key pair signs
//! object integrity proofs (FEP-8b32). Both are generated on first start and
//! kept in the database so that peers' cached keys stay valid; a rotation
//! replaces one of them, and retired Ed25519 keys stay published so that
//! what they signed still verifies.

use crate::audit::{self, Event};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::keys::{FIRST_ED25519_FRAGMENT, NodeKeys, RetiredEd25519Key};
use crate::store::{NewEd25519Key, Store};

/// Loads the node's keys, generating and storing them on first start.
pub async fn load_or_create(store: &Store) -> Result<NodeKeys> {
    if store.node_keys().await?.is_none() {
        // Another process starting on the same database may store its
        // keys first: whichever row is kept is the one loaded below.
        store
            .insert_node_keys_if_absent(&generated().await?.to_stored())
            .await?;
    }
    stored_keys(store).await
}

/// `keys` with the fragment its Ed25519 key is published under and the
/// keys it replaced.
async fn with_proof_key_history(store: &Store, mut keys: NodeKeys) -> Result<NodeKeys> {
    for row in store.ed25519_keys().await? {
        match row.retired_at {
            None => keys.ed25519_fragment = row.fragment,
            Some(retired_at) => keys.retired_ed25519.push(RetiredEd25519Key {
                fragment: row.fragment,
                public_key_multibase: row.public_key_multibase,
                retired_at,
            }),
        }
    }
    Ok(keys)
}

pub async fn stored_keys(store: &Store) -> Result<NodeKeys> {
    match store.node_keys().await? {
        Some(stored) => with_proof_key_history(store, NodeKeys::from_stored(&stored)?).await,
        None => Err(Error::NotFound(
            "this database has no node keys yet: start the node once".into(),
        )),
    }
}

async fn generated() -> Result<NodeKeys> {
    tokio::task::spawn_blocking(NodeKeys::generate)
        .await
        .map_err(|e| Error::Internal(format!("key generation task: {e}")))?
}

/// Replaces the node's RSA key pair. Peers learn the new key from the
/// actor `Update` that `outgoing::announce_actor` sends, or when a
/// signature fails to verify with the key they hold and they refetch.
pub async fn rotate_rsa_key(store: &Store, decided_by: &str) -> Result<()> {
    stored_keys(store).await?;
    let fresh = generated().await?;
    let mut tx = store.begin_change().await?;
    tx.replace_rsa_keys(&fresh.rsa_private_pem, &fresh.rsa_public_pem)
        .await?;
    audit::record(
        &mut tx,
        Event::KeysRotated,
        None,
        decided_by,
        "new RSA key for HTTP signatures (#main-key)",
    )
    .await?;
    tx.commit().await
}

/// Replaces the node's Ed25519 proof key; returns the fragment of the new
/// key's verification method. The new key signs every proof from now on
/// under a verification method of its own, and the old one stays on the
/// actor marked `revoked` at this time: a verifier accepts its proofs
/// created before then, and none after, so a key that leaked cannot sign
/// new objects. Peers meet the new method in the actor `Update`, or in
/// the first proof that names it (they refetch the actor).
pub async fn rotate_ed25519_key(store: &Store, decided_by: &str) -> Result<String> {
    let current = stored_keys(store).await?;
    let fresh = generated().await?;
    // Fragments are never reused: a fragment names one key for good.
    let fragment = format!(
        "{FIRST_ED25519_FRAGMENT}-{}",
        current.retired_ed25519.len() + 2
    );
    let mut tx = store.begin_change().await?;
    tx.rotate_ed25519_key(
        &current.ed25519_fragment,
        &current.ed25519_multibase(),
        &NewEd25519Key {
            fragment: &fragment,
            public_key_multibase: &fresh.ed25519_multibase(),
            secret: fresh.ed25519.as_bytes(),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        Event::KeysRotated,
        None,
        decided_by,
        &format!(
            "new Ed25519 proof key #{fragment}; #{} revoked from now on",
            current.ed25519_fragment
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(fragment)
}

/// Which of the node's keys a rotation replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The RSA key of HTTP signatures (`#main-key`).
    Rsa,
    /// The Ed25519 key of integrity proofs and RFC 9421 signatures.
    Ed25519,
}

/// Rotates a key of the running node (the console's button): the new key
/// signs this process's next request and proof at once, and every peer is
/// sent the actor `Update`; returns how many. Refused while other
/// replicas serve from the database: they would keep signing with the key
/// they loaded (the command line's `keys rotate`, every replica stopped).
pub async fn rotate_live(ctx: &Context, kind: KeyKind, decided_by: &str) -> Result<usize> {
    let alive = crate::liveness::heartbeat(ctx).await?;
    if alive > 1 {
        return Err(Error::Conflict(format!(
            "{} other replica(s) serve from this database and would keep the old key: \
             stop them all and run `passerelle keys rotate`",
            alive - 1
        )));
    }
    match kind {
        KeyKind::Rsa => rotate_rsa_key(&ctx.store, decided_by).await?,
        KeyKind::Ed25519 => drop(rotate_ed25519_key(&ctx.store, decided_by).await?),
    }
    ctx.replace_keys(stored_keys(&ctx.store).await?);
    crate::outgoing::announce_actor(ctx).await
}
