//! Peers' RSA public keys, parsed once: checking a signature never parses
//! PEM on the hot path. Keyed by the PEM itself, so a rotated key (an actor
//! refetched) is a new entry and the old one is never consulted again; the
//! cache is bounded and starts afresh when full.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use rsa::RsaPublicKey;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use sha2::Sha256;

/// Keys held at most; a node talks to far fewer peers.
const CAPACITY: usize = 4096;

/// A public key ready to verify with.
#[derive(Debug)]
pub struct RsaKey {
    pub key: RsaPublicKey,
    /// PKCS#1 `RSAPublicKey` DER, what AWS-LC verifies with.
    pkcs1_der: Vec<u8>,
}

static PARSED: LazyLock<Mutex<HashMap<String, Arc<RsaKey>>>> = LazyLock::new(Mutex::default);

/// The key a PEM (`SubjectPublicKeyInfo`) holds; `None` if it is no RSA key.
pub fn rsa(pem: &str) -> Option<Arc<RsaKey>> {
    if let Some(key) = PARSED.lock().ok()?.get(pem) {
        return Some(key.clone());
    }
    let key = RsaPublicKey::from_public_key_pem(pem).ok()?;
    let pkcs1_der = key.to_pkcs1_der().ok()?.as_bytes().to_vec();
    let parsed = Arc::new(RsaKey { key, pkcs1_der });
    let mut cache = PARSED.lock().ok()?;
    if cache.len() >= CAPACITY {
        cache.clear();
    }
    cache.insert(pem.to_owned(), parsed.clone());
    Some(parsed)
}

impl RsaKey {
    /// Whether `signature` is this key's RSASSA-PKCS1-v1_5 SHA-256
    /// signature of `message`: AWS-LC for keys of 2048 bits and more, the
    /// `rsa` crate for the smaller keys some old servers still use.
    pub fn verifies_pkcs1_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        if self.key.size() * 8 >= 2048 {
            return UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.pkcs1_der)
                .verify(message, signature)
                .is_ok();
        }
        rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| {
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(self.key.clone())
                .verify(message, &s)
                .is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::model::keys::NodeKeys;

    #[test]
    fn a_signature_verifies_with_the_parsed_key_and_a_tampered_one_does_not() {
        let keys = NodeKeys::generate().expect("keys");
        let signature = keys.rsa_sign(b"signed").expect("signs");
        let key = super::rsa(&keys.rsa_public_pem).expect("an RSA key");
        assert!(key.verifies_pkcs1_sha256(b"signed", &signature));
        assert!(!key.verifies_pkcs1_sha256(b"signed!", &signature));
        let again = super::rsa(&keys.rsa_public_pem).expect("cached");
        assert!(std::sync::Arc::ptr_eq(&key, &again));
        assert!(super::rsa("not a key").is_none());
    }
}
