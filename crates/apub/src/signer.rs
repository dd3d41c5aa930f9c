//! Who signed an incoming request. The checks run cheapest first and
//! nothing is stored before the signature verifies: the signature's shape
//! (no key needed), the host it was signed for (this node's), the key id's
//! domain against the policy, the body's digest, the signer's key from the
//! store, and only then the signer's actor document, fetched at most once
//! per key id per window and within its origin's budget
//! (`apub::key_fetches`). A signature that fails under a stored key
//! refetches that actor at most once per window, for peers that rotated
//! their key; forgeries under a known key id cost no more than that one
//! fetch. A key id names a key its owner's documents list, never "some
//! key" of a known actor.

use http::{HeaderMap, Method, Uri};
use serde_json::Value;
use url::Url;

use crate::domain_policy as policy;
use crate::error::{Error, Result};
use crate::host_binding;
use crate::key_fetches::fetched;
use crate::message_signature::{self, MessageSignature, PublicKey};
use crate::peer::{ActorFields, Peer, PublicKeyFields, domain_of, verify_actor_document};
use crate::signature;
use crate::store::PeerRow;
use crate::verification::assertion_key;
use passerelle_context::Context;

/// A request to authenticate.
pub struct SignedRequest<'a> {
    pub headers: &'a HeaderMap,
    pub method: &'a Method,
    pub uri: &'a Uri,
    /// The body of a POST, whose `Digest` must match.
    pub body: Option<&'a [u8]>,
}

impl<'a> SignedRequest<'a> {
    /// A request without a body: a GET, signed or not.
    pub fn read(headers: &'a HeaderMap, method: &'a Method, uri: &'a Uri) -> Self {
        SignedRequest {
            headers,
            method,
            uri,
            body: None,
        }
    }
}

/// Verifies `request`'s HTTP signature and returns the peer that signed
/// it, stored (or refreshed) only now that it is verified. When
/// `expected_signer` is given (an activity's actor), a request signed by
/// anyone else is refused before any key is looked up.
///
/// Key ids come in the forms servers use: a fragment of the actor's id
/// (`#main-key`: Mastodon, Misskey, Pleroma, Lemmy), a path of its own
/// (`/main-key`: GoToSocial), or a key document naming its `owner` (or
/// `controller`). Key, owner and actor are resolved in that order; the
/// owner must be the activity's actor, on the key id's origin.
pub async fn authenticate(
    data: &Context,
    request: &SignedRequest<'_>,
    expected_signer: Option<&Url>,
) -> Result<PeerRow> {
    let with_body = request.body.is_some();
    // RFC 9421 when the request has a `Signature-Input`, draft-cavage
    // otherwise; the same key resolution for both.
    let (signed, key_id) = if message_signature::present(request.headers) {
        let signature = MessageSignature::read(request.headers, with_body)?;
        let key_id = signature.key_id()?;
        (Signed::Rfc9421(signature), key_id)
    } else {
        let key_id = signature::key_id(request.headers, with_body)?;
        (Signed::Cavage, key_id)
    };
    host_binding::check(request.headers, request.uri, &data.settings.public_url)?;
    // Owner first: a key id off the activity's actor is refused as such
    // (no fetch); a fetch the owner needs checks the policy itself.
    let owner = key_owner(data, &key_id, expected_signer).await?;
    policy::admit_sender(data, &domain_of(&key_id)).await?;
    if let Some(body) = request.body {
        match &signed {
            Signed::Cavage => signature::verify_digest(request.headers, body)?,
            Signed::Rfc9421(_) => message_signature::verify_content_digest(request.headers, body)?,
        }
    }
    let base = match &signed {
        Signed::Rfc9421(signature) => Some(signature.base(
            request.headers,
            request.method,
            request.uri,
            data.settings.public_url.scheme(),
        )?),
        Signed::Cavage => None,
    };
    let verifies = |key: &PublicKey| match (&signed, key) {
        (Signed::Cavage, PublicKey::Rsa(pem)) => {
            signature::verify(request.headers, request.method, request.uri, pem).is_ok()
        }
        (Signed::Cavage, PublicKey::Ed25519(_)) => false,
        (Signed::Rfc9421(signature), key) => {
            signature.verify(base.as_deref().unwrap_or_default(), key)
        }
    };
    let stored = data.store.peer_by_uri(owner.as_str()).await?;
    let stored_key = stored.as_ref().and_then(|peer| stored_key(peer, &key_id));
    if let (Some(peer), Some(key)) = (&stored, &stored_key) {
        if verifies(key) {
            count_verified(data, &signed, key);
            return Ok(peer.clone());
        }
    }
    let document = fetched(data, &owner).await?.ok_or_else(unobtainable)?;
    // An actor this node can use, and the one the key names.
    ActorFields::parse(&document)
        .ok()
        .filter(|fields| fields.id == owner)
        .ok_or_else(unobtainable)?;
    let key = match key_in(&document, &key_id) {
        Some(key) => key,
        None => PublicKey::Rsa(key_document_pem(data, &key_id, &owner).await?),
    };
    if stored_key.as_ref() == Some(&key) || !verifies(&key) {
        return Err(Error::Unauthorized(
            "the HTTP signature does not verify with the signer's key".into(),
        ));
    }
    verify_actor_document(&document, &owner)
        .map_err(|_| Error::Unauthorized("the signer's actor document is not usable".into()))?;
    if stored.is_some() {
        tracing::info!(signer = %owner, "the signer rotated its key: stored the new one");
    }
    count_verified(data, &signed, &key);
    let pem = match &key {
        PublicKey::Rsa(pem) => Some(pem.as_str()),
        PublicKey::Ed25519(_) => None,
    };
    Ok(Peer::store(document, pem, data).await?.row)
}

