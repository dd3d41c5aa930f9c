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

    let mut config = proof.clone();
    if let Some(context) = unsecured.get("@context") {
        config.insert("@context".into(), context.clone());
    }
    let hash = hash_data(&config, &unsecured)?;
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
