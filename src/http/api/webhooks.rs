//! Webhook endpoints of the platform (scope `platform`).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::domain::webhooks;
use crate::error::{Error, Result};
use crate::http::auth::PlatformToken;
use crate::model::time::format_millis;
use crate::node::{AppContext, NodeState};
use crate::store::WebhookRow;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/api/v1/webhooks", get(list).post(create))
        .route("/api/v1/webhooks/{id}", delete(remove))
}

#[derive(Serialize)]
struct WebhookView {
    id: i64,
    url: String,
    events: Vec<String>,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_reason: Option<String>,
    /// Only in the answer to its creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl WebhookView {
    fn of(row: &WebhookRow, with_secret: bool) -> WebhookView {
        WebhookView {
            id: row.id,
            url: row.url.clone(),
            events: serde_json::from_str(&row.events).unwrap_or_default(),
            created_at: format_millis(row.created_at),
            disabled_at: row.disabled_at.map(format_millis),
            disabled_reason: row.disabled_reason.clone(),
            secret: with_secret.then(|| row.secret.clone()),
        }
    }
}

#[derive(Deserialize)]
struct NewWebhook {
    url: String,
    events: Vec<String>,
}

async fn create(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    body: std::result::Result<Json<NewWebhook>, JsonRejection>,
) -> Result<Response> {
    let Json(body) = body?;
    let row = webhooks::create(&ctx, &body.url, &body.events).await?;
    Ok((StatusCode::CREATED, Json(WebhookView::of(&row, true))).into_response())
}

async fn list(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
) -> Result<Json<Vec<WebhookView>>> {
    Ok(Json(
        ctx.store
            .webhooks()
            .await?
            .iter()
            .map(|w| WebhookView::of(w, false))
            .collect(),
    ))
}

async fn remove(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id: i64 = id
        .parse()
        .map_err(|_| Error::NotFound(format!("`{id}` is not a webhook id")))?;
    if ctx.store.delete_webhook(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound(format!("no webhook {id}")))
    }
}
