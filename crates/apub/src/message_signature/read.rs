//! Reading a request's signature from `Signature-Input` and `Signature`,
//! and the policy checks that need no key.

use http::HeaderMap;
use sfv::{BareItem, ListEntry};
use url::Url;

use super::{MessageSignature, dictionary, now_seconds, refused};
use crate::error::Result;
use crate::signature::{MAX_AGE, MAX_AHEAD};

impl MessageSignature {
    /// Reads and checks the request's signature: the first label in both
    /// `Signature-Input` and `Signature`, covering `@method`, the target
    /// (`@target-uri`, or `@authority` with `@path` or `@request-target`)
    /// and, on a request with a body, `content-digest`; `created` within
    /// the same window as a `Date`, `expires` not past, a `keyid` that is
    /// an http(s) URL, an algorithm this node verifies.
    pub fn read(headers: &HeaderMap, with_body: bool) -> Result<MessageSignature> {
        let signature = Self::read_unchecked(headers)?;
        let covers = |name: &str| signature.components.iter().any(|c| c == name);
        let target = covers("@target-uri")
            || (covers("@authority") && (covers("@path") || covers("@request-target")));
        if !covers("@method") || !target {
            return Err(refused(
                "the signature must cover `@method` and `@target-uri` (or `@authority` and `@path`)",
            ));
        }
        if with_body && !covers("content-digest") {
            return Err(refused("the signature must cover `content-digest`"));
        }
        let param = |name: &str| signature.params.params.get(name);
        let created = param("created")
            .and_then(BareItem::as_integer)
            .map(i64::from)
            .ok_or_else(|| refused("the signature has no `created` time"))?;
        let now = now_seconds();
        if now - created > crate::model::time::secs(MAX_AGE)
            || created - now > crate::model::time::secs(MAX_AHEAD)
        {
            return Err(refused(format!(
                "the signature's `created` is outside the accepted window (at most {} minutes old, {} ahead)",
                MAX_AGE.as_secs() / 60,
                MAX_AHEAD.as_secs() / 60
            )));
        }
        if let Some(expires) = param("expires") {
            let expires = expires
                .as_integer()
                .map(i64::from)
                .ok_or_else(|| refused("the signature's `expires` is not a time"))?;
            if expires < now {
                return Err(refused("the signature has expired"));
            }
        }
        signature.key_id()?;
        if let Some(alg) = &signature.alg {
            if !matches!(
                alg.as_str(),
                "rsa-v1_5-sha256" | "rsa-pss-sha512" | "ed25519"
            ) {
                return Err(refused(format!(
                    "the signature algorithm `{alg}` is not one of rsa-v1_5-sha256, rsa-pss-sha512, ed25519"
                )));
            }
        }
        Ok(signature)
    }

    /// The id of the key that signed, an http(s) URL.
    pub fn key_id(&self) -> Result<Url> {
        Url::parse(&self.key_id)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .ok_or_else(|| refused("the signature's `keyid` is not an http(s) URL"))
    }

    /// The signature as the headers give it, before any policy check.
    pub(super) fn read_unchecked(headers: &HeaderMap) -> Result<MessageSignature> {
        let inputs = dictionary(headers, "signature-input")?;
        let signatures = dictionary(headers, "signature")?;
        let (label, params) = inputs
            .iter()
            .find_map(|(label, entry)| match entry {
                ListEntry::InnerList(list) if signatures.contains_key(label) => {
                    Some((label.clone(), list.clone()))
                }
                _ => None,
            })
            .ok_or_else(|| refused("no signature in `Signature` matches `Signature-Input`"))?;
        let signature = match signatures.get(&label) {
            Some(ListEntry::Item(item)) => item
                .bare_item
                .as_byte_sequence()
                .map(<[u8]>::to_vec)
                .ok_or_else(|| refused("the signature is not a byte sequence"))?,
            _ => return Err(refused("the signature is not a byte sequence")),
        };
        let mut components = Vec::new();
        for item in &params.items {
            let name = item
                .bare_item
                .as_string()
                .ok_or_else(|| refused("a covered component is not a string"))?;
            if !item.params.is_empty() {
                return Err(refused(format!(
                    "the component `{}` has parameters, which this node does not support",
                    name.as_str()
                )));
            }
            components.push(name.as_str().to_ascii_lowercase());
        }
        let text = |name: &str| {
            params
                .params
                .get(name)
                .and_then(BareItem::as_string)
                .map(|value| value.as_str().to_owned())
        };
        Ok(MessageSignature {
            key_id: text("keyid").ok_or_else(|| refused("the signature has no `keyid`"))?,
            alg: text("alg"),
            components,
            params,
            signature,
        })
    }
}
