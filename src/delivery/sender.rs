//! Sending one peer's stream: signed POSTs to its inbox, in log order.

use std::time::{Duration, Instant};

use http::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::apub::knocking::{self, Signing};
use crate::apub::message_signature::Challenge;
use crate::delivery::addressing::{Recipient, addressed_to};
use crate::delivery::backoff::retry_delay_ms;
use crate::domain::{policy, publish};
use crate::error::{Error, Result};
use crate::model::FollowerState;
use crate::node::NodeState;
use crate::store::{OutgoingActivity, PeerRow, StreamProgress, StreamRow, now_millis};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A pass stops sending once half the lease is gone and each request is
/// cut at a quarter of it: the lease always outlives the holder's sends,
/// so no other replica takes a stream over while a request is in flight.
fn request_timeout(lease: Duration) -> Duration {
    REQUEST_TIMEOUT.min(lease / 4)
}

/// How one POST went.
pub(crate) enum Outcome {
    Delivered,
    /// Refused for good (4xx other than 408/429): skipped for this peer.
    Refused(StatusCode),
    /// 404 or 410 from the inbox itself: the peer is gone.
    Gone(StatusCode),
    /// To retry, not before `retry_after` when the peer said so.
    Failed {
        error: String,
        retry_after: Option<Duration>,
    },
}

/// Delivers a pass of one peer's stream; true when more work is waiting.
pub async fn deliver_stream(state: &NodeState, owner: &str, stream: StreamRow, batch: i64) -> bool {
    let peer_id = stream.peer_id;
    let more = match deliver(state, owner, &stream, batch).await {
        Ok(more) => more,
        Err(e) => {
            tracing::warn!(peer_id, error = %e, "delivery: stream error");
            false
        }
    };
    if let Err(e) = state.store.release_delivery_stream(peer_id, owner).await {
        tracing::warn!(peer_id, error = %e, "delivery: cannot release the stream");
    }
    more
}

