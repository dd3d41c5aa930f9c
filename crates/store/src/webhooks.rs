//! Webhook endpoints and the events queued for them.

use passerelle_model::WebhookId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, Store, now_millis};
use passerelle_model::error::Result;

#[derive(Debug, Clone)]
pub struct WebhookRow {
    pub id: WebhookId,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WebhookEventRow {
    pub id: i64,
    pub webhook_id: WebhookId,
    pub event_id: String,
    pub event: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// One event queued for an endpoint, as its delivery history shows it.
#[derive(Debug, Clone)]
pub struct WebhookDeliveryRow {
    pub id: i64,
    pub event_id: String,
    pub event: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

fn webhook_row(row: &AnyRow) -> Result<WebhookRow> {
    Ok(WebhookRow {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        events: row.try_get("events")?,
        secret: row.try_get("secret")?,
        created_at: row.try_get("created_at")?,
        disabled_at: row.try_get("disabled_at")?,
        disabled_reason: row.try_get("disabled_reason")?,
    })
}

const COLUMNS: &str = "id, url, events, secret, created_at, disabled_at, disabled_reason";

impl Store {
    pub async fn insert_webhook(
        &self,
        url: &str,
        events: &str,
        secret: &str,
    ) -> Result<WebhookRow> {
        let id: WebhookId = sqlx::query_scalar(
            "INSERT INTO webhooks (url, events, secret, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(url)
        .bind(events)
        .bind(secret)
        .bind(now_millis())
        .fetch_one(self.pool())
        .await?;
        self.webhook(id)
            .await?
            .ok_or_else(|| passerelle_model::error::Error::Internal("webhook vanished".into()))
    }

    pub async fn webhook(&self, id: WebhookId) -> Result<Option<WebhookRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(webhook_row).transpose()
    }

    pub async fn webhooks(&self) -> Result<Vec<WebhookRow>> {
        webhooks(self.pool()).await
    }

    /// Removes a webhook and what was queued for it.
    pub async fn delete_webhook(&self, id: WebhookId) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM webhook_events WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Undelivered events whose time has come, oldest first.
    pub async fn due_webhook_events(&self, limit: i64) -> Result<Vec<WebhookEventRow>> {
        let rows = sqlx::query(
            "SELECT e.id, e.webhook_id, e.event_id, e.event, e.payload, e.attempts, e.created_at \
             FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id \
             WHERE e.delivered_at IS NULL AND e.next_attempt_at <= $1 AND w.disabled_at IS NULL \
             ORDER BY e.id LIMIT $2",
        )
        .bind(now_millis())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WebhookEventRow {
                    id: row.try_get("id")?,
                    webhook_id: row.try_get("webhook_id")?,
                    event_id: row.try_get("event_id")?,
                    event: row.try_get("event")?,
                    payload: row.try_get("payload")?,
                    attempts: row.try_get("attempts")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub async fn webhook_event_delivered(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE webhook_events SET delivered_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
            .bind(now_millis())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn webhook_event_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE webhook_events SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3")
            .bind(next_attempt_at)
            .bind(error)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The events queued for `webhook` with an id below `before`, newest
    /// first: delivered, failing or waiting.
    pub async fn webhook_deliveries(
        &self,
        webhook: WebhookId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>> {
        let rows = sqlx::query(
            "SELECT id, event_id, event, attempts, next_attempt_at, delivered_at, last_error, created_at \
             FROM webhook_events WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(webhook)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WebhookDeliveryRow {
                    id: row.try_get("id")?,
                    event_id: row.try_get("event_id")?,
                    event: row.try_get("event")?,
                    attempts: row.try_get("attempts")?,
                    next_attempt_at: row.try_get("next_attempt_at")?,
                    delivered_at: row.try_get("delivered_at")?,
                    last_error: row.try_get("last_error")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Forgets webhook events delivered before `before`, payloads
    /// included; returns how many.
    pub async fn prune_delivered_webhook_events(&self, before: i64) -> Result<u64> {
        let pruned = sqlx::query(
            "DELETE FROM webhook_events WHERE delivered_at IS NOT NULL AND delivered_at < $1",
        )
        .bind(before)
        .execute(self.pool())
        .await?;
        Ok(pruned.rows_affected())
    }
}

async fn webhooks<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
) -> Result<Vec<WebhookRow>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks ORDER BY id"))
        .fetch_all(executor)
        .await?;
    rows.iter().map(webhook_row).collect()
}

impl ChangeTx {
    /// The endpoints an event raised in this change is queued for.
    /// Read once per transaction, then kept: its writes to the endpoints
    /// (below) forget the copy.
    pub async fn webhooks(&mut self) -> Result<Vec<WebhookRow>> {
        if let Some(kept) = &self.webhooks {
            return Ok(kept.clone());
        }
        let read = webhooks(self.connection()).await?;
        self.webhooks = Some(read.clone());
        Ok(read)
    }

    pub async fn queue_webhook_event(
        &mut self,
        webhook_id: WebhookId,
        event_id: &str,
        event: &str,
        payload: &str,
        peer_uri: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_events (webhook_id, event_id, event, payload, attempts, next_attempt_at, created_at, peer_uri) \
             VALUES ($1, $2, $3, $4, 0, 0, $5, $6) ON CONFLICT (webhook_id, event_id) DO NOTHING",
        )
        .bind(webhook_id)
        .bind(event_id)
        .bind(event)
        .bind(payload)
        .bind(now_millis())
        .bind(peer_uri)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// Drops the catalog events about a peer still waiting to be sent (its
    /// catalog was purged); returns how many.
    pub async fn drop_queued_catalog_events(&mut self, peer_uri: &str) -> Result<u64> {
        let dropped = sqlx::query(
            "DELETE FROM webhook_events WHERE delivered_at IS NULL AND peer_uri = $1 \
             AND event IN ('catalog.created', 'catalog.updated', 'catalog.deleted')",
        )
        .bind(peer_uri)
        .execute(self.connection())
        .await?;
        Ok(dropped.rows_affected())
    }

    /// Enables a disabled endpoint again; what waits for it is retried
    /// now and its failing time counts from now. False when there is no
    /// such endpoint.
    pub async fn enable_webhook(&mut self, id: WebhookId) -> Result<bool> {
        self.webhooks = None;
        let now = now_millis();
        let done = sqlx::query(
            "UPDATE webhooks SET disabled_at = NULL, disabled_reason = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(self.connection())
        .await?;
        sqlx::query(
            "UPDATE webhook_events SET next_attempt_at = $1, created_at = $1 \
             WHERE webhook_id = $2 AND delivered_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn disable_webhook(&mut self, id: WebhookId, reason: &str) -> Result<()> {
        self.webhooks = None;
        sqlx::query("UPDATE webhooks SET disabled_at = $1, disabled_reason = $2 WHERE id = $3")
            .bind(now_millis())
            .bind(reason)
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(())
    }
}