fn count_verified(data: &Context, signed: &Signed, key: &PublicKey) {
    let scheme = match (signed, key) {
        (Signed::Cavage, _) => "cavage",
        (Signed::Rfc9421(_), PublicKey::Rsa(_)) => "rfc9421-rsa",
        (Signed::Rfc9421(_), PublicKey::Ed25519(_)) => "rfc9421-ed25519",
    };
    data.metrics
        .verified_signatures
        .with_label_values(&[scheme])
        .inc();
}

/// How a request is signed.
enum Signed {
    /// draft-cavage-http-signatures (`Signature`, `Digest`).
    Cavage,
    /// RFC 9421 (`Signature-Input`, `Signature`, `Content-Digest`).
    Rfc9421(MessageSignature),
}

/// The key `key_id` names in an actor document: an RSA key under
/// `publicKey`, or an Ed25519 Multikey under `assertionMethod` (FEP-521a).
fn key_in(document: &Value, key_id: &Url) -> Option<PublicKey> {
    if let Some(key) = listed_keys(document)
        .into_iter()
        .find(|key| key.id == *key_id)
    {
        return Some(PublicKey::Rsa(key.public_key_pem));
    }
    match assertion_key(document, key_id.as_str())? {
        Ok(key) => Some(PublicKey::Ed25519(key)),
        Err(_) => None,
    }
}

/// The key a stored peer signs with under `key_id`, if its stored actor
/// document lists that key id. Not the RSA key last verified: that would
/// let any key id of the actor's (`actor#nope`) stand for its key. A key
/// in a document of its own is checked against that document (fetched
/// once per window).
fn stored_key(peer: &PeerRow, key_id: &Url) -> Option<PublicKey> {
    serde_json::from_str::<Value>(&peer.actor_json)
        .ok()
        .and_then(|document| key_in(&document, key_id))
}

fn unobtainable() -> Error {
    Error::Unauthorized("the signer's key could not be obtained".into())
}

