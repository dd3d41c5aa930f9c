//! The `Signature` header of an incoming request, checked before any key is
//! fetched (`signature::signer`), and the full verification of a signed GET
//! (`signature::verify`) with a fixed RSA key.
//!
//! Input: up to three lines, `Signature` value, `Date` value, `Digest`
//! value. An empty `Date` line means "now", so that the date check passes
//! and the fuzzer reaches what lies behind it.
#![no_main]

use std::time::SystemTime;

use http::{HeaderMap, HeaderValue, Method, Uri};
use libfuzzer_sys::fuzz_target;
use passerelle::apub::signature;

/// Any RSA public key: no fuzzed signature is expected to verify.
const PUBLIC_KEY_PEM: &str = include_str!("../keys/rsa-public.pem");

fuzz_target!(|data: &[u8]| {
    let mut lines = data.splitn(3, |b| *b == b'\n');
    let sig = lines.next().unwrap_or_default();
    let date = lines.next();
    let digest = lines.next();

    let mut headers = HeaderMap::new();
    let Ok(sig) = HeaderValue::from_bytes(sig) else {
        return;
    };
    headers.insert("signature", sig);
    headers.insert("host", HeaderValue::from_static("node.example"));
    match date {
        Some([]) => {
            let now = httpdate::fmt_http_date(SystemTime::now());
            headers.insert("date", HeaderValue::from_str(&now).expect("HTTP date"));
        }
        Some(date) => {
            if let Ok(date) = HeaderValue::from_bytes(date) {
                headers.insert("date", date);
            }
        }
        None => {}
    }
    if let Some(Ok(digest)) = digest.map(HeaderValue::from_bytes) {
        headers.insert("digest", digest);
    }

    let _ = signature::key_id(&headers, true);
    let _ = signature::key_id(&headers, false);
    let uri = Uri::from_static("/actor");
    let _ = signature::verify(&headers, &Method::GET, &uri, PUBLIC_KEY_PEM);
});