async fn deliver(state: &NodeState, owner: &str, stream: &StreamRow, batch: i64) -> Result<bool> {
    let started = Instant::now();
    let store = &state.store;
    let Some(peer) = store.peer(stream.peer_id).await? else {
        return Ok(false);
    };
    let approved_follower = store
        .follow_in_by_peer(peer.id)
        .await?
        .is_some_and(|request| request.state == FollowerState::Approved);
    let recipient = Recipient {
        peer: &peer,
        approved_follower,
    };
    let Some(inbox) = crate::apub::peer::delivery_inbox(&peer).map(String::from) else {
        let error = "the peer has no inbox on its own origin";
        tracing::warn!(peer = %peer.actor_uri, error, "delivery: nothing sent");
        let progress = StreamProgress {
            cursor: stream.cursor,
            delivered_any: false,
            failures: stream.failures + 1,
        };
        let retry_at = now_millis() + retry_delay_ms(stream.failures);
        store
            .delivery_failed(peer.id, owner, &progress, error, retry_at)
            .await?;
        return Ok(false);
    };
    let refused = policy::refusal(state, &peer.domain).await?;
    let mut cursor = stream.cursor;
    let mut delivered_any = false;
    let mut receipts = Vec::new();
    let activities = store.activities_after(stream.cursor, batch).await?;
    let full_batch = activities.len() as i64 == batch;
    for activity in activities {
        // Stop well before the lease runs out, so no other replica can take
        // the stream over while this one still sends.
        if started.elapsed() > state.settings.delivery.lease / 2 {
            store
                .advance_delivery_stream(peer.id, owner, cursor, delivered_any)
                .await?;
            store.record_receipts(peer.id, &receipts).await?;
            return Ok(true);
        }
        let governance = activity.target_peer_id == Some(peer.id);
        let to_send: Option<(std::borrow::Cow<'_, str>, &str)> = if activity.withdrawn {
            // Its object was deleted before this peer got it: the content
            // is gone, and the Delete that follows says so.
            None
        } else if let (Some(reason), false) = (&refused, governance) {
            // Blocked or excluded since it was followed: it receives no
            // publication, and none waits for it. Governance addressed to
            // it alone (the Reject, the Undo that end the relationship)
            // still goes out.
            tracing::info!(peer = %peer.actor_uri, activity = %activity.uri, reason, "delivery skipped by policy");
            state
                .metrics
                .deliveries
                .with_label_values(&["peer", "refused_by_policy"])
                .inc();
            None
        } else if addressed_to(&activity, &recipient) {
            Some((activity.document.as_str().into(), activity.kind.as_str()))
        } else {
            withdrawal(state, &peer, &activity, &receipts)
                .await?
                .map(|document| (document.into(), "Delete"))
        };
        if let Some((document, sent_kind)) = to_send {
            let failures_so_far = if delivered_any { 0 } else { stream.failures };
            match post(state, &peer, &inbox, &document, failures_so_far).await {
                Outcome::Delivered => {
                    delivered_any = true;
                    if let Some(object_id) = activity.object_id {
                        receipts.push((object_id, activity.id, sent_kind.to_owned()));
                    }
                    state
                        .metrics
                        .deliveries
                        .with_label_values(&["peer", "delivered"])
                        .inc();
                    let latency = (now_millis() - activity.published_at).max(0) as f64 / 1000.0;
                    state
                        .metrics
                        .delivery_latency
                        .with_label_values(&["peer"])
                        .observe(latency);
                }
                Outcome::Refused(status) => {
                    state
                        .metrics
                        .deliveries
                        .with_label_values(&["peer", "refused"])
                        .inc();
                    tracing::warn!(peer = %peer.actor_uri, activity = %activity.uri, %status, "delivery refused by the peer: skipped");
                    let why = format!("{} refused with {status}", activity.uri);
                    store.delivery_skipped(peer.id, owner, &why).await?;
                }
                Outcome::Gone(status) => {
                    state
                        .metrics
                        .deliveries
                        .with_label_values(&["peer", "gone"])
                        .inc();
                    let why = format!("{inbox} answered {status}: the peer is gone");
                    tracing::warn!(peer = %peer.actor_uri, %status, "the peer's inbox is gone: delivery paused until it is heard from");
                    store
                        .advance_delivery_stream(peer.id, owner, cursor, delivered_any)
                        .await?;
                    store.record_receipts(peer.id, &receipts).await?;
                    store.delivery_gone(peer.id, owner, &why).await?;
                    return Ok(false);
                }
                Outcome::Failed { error, retry_after } => {
                    state
                        .metrics
                        .deliveries
                        .with_label_values(&["peer", "failed"])
                        .inc();
                    store.record_receipts(peer.id, &receipts).await?;
                    // A pass that got something through starts a new run
                    // of failures; otherwise the run goes on and the wait
                    // doubles.
                    let failures = if delivered_any {
                        1
                    } else {
                        stream.failures + 1
                    };
                    let progress = StreamProgress {
                        cursor,
                        delivered_any,
                        failures,
                    };
                    let backoff = retry_delay_ms(failures - 1);
                    let asked = retry_after.map_or(0, |d| d.as_millis() as i64);
                    tracing::info!(peer = %peer.actor_uri, activity = %activity.uri, error, failures, "delivery failed: will retry");
                    let retry_at = now_millis() + backoff.max(asked);
                    store
                        .delivery_failed(peer.id, owner, &progress, &error, retry_at)
                        .await?;
                    return Ok(false);
                }
            }
        }
        cursor = activity.id;
    }
    store
        .advance_delivery_stream(peer.id, owner, cursor, delivered_any)
        .await?;
    store.record_receipts(peer.id, &receipts).await?;
    Ok(full_batch)
}

/// The `Delete` a peer is owed when an activity about an object it holds
/// no longer includes it (the audience was narrowed, the peer stopped
/// following) or deletes the object: whoever received it is told to drop it.
async fn withdrawal(
    state: &NodeState,
    peer: &PeerRow,
    activity: &OutgoingActivity,
    sent_in_this_pass: &[(i64, i64, String)],
) -> Result<Option<String>> {
    let Some(object_id) = activity.object_id else {
        return Ok(None);
    };
    if !matches!(activity.kind.as_str(), "Update" | "Delete") {
        return Ok(None);
    }
    let held_kind = match sent_in_this_pass
        .iter()
        .rev()
        .find(|(o, _, _)| *o == object_id)
    {
        Some((_, _, kind)) => Some(kind.clone()),
        None => state.store.receipt_kind(peer.id, object_id).await?,
    };
    if held_kind.is_none_or(|kind| kind == "Delete") {
        return Ok(None);
    }
    if activity.kind == "Delete" {
        return Ok(Some(activity.document.clone()));
    }
    let Some(object_uri) = state.store.object_uri(object_id).await? else {
        return Ok(None);
    };
    tracing::info!(peer = %peer.actor_uri, object = %object_uri, "the peer left the object's audience: sending Delete");
    publish::withdrawal_for(state, &object_uri, &activity.uri, &peer.actor_uri).map(Some)
}

async fn post(
    state: &NodeState,
    peer: &PeerRow,
    inbox: &str,
    document: &str,
    failures: i64,
) -> Outcome {
    match try_post(state, peer, inbox, document, failures).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome::Failed {
            error: e.to_string(),
            retry_after: None,
        },
    }
}

