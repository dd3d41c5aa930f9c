//! Object integrity proofs (FEP-8b32): W3C Data Integrity proofs with the
//! `eddsa-jcs-2022` cryptosuite. A signed object stays verifiable after it
//! is relayed or cached, independently of the HTTP request that carried it.
//!
//! Signing, per the vc-di-eddsa specification: the proof options (with the
//! document's `@context`) and the document without its proof are each
//! canonicalised with JCS (RFC 8785) and hashed with SHA-256; the Ed25519
//! signature covers `hash(options) ‖ hash(document)`.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
pub const ASSERTION_METHOD: &str = "assertionMethod";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("the document is not a JSON object")]
    NotAnObject,
    #[error("the document has no proof")]
    Missing,
    #[error("the proof is malformed: {0}")]
    Malformed(String),
    #[error("unsupported proof: {0}")]
    Unsupported(String),
    #[error("the proof's @context does not match the document's")]
    ContextMismatch,
    #[error("the signature does not match the document")]
    BadSignature,
}

/// What a proof states besides its signature.
#[derive(Debug, Clone)]
pub struct ProofOptions<'a> {
    pub verification_method: &'a str,
    /// XML Schema dateTime, e.g. `2026-11-24T16:00:00Z`.
    pub created: &'a str,
}

/// Returns `document` with a `proof` member signed by `key`.
pub fn sign(
    document: &Value,
    key: &SigningKey,
    options: &ProofOptions<'_>,
) -> Result<Value, ProofError> {
    let mut unsecured = document.as_object().ok_or(ProofError::NotAnObject)?.clone();
    unsecured.remove("proof");
    let mut proof = Map::new();
    proof.insert("type".into(), json!(PROOF_TYPE));
    proof.insert("cryptosuite".into(), json!(CRYPTOSUITE));
    proof.insert(
        "verificationMethod".into(),
        json!(options.verification_method),
    );
    proof.insert("proofPurpose".into(), json!(ASSERTION_METHOD));
    proof.insert("created".into(), json!(options.created));

    // The proof carries the document's context, as the spec's test vectors
    // and FEP-8b32's examples do; it is part of what is signed.
    if let Some(context) = unsecured.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let hash = hash_data(&proof, &unsecured)?;
    let signature = key.sign(&hash);
    proof.insert(
        "proofValue".into(),
        json!(format!(
            "z{}",
            bs58::encode(signature.to_bytes()).into_string()
        )),
    );
    unsecured.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(unsecured))
}

/// The `verificationMethod` a document's proof names, to look the key up.
pub fn verification_method(document: &Value) -> Result<&str, ProofError> {
    let proof = single_proof(document)?;
    proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| ProofError::Malformed("no verificationMethod".into()))
}

/// When a document's proof says it was made (`created`, signed with the
/// rest): what a verifier compares with a key's `revoked`.
pub fn created(document: &Value) -> Result<&str, ProofError> {
    let proof = single_proof(document)?;
    proof
        .get("created")
        .and_then(Value::as_str)
        .ok_or_else(|| ProofError::Malformed("no created".into()))
}

fn single_proof(document: &Value) -> Result<&Map<String, Value>, ProofError> {
    let object = document.as_object().ok_or(ProofError::NotAnObject)?;
    match object.get("proof") {
        None => Err(ProofError::Missing),
        Some(Value::Object(proof)) => Ok(proof),
        Some(Value::Array(_)) => Err(ProofError::Unsupported("proof sets".into())),
        Some(_) => Err(ProofError::Malformed("proof is not an object".into())),
    }
}

