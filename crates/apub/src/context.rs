//! JSON-LD contexts and media types used on the wire.

use serde_json::{Value, json};

use passerelle_config::Settings;

pub const ACTIVITY_STREAMS: &str = "https://www.w3.org/ns/activitystreams";
/// Defines `publicKey` / `publicKeyPem` (HTTP signature keys).
pub const SECURITY_V1: &str = "https://w3id.org/security/v1";
/// Defines `assertionMethod` and the proof terms (`DataIntegrityProof`...).
pub const DATA_INTEGRITY: &str = "https://w3id.org/security/data-integrity/v2";
/// Defines `Multikey`, `controller` and `publicKeyMultibase` (FEP-521a).
pub const MULTIKEY_V1: &str = "https://w3id.org/security/multikey/v1";
/// The ActivityStreams collection of everyone.
pub const PUBLIC_COLLECTION: &str = "https://www.w3.org/ns/activitystreams#Public";
/// The network vocabulary: one IRI for every node, whoever serves the context.
pub const NETWORK_NAMESPACE: &str = "https://w3id.org/plateformes-en-communs/ns#";
/// Path where each node serves the network vocabulary's JSON-LD context.
pub const NETWORK_CONTEXT_PATH: &str = "/ns";
/// The JSON-LD context document of the network vocabulary.
pub const NETWORK_CONTEXT: &str = include_str!("../../../schemas/context.jsonld");

pub const ACTIVITY_JSON: &str = "application/activity+json";
pub const LD_JSON: &str = "application/ld+json";
pub const LD_JSON_ACTIVITY_STREAMS: &str =
    "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// `@context` of every published object and activity: ActivityStreams, the
/// data-integrity terms of its proof, and the network vocabulary.
pub fn object_context(settings: &Settings) -> Value {
    json!([
        ACTIVITY_STREAMS,
        DATA_INTEGRITY,
        settings.url_for(NETWORK_CONTEXT_PATH)
    ])
}