/// Whose key `key_id` is. With an expected signer, that actor, if the key
/// is on its origin (whether it really holds the key is checked against
/// its documents). Otherwise the id without its fragment, or, for a key
/// id without one, the owner its key document names.
async fn key_owner(data: &Context, key_id: &Url, expected_signer: Option<&Url>) -> Result<Url> {
    if let Some(expected) = expected_signer {
        return if expected.origin() == key_id.origin() {
            Ok(expected.clone())
        } else {
            Err(Error::Unauthorized(
                "the request is not signed by the activity's actor".into(),
            ))
        };
    }
    if key_id.fragment().is_some() {
        let mut owner = key_id.clone();
        owner.set_fragment(None);
        return Ok(owner);
    }
    let document = fetched(data, key_id).await?.ok_or_else(unobtainable)?;
    let owner = named_owner(&document, key_id).ok_or_else(unobtainable)?;
    if owner.origin() == key_id.origin() {
        Ok(owner)
    } else {
        Err(Error::Unauthorized(
            "the signer's key is not on its owner's origin".into(),
        ))
    }
}

/// The owner a key document names: its `owner` or `controller`, or, for
/// an actor (or the stub GoToSocial serves at a key's path) listing the
/// key, the actor itself.
fn named_owner(document: &Value, key_id: &Url) -> Option<Url> {
    let text = |field: &str| document.get(field).and_then(Value::as_str);
    if let Some(owner) = text("owner").or_else(|| text("controller")) {
        return Url::parse(owner).ok();
    }
    let lists_key = listed_keys(document).iter().any(|key| key.id == *key_id);
    lists_key.then(|| text("id").and_then(|id| Url::parse(id).ok()))?
}

/// The keys a document lists under `publicKey` (one or several).
fn listed_keys(document: &Value) -> Vec<PublicKeyFields> {
    match document.get("publicKey") {
        Some(Value::Array(keys)) => keys
            .iter()
            .filter_map(|key| serde_json::from_value(key.clone()).ok())
            .collect(),
        Some(key) => serde_json::from_value(key.clone()).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The PEM of a key its owner's actor document does not list: the key
/// document at `key_id` must name `owner` as its owner. A key id that is a
/// fragment (`actor#nope`) names a key in the actor document itself: one
/// the actor does not list is no key of its.
async fn key_document_pem(data: &Context, key_id: &Url, owner: &Url) -> Result<String> {
    if key_id.fragment().is_some() {
        return Err(Error::Unauthorized(
            "the signer's actor does not list the signature's key id".into(),
        ));
    }
    if key_id.origin() != owner.origin() {
        return Err(unobtainable());
    }
    let document = fetched(data, key_id).await?.ok_or_else(unobtainable)?;
    if named_owner(&document, key_id).as_ref() != Some(owner) {
        return Err(Error::Unauthorized(
            "the signing key does not belong to the activity's actor".into(),
        ));
    }
    let key = serde_json::from_value::<PublicKeyFields>(document.clone())
        .ok()
        .filter(|key| key.id == *key_id)
        .or_else(|| {
            listed_keys(&document)
                .into_iter()
                .find(|key| key.id == *key_id)
        })
        .ok_or_else(unobtainable)?;
    Ok(key.public_key_pem)
}

/// The signer of a GET, for callers that answer an unsigned request as
/// anonymous (signed GETs): `None` when the signature does not verify,
/// when its domain is refused, or when its origin has spent its key fetch
/// budget (the reason is logged; a stranger gets the public answer, not a
/// 401 to retry). A signature made for another host is refused (401):
/// it is a replay, not a reader.
pub async fn reader(data: &Context, request: &SignedRequest<'_>) -> Result<Option<PeerRow>> {
    if request.headers.get("signature").is_none() {
        return Ok(None);
    }
    host_binding::check(request.headers, request.uri, &data.settings.public_url)?;
    match authenticate(data, request, None).await {
        Ok(peer) => Ok(Some(peer)),
        Err(e) => {
            tracing::info!(error = %e, "signed GET refused: answered as anonymous");
            Ok(None)
        }
    }
}

/// The signer of a GET to a resource that answers signed requests only:
/// anything but a verified signer is refused (401), naming `resource`.
pub async fn required_reader(
    data: &Context,
    request: &SignedRequest<'_>,
    resource: &str,
) -> Result<PeerRow> {
    reader(data, request)
        .await?
        .ok_or_else(|| Error::Unauthorized(format!("{resource} answers signed requests only")))
}
