//! RFC 9421 HTTP Message Signatures on incoming requests (Fedify signs
//! with them first, Mastodon accepts them since 4.5): `Signature-Input` and
//! `Signature` read as structured fields (RFC 9651, the `sfv` crate), the
//! signature base written by RFC 9421 section 2.5, `Content-Digest`
//! (RFC 9530) checked against the body, and `rsa-v1_5-sha256`,
//! `rsa-pss-sha512` and `ed25519` verified. The checks that need no key run
//! first, as for draft-cavage signatures.

mod base;
mod challenge;
mod read;
mod sign;
#[cfg(test)]
mod tests;
mod verify;

pub use challenge::Challenge;
pub use sign::{PrivateKey, sign};
pub use verify::verify_content_digest;

use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use sfv::{Dictionary, InnerList, Parser};

use crate::error::{Error, Result};

/// Whether a request carries an RFC 9421 signature.
pub fn present(headers: &HeaderMap) -> bool {
    headers.contains_key("signature-input")
}

/// A key a signature may be verified with.
#[derive(Debug, Clone, PartialEq)]
pub enum PublicKey {
    /// An RSA key in PEM (SubjectPublicKeyInfo), as actors publish it.
    Rsa(String),
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// One signature of a request, its shape checked.
#[derive(Debug, Clone)]
pub struct MessageSignature {
    components: Vec<String>,
    params: InnerList,
    signature: Vec<u8>,
    /// The `keyid` parameter, as given.
    key_id: String,
    alg: Option<String>,
}

impl MessageSignature {
    /// Whether the signature covers the component (a header's lowercase
    /// name, or a derived component such as `@method`).
    pub fn covers(&self, component: &str) -> bool {
        self.components.iter().any(|c| c == component)
    }
}

fn refused(why: impl Into<String>) -> Error {
    Error::Unauthorized(why.into())
}

fn single<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str> {
    let mut values = headers.get_all(name).iter();
    let value = values
        .next()
        .ok_or_else(|| refused(format!("the request has no `{name}` header")))?;
    if values.next().is_some() {
        return Err(refused(format!(
            "the request has more than one `{name}` header"
        )));
    }
    value
        .to_str()
        .map_err(|_| refused(format!("the `{name}` header is not text")))
}

fn dictionary(headers: &HeaderMap, name: &str) -> Result<Dictionary> {
    Parser::new(single(headers, name)?)
        .parse_dictionary()
        .map_err(|e| {
            refused(format!(
                "the `{name}` header is not a structured dictionary: {e}"
            ))
        })
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, crate::model::time::secs)
}