/// Checks a document's proof against `key`.
pub fn verify(document: &Value, key: &VerifyingKey) -> Result<(), ProofError> {
    let proof = single_proof(document)?;
    let field = |name: &str| proof.get(name).and_then(Value::as_str);
    if field("type") != Some(PROOF_TYPE) {
        return Err(ProofError::Unsupported(format!(
            "type {:?}",
            proof.get("type").unwrap_or(&Value::Null)
        )));
    }
    if field("cryptosuite") != Some(CRYPTOSUITE) {
        return Err(ProofError::Unsupported(format!(
            "cryptosuite {:?}",
            proof.get("cryptosuite").unwrap_or(&Value::Null)
        )));
    }
    if field("proofPurpose") != Some(ASSERTION_METHOD) {
        return Err(ProofError::Unsupported(
            "proofPurpose other than assertionMethod".into(),
        ));
    }
    let proof_value =
        field("proofValue").ok_or_else(|| ProofError::Malformed("no proofValue".into()))?;
    let signature_bytes = proof_value
        .strip_prefix('z')
        .and_then(|encoded| bs58::decode(encoded).into_vec().ok())
        .ok_or_else(|| ProofError::Malformed("proofValue is not base58btc multibase".into()))?;
    let signature = Signature::from_slice(&signature_bytes)
        .map_err(|_| ProofError::Malformed("proofValue is not a 64-byte signature".into()))?;

    let mut unsecured = document.as_object().ok_or(ProofError::NotAnObject)?.clone();
    unsecured.remove("proof");
    let mut config = proof.clone();
    config.remove("proofValue");
    match (config.get("@context"), unsecured.get("@context")) {
        (Some(proof_context), Some(document_context))
            if !context_starts_with(document_context, proof_context) =>
        {
            return Err(ProofError::ContextMismatch);
        }
        (None, Some(document_context)) => {
            config.insert("@context".into(), document_context.clone());
        }
        _ => {}
    }
    let hash = hash_data(&config, &unsecured)?;
    key.verify(&hash, &signature)
        .map_err(|_| ProofError::BadSignature)
}

fn context_starts_with(document: &Value, prefix: &Value) -> bool {
    let as_list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let (document, prefix) = (as_list(document), as_list(prefix));
    document.len() >= prefix.len() && document[..prefix.len()] == prefix[..]
}

/// SHA-256(JCS(proof config)) ‖ SHA-256(JCS(document)).
fn hash_data(
    config: &Map<String, Value>,
    document: &Map<String, Value>,
) -> Result<Vec<u8>, ProofError> {
    let canonical_config = canonical(config)?;
    let canonical_document = canonical(document)?;
    let mut hash = Sha256::digest(canonical_config.as_bytes()).to_vec();
    hash.extend_from_slice(&Sha256::digest(canonical_document.as_bytes()));
    Ok(hash)
}

