//! HTTP signatures on incoming requests (draft-cavage, rsa-sha256): the
//! checks that need no key (exactly one of each signed header, which
//! headers are covered, whose key, how old, the body's digest), and the
//! verification with the signer's key through
//! `http-signature-normalization`, for inbox POSTs and signed GETs alike.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, Method, Uri};
use sha2::Sha256;
use url::Url;

use crate::error::{Error, Result};
use crate::public_keys;

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

/// The one value of a header that must appear once: a repeated signed
/// header would let the checks here and the verification read different
/// values.
fn single<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Error::Unauthorized(format!(
            "the request has more than one `{name}` header"
        )));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| Error::Unauthorized(format!("the `{name}` header is not text")))
}

/// Whether the request's `Signature` covers the header `name` (its
/// `headers` parameter lists it).
pub fn covers(headers: &HeaderMap, name: &str) -> bool {
    let Ok(Some(signature)) = single(headers, "signature") else {
        return false;
    };
    signature_params(signature)
        .iter()
        .filter(|(n, _)| n == "headers")
        .any(|(_, covered)| {
            covered
                .split_whitespace()
                .any(|c| c.eq_ignore_ascii_case(name))
        })
}

/// Checks the signature's shape and returns the id of the key that
/// signed: one `Signature` (and one `Date`, one `Digest` when
/// `with_digest`) header, covering `SIGNED_HEADERS` (and `digest`), a
/// recent `Date`.
pub fn key_id(headers: &HeaderMap, with_digest: bool) -> Result<Url> {
    let signature = single(headers, "signature")?
        .ok_or_else(|| Error::Unauthorized("the request has no HTTP signature".into()))?;
    if single(headers, "authorization")?.is_some_and(|a| a.starts_with("Signature ")) {
        return Err(Error::Unauthorized(
            "the request carries two signatures (`Signature` and `Authorization`)".into(),
        ));
    }
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
    if let Some(algorithm) = param("algorithm") {
        if !matches!(algorithm, "rsa-sha256" | "hs2019") {
            return Err(Error::Unauthorized(
                "the signature's algorithm must be rsa-sha256 or hs2019".into(),
            ));
        }
    }
    if param("signature").is_none_or(str::is_empty) {
        return Err(Error::Unauthorized("the signature has no value".into()));
    }
    let key_id =
        param("keyid").ok_or_else(|| Error::Unauthorized("the signature has no keyId".into()))?;
    let key_id = Url::parse(key_id)
        .map_err(|_| Error::Unauthorized("the signature's keyId is not a URL".into()))?;
    if !matches!(key_id.scheme(), "http" | "https") || key_id.host_str().is_none() {
        return Err(Error::Unauthorized(
            "the signature's keyId is not an http(s) URL".into(),
        ));
    }
    check_date(headers)?;
    if with_digest && single(headers, "digest")?.is_none() {
        return Err(Error::Unauthorized("the request has no Digest".into()));
    }
    Ok(key_id)
}

/// Checks the `Digest` header (RFC 3230, `SHA-256=`) against the body.
pub fn verify_digest(headers: &HeaderMap, body: &[u8]) -> Result<()> {
    let header = single(headers, "digest")?
        .ok_or_else(|| Error::Unauthorized("the request has no Digest".into()))?;
    let expected = STANDARD.encode(<Sha256 as sha2::Digest>::digest(body));
    let sha256 = header
        .split(',')
        .filter_map(|part| part.trim().split_once('='))
        .find(|(algorithm, _)| algorithm.eq_ignore_ascii_case("sha-256"))
        .map(|(_, value)| value.trim())
        .ok_or_else(|| Error::Unauthorized("the Digest has no SHA-256 value".into()))?;
    if sha256 == expected {
        Ok(())
    } else {
        Err(Error::BadRequest(
            "the Digest header does not match the body".into(),
        ))
    }
}

fn check_date(headers: &HeaderMap) -> Result<()> {
    let date = single(headers, "date")?
        .ok_or_else(|| Error::Unauthorized("the request has no Date".into()))?;
    let date = httpdate::parse_http_date(date)
        .map_err(|_| Error::Unauthorized("the Date header is not an HTTP date".into()))?;
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

/// Verifies a signed request with the signer's public key (a POST's
/// signature must also cover its `Digest`).
pub fn verify(headers: &HeaderMap, method: &Method, uri: &Uri, public_key_pem: &str) -> Result<()> {
    let mut config = http_signature_normalization::Config::new()
        .set_expiration(MAX_AGE)
        .require_header("host")
        .require_header("date");
    if method == Method::POST {
        config = config.require_header("digest");
    }
    let map: BTreeMap<String, String> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect();
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let unverified = config
        .begin_verify(method.as_str(), path_and_query, map)
        .map_err(|_| Error::Unauthorized("the HTTP signature cannot be verified".into()))?;
    let key = public_keys::rsa(public_key_pem)
        .ok_or_else(|| Error::Unauthorized("the signer's key is not an RSA public key".into()))?;
    let verified = unverified.verify(|signature, signing_string| {
        STANDARD
            .decode(signature)
            .is_ok_and(|bytes| key.verifies_pkcs1_sha256(signing_string.as_bytes(), &bytes))
    });
    if verified {
        Ok(())
    } else {
        Err(Error::Unauthorized(
            "the HTTP signature does not verify with the signer's key".into(),
        ))
    }
}
