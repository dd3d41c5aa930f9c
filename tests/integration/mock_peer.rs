//! A stand-in for a remote server, written for the tests: it serves fixed
//! documents (an actor, pages), answers POSTs with a chosen status, and
//! counts every request it receives.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::json;
use tokio::net::TcpListener;

/// What the mock peer serves at a path: a content type and a body.
pub type Documents = HashMap<String, (&'static str, String)>;

/// A stand-in for a remote server, written for the tests: it serves fixed
/// documents, answers 202 to any POST, and counts every request.
pub struct MockPeer {
    pub base: String,
    seen: Arc<Mutex<Vec<(String, String, std::time::Instant)>>>,
    listener: Option<TcpListener>,
    /// What POSTs are answered (202 unless set before `serve`).
    pub post_status: StatusCode,
    /// How long each GET waits before it is answered (none unless set
    /// before `serve`): a slow server, simulated. Not a wait of the test's.
    pub simulated_get_latency: std::time::Duration,
    /// Answer 401 to POSTs signed by RFC 9421 (`Signature-Input`), as a
    /// server that knows only draft-cavage signatures.
    pub refuse_rfc9421: bool,
    /// POSTs signed by RFC 9421 received.
    rfc9421_posts: Arc<std::sync::atomic::AtomicUsize>,
    /// Answer 401 with this `Accept-Signature` challenge to POSTs whose
    /// signature does not cover `date` (what the challenge asks for).
    pub accept_signature: Option<&'static str>,
    /// The `Signature-Input` of POSTs that answered the challenge.
    answers: Arc<Mutex<Vec<String>>>,
    /// The JSON bodies of the POSTs received, with their headers.
    posted: Arc<Mutex<Vec<(axum::http::HeaderMap, serde_json::Value)>>>,
}

impl MockPeer {
    pub async fn bind() -> MockPeer {
        Self::bind_at(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// On `addr`: in the place of a node that stopped, at its address.
    pub async fn bind_at(addr: SocketAddr) -> MockPeer {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        MockPeer {
            base: format!("http://localhost:{}", addr.port()),
            seen: Arc::default(),
            listener: Some(listener),
            post_status: StatusCode::ACCEPTED,
            simulated_get_latency: std::time::Duration::ZERO,
            refuse_rfc9421: false,
            rfc9421_posts: Arc::default(),
            accept_signature: None,
            answers: Arc::default(),
            posted: Arc::default(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn serve(&mut self, documents: Documents) {
        let state = MockState {
            documents: Arc::new(documents),
            seen: self.seen.clone(),
            post_status: self.post_status,
            simulated_get_latency: self.simulated_get_latency,
            refuse_rfc9421: self.refuse_rfc9421,
            rfc9421_posts: self.rfc9421_posts.clone(),
            accept_signature: self.accept_signature,
            answers: self.answers.clone(),
            posted: self.posted.clone(),
        };
        let app = Router::new().fallback(answer).with_state(state);
        let listener = self.listener.take().expect("served once");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }

    pub fn hits(&self, method: &str, path: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, p, _)| m == method && p == path)
            .count()
    }

    /// The `Signature-Input` of each POST that answered the challenge.
    pub fn challenge_answers(&self) -> Vec<String> {
        self.answers.lock().unwrap().clone()
    }

    /// POSTs signed by RFC 9421 received so far.
    pub fn rfc9421_posts(&self) -> usize {
        self.rfc9421_posts.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The JSON bodies of the POSTs received so far, with their headers.
    pub fn posted(&self) -> Vec<(axum::http::HeaderMap, serde_json::Value)> {
        self.posted.lock().unwrap().clone()
    }

    pub fn total(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

#[derive(Clone)]
struct MockState {
    documents: Arc<Documents>,
    seen: Arc<Mutex<Vec<(String, String, std::time::Instant)>>>,
    post_status: StatusCode,
    simulated_get_latency: std::time::Duration,
    refuse_rfc9421: bool,
    rfc9421_posts: Arc<std::sync::atomic::AtomicUsize>,
    accept_signature: Option<&'static str>,
    answers: Arc<Mutex<Vec<String>>>,
    posted: Arc<Mutex<Vec<(axum::http::HeaderMap, serde_json::Value)>>>,
}

async fn answer(State(state): State<MockState>, request: Request) -> Response {
    let MockState {
        documents,
        seen,
        post_status,
        simulated_get_latency,
        refuse_rfc9421,
        rfc9421_posts,
        accept_signature,
        answers,
        posted,
    } = state;
    let path = request.uri().path().to_owned();
    let method = request.method().as_str().to_owned();
    seen.lock()
        .unwrap()
        .push((method.clone(), path.clone(), std::time::Instant::now()));
    if method == "POST" {
        if let Some(challenge) = accept_signature {
            let input = request
                .headers()
                .get("signature-input")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            if !input.contains("\"date\"") {
                let mut refused = StatusCode::UNAUTHORIZED.into_response();
                refused
                    .headers_mut()
                    .insert("accept-signature", HeaderValue::from_static(challenge));
                return refused;
            }
            answers.lock().unwrap().push(input);
        }
        if request.headers().contains_key("signature-input") {
            rfc9421_posts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if refuse_rfc9421 {
                return StatusCode::UNAUTHORIZED.into_response();
            }
        }
        let headers = request.headers().clone();
        let body = axum::body::to_bytes(request.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        if let Ok(json) = serde_json::from_slice(&body) {
            posted.lock().unwrap().push((headers, json));
        }
        return post_status.into_response();
    }
    // The peer's simulated slowness: the test itself waits for nothing here.
    tokio::time::sleep(simulated_get_latency).await;
    match documents.get(&path) {
        Some((content_type, body)) => {
            let mut response = body.clone().into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub fn new_key() -> RsaPrivateKey {
    RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap()
}

/// An actor document for the mock peer at `/actor`.
pub fn actor_document(
    peer: &MockPeer,
    key: &RsaPrivateKey,
    shared_inbox: Option<String>,
) -> String {
    let pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let mut actor = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": peer.url("/actor"),
        "type": "Organization",
        "preferredUsername": "mock",
        "name": "Mock platform",
        "inbox": peer.url("/inbox"),
        "outbox": peer.url("/outbox"),
        "publicKey": {"id": peer.url("/actor#main-key"), "owner": peer.url("/actor"), "publicKeyPem": pem},
    });
    if let Some(shared) = shared_inbox {
        actor["endpoints"] = json!({"sharedInbox": shared});
    }
    actor.to_string()
}

pub fn follow(actor: &str, object: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", actor.trim_end_matches("/actor"), uuid::Uuid::new_v4()),
        "type": "Follow",
        "actor": actor,
        "object": object,
    }))
    .unwrap()
}

impl MockPeer {
    /// When each request with this method and path arrived.
    pub fn times(&self, method: &str, path: &str) -> Vec<std::time::Instant> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, p, _)| m == method && p == path)
            .map(|(_, _, at)| *at)
            .collect()
    }
}

impl MockPeer {
    /// A peer serving at `/actor` an actor document with `key`'s public
    /// half (and `shared_inbox` as its shared inbox, if given).
    pub async fn with_actor(key: &RsaPrivateKey, shared_inbox: Option<String>) -> MockPeer {
        Self::with_actor_answering(key, shared_inbox, StatusCode::ACCEPTED).await
    }

    /// The same, answering POSTs with `post_status`.
    pub async fn with_actor_answering(
        key: &RsaPrivateKey,
        shared_inbox: Option<String>,
        post_status: StatusCode,
    ) -> MockPeer {
        let mut peer = MockPeer::bind().await;
        peer.post_status = post_status;
        let mut documents = Documents::new();
        documents.insert(
            "/actor".into(),
            (
                "application/activity+json",
                actor_document(&peer, key, shared_inbox),
            ),
        );
        peer.serve(documents);
        peer
    }
}

/// A peer whose server answers GETs of its actor document and resets every
/// POST's connection (no answer, an RST): a server that crashes on each
/// delivery. Raw TCP, since an HTTP framework answers something.
pub struct ResettingPeer {
    pub base: String,
    posts: Arc<Mutex<Vec<std::time::Instant>>>,
}

impl ResettingPeer {
    pub async fn start(key: &RsaPrivateKey) -> ResettingPeer {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        let shape = MockPeer {
            base: base.clone(),
            seen: Arc::default(),
            listener: None,
            post_status: StatusCode::ACCEPTED,
            simulated_get_latency: std::time::Duration::ZERO,
            refuse_rfc9421: false,
            rfc9421_posts: Arc::default(),
            accept_signature: None,
            answers: Arc::default(),
            posted: Arc::default(),
        };
        let actor = actor_document(&shape, key, None);
        let posts: Arc<Mutex<Vec<std::time::Instant>>> = Arc::default();
        let recorded = posts.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (actor, recorded) = (actor.clone(), recorded.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
                        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    if head.starts_with(b"POST") {
                        recorded.lock().unwrap().push(std::time::Instant::now());
                        // Closing with a zero linger sends an RST.
                        let _ = stream.set_zero_linger();
                        return;
                    }
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/activity+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{actor}",
                        actor.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
        ResettingPeer { base, posts }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// When each POST arrived (and was reset).
    pub fn posts(&self) -> Vec<std::time::Instant> {
        self.posts.lock().unwrap().clone()
    }
}

/// A stranger (a mock peer with an actor) posts `activity` to `host`'s
/// inbox, signed; the status.
pub async fn stranger_posts(
    host: &crate::rig::TestNode,
    build: impl Fn(&str, &MockPeer) -> serde_json::Value,
) -> u16 {
    let key = new_key();
    let peer = MockPeer::with_actor(&key, None).await;
    let actor = peer.url("/actor");
    let body = serde_json::to_vec(&build(&actor, &peer)).unwrap();
    crate::signing::SignedPost::new(
        &host.url("/inbox"),
        body,
        &format!("{actor}#main-key"),
        &key,
    )
    .send(&reqwest::Client::new())
    .await
    .status()
    .as_u16()
}
