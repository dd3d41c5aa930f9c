//! Verifying a signature with the signer's key, and the body with its
//! `Content-Digest` (RFC 9530).

use http::HeaderMap;
use rsa::signature::Verifier;
use sfv::ListEntry;
use sha2::{Digest, Sha256, Sha512};

use super::{MessageSignature, PublicKey, dictionary, refused};
use crate::error::{Error, Result};
use crate::public_keys;

impl MessageSignature {
    /// Verifies the signature over `base` with `key`, by the signature's
    /// `alg` (or the key's kind when it names none).
    pub fn verify(&self, base: &str, key: &PublicKey) -> bool {
        match (key, self.alg.as_deref()) {
            (PublicKey::Rsa(pem), None | Some("rsa-v1_5-sha256")) => public_keys::rsa(pem)
                .is_some_and(|key| key.verifies_pkcs1_sha256(base.as_bytes(), &self.signature)),
            (PublicKey::Rsa(pem), Some("rsa-pss-sha512")) => {
                let Some(key) = public_keys::rsa(pem) else {
                    return false;
                };
                rsa::pss::Signature::try_from(self.signature.as_slice()).is_ok_and(|s| {
                    rsa::pss::VerifyingKey::<Sha512>::new(key.key.clone())
                        .verify(base.as_bytes(), &s)
                        .is_ok()
                })
            }
            (PublicKey::Ed25519(key), None | Some("ed25519")) => {
                ed25519_dalek::Signature::from_slice(&self.signature)
                    .is_ok_and(|s| key.verify_strict(base.as_bytes(), &s).is_ok())
            }
            _ => false,
        }
    }
}

/// Checks `Content-Digest` (RFC 9530) against the body: at least one of
/// `sha-256` and `sha-512`, and every one of them present, must match.
pub fn verify_content_digest(headers: &HeaderMap, body: &[u8]) -> Result<()> {
    let digests = dictionary(headers, "content-digest")?;
    let mut checked = 0;
    for (algorithm, entry) in &digests {
        let expected = match algorithm.as_str() {
            "sha-256" => Sha256::digest(body).to_vec(),
            "sha-512" => Sha512::digest(body).to_vec(),
            _ => continue,
        };
        let given = match entry {
            ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
            ListEntry::InnerList(_) => None,
        };
        if given != Some(expected.as_slice()) {
            return Err(Error::BadRequest(
                "the Content-Digest header does not match the body".into(),
            ));
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(refused(
            "the Content-Digest has no sha-256 or sha-512 value",
        ));
    }
    Ok(())
}
