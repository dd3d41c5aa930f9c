//! Delivering webhook events to the platform, signed (Standard Webhooks),
//! retried with the same backoff as peers; an endpoint failing for longer
//! than `delivery.dead_after` is disabled, with an audit entry.

use std::time::Duration;

use reqwest::header::CONTENT_TYPE;

use crate::backoff::retry_delay_ms;
use crate::context::Context;
use crate::domain::{audit, webhooks};
use crate::sender::{Outcome, outcome_of};
use crate::store::{WebhookEventRow, now_millis};

const BATCH: i64 = 50;

/// Sends the events that are due; true when a full batch was read (more
/// may be waiting).
pub async fn deliver_due(state: &Context) -> bool {
    let events = match state.store.due_webhook_events(BATCH).await {
        Ok(events) => events,
        Err(e) => {
            tracing::warn!(error = %e, "webhooks: cannot read the queue");
            return false;
        }
    };
    let full_batch = crate::model::count(events.len()) == BATCH;
    for event in events {
        if let Err(e) = deliver(state, &event).await {
            tracing::warn!(event = event.event_id, error = %e, "webhooks: delivery error");
        }
    }
    full_batch
}

async fn deliver(state: &Context, event: &WebhookEventRow) -> crate::error::Result<()> {
    let Some(webhook) = state.store.webhook(event.webhook_id).await? else {
        return Ok(());
    };
    let timestamp = now_millis() / 1000;
    let signature =
        webhooks::signature(&webhook.secret, &event.event_id, timestamp, &event.payload)?;
    let sent = state
        .http
        .post(&webhook.url)
        .timeout(Duration::from_secs(10))
        .header(CONTENT_TYPE, "application/json")
        .header("webhook-id", &event.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(event.payload.clone())
        .send()
        .await;
    let outcome = match sent {
        Ok(response) => outcome_of(&response, &webhook.url, event.attempts),
        Err(e) => Outcome::Failed {
            error: passerelle_outbound::describe(&e),
            retry_after: None,
            slow_down: false,
        },
    };
    match outcome {
        Outcome::Delivered => {
            state
                .metrics
                .deliveries
                .with_label_values(&["webhook", "delivered"])
                .inc();
            state.store.webhook_event_delivered(event.id).await
        }
        Outcome::Refused(status) | Outcome::Gone(status) => {
            state
                .metrics
                .deliveries
                .with_label_values(&["webhook", "failed"])
                .inc();
            fail(
                state,
                event,
                &webhook.url,
                &format!("{} answered {status}", webhook.url),
                None,
            )
            .await
        }
        Outcome::Failed {
            error, retry_after, ..
        } => {
            state
                .metrics
                .deliveries
                .with_label_values(&["webhook", "failed"])
                .inc();
            fail(state, event, &webhook.url, &error, retry_after).await
        }
    }
}

async fn fail(
    state: &Context,
    event: &WebhookEventRow,
    url: &str,
    error: &str,
    retry_after: Option<Duration>,
) -> crate::error::Result<()> {
    let dead_after = crate::model::time::millis(state.settings.delivery.dead_after);
    if now_millis() - event.created_at > dead_after {
        let reason = format!(
            "failing for longer than {}: {error}",
            humantime::format_duration(state.settings.delivery.dead_after)
        );
        let mut tx = crate::domain::change::begin(state).await?;
        tx.disable_webhook(event.webhook_id, &reason).await?;
        audit::record(
            &mut tx,
            audit::Event::WebhookDisabled,
            None,
            "delivery",
            &format!("webhook {url} disabled: {reason}"),
        )
        .await?;
        return crate::domain::change::commit(state, tx).await;
    }
    let next = now_millis()
        + retry_delay_ms(event.attempts).max(retry_after.map_or(0, crate::model::time::millis));
    state
        .store
        .webhook_event_failed(event.id, error, next)
        .await
}