/// JCS (RFC 8785) serialisation.
pub fn canonical(value: &impl serde::Serialize) -> Result<String, ProofError> {
    serde_json_canonicalizer::to_string(value).map_err(|e| ProofError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Multicodec prefix of an Ed25519 secret key (`ed25519-priv`, 0x1300).
    const ED25519_PRIV_MULTICODEC: [u8; 2] = [0x80, 0x26];

    /// The key pair of the W3C vc-di-eddsa test vectors
    /// (TestVectors/keyPair.json), also used by FEP-8b32's.
    fn vector_key() -> SigningKey {
        let bytes = bs58::decode("3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
            .into_vec()
            .unwrap();
        let seed: [u8; 32] = bytes
            .strip_prefix(&ED25519_PRIV_MULTICODEC)
            .unwrap()
            .try_into()
            .unwrap();
        let key = SigningKey::from_bytes(&seed);
        assert_eq!(
            crate::model::keys::encode_ed25519_multibase(key.verifying_key().as_bytes()),
            "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        );
        key
    }

    /// vc-di-eddsa, TestVectors/eddsa-jcs-2022/signedJCS.json.
    fn w3c_signed() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "type": ["VerifiableCredential", "AlumniCredential"],
            "name": "Alumni Credential",
            "description": "A minimum viable example of an Alumni Credential.",
            "issuer": "https://vc.example/issuers/5678",
            "validFrom": "2023-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-jcs-2022",
                "created": "2023-02-24T23:36:38Z",
                "verificationMethod": "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
                "proofPurpose": "assertionMethod",
                "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                "proofValue": "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
            }
        })
    }

    /// vc-di-eddsa at its current head (2025-05): the same credential with
    /// a did:key verification method, and every intermediate value published.
    fn w3c_current_signed() -> Value {
        let mut signed = w3c_signed();
        signed["proof"]["verificationMethod"] = json!(
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        );
        signed["proof"]["proofValue"] = json!(
            "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
        );
        signed
    }

    #[test]
    fn w3c_current_vector_hashes_signs_and_verifies() {
        // TestVectors/eddsa-jcs-2022/combinedHashJCS.txt
        let expected = w3c_current_signed();
        let mut config = expected["proof"].as_object().unwrap().clone();
        config.remove("proofValue");
        let hash = hash_data(&config, without_proof(&expected).as_object().unwrap()).unwrap();
        assert_eq!(
            hex::encode(hash),
            "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
        );
        assert_eq!(resign(&expected), expected);
        verify(&expected, &vector_key().verifying_key()).unwrap();
    }

    /// FEP-8b32, fep-8b32.feature, scenario "Signing document".
    fn fep_signed() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
            "id": "https://server.example/activities/1",
            "type": "Create",
            "actor": "https://server.example/users/alice",
            "object": {
                "id": "https://server.example/objects/1",
                "type": "Note",
                "attributedTo": "https://server.example/users/alice",
                "content": "Hello world",
                "location": {"type": "Place", "longitude": -71.184902, "latitude": 25.273962}
            },
            "proof": {
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-jcs-2022",
                "verificationMethod": "https://server.example/users/alice#ed25519-key",
                "proofPurpose": "assertionMethod",
                "proofValue": "z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdL",
                "created": "2023-02-24T23:36:38Z"
            }
        })
    }

    fn without_proof(document: &Value) -> Value {
        let mut document = document.clone();
        document.as_object_mut().unwrap().remove("proof");
        document
    }

    fn resign(expected: &Value) -> Value {
        let proof = &expected["proof"];
        sign(
            &without_proof(expected),
            &vector_key(),
            &ProofOptions {
                verification_method: proof["verificationMethod"].as_str().unwrap(),
                created: proof["created"].as_str().unwrap(),
            },
        )
        .unwrap()
    }

    #[test]
    fn w3c_vector_document_hash() {
        // vc-di-eddsa, TestVectors/eddsa-jcs-2022/docHashJCS.txt: the hash of
        // the canonical document (the second half of the signed data).
        let signed = w3c_signed();
        let mut config = signed["proof"].as_object().unwrap().clone();
        config.remove("proofValue");
        let document = without_proof(&signed);
        let hash = hash_data(&config, document.as_object().unwrap()).unwrap();
        assert_eq!(
            hex::encode(&hash[32..]),
            "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
        );
    }

    #[test]
    fn w3c_vector_signs_and_verifies() {
        let expected = w3c_signed();
        assert_eq!(resign(&expected), expected);
        verify(&expected, &vector_key().verifying_key()).unwrap();
    }

    #[test]
    fn fep_8b32_vector_signs_and_verifies() {
        let expected = fep_signed();
        assert_eq!(resign(&expected), expected);
        verify(&expected, &vector_key().verifying_key()).unwrap();
    }

    #[test]
    fn one_changed_byte_fails() {
        for signed in [w3c_signed(), fep_signed()] {
            let text = serde_json::to_string(&signed).unwrap();
            // Change one byte in the signed content, one in the proof options.
            for (from, to) in [
                ("Hello world", "Hello World"),
                ("Alumni Credential\"", "Alumni Credentiak\""),
                ("2023-02-24T23:36:38Z", "2023-02-24T23:36:39Z"),
            ] {
                if !text.contains(from) {
                    continue;
                }
                let tampered: Value = serde_json::from_str(&text.replacen(from, to, 1)).unwrap();
                assert!(
                    verify(&tampered, &vector_key().verifying_key()).is_err(),
                    "{from}"
                );
            }
        }
        let mut other_key = fep_signed();
        other_key["proof"]["verificationMethod"] =
            json!("https://server.example/users/bob#ed25519-key");
        assert_eq!(
            verify(&other_key, &vector_key().verifying_key()),
            Err(ProofError::BadSignature)
        );
        let wrong = SigningKey::from_bytes(&[9u8; 32]);
        assert_eq!(
            verify(&fep_signed(), &wrong.verifying_key()),
            Err(ProofError::BadSignature)
        );
    }

    #[test]
    fn malformed_proofs_are_named() {
        let mut no_proof = fep_signed();
        no_proof.as_object_mut().unwrap().remove("proof");
        assert_eq!(
            verify(&no_proof, &vector_key().verifying_key()),
            Err(ProofError::Missing)
        );
        let mut other_suite = fep_signed();
        other_suite["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
        assert!(matches!(
            verify(&other_suite, &vector_key().verifying_key()),
            Err(ProofError::Unsupported(_))
        ));
        let mut garbage = fep_signed();
        garbage["proof"]["proofValue"] = json!("zzzz");
        assert!(matches!(
            verify(&garbage, &vector_key().verifying_key()),
            Err(ProofError::Malformed(_))
        ));
        let mut context = fep_signed();
        context["proof"]["@context"] = json!(["https://example.org/other"]);
        assert_eq!(
            verify(&context, &vector_key().verifying_key()),
            Err(ProofError::ContextMismatch)
        );
    }
}
