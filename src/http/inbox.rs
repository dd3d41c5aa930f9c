//! `POST /inbox` (the actor's inbox and the shared inbox). Checks that are
//! cheap and need no network come first (size, JSON, policy, the signature's
//! shape and age); then `activitypub_federation` verifies the digest and
//! the signature with the sender's key, and the activity is handled. A key
//! that no longer verifies is refetched once, for peers that rotated keys.

use std::time::{Duration, SystemTime};

use activitypub_federation::axum::inbox::{ActivityData, receive_activity};
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use url::Url;

use crate::apub::activities::inbox::InboxActivity;
use crate::apub::actor::INBOX_PATH;
use crate::apub::peer::{Peer, domain_of};
use crate::domain::policy;
use crate::error::{Error, Result};
use crate::node::{AppContext, NodeState};

/// A `Date` older than this is refused (as `activitypub_federation` also
/// refuses signatures older than an hour).
const MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// A `Date` further than this in the future is refused (clock skew).
const MAX_AHEAD: Duration = Duration::from_secs(10 * 60);
/// Headers a signature must cover.
const REQUIRED_SIGNED_HEADERS: [&str; 4] = ["(request-target)", "host", "date", "digest"];

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
    check_signature_shape(&parts.headers, &actor)?;

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

/// The parts of the `Signature` header (draft-cavage).
fn signature_params(header: &str) -> Vec<(String, String)> {
    header
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| {
            (
                name.trim().to_ascii_lowercase(),
                value.trim().trim_matches('"').to_owned(),
            )
        })
        .collect()
}

/// Refuses unsigned requests, signatures that do not cover the required
/// headers, keys of another actor than the activity's, and stale dates.
fn check_signature_shape(headers: &HeaderMap, actor: &Url) -> Result<()> {
    let signature = headers
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Unauthorized("the request has no HTTP signature".into()))?;
    let params = signature_params(signature);
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let covered: Vec<String> = param("headers")
        .unwrap_or("date")
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    if let Some(missing) = REQUIRED_SIGNED_HEADERS
        .iter()
        .find(|h| !covered.iter().any(|c| c == *h))
    {
        return Err(Error::Unauthorized(format!(
            "the signature must cover (request-target), host, date and digest; `{missing}` is missing"
        )));
    }
    let key_id =
        param("keyid").ok_or_else(|| Error::Unauthorized("the signature has no keyId".into()))?;
    let mut key_owner = Url::parse(key_id)
        .map_err(|_| Error::Unauthorized(format!("keyId `{key_id}` is not a URL")))?;
    key_owner.set_fragment(None);
    if key_owner != *actor {
        return Err(Error::Unauthorized(format!(
            "signed by {key_owner}, but the activity's actor is {actor}"
        )));
    }
    let date = headers
        .get("date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Unauthorized("the request has no Date".into()))?;
    let date = httpdate::parse_http_date(date)
        .map_err(|_| Error::Unauthorized(format!("unreadable Date `{date}`")))?;
    let now = SystemTime::now();
    let too_old = now.duration_since(date).is_ok_and(|age| age > MAX_AGE);
    let too_new = date
        .duration_since(now)
        .is_ok_and(|ahead| ahead > MAX_AHEAD);
    if too_old || too_new {
        return Err(Error::Unauthorized(format!(
            "the Date is outside the accepted window (at most {} minutes old, {} ahead)",
            MAX_AGE.as_secs() / 60,
            MAX_AHEAD.as_secs() / 60
        )));
    }
    Ok(())
}
