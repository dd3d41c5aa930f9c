//! Webhooks to the platform: it registers endpoints and hears about its
//! catalog and its governance. Deliveries are signed following the
//! Standard Webhooks convention (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256>`), queued durably and retried.

use crate::model::WebhookId;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;
use url::Url;

use crate::audit;
use crate::context::Context;
use crate::error::{Error, Result, Violation};
use crate::listing::{Page, PageRequest};
use crate::model::time;
use crate::store::{ChangeTx, WebhookDeliveryRow, WebhookRow};

/// Events a webhook can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    CatalogCreated,
    CatalogUpdated,
    CatalogDeleted,
    FollowRequestReceived,
    FollowAccepted,
    FollowRejected,
    PeerExcluded,
    AgreementOffered,
    AgreementAccepted,
    AgreementRejected,
    AgreementCompleted,
    AgreementCancelled,
    AmendmentOpened,
    AmendmentClosed,
    NetworkMemberJoined,
    NetworkMemberLeft,
    NetworkVoteOpened,
    NetworkVoteClosed,
}

pub const EVENTS: [Event; 18] = [
    Event::CatalogCreated,
    Event::CatalogUpdated,
    Event::CatalogDeleted,
    Event::FollowRequestReceived,
    Event::FollowAccepted,
    Event::FollowRejected,
    Event::PeerExcluded,
    Event::AgreementOffered,
    Event::AgreementAccepted,
    Event::AgreementRejected,
    Event::AgreementCompleted,
    Event::AgreementCancelled,
    Event::AmendmentOpened,
    Event::AmendmentClosed,
    Event::NetworkMemberJoined,
    Event::NetworkMemberLeft,
    Event::NetworkVoteOpened,
    Event::NetworkVoteClosed,
];

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::CatalogCreated => "catalog.created",
            Event::CatalogUpdated => "catalog.updated",
            Event::CatalogDeleted => "catalog.deleted",
            Event::FollowRequestReceived => "follow_request.received",
            Event::FollowAccepted => "follow.accepted",
            Event::FollowRejected => "follow.rejected",
            Event::PeerExcluded => "peer.excluded",
            Event::AgreementOffered => "agreement.offered",
            Event::AgreementAccepted => "agreement.accepted",
            Event::AgreementRejected => "agreement.rejected",
            Event::AgreementCompleted => "agreement.completed",
            Event::AgreementCancelled => "agreement.cancelled",
            Event::AmendmentOpened => "amendment.opened",
            Event::AmendmentClosed => "amendment.closed",
            Event::NetworkMemberJoined => "network.member_joined",
            Event::NetworkMemberLeft => "network.member_left",
            Event::NetworkVoteOpened => "network.vote_opened",
            Event::NetworkVoteClosed => "network.vote_closed",
        }
    }

    pub fn parse(name: &str) -> Option<Event> {
        EVENTS.into_iter().find(|e| e.as_str() == name)
    }
}

/// A registered endpoint, as the platform sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: WebhookId,
    pub url: String,
    pub events: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub disabled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Only in the answer to its creation: signs deliveries (Standard Webhooks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookView {
    fn of(row: &WebhookRow, with_secret: bool) -> WebhookView {
        WebhookView {
            id: row.id,
            url: row.url.clone(),
            events: serde_json::from_str(&row.events).unwrap_or_default(),
            created_at: time::format_millis(row.created_at),
            disabled_at: row.disabled_at.map(time::format_millis),
            disabled_reason: row.disabled_reason.clone(),
            secret: with_secret.then(|| row.secret.clone()),
        }
    }
}

/// Every registered endpoint, secrets withheld.
pub async fn list(ctx: &Context) -> Result<Vec<WebhookView>> {
    Ok(ctx
        .store
        .webhooks()
        .await?
        .iter()
        .map(|row| WebhookView::of(row, false))
        .collect())
}

/// Removes an endpoint and its queued events.
pub async fn delete(ctx: &Context, id: &str) -> Result<()> {
    let id = crate::model::parse_id(id)?;
    if ctx.store.delete_webhook(id).await? {
        Ok(())
    } else {
        Err(Error::NotFound(format!("no webhook {id}")))
    }
}

/// Registers an endpoint; returns it with its secret (shown only now).
pub async fn create(ctx: &Context, url: &str, events: &[String]) -> Result<WebhookView> {
    let parsed = Url::parse(url).map_err(|_| {
        Error::Unprocessable(vec![Violation {
            pointer: "/url".into(),
            detail: format!("`{url}` is not a URL"),
        }])
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::Unprocessable(vec![Violation {
            pointer: "/url".into(),
            detail: "must be an http(s) URL with a host".into(),
        }]));
    }
    // Checked again by the client at every delivery (the name may resolve
    // elsewhere later).
    passerelle_outbound::check_target(&parsed, ctx.settings.federation.allow_private_addresses)
        .await
        .map_err(|e| {
            Error::Unprocessable(vec![Violation {
                pointer: "/url".into(),
                detail: e.to_string(),
            }])
        })?;
    if events.is_empty() {
        return Err(Error::Unprocessable(vec![Violation {
            pointer: "/events".into(),
            detail: "name at least one event".into(),
        }]));
    }
    for (index, event) in events.iter().enumerate() {
        if Event::parse(event).is_none() {
            let known: Vec<&str> = EVENTS.iter().map(|e| e.as_str()).collect();
            return Err(Error::Unprocessable(vec![Violation {
                pointer: format!("/events/{index}"),
                detail: format!("`{event}` is not one of {}", known.join(", ")),
            }]));
        }
    }
    let mut secret = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let secret = format!("whsec_{}", STANDARD.encode(secret));
    let events = serde_json::to_string(events)?;
    let row = ctx
        .store
        .insert_webhook(parsed.as_str(), &events, &secret)
        .await?;
    Ok(WebhookView::of(&row, true))
}

fn subscribed(webhook: &WebhookRow, event: Event) -> bool {
    webhook.disabled_at.is_none()
        && serde_json::from_str::<Vec<String>>(&webhook.events)
            .is_ok_and(|events| events.iter().any(|e| e == event.as_str()))
}

/// Queues `event` for every endpoint subscribed to it, in the change that
/// raised it (the worker is woken when it commits). `key` identifies the
/// event so that the same change is never queued twice.
pub async fn emit(tx: &mut ChangeTx, event: Event, key: &str, data: Value) -> Result<()> {
    let webhooks = tx.webhooks().await?;
    if !webhooks.iter().any(|w| subscribed(w, event)) {
        return Ok(());
    }
    let event_id = format!(
        "msg_{}",
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("{}|{key}", event.as_str()).as_bytes()
        )
        .simple()
    );
    let peer = data.get("peer").and_then(Value::as_str).map(str::to_owned);
    let peer = peer.as_deref();
    let payload = json!({"type": event.as_str(), "timestamp": time::now(), "data": data});
    let payload = serde_json::to_string(&payload)?;
    for webhook in webhooks.iter().filter(|w| subscribed(w, event)) {
        tx.queue_webhook_event(webhook.id, &event_id, event.as_str(), &payload, peer)
            .await?;
    }
    Ok(())
}

