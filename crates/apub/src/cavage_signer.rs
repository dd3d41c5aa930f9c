//! Signing an outgoing request the draft-cavage way (what most of the
//! fediverse verifies): the same headers, digest and signature parameters
//! as `activitypub_federation`'s signer, through the same
//! `http-signature-normalization` plumbing, with the RSA signature made by
//! AWS-LC from the key parsed once at start.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_signature_normalization_reqwest::prelude::{Config, SignError, SignExt};
use reqwest_middleware::RequestBuilder;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::keys::NodeKeys;
use crate::signing_pool;

/// How long a signature stays valid, as `activitypub_federation` sets it.
const EXPIRES_AFTER: Duration = Duration::from_secs(60 * 60);

static CONFIG: LazyLock<Config> = LazyLock::new(|| Config::new().set_expiration(EXPIRES_AFTER));

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
enum SigningError {
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error("RSA signing failed")]
    Rsa,
}

/// `builder` with `Digest` (of `body`) and `Signature` headers by `key_id`.
pub async fn sign(
    builder: RequestBuilder,
    key_id: String,
    body: bytes::Bytes,
    keys: Arc<NodeKeys>,
) -> Result<reqwest::Request> {
    builder
        .signature_with_digest(
            CONFIG.clone(),
            key_id,
            Sha256::new(),
            body,
            move |signing_string| {
                // On the plumbing's blocking thread: wait there for a core.
                let _core = signing_pool::blocking_permit().map_err(|_| SigningError::Rsa)?;
                let signature = keys
                    .rsa_sign(signing_string.as_bytes())
                    .map_err(|_| SigningError::Rsa)?;
                Ok::<_, SigningError>(STANDARD.encode(signature))
            },
        )
        .await
        .map_err(|e| Error::Internal(format!("signing: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header set on the request before signing (FEP-8fcf's
    /// `Collection-Synchronization`) is among the signed ones.
    #[tokio::test]
    async fn headers_on_the_request_are_signed() {
        let keys = Arc::new(NodeKeys::generate().expect("keys"));
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new()).build();
        let builder = client
            .post("http://peer.example/inbox")
            .header("host", "peer.example")
            .header(
                "date",
                httpdate::fmt_http_date(std::time::SystemTime::now()),
            )
            .header(crate::collection_sync::HEADER, "digest=\"00\"");
        let request = sign(
            builder,
            "http://node.example/actor#main-key".into(),
            bytes::Bytes::from_static(b"{}"),
            keys,
        )
        .await
        .expect("signed");
        assert!(crate::signature::covers(
            request.headers(),
            crate::collection_sync::HEADER
        ));
        assert!(!crate::signature::covers(request.headers(), "accept"));
    }
}
