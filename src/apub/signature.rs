//! HTTP signatures on incoming requests (draft-cavage, rsa-sha256): the
//! checks that need no key (which headers are covered, whose key, how old),
//! and the verification of signed GETs (authorized fetch) with
//! `http-signature-normalization`. Signed POSTs to the inbox are verified
//! by `activitypub_federation` after the shape checks here.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, Method, Uri};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha2::Sha256;
use url::Url;

use crate::error::{Error, Result};

/// A `Date` older than this is refused (as `activitypub_federation` also
/// refuses signatures older than an hour).
pub const MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// A `Date` further than this in the future is refused (clock skew).
pub const MAX_AHEAD: Duration = Duration::from_secs(10 * 60);
/// Headers every signature must cover; POSTs add `digest`.
pub const SIGNED_HEADERS: [&str; 3] = ["(request-target)", "host", "date"];

/// The parts of the `Signature` header.
fn signature_params(header: &str) -> Vec<(String, String)> {
    header
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| {
            (
                name.trim().to_ascii_lowercase(),
                value.trim().trim_matches('"').to_owned(),
            )
        })
        .collect()
}

/// Checks the signature's shape and returns the actor whose key signed:
/// it must cover `SIGNED_HEADERS` (and `digest` when `with_digest`), and
/// the `Date` must be recent.
pub fn signer(headers: &HeaderMap, with_digest: bool) -> Result<Url> {
    let signature = headers
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Unauthorized("the request has no HTTP signature".into()))?;
    let params = signature_params(signature);
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let covered: Vec<String> = param("headers")
        .unwrap_or("date")
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let required = SIGNED_HEADERS
        .iter()
        .copied()
        .chain(with_digest.then_some("digest"));
    for header in required {
        if !covered.iter().any(|c| c == header) {
            return Err(Error::Unauthorized(format!(
                "the signature must cover `{header}`"
            )));
        }
    }
    let key_id =
        param("keyid").ok_or_else(|| Error::Unauthorized("the signature has no keyId".into()))?;
    let mut owner = Url::parse(key_id)
        .map_err(|_| Error::Unauthorized(format!("keyId `{key_id}` is not a URL")))?;
    owner.set_fragment(None);
    check_date(headers)?;
    Ok(owner)
}

fn check_date(headers: &HeaderMap) -> Result<()> {
    let date = headers
        .get("date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Unauthorized("the request has no Date".into()))?;
    let date = httpdate::parse_http_date(date)
        .map_err(|_| Error::Unauthorized(format!("unreadable Date `{date}`")))?;
    let now = SystemTime::now();
    let too_old = now.duration_since(date).is_ok_and(|age| age > MAX_AGE);
    let too_new = date
        .duration_since(now)
        .is_ok_and(|ahead| ahead > MAX_AHEAD);
    if too_old || too_new {
        return Err(Error::Unauthorized(format!(
            "the Date is outside the accepted window (at most {} minutes old, {} ahead)",
            MAX_AGE.as_secs() / 60,
            MAX_AHEAD.as_secs() / 60
        )));
    }
    Ok(())
}

/// Verifies a signed request (a GET) with the signer's public key.
pub fn verify(headers: &HeaderMap, method: &Method, uri: &Uri, public_key_pem: &str) -> Result<()> {
    let config = http_signature_normalization::Config::new()
        .set_expiration(MAX_AGE)
        .require_header("host")
        .require_header("date");
    let map: BTreeMap<String, String> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect();
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let unverified = config
        .begin_verify(method.as_str(), path_and_query, map)
        .map_err(|e| Error::Unauthorized(format!("unusable signature: {e}")))?;
    let key = RsaPublicKey::from_public_key_pem(public_key_pem)
        .map_err(|_| Error::Unauthorized("the signer's key is not an RSA public key".into()))?;
    let verified = unverified.verify(|signature, signing_string| {
        let Ok(bytes) = STANDARD.decode(signature) else {
            return false;
        };
        let Ok(signature) = Signature::try_from(bytes.as_slice()) else {
            return false;
        };
        VerifyingKey::<Sha256>::new(key)
            .verify(signing_string.as_bytes(), &signature)
            .is_ok()
    });
    if verified {
        Ok(())
    } else {
        Err(Error::Unauthorized(
            "the HTTP signature does not verify with the signer's key".into(),
        ))
    }
}
