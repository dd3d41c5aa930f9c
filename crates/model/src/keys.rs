//! The node's key material: an RSA-2048 pair for HTTP signatures and an
//! Ed25519 pair for integrity proofs, and the multibase form (FEP-521a)
//! that publishes Ed25519 keys.

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use ed25519_dalek::SigningKey;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};

use crate::error::{Error, Result};

/// Key material as stored: PEM for RSA, the 32-byte Ed25519 secret seed.
#[derive(Debug, Clone)]
pub struct StoredKeys {
    pub rsa_private_pem: String,
    pub rsa_public_pem: String,
    pub ed25519_secret: Vec<u8>,
}

/// Fragment of the actor's first Ed25519 verification method; each
/// rotation publishes the new key under a fresh one (`ed25519-key-2`, ...).
pub const FIRST_ED25519_FRAGMENT: &str = "ed25519-key";

/// An Ed25519 key that signed proofs before a rotation: only its public
/// half is kept, listed on the actor so that those proofs still verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredEd25519Key {
    pub fragment: String,
    pub public_key_multibase: String,
    /// When it stopped signing (ms): proofs created from then on are not
    /// its.
    pub retired_at: i64,
}

/// Multicodec prefix of an Ed25519 public key (`ed25519-pub`, varint 0xed).
const ED25519_PUB_MULTICODEC: [u8; 2] = [0xed, 0x01];

#[derive(Clone)]
pub struct NodeKeys {
    pub rsa_private: RsaPrivateKey,
    /// The same RSA key, parsed once for AWS-LC, which signs several times
    /// faster than the `rsa` crate (every delivery is signed afresh).
    pub rsa_signer: Arc<RsaKeyPair>,
    pub rsa_private_pem: String,
    pub rsa_public_pem: String,
    pub ed25519: SigningKey,
    /// Fragment of the actor's verification method for `ed25519`.
    pub ed25519_fragment: String,
    /// The keys `ed25519` replaced, oldest first.
    pub retired_ed25519: Vec<RetiredEd25519Key>,
}

impl std::fmt::Debug for NodeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeKeys")
            .field("ed25519_public", &self.ed25519_multibase())
            .finish_non_exhaustive()
    }
}

impl NodeKeys {
    pub fn generate() -> Result<NodeKeys> {
        let keys = |e: &dyn std::fmt::Display| Error::Keys(e.to_string());
        let rsa = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| keys(&e))?;
        let rsa_public_pem = rsa
            .to_public_key()
            .to_public_key_pem(LineEnding::default())
            .map_err(|e| keys(&e))?;
        let rsa_private_pem = rsa
            .to_pkcs8_pem(LineEnding::default())
            .map_err(|e| keys(&e))?
            .to_string();
        let ed25519 = SigningKey::generate(&mut rand::rngs::OsRng);
        Self::from_stored(&StoredKeys {
            rsa_private_pem,
            rsa_public_pem,
            ed25519_secret: ed25519.to_bytes().to_vec(),
        })
    }

    pub fn from_stored(stored: &StoredKeys) -> Result<NodeKeys> {
        let rsa_private = RsaPrivateKey::from_pkcs8_pem(&stored.rsa_private_pem)
            .map_err(|e| Error::Keys(format!("stored RSA key: {e}")))?;
        let seed: [u8; 32] = stored
            .ed25519_secret
            .as_slice()
            .try_into()
            .map_err(|_| Error::Keys("stored Ed25519 secret is not 32 bytes".to_owned()))?;
        let der = rsa_private
            .to_pkcs8_der()
            .map_err(|e| Error::Keys(format!("stored RSA key: {e}")))?;
        let rsa_signer = RsaKeyPair::from_pkcs8(der.as_bytes())
            .map_err(|e| Error::Keys(format!("stored RSA key: {e}")))?;
        Ok(NodeKeys {
            rsa_private,
            rsa_signer: Arc::new(rsa_signer),
            rsa_private_pem: stored.rsa_private_pem.clone(),
            rsa_public_pem: stored.rsa_public_pem.clone(),
            ed25519: SigningKey::from_bytes(&seed),
            ed25519_fragment: FIRST_ED25519_FRAGMENT.to_owned(),
            retired_ed25519: Vec::new(),
        })
    }

    pub fn to_stored(&self) -> StoredKeys {
        StoredKeys {
            rsa_private_pem: self.rsa_private_pem.clone(),
            rsa_public_pem: self.rsa_public_pem.clone(),
            ed25519_secret: self.ed25519.to_bytes().to_vec(),
        }
    }

    /// An RSASSA-PKCS1-v1_5 SHA-256 signature of `message` (deterministic:
    /// the same bytes the `rsa` crate makes, faster).
    pub fn rsa_sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mut signature = vec![0; self.rsa_signer.public_modulus_len()];
        self.rsa_signer
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| Error::Keys("RSA signing failed".to_owned()))?;
        Ok(signature)
    }

    /// The Ed25519 public key as FEP-521a `publicKeyMultibase`:
    /// base58btc (`z`) of the multicodec-prefixed key.
    pub fn ed25519_multibase(&self) -> String {
        encode_ed25519_multibase(self.ed25519.verifying_key().as_bytes())
    }
}

pub fn encode_ed25519_multibase(public_key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB_MULTICODEC);
    bytes.extend_from_slice(public_key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Decodes a `publicKeyMultibase` holding an Ed25519 key; `None` if it is
/// not one.
pub fn decode_ed25519_multibase(text: &str) -> Option<[u8; 32]> {
    let encoded = text.strip_prefix('z')?;
    let bytes = bs58::decode(encoded).into_vec().ok()?;
    let key = bytes.strip_prefix(&ED25519_PUB_MULTICODEC)?;
    key.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_lc_signs_the_same_bytes_as_the_rsa_crate() {
        use rsa::pkcs1v15::SigningKey as RsaSigningKey;
        use rsa::signature::{SignatureEncoding, Signer};
        let keys = NodeKeys::generate().expect("keys");
        let message = b"(request-target): post /inbox\nhost: example.org";
        let reference = RsaSigningKey::<sha2::Sha256>::new(keys.rsa_private.clone())
            .sign(message)
            .to_vec();
        assert_eq!(keys.rsa_sign(message).expect("signs"), reference);
    }

    #[test]
    fn multibase_round_trips() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let text = encode_ed25519_multibase(key.verifying_key().as_bytes());
        // Ed25519 multikeys always start with z6Mk.
        assert!(text.starts_with("z6Mk"), "{text}");
        assert_eq!(
            decode_ed25519_multibase(&text),
            Some(*key.verifying_key().as_bytes())
        );
        assert_eq!(decode_ed25519_multibase("zzzz"), None);
    }

    #[test]
    fn w3c_multikey_example_decodes() {
        // From the W3C Controlled Identifiers spec's Multikey example.
        let text = "z6MkmM42vxfqZQsv4ehtTjFFxQ4sQKS2w6WR7emozFAn5cxu";
        let key = decode_ed25519_multibase(text).expect("valid multikey");
        assert_eq!(encode_ed25519_multibase(&key), text);
    }
}
