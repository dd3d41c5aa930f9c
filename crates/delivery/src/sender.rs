//! Sending one activity to a peer's inbox: a signed POST, knocking again
//! with the other signature scheme or as a challenge asks, and what the
//! answer means for the stream.

use std::time::Duration;

use http::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::apub::collection_sync;
use crate::apub::knocking;
use crate::apub::message_signature::Challenge;
use crate::context::Context;
use crate::context::knocking::Signing;
use crate::error::{Error, Result};
use crate::store::PeerRow;

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
    /// To retry, not before `retry_after` when the peer said so;
    /// `slow_down` when the peer is overloaded (429, 5xx, `Retry-After`)
    /// rather than unreachable, so fewer requests go to it at once.
    Failed {
        error: String,
        retry_after: Option<Duration>,
        slow_down: bool,
    },
}

/// A document to POST, and the `Collection-Synchronization` header value
/// that goes (signed) with it, if any.
pub(super) type Content<'a> = (&'a str, Option<&'a str>);

/// POSTs `document` to the peer's `inbox`; an error making the request is
/// a failure to retry.
pub(super) async fn post(
    state: &Context,
    peer: &PeerRow,
    inbox: &str,
    document: Content<'_>,
    failures: i64,
) -> Outcome {
    match try_post(state, peer, inbox, document, failures).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome::Failed {
            error: e.to_string(),
            retry_after: None,
            slow_down: false,
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
        let retry_after = retry_after(response.headers());
        Outcome::Failed {
            error: format!("{target} answered {status}"),
            slow_down: status == StatusCode::TOO_MANY_REQUESTS
                || status.is_server_error()
                || retry_after.is_some(),
            retry_after,
        }
    }
}

/// POSTs `document` to `inbox`, signed as the peer is known to accept, or
/// knocking twice (RFC 9421, then draft-cavage after a 400 or 401, or the
/// reverse by `federation.first_signature`) when it is not known yet.
async fn try_post(
    state: &Context,
    peer: &PeerRow,
    inbox: &str,
    document: Content<'_>,
    failures: i64,
) -> Result<Outcome> {
    let inbox_url =
        url::Url::parse(inbox).map_err(|e| Error::Internal(format!("peer inbox: {e}")))?;
    let origin = inbox_url.origin().ascii_serialization();
    let actor = serde_json::from_str::<serde_json::Value>(&peer.actor_json).ok();
    let schemes = knocking::order(state, &origin, actor.as_ref());
    let mut last = None;
    for (n, signing) in schemes.iter().enumerate() {
        let request = signed_post(state, &inbox_url, document, *signing, None).await?;
        let response = match state.http.execute(request).await {
            Ok(response) => response,
            Err(e) => {
                return Ok(Outcome::Failed {
                    error: passerelle_outbound::describe(&e),
                    retry_after: None,
                    slow_down: false,
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
                            error: passerelle_outbound::describe(&e),
                            retry_after: None,
                            slow_down: false,
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
            slow_down: false,
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
    state: &Context,
    inbox: &url::Url,
    (document, followers_sync): Content<'_>,
    signing: Signing,
    challenge: Option<&Challenge>,
) -> Result<reqwest::Request> {
    let builder = state
        .http
        .post(inbox.as_str())
        .timeout(request_timeout(state.settings.delivery.lease));
    let extra: Vec<(&'static str, String)> = followers_sync
        .map(|value| (collection_sync::HEADER, value.to_owned()))
        .into_iter()
        .collect();
    knocking::sign(
        state,
        builder,
        &http::Method::POST,
        inbox,
        Some(document),
        &extra,
        signing,
        challenge,
    )
    .await
}
