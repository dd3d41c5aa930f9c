//! Webhook endpoints of the platform (scope `platform`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use serde::Deserialize;

use crate::domain::webhooks::{self, WebhookView};
use crate::error::Result;
use crate::http::auth::PlatformToken;
use crate::http::extract::Json;
use crate::node::{AppContext, NodeState};

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/api/v1/webhooks", get(list).post(create))
        .route("/api/v1/webhooks/{id}", delete(remove))
}

#[derive(Deserialize)]
struct NewWebhook {
    url: String,
    events: Vec<String>,
}

async fn create(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Json(body): Json<NewWebhook>,
) -> Result<(StatusCode, Json<WebhookView>)> {
    let created = webhooks::create(&ctx, &body.url, &body.events).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
) -> Result<Json<Vec<WebhookView>>> {
    Ok(Json(webhooks::list(&ctx).await?))
}

async fn remove(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    webhooks::delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
