//! `POST /inbox` (the actor's inbox and the shared inbox). Checks that are
//! cheap and need no network come first (size, JSON, policy, the signature's
//! shape and age); then `activitypub_federation` verifies the digest and
//! the signature with the sender's key, and the activity is handled. A key
//! that no longer verifies is refetched once, for peers that rotated keys.

use activitypub_federation::axum::inbox::{ActivityData, receive_activity};
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use url::Url;

use crate::apub::activities::inbox::InboxActivity;
use crate::apub::actor::INBOX_PATH;
use crate::apub::peer::{Peer, domain_of};
use crate::apub::signature;
use crate::domain::policy;
use crate::error::{Error, Result};
use crate::node::{AppContext, NodeState};

pub fn routes() -> Router<NodeState> {
    Router::new().route(INBOX_PATH, post(inbox))
}

async fn inbox(State(state): State<NodeState>, request: Request) -> Result<Response> {
    let (parts, body) = request.into_parts();
    let limit = state.settings.federation.max_body_bytes;
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Error::PayloadTooLarge(format!("inbox bodies are limited to {limit} bytes"))
    })?;
    let envelope: Value = serde_json::from_slice(&body)
        .map_err(|e| Error::BadRequest(format!("malformed JSON: {e}")))?;
    let actor = actor_of(&envelope)?;
    if let Some(reason) = policy::refusal(&state, &domain_of(&actor)).await? {
        tracing::info!(%actor, reason, "inbox: refused by policy");
        return Err(Error::Forbidden(reason));
    }
    let signer = signature::signer(&parts.headers, true)?;
    if signer != actor {
        return Err(Error::Unauthorized(format!(
            "signed by {signer}, but the activity's actor is {actor}"
        )));
    }

    let data = state.data();
    let first = receive(&data, &parts, &body).await;
    match first {
        Err(Error::Unauthorized(_)) if data.store.peer_by_uri(actor.as_str()).await?.is_some() => {
            // The peer may have rotated its key: refetch its actor once.
            tracing::info!(%actor, "inbox: signature mismatch, refetching the actor's key");
            ObjectId::<Peer>::from(actor.clone())
                .dereference_forced(&data)
                .await?;
            receive(&data, &parts, &body).await?;
        }
        other => other?,
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn receive(
    data: &Data<AppContext>,
    parts: &axum::http::request::Parts,
    body: &Bytes,
) -> Result<()> {
    let mut builder = axum::http::Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone());
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let request = builder
        .body(Body::from(body.clone()))
        .map_err(|e| Error::Internal(format!("rebuilding the request: {e}")))?;
    let activity = ActivityData::from_request(request, &())
        .await
        .map_err(|_| Error::BadRequest("unreadable request".into()))?;
    receive_activity::<InboxActivity, Peer, AppContext>(activity, data).await
}

fn actor_of(envelope: &Value) -> Result<Url> {
    let actor = match envelope.get("actor") {
        Some(Value::String(id)) => id.as_str(),
        Some(Value::Object(actor)) => actor.get("id").and_then(Value::as_str).unwrap_or_default(),
        _ => return Err(Error::BadRequest("the activity has no actor".into())),
    };
    if envelope.get("id").and_then(Value::as_str).is_none() {
        return Err(Error::BadRequest("the activity has no id".into()));
    }
    Url::parse(actor).map_err(|_| Error::BadRequest(format!("actor `{actor}` is not a URL")))
}
