//! FEP-8fcf followers synchronisation on the wire: the
//! `Collection-Synchronization` header (written and read), the partial
//! followers collection's digest, and which part of a request's HTTP
//! signature covers the header.

use http::HeaderMap;
use sha2::{Digest, Sha256};
use url::Url;

use crate::message_signature::{self, MessageSignature};
use crate::signature;

/// The header's name, as sent (HTTP names are case-insensitive).
pub const HEADER: &str = "collection-synchronization";
/// Where this node serves its partial followers collection: the signer's
/// origin selects the part.
pub const PARTIAL_FOLLOWERS_PATH: &str = "/followers_synchronization";

/// What a `Collection-Synchronization` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSync {
    /// The sender's followers collection.
    pub collection_id: Url,
    /// Its partial followers collection for the receiving origin.
    pub url: Url,
    /// The XOR of the SHA-256 digests of the followers' ids, in hex.
    pub digest: String,
}

impl CollectionSync {
    /// The header's value: parameters in the draft-cavage `Signature`
    /// syntax, as Mastodon writes them.
    pub fn header_value(&self) -> String {
        format!(
            "collectionId=\"{}\", url=\"{}\", digest=\"{}\"",
            self.collection_id, self.url, self.digest
        )
    }

    /// Reads the header; `None` when it is absent, repeated or malformed
    /// (the FEP says to ignore such a header).
    pub fn read(headers: &HeaderMap) -> Option<CollectionSync> {
        let mut values = headers.get_all(HEADER).iter();
        let value = values.next()?.to_str().ok()?;
        if values.next().is_some() {
            return None;
        }
        let params = parameters(value)?;
        let param = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let digest = param("digest")?.to_ascii_lowercase();
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(CollectionSync {
            collection_id: Url::parse(param("collectionId")?).ok()?,
            url: Url::parse(param("url")?).ok()?,
            digest,
        })
    }
}

/// `name="value"` pairs separated by commas (values may hold commas);
/// `None` when the text is not of that shape.
fn parameters(text: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let after = after.trim_start().strip_prefix('"')?;
        let end = after.find('"')?;
        params.push((name.trim().to_owned(), after[..end].to_owned()));
        rest = after[end + 1..].trim_start();
        rest = match rest.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if rest.is_empty() => rest,
            None => return None,
        };
    }
    Some(params)
}

/// The FEP's partial collection digest: SHA-256 of each id, XORed
/// together, in lowercase hex (all zeros for no follower).
pub fn digest<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut sum = [0u8; 32];
    for id in ids {
        for (byte, other) in sum.iter_mut().zip(Sha256::digest(id.as_bytes())) {
            *byte ^= other;
        }
    }
    hex::encode(sum)
}

/// Whether the request's verified HTTP signature covers the header: a
/// header outside the signature may have been added by anyone on the way.
pub fn signed(headers: &HeaderMap, with_body: bool) -> bool {
    if message_signature::present(headers) {
        MessageSignature::read(headers, with_body).is_ok_and(|s| s.covers(HEADER))
    } else {
        signature::covers(headers, HEADER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_the_feps_example() {
        // FEP-8fcf's worked example.
        assert_eq!(
            digest([
                "https://testing.example.org/users/1",
                "https://testing.example.org/users/2"
            ]),
            "c33f48cd341ef046a206b8a72ec97af65079f9a3a9b90eef79c5920dce45c61f"
        );
        assert_eq!(digest([]), "0".repeat(64));
    }

    #[test]
    fn the_header_reads_back_and_ignores_what_is_malformed() {
        let sync = CollectionSync {
            collection_id: Url::parse("https://example.org/users/1/followers").unwrap(),
            url: Url::parse("https://example.org/users/1/followers_synchronization?a=1,2").unwrap(),
            digest: digest(["https://testing.example.org/users/1"]),
        };
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, sync.header_value().parse().unwrap());
        assert_eq!(CollectionSync::read(&headers), Some(sync));
        for bad in [
            "collectionId=\"https://a/f\", url=\"https://a/s\"",
            "collectionId=\"https://a/f\", url=\"https://a/s\", digest=\"zz\"",
            "collectionId=https://a/f",
        ] {
            headers.insert(HEADER, bad.parse().unwrap());
            assert_eq!(CollectionSync::read(&headers), None, "{bad}");
        }
    }
}
