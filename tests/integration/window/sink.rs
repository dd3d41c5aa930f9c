//! An inbox that answers out of order: each POST waits a random moment, some get 500 or 429, and what it accepted is kept per object.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::Rng;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// How the sink answers a POST that is not refused by `throttle`.
#[derive(Clone, Copy)]
pub struct Answers {
    /// Each POST waits up to this long before its answer.
    pub longest_wait: Duration,
    /// One POST in this many is answered 500 (0: none).
    pub fail_one_in: u32,
    /// Every `Create` is answered 429 with `Retry-After: 1` for this long
    /// after the first one arrived.
    pub throttle: Duration,
}

/// An activity the sink accepted: its type, object and the object's
/// name, if it carried one.
#[derive(Clone, Debug)]
pub struct Accepted {
    pub kind: String,
    pub object: String,
    pub name: Option<String>,
}

#[derive(Default)]
struct Seen {
    /// Accepted activities, first arrival of each id, in order.
    accepted: Vec<Accepted>,
    ids: HashSet<String>,
    /// Accepted again (sent again after a failure above them).
    repeated: usize,
    /// Objects with a request being answered now.
    busy: HashSet<String>,
    /// Requests about an object that arrived while another about the same
    /// object was being answered: what the window must never do.
    overtaking: Vec<String>,
    in_flight: usize,
    most_in_flight: usize,
    first_create: Option<Instant>,
    throttled: usize,
}

#[derive(Clone)]
struct SinkState {
    actor: Arc<String>,
    answers: Answers,
    seen: Arc<Mutex<Seen>>,
}

pub struct Sink {
    pub base: String,
    seen: Arc<Mutex<Seen>>,
}

impl Sink {
    /// A sink serving at `/actor` an actor with `key`'s public half.
    pub async fn start(key: &RsaPrivateKey, answers: Answers) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        let pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let actor = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": format!("{base}/actor"),
            "type": "Organization",
            "preferredUsername": "sink",
            "inbox": format!("{base}/inbox"),
            "outbox": format!("{base}/outbox"),
            "publicKey": {"id": format!("{base}/actor#main-key"), "owner": format!("{base}/actor"), "publicKeyPem": pem},
        });
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = SinkState {
            actor: Arc::new(actor.to_string()),
            answers,
            seen: seen.clone(),
        };
        let app = Router::new()
            .route("/actor", get(actor_document))
            .route("/inbox", post(inbox))
            .with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Sink { base, seen }
    }

    pub fn actor(&self) -> String {
        format!("{}/actor", self.base)
    }

    /// What was accepted, first arrival of each activity, in order.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.seen.lock().unwrap().accepted.clone()
    }

    /// Activities accepted again after their first time.
    pub fn repeated(&self) -> usize {
        self.seen.lock().unwrap().repeated
    }

    /// Requests that overtook another about the same object.
    pub fn overtaking(&self) -> Vec<String> {
        self.seen.lock().unwrap().overtaking.clone()
    }

    /// The most requests answered at once.
    pub fn most_in_flight(&self) -> usize {
        self.seen.lock().unwrap().most_in_flight
    }

    /// `Create`s answered 429.
    pub fn throttled(&self) -> usize {
        self.seen.lock().unwrap().throttled
    }
}

async fn actor_document(State(state): State<SinkState>) -> Response {
    let mut response = state.actor.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/activity+json"),
    );
    response
}

async fn inbox(State(state): State<SinkState>, body: Bytes) -> Response {
    let Ok(activity) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let id = activity["id"].as_str().unwrap_or_default().to_owned();
    let kind = activity["type"].as_str().unwrap_or_default().to_owned();
    let object = match &activity["object"] {
        Value::String(uri) => uri.clone(),
        embedded => embedded["id"].as_str().unwrap_or_default().to_owned(),
    };
    let name = activity["object"]["name"].as_str().map(str::to_owned);
    let answers = state.answers;
    {
        let mut seen = state.seen.lock().unwrap();
        if kind == "Create" {
            let first = *seen.first_create.get_or_insert_with(Instant::now);
            if first.elapsed() < answers.throttle {
                seen.throttled += 1;
                let mut refused = StatusCode::TOO_MANY_REQUESTS.into_response();
                refused
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return refused;
            }
        }
        if !seen.busy.insert(object.clone()) {
            seen.overtaking.push(format!("{kind} {object}"));
        }
        seen.in_flight += 1;
        seen.most_in_flight = seen.most_in_flight.max(seen.in_flight);
    }
    let (wait, fail) = {
        let mut rng = rand::thread_rng();
        let longest = u64::try_from(answers.longest_wait.as_millis()).unwrap_or(0);
        (
            Duration::from_millis(rng.gen_range(0..=longest)),
            answers.fail_one_in > 0 && rng.gen_range(0..answers.fail_one_in) == 0,
        )
    };
    tokio::time::sleep(wait).await;
    let mut seen = state.seen.lock().unwrap();
    seen.in_flight -= 1;
    seen.busy.remove(&object);
    if fail {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    if seen.ids.insert(id) {
        seen.accepted.push(Accepted { kind, object, name });
    } else {
        seen.repeated += 1;
    }
    StatusCode::ACCEPTED.into_response()
}

/// The accepted activities grouped by object, each object's in arrival
/// order.
pub fn by_object(accepted: &[Accepted]) -> HashMap<String, Vec<Accepted>> {
    let mut objects: HashMap<String, Vec<Accepted>> = HashMap::new();
    for activity in accepted {
        objects
            .entry(activity.object.clone())
            .or_default()
            .push(activity.clone());
    }
    objects
}