/// The event a test sends: it names no change, only the endpoint.
pub const TEST_EVENT: &str = "webhook.test";

/// One event queued for an endpoint and what became of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookDelivery {
    pub id: i64,
    /// The `webhook-id` the endpoint receives.
    pub event_id: String,
    pub event: String,
    /// `delivered`, `failing` (tried, to be tried again) or `waiting`.
    pub state: &'static str,
    pub attempts: i64,
    #[schema(format = DateTime)]
    pub queued_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl WebhookDelivery {
    fn of(row: &WebhookDeliveryRow) -> WebhookDelivery {
        let state = match (row.delivered_at, row.attempts) {
            (Some(_), _) => "delivered",
            (None, 0) => "waiting",
            (None, _) => "failing",
        };
        WebhookDelivery {
            id: row.id,
            event_id: row.event_id.clone(),
            event: row.event.clone(),
            state,
            attempts: row.attempts,
            queued_at: time::format_millis(row.created_at),
            delivered_at: row.delivered_at.map(time::format_millis),
            next_attempt_at: row
                .delivered_at
                .is_none()
                .then(|| time::format_millis(row.next_attempt_at)),
            last_error: row.last_error.clone(),
        }
    }
}

async fn existing(ctx: &Context, id: WebhookId) -> Result<WebhookRow> {
    ctx.store
        .webhook(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no webhook {id}")))
}

/// One endpoint, secret withheld.
pub async fn get(ctx: &Context, id: WebhookId) -> Result<WebhookView> {
    Ok(WebhookView::of(&existing(ctx, id).await?, false))
}

/// A page of what was queued for an endpoint, newest first (the cursor
/// is the last id seen).
pub async fn deliveries(
    ctx: &Context,
    id: WebhookId,
    page: &PageRequest,
) -> Result<Page<WebhookDelivery>> {
    existing(ctx, id).await?;
    let rows = ctx
        .store
        .webhook_deliveries(id, page.cursor, page.limit + 1)
        .await?;
    Ok(Page::of_rows(
        rows,
        page.limit,
        |row| row.id,
        WebhookDelivery::of,
    ))
}

/// Enables an endpoint disabled after failures: what waits for it is
/// sent again now. Audited; refused (nothing changed) when it is enabled.
pub async fn enable(ctx: &Context, id: WebhookId, by: &str) -> Result<WebhookView> {
    let row = existing(ctx, id).await?;
    if row.disabled_at.is_none() {
        return Err(Error::Conflict(format!("webhook {id} is not disabled")));
    }
    let mut tx = crate::change::begin(ctx).await?;
    tx.enable_webhook(id).await?;
    audit::record(
        &mut tx,
        audit::Event::WebhookEnabled,
        None,
        by,
        &format!("webhook {} enabled again", row.url),
    )
    .await?;
    crate::change::commit(ctx, tx).await?;
    get(ctx, id).await
}

/// Queues a `webhook.test` event for this endpoint alone, whatever it
/// subscribed to; returns its event id. Audited; refused while the
/// endpoint is disabled (it would not be sent).
pub async fn send_test(ctx: &Context, id: WebhookId, by: &str) -> Result<String> {
    let row = existing(ctx, id).await?;
    if row.disabled_at.is_some() {
        return Err(Error::Conflict(format!(
            "webhook {id} is disabled: enable it before testing it"
        )));
    }
    let event_id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let payload = json!({
        "type": TEST_EVENT,
        "timestamp": time::now(),
        "data": {"webhook": id, "url": row.url},
    });
    let mut tx = crate::change::begin(ctx).await?;
    tx.queue_webhook_event(
        id,
        &event_id,
        TEST_EVENT,
        &serde_json::to_string(&payload)?,
        None,
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::WebhookTested,
        None,
        by,
        &format!("test event {event_id} queued for webhook {}", row.url),
    )
    .await?;
    crate::change::commit(ctx, tx).await?;
    Ok(event_id)
}

/// `v1,<signature>` of a delivery, per Standard Webhooks.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|e| Error::Internal(format!("webhook secret: {e}")))?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&key).map_err(|e| Error::Internal(e.to_string()))?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_example_signature() {
        // The example of the Standard Webhooks specification.
        let signature = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
