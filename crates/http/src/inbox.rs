//! `POST /inbox` (the actor's inbox and the shared inbox), in the order
//! that lets a stranger cost the node least: the size limit, the JSON, the
//! domain policy, then the signature (its shape, the digest, the key from
//! the store or fetched once per window, the verification); only a
//! verified request stores anything or is acted on.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use url::Url;

use crate::apub::actor::INBOX_PATH;
use crate::apub::collection_sync::{self, CollectionSync};
use crate::apub::peer::domain_of;
use crate::apub::signer::{self, SignedRequest};
use crate::context::inbox_tap::Received;
use crate::context::limits::Door;
use crate::domain::follows::synchronization;
use crate::domain::inbound;
use crate::domain::policy;
use crate::error::Error;
use crate::problem::Result;
use crate::state::NodeState;

pub fn routes() -> Router<NodeState> {
    Router::new().route(INBOX_PATH, post(receive))
}

/// Runs in a task of its own from the first byte on: a sender that hangs
/// up mid-request (it timed out) cancels nothing, neither the checks (a
/// key half-fetched) nor the processing (an activity claimed and left
/// unprocessed); its retry then finds the work done.
async fn receive(State(state): State<NodeState>, request: Request) -> Result<Response> {
    tokio::spawn(receive_whole(state, request))
        .await
        .map_err(|e| Error::Internal(format!("inbox processing: {e}")))?
}

async fn receive_whole(state: NodeState, request: Request) -> Result<Response> {
    let (parts, body) = request.into_parts();
    let limit = state.settings.federation.max_body_bytes;
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Error::PayloadTooLarge(format!("inbox bodies are limited to {limit} bytes"))
    })?;
    let envelope: Value = serde_json::from_slice(&body)
        .map_err(|e| Error::BadRequest(format!("malformed JSON: {e}")))?;
    let actor = actor_of(&envelope)?;
    policy::admit_sender(&state, &domain_of(&actor)).await?;

    let request = SignedRequest {
        headers: &parts.headers,
        method: &parts.method,
        uri: &parts.uri,
        body: Some(&body),
    };
    let copy = state.inbox_tap.listened().then(|| envelope.clone());
    let sender = match signer::authenticate(&state, &request, Some(&actor)).await {
        Ok(sender) => sender,
        Err(refused) => {
            tap(
                &state,
                copy,
                Err(refused.to_string()),
                Err(refused.to_string()),
            );
            return Err(refused.into());
        }
    };
    state.limits.check(Door::InboxPerActor, &sender.actor_uri)?;
    let accepted = inbound::accept(&state, envelope, &sender).await;
    let outcome = accepted.as_ref().map(|_| ()).map_err(ToString::to_string);
    tap(&state, copy, Ok(sender.actor_uri.clone()), outcome);
    // FEP-8fcf, after the activity (welcome or not: a follow lost here
    // refuses the sender's publications, which is what the check repairs),
    // in a task of its own, and only for this verified sender. A header
    // its signature does not cover (Fedify's RFC 9421 signatures cover a
    // fixed list) is honoured too, as Mastodon does: it can only make
    // the node fetch the sender's own list from the sender's origin, and
    // only that list is acted on.
    if let Some(sync) = CollectionSync::read(&parts.headers) {
        if !collection_sync::signed(&parts.headers, true) {
            tracing::debug!(peer = %sender.actor_uri, "Collection-Synchronization header outside the signature");
        }
        synchronization::check_delivery(state.app.clone(), sender, sync);
    }
    accepted?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Tells `passerelle inbox`, when it listens, what came and what the
/// checks decided.
fn tap(
    state: &NodeState,
    activity: Option<Value>,
    signature: std::result::Result<String, String>,
    outcome: std::result::Result<(), String>,
) {
    if let Some(activity) = activity {
        state.inbox_tap.send(Received {
            activity,
            signature,
            outcome,
        });
    }
}

fn actor_of(envelope: &Value) -> crate::error::Result<Url> {
    let actor = match envelope.get("actor") {
        Some(Value::String(id)) => id.as_str(),
        Some(Value::Object(actor)) => actor.get("id").and_then(Value::as_str).unwrap_or_default(),
        _ => return Err(Error::BadRequest("the activity has no actor".into())),
    };
    if envelope.get("id").and_then(Value::as_str).is_none() {
        return Err(Error::BadRequest("the activity has no id".into()));
    }
    Url::parse(actor)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
        .ok_or_else(|| Error::BadRequest("the activity's actor is not an http(s) URL".into()))
}
