//! Who signed an incoming request. The checks run cheapest first and
//! nothing is stored before the signature verifies: the signature's shape
//! (no key needed), the body's digest, the signer's key from the store,
//! and only then the signer's actor document, fetched at most once per key
//! id per window (a failed fetch is remembered for the window too). A
//! signature that fails under a stored key refetches that actor at most
//! once per window, for peers that rotated their key; forgeries under a
//! known key id cost no more than that one fetch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use activitypub_federation::config::Data;
use activitypub_federation::traits::Object;
use axum::http::{HeaderMap, Method, Uri};
use serde_json::Value;
use tokio::sync::OnceCell;
use url::Url;

use crate::apub::fetch;
use crate::apub::peer::{ActorFields, Peer};
use crate::apub::signature;
use crate::error::{Error, Result};
use crate::node::AppContext;
use crate::store::PeerRow;

/// Key ids remembered at once; the oldest is forgotten first.
const MAX_REMEMBERED: usize = 10_000;

/// A request to authenticate.
pub struct SignedRequest<'a> {
    pub headers: &'a HeaderMap,
    pub method: &'a Method,
    pub uri: &'a Uri,
    /// The body of a POST, whose `Digest` must match.
    pub body: Option<&'a [u8]>,
}

/// The actor documents fetched for signers' keys in the current window,
/// per key owner: one fetch shared by every request that needs it.
pub struct KeyFetches {
    window: Duration,
    fetches: Mutex<HashMap<String, KeyFetch>>,
}

#[derive(Clone)]
struct KeyFetch {
    started: Instant,
    /// The actor document, or `None` when it could not be fetched.
    document: Arc<OnceCell<Option<Value>>>,
}

impl KeyFetches {
    pub fn new(window: Duration) -> KeyFetches {
        KeyFetches {
            window,
            fetches: Mutex::new(HashMap::new()),
        }
    }

    /// The fetch of `owner`'s document for this window: the one already
    /// started if there is one, else a new one.
    fn slot(&self, owner: &str) -> KeyFetch {
        let mut fetches = self
            .fetches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(fetch) = fetches.get(owner) {
            if fetch.started.elapsed() < self.window {
                return fetch.clone();
            }
        }
        if fetches.len() >= MAX_REMEMBERED {
            let window = self.window;
            fetches.retain(|_, fetch| fetch.started.elapsed() < window);
            if fetches.len() >= MAX_REMEMBERED {
                if let Some(oldest) = fetches
                    .iter()
                    .min_by_key(|(_, fetch)| fetch.started)
                    .map(|(owner, _)| owner.clone())
                {
                    fetches.remove(&oldest);
                }
            }
        }
        let fetch = KeyFetch {
            started: Instant::now(),
            document: Arc::new(OnceCell::new()),
        };
        fetches.insert(owner.to_owned(), fetch.clone());
        fetch
    }
}

/// Verifies `request`'s HTTP signature and returns the peer that signed
/// it, stored (or refreshed) only now that it is verified. When
/// `expected_signer` is given (an activity's actor), a request signed by
/// anyone else is refused before any key is looked up.
pub async fn authenticate(
    data: &Data<AppContext>,
    request: &SignedRequest<'_>,
    expected_signer: Option<&Url>,
) -> Result<PeerRow> {
    let owner = signature::signer(request.headers, request.body.is_some())?;
    if expected_signer.is_some_and(|expected| *expected != owner) {
        return Err(Error::Unauthorized(
            "the request is not signed by the activity's actor".into(),
        ));
    }
    if let Some(body) = request.body {
        signature::verify_digest(request.headers, body)?;
    }
    let verifies =
        |pem: &str| signature::verify(request.headers, request.method, request.uri, pem).is_ok();
    let stored = data.store.peer_by_uri(owner.as_str()).await?;
    if let Some(peer) = &stored {
        if verifies(&peer.public_key_pem) {
            return Ok(peer.clone());
        }
    }
    let Some(document) = actor_document(data, &owner).await else {
        return Err(Error::Unauthorized(
            "the signer's key could not be obtained".into(),
        ));
    };
    let fields = ActorFields::parse(&document)
        .ok()
        .filter(|fields| fields.id == owner)
        .ok_or_else(|| Error::Unauthorized("the signer's key could not be obtained".into()))?;
    let unchanged = stored
        .as_ref()
        .is_some_and(|peer| peer.public_key_pem == fields.public_key.public_key_pem);
    if unchanged || !verifies(&fields.public_key.public_key_pem) {
        return Err(Error::Unauthorized(
            "the HTTP signature does not verify with the signer's key".into(),
        ));
    }
    Peer::verify(&document, &owner, data)
        .await
        .map_err(|_| Error::Unauthorized("the signer's actor document is not usable".into()))?;
    if stored.is_some() {
        tracing::info!(signer = %owner, "the signer rotated its key: stored the new one");
    }
    Ok(Peer::from_json(document, data).await?.row)
}

/// `owner`'s actor document, fetched once per window.
async fn actor_document(data: &Data<AppContext>, owner: &Url) -> Option<Value> {
    let fetch = data.key_fetches.slot(owner.as_str());
    fetch
        .document
        .get_or_init(|| async {
            match fetch::fetch_signed(data, owner).await {
                Ok(document) => Some(document),
                Err(e) => {
                    tracing::info!(signer = %owner, error = %e, "cannot fetch the signer's key");
                    None
                }
            }
        })
        .await
        .clone()
}

/// Answers a bad or unverifiable signature when the caller treats an
/// unsigned request as anonymous (signed GETs): the reason is logged.
pub async fn reader(data: &Data<AppContext>, request: &SignedRequest<'_>) -> Option<PeerRow> {
    request.headers.get("signature")?;
    match authenticate(data, request, None).await {
        Ok(peer) => Some(peer),
        Err(e) => {
            tracing::info!(error = %e, "signed GET refused: answered as anonymous");
            None
        }
    }
}
