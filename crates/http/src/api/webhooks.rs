//! Webhook endpoints of the platform (scope `platform`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::parameters::{Paging, RowId};
use crate::api::openapi::problems::{
    BadRequest, Conflict, NotFound, TokenRefused, Unprocessable, UnsupportedMediaType,
};
use crate::auth::PlatformToken;
use crate::context::Context;
use crate::domain::listing::{Page, page_request};
use crate::domain::webhooks::{self, WebhookDelivery, WebhookView};
use crate::extract::{Json, Query};
use crate::model::parse_id;
use crate::problem::Result;

pub fn routes() -> DocumentedRoutes {
    DocumentedRoutes::new()
        .routes(utoipa_axum::routes!(list, create))
        .routes(utoipa_axum::routes!(remove))
        .routes(utoipa_axum::routes!(deliveries))
        .routes(utoipa_axum::routes!(enable))
        .routes(utoipa_axum::routes!(test))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NewWebhook {
    /// Where events are POSTed.
    url: String,
    /// catalog.created|updated|deleted, follow_request.received,
    /// follow.accepted|rejected, peer.excluded,
    /// agreement.offered|accepted|rejected|completed|cancelled,
    /// amendment.opened|closed
    events: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/webhooks", operation_id = "create_webhook", tag = "webhooks",
    summary = "Register an endpoint for events; the answer holds the signing secret, shown once",
    security(("bearer" = ["platform"])), request_body = NewWebhook,
    responses((status = 201, description = "Registered", body = WebhookView),
        BadRequest, TokenRefused, UnsupportedMediaType, Unprocessable))]

async fn create(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Json(body): Json<NewWebhook>,
) -> Result<(StatusCode, Json<WebhookView>)> {
    let created = webhooks::create(&ctx, &body.url, &body.events).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/api/v1/webhooks", operation_id = "list_webhooks", tag = "webhooks",
    summary = "The platform's webhook endpoints (without secrets)", security(("bearer" = ["platform"])),
    responses((status = 200, description = "The webhooks", body = [WebhookView]), TokenRefused))]
async fn list(_token: PlatformToken, State(ctx): State<Context>) -> Result<Json<Vec<WebhookView>>> {
    Ok(Json(webhooks::list(&ctx).await?))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", operation_id = "remove_webhook", tag = "webhooks",
    summary = "Remove an endpoint", params(RowId), security(("bearer" = ["platform"])),
    responses((status = 204, description = "Removed"), TokenRefused, NotFound))]
async fn remove(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    webhooks::delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn decided_by(token: &PlatformToken) -> String {
    format!("platform token `{}`", token.token.name)
}

#[derive(Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", operation_id = "webhook_deliveries",
    tag = "webhooks", summary = "What was queued for an endpoint, newest first: delivered, failing or waiting",
    params(RowId, Paging), security(("bearer" = ["platform"])),
    responses((status = 200, description = "A page of deliveries", body = Page<WebhookDelivery>),
        BadRequest, TokenRefused, NotFound))]
async fn deliveries(
    _token: PlatformToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<WebhookDelivery>>> {
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    Ok(Json(
        webhooks::deliveries(&ctx, parse_id(&id)?, &page).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/enable", operation_id = "enable_webhook",
    tag = "webhooks", summary = "Enable an endpoint disabled after failures; what waits is sent again",
    params(RowId), security(("bearer" = ["platform"])),
    responses((status = 200, description = "Enabled", body = WebhookView), TokenRefused, NotFound, Conflict))]
async fn enable(
    token: PlatformToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>> {
    let by = decided_by(&token);
    Ok(Json(webhooks::enable(&ctx, parse_id(&id)?, &by).await?))
}

/// The answer to a test: the `webhook-id` the endpoint will receive.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct TestQueued {
    event_id: String,
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", operation_id = "test_webhook",
    tag = "webhooks", summary = "Queue a `webhook.test` event for this endpoint alone",
    params(RowId), security(("bearer" = ["platform"])),
    responses((status = 202, description = "Queued", body = TestQueued), TokenRefused, NotFound, Conflict))]
async fn test(
    token: PlatformToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<TestQueued>)> {
    let by = decided_by(&token);
    let event_id = webhooks::send_test(&ctx, parse_id(&id)?, &by).await?;
    Ok((StatusCode::ACCEPTED, Json(TestQueued { event_id })))
}
