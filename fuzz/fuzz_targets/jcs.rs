//! JCS (RFC 8785) canonicalisation and the integrity proofs built on it
//! (`apub::proof`), on any JSON document:
//! - `canonical` never panics, and canonicalising its own output again
//!   gives the same text (JCS is a fixed point);
//! - reading a proof (`verification_method`, `verify`) never panics;
//! - any object signed with `sign` verifies with the matching key.
#![no_main]

use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use passerelle::apub::proof::{self, ProofOptions};
use serde_json::Value;

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_bytes(&[7u8; 32]))
}

fuzz_target!(|data: &[u8]| {
    let Ok(document) = serde_json::from_slice::<Value>(data) else {
        return;
    };

    if let Ok(canonical) = proof::canonical(&document) {
        let again: Value = serde_json::from_str(&canonical)
            .unwrap_or_else(|e| panic!("JCS output is not JSON ({e}): {canonical}"));
        let twice = proof::canonical(&again).expect("canonical JSON canonicalises");
        assert_eq!(canonical, twice, "JCS is not idempotent");
    }

    let _ = proof::verification_method(&document);
    let _ = proof::verify(&document, &key().verifying_key());

    let options = ProofOptions {
        verification_method: "https://node.example/actor#ed25519-key",
        created: "2026-11-24T16:00:00Z",
    };
    if let Ok(signed) = proof::sign(&document, key(), &options) {
        if let Err(e) = proof::verify(&signed, &key().verifying_key()) {
            panic!("a document signed here does not verify: {e}");
        }
    }
});
