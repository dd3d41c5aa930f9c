//! Sending one peer's stream: signed POSTs to its inbox, in log order.

use bytes::Bytes;
use http::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::apub::context::ACTIVITY_JSON;
use crate::delivery::addressing::{Recipient, addressed_to};
use crate::delivery::backoff::retry_delay_ms;
use crate::error::{Error, Result};
use crate::node::NodeState;
use crate::store::{StreamRow, now_millis};

/// How one POST went.
enum Outcome {
    Delivered,
    /// Refused for good (4xx other than 408/429): skipped for this peer.
    Refused(StatusCode),
    Failed(String),
}

pub async fn deliver_stream(state: &NodeState, stream: StreamRow, batch: i64) {
    if let Err(e) = deliver(state, &stream, batch).await {
        tracing::warn!(peer_id = stream.peer_id, error = %e, "delivery: stream error");
    }
}

async fn deliver(state: &NodeState, stream: &StreamRow, batch: i64) -> Result<()> {
    let store = &state.store;
    let Some(peer) = store.peer(stream.peer_id).await? else {
        return Ok(());
    };
    let approved_follower = store
        .follow_in_by_peer(peer.id)
        .await?
        .is_some_and(|request| request.state == "approved");
    let recipient = Recipient {
        peer: &peer,
        approved_follower,
    };
    let inbox = peer
        .shared_inbox
        .clone()
        .unwrap_or_else(|| peer.inbox.clone());
    let mut cursor = stream.cursor;
    let mut delivered_any = false;
    for activity in store.activities_after(stream.cursor, batch).await? {
        if addressed_to(&activity, &recipient) {
            match post(state, &inbox, &activity.document).await {
                Outcome::Delivered => delivered_any = true,
                Outcome::Refused(status) => {
                    tracing::warn!(peer = %peer.actor_uri, activity = %activity.uri, %status, "delivery refused by the peer: skipped");
                }
                Outcome::Failed(error) => {
                    store
                        .advance_delivery_stream(peer.id, cursor, delivered_any)
                        .await?;
                    let next = now_millis() + retry_delay_ms(stream.failures);
                    tracing::info!(peer = %peer.actor_uri, activity = %activity.uri, error, "delivery failed: will retry");
                    store.delivery_failed(peer.id, &error, next).await?;
                    return Ok(());
                }
            }
        }
        cursor = activity.id;
    }
    store
        .advance_delivery_stream(peer.id, cursor, delivered_any)
        .await
}

async fn post(state: &NodeState, inbox: &str, document: &str) -> Outcome {
    match try_post(state, inbox, document).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

async fn try_post(state: &NodeState, inbox: &str, document: &str) -> Result<Outcome> {
    let inbox_url =
        url::Url::parse(inbox).map_err(|e| Error::Internal(format!("peer inbox: {e}")))?;
    let client = crate::apub::fetch::client();
    let signing_client = reqwest_middleware::ClientWithMiddleware::from(client.clone());
    let host = match inbox_url.port() {
        Some(port) => format!("{}:{port}", inbox_url.host_str().unwrap_or_default()),
        None => inbox_url.host_str().unwrap_or_default().to_owned(),
    };
    let builder = signing_client
        .post(inbox_url.as_str())
        .timeout(std::time::Duration::from_secs(10))
        .header(CONTENT_TYPE, HeaderValue::from_static(ACTIVITY_JSON))
        .header("host", host)
        .header(
            "date",
            httpdate::fmt_http_date(std::time::SystemTime::now()),
        );
    let request = state
        .data()
        .sign_request(builder, Bytes::from(document.to_owned()))
        .await
        .map_err(|e| Error::Internal(format!("signing: {e}")))?;
    let response = match client.execute(request).await {
        Ok(response) => response,
        Err(e) => return Ok(Outcome::Failed(e.to_string())),
    };
    let status = response.status();
    Ok(if status.is_success() {
        Outcome::Delivered
    } else if status.is_client_error()
        && status != StatusCode::REQUEST_TIMEOUT
        && status != StatusCode::TOO_MANY_REQUESTS
    {
        Outcome::Refused(status)
    } else {
        Outcome::Failed(format!("{inbox} answered {status}"))
    })
}
