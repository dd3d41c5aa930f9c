//! Checking an object's integrity proof against its signer's published key.

use ed25519_dalek::VerifyingKey;
use serde_json::Value;
use url::Url;

use crate::fetch::{self, FetchError};
use crate::model::keys::decode_ed25519_multibase;
use crate::model::time::parse_millis;
use crate::proof::{self, ProofError};

#[derive(Debug, thiserror::Error)]
pub enum VerificationError {
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error("verificationMethod `{0}` is not a URL")]
    BadMethod(String),
    #[error("cannot fetch the signer's key: {0}")]
    Fetch(#[from] FetchError),
    #[error("the actor {actor} does not list {method} in its assertionMethod")]
    UnknownKey { actor: Url, method: String },
    #[error("{0} is not one of the signer's keys")]
    NotListed(String),
    #[error("the key {0} is not an Ed25519 Multikey")]
    NotEd25519(String),
    #[error("the key {method} was revoked at {revoked}: it signs nothing from then on")]
    Revoked { method: String, revoked: String },
    #[error("the proof is by {method}, which is not under the object's host {host}")]
    ForeignSigner { method: String, host: String },
}

/// The entry of the actor document's `assertionMethod` whose id is
/// `method`.
fn listed_method<'a>(actor_document: &'a Value, method: &str) -> Option<&'a Value> {
    let is_method = |entry: &&Value| entry.get("id").and_then(Value::as_str) == Some(method);
    match actor_document.get("assertionMethod")? {
        Value::Array(list) => list.iter().find(is_method),
        single => Some(single).filter(is_method),
    }
}

fn multikey(entry: &Value, method: &str) -> Result<VerifyingKey, VerificationError> {
    entry
        .get("publicKeyMultibase")
        .and_then(Value::as_str)
        .filter(|_| entry.get("type").and_then(Value::as_str) == Some("Multikey"))
        .and_then(decode_ed25519_multibase)
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
        .ok_or_else(|| VerificationError::NotEd25519(method.to_owned()))
}

/// Finds `method` among the actor document's `assertionMethod` keys, for
/// a signature made now (an HTTP request): a revoked key is refused.
pub fn assertion_key(
    actor_document: &Value,
    method: &str,
) -> Option<Result<VerifyingKey, VerificationError>> {
    let entry = listed_method(actor_document, method)?;
    if let Some(revoked) = entry.get("revoked") {
        return Some(Err(VerificationError::Revoked {
            method: method.to_owned(),
            revoked: revoked.as_str().unwrap_or_default().to_owned(),
        }));
    }
    Some(multikey(entry, method))
}

/// The key of `method` for a proof `created` at that time: a key revoked
/// (Controlled Identifiers 1.0) at or before `created` is refused, one
/// revoked later still verifies what it signed before. A missing or
/// unreadable time on either side counts as revoked (`created` is
/// optional in Data Integrity: a key that was never revoked needs none).
fn key_for_proof(
    actor_document: &Value,
    method: &str,
    created: Option<&str>,
) -> Option<Result<VerifyingKey, VerificationError>> {
    let entry = listed_method(actor_document, method)?;
    if let Some(revoked) = entry.get("revoked") {
        let revoked_text = revoked.as_str().unwrap_or_default();
        let before_revocation = match (created.and_then(parse_millis), parse_millis(revoked_text)) {
            (Some(created), Some(revoked)) => created < revoked,
            _ => false,
        };
        if !before_revocation {
            return Some(Err(VerificationError::Revoked {
                method: method.to_owned(),
                revoked: revoked_text.to_owned(),
            }));
        }
    }
    Some(multikey(entry, method))
}

/// Verifies `document`'s proof with a key the (already fetched) actor
/// document lists in its `assertionMethod`.
pub fn verify_with_actor(
    actor_document: &Value,
    document: &Value,
) -> Result<(), VerificationError> {
    let method = proof::verification_method(document)?;
    let created = proof::created(document).ok();
    let key = key_for_proof(actor_document, method, created)
        .ok_or_else(|| VerificationError::NotListed(method.to_owned()))??;
    proof::verify(document, &key)?;
    Ok(())
}

/// Verifies `document`'s proof, fetching the signer's actor for its key.
/// Returns the verification method that signed it.
pub async fn verify_document(
    client: &passerelle_outbound::Client,
    document: &Value,
) -> Result<String, VerificationError> {
    let method = proof::verification_method(document)?.to_owned();
    let method_url =
        Url::parse(&method).map_err(|_| VerificationError::BadMethod(method.clone()))?;
    if let Some(object_id) = document
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| Url::parse(id).ok())
    {
        if object_id.host_str() != method_url.host_str() {
            return Err(VerificationError::ForeignSigner {
                method,
                host: object_id.host_str().unwrap_or_default().to_owned(),
            });
        }
    }
    let mut actor_url = method_url.clone();
    actor_url.set_fragment(None);
    let actor = fetch::fetch_document(client, &actor_url).await?;
    let created = proof::created(document).ok();
    let key = key_for_proof(&actor, &method, created).ok_or_else(|| {
        VerificationError::UnknownKey {
            actor: actor_url.clone(),
            method: method.clone(),
        }
    })??;
    proof::verify(document, &key)?;
    Ok(method)
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    use super::*;
    use crate::model::keys::encode_ed25519_multibase;
    use crate::proof::ProofOptions;

    const ACTOR: &str = "https://node.example/actor";

    fn actor_revoking(key: &SigningKey, revoked: &str) -> Value {
        json!({"id": ACTOR, "assertionMethod": [{
            "id": format!("{ACTOR}#ed25519-key"), "type": "Multikey", "controller": ACTOR,
            "publicKeyMultibase": encode_ed25519_multibase(key.verifying_key().as_bytes()),
            "revoked": revoked,
        }]})
    }

    fn signed_at(key: &SigningKey, created: &str) -> Value {
        let document = json!({"id": "https://node.example/offers/1", "name": "x"});
        proof::sign(
            &document,
            key,
            &ProofOptions {
                verification_method: &format!("{ACTOR}#ed25519-key"),
                created,
            },
        )
        .expect("signs")
    }

    #[test]
    fn a_revoked_key_verifies_only_what_it_signed_before() {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let actor = actor_revoking(&key, "2026-06-01T12:00:00.000Z");
        assert!(verify_with_actor(&actor, &signed_at(&key, "2026-06-01T11:59:59Z")).is_ok());
        for created in ["2026-06-01T12:00:00Z", "2026-06-02T00:00:00Z"] {
            assert!(matches!(
                verify_with_actor(&actor, &signed_at(&key, created)),
                Err(VerificationError::Revoked { .. })
            ));
        }
        // Signing HTTP requests now: a revoked key is refused outright.
        assert!(matches!(
            assertion_key(&actor, &format!("{ACTOR}#ed25519-key")),
            Some(Err(VerificationError::Revoked { .. }))
        ));
    }

    #[test]
    fn an_unreadable_revocation_time_counts_as_revoked() {
        let key = SigningKey::from_bytes(&[4u8; 32]);
        let actor = actor_revoking(&key, "soon");
        assert!(matches!(
            verify_with_actor(&actor, &signed_at(&key, "2020-01-01T00:00:00Z")),
            Err(VerificationError::Revoked { .. })
        ));
    }
}
