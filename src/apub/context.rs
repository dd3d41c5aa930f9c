//! JSON-LD contexts and media types used on the wire.

pub const ACTIVITY_STREAMS: &str = "https://www.w3.org/ns/activitystreams";
/// Defines `publicKey` / `publicKeyPem` (HTTP signature keys).
pub const SECURITY_V1: &str = "https://w3id.org/security/v1";
/// Defines `assertionMethod`, `Multikey`, `publicKeyMultibase` and the proof terms.
pub const DATA_INTEGRITY_V1: &str = "https://w3id.org/security/data-integrity/v1";
/// The ActivityStreams collection of everyone.
pub const PUBLIC_COLLECTION: &str = "https://www.w3.org/ns/activitystreams#Public";

pub const ACTIVITY_JSON: &str = "application/activity+json";
pub const LD_JSON_ACTIVITY_STREAMS: &str =
    "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