/// The delay a `Retry-After` header asks for (seconds or an HTTP date).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds.min(7 * 24 * 3600)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    date.duration_since(std::time::SystemTime::now()).ok()
}

/// 401 and 403 are retried this many times in a row before the activity is
/// skipped: the peer may hold a stale copy of our key, refreshed on retry.
pub(crate) const AUTH_RETRIES: i64 = 3;

/// Classifies an HTTP status: 2xx delivered, 4xx (but 408/429, and 401/403
/// while `failures` is below `AUTH_RETRIES`) refused for good, anything else
/// to retry.
pub(crate) fn outcome_of(response: &reqwest::Response, target: &str, failures: i64) -> Outcome {
    let status = response.status();
    let auth_retry = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        && failures < AUTH_RETRIES;
    if status.is_success() {
        Outcome::Delivered
    } else if matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE) {
        Outcome::Gone(status)
    } else if status.is_client_error()
        && status != StatusCode::REQUEST_TIMEOUT
        && status != StatusCode::TOO_MANY_REQUESTS
        && !auth_retry
    {
        Outcome::Refused(status)
    } else {
        Outcome::Failed {
            error: format!("{target} answered {status}"),
            retry_after: retry_after(response.headers()),
        }
    }
}

/// POSTs `document` to `inbox`, signed as the peer is known to accept, or
/// knocking twice (RFC 9421, then draft-cavage after a 400 or 401, or the
/// reverse by `federation.first_signature`) when it is not known yet.
async fn try_post(
    state: &NodeState,
    peer: &PeerRow,
    inbox: &str,
    document: &str,
    failures: i64,
) -> Result<Outcome> {
    let inbox_url =
        url::Url::parse(inbox).map_err(|e| Error::Internal(format!("peer inbox: {e}")))?;
    let origin = inbox_url.origin().ascii_serialization();
    let actor = serde_json::from_str::<serde_json::Value>(&peer.actor_json).ok();
    let schemes = state
        .knocking
        .order(&state.settings, &origin, actor.as_ref());
    let mut last = None;
    for (n, signing) in schemes.iter().enumerate() {
        let request = signed_post(state, &inbox_url, document, *signing, None).await?;
        let response = match state.http.execute(request).await {
            Ok(response) => response,
            Err(e) => {
                return Ok(Outcome::Failed {
                    error: crate::outbound::describe(&e),
                    retry_after: None,
                });
            }
        };
        let status = response.status();
        if let Some(challenge) = challenge_of(&response) {
            // The server said what it wants signed: answer that once.
            match signed_post(state, &inbox_url, document, *signing, Some(&challenge)).await {
                Ok(request) => {
                    return Ok(match state.http.execute(request).await {
                        Ok(response) => outcome_of(&response, inbox, failures),
                        Err(e) => Outcome::Failed {
                            error: crate::outbound::describe(&e),
                            retry_after: None,
                        },
                    });
                }
                Err(e) => {
                    tracing::info!(%origin, error = %e, "cannot answer the signature challenge");
                }
            }
        }
        let knock_again = n + 1 < schemes.len()
            && matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED);
        if knock_again {
            tracing::debug!(%origin, scheme = signing.label(), %status, "signature refused: knocking with the other");
            last = Some(response);
            continue;
        }
        if status.is_success() {
            state.knocking.remember(&origin, *signing);
        }
        return Ok(outcome_of(&response, inbox, failures));
    }
    Ok(match last {
        Some(response) => outcome_of(&response, inbox, failures),
        None => Outcome::Failed {
            error: "no signature scheme to try".into(),
            retry_after: None,
        },
    })
}

/// The `Accept-Signature` challenge of a 401 (RFC 9421 section 5.1).
fn challenge_of(response: &reqwest::Response) -> Option<Challenge> {
    if response.status() != StatusCode::UNAUTHORIZED {
        return None;
    }
    let header = response.headers().get("accept-signature")?.to_str().ok()?;
    Challenge::parse(header)
}

/// A POST of `document` to `inbox`, signed by `signing`, or as
/// `challenge` asks when there is one.
async fn signed_post(
    state: &NodeState,
    inbox: &url::Url,
    document: &str,
    signing: Signing,
    challenge: Option<&Challenge>,
) -> Result<reqwest::Request> {
    let builder = state
        .http
        .post(inbox.as_str())
        .timeout(request_timeout(state.settings.delivery.lease));
    knocking::sign(
        &state.data(),
        builder,
        &http::Method::POST,
        inbox,
        Some(document),
        signing,
        challenge,
    )
    .await
}
