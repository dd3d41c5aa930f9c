//! Webhook endpoints of the platform (scope `platform`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::parameters::RowId;
use crate::api::openapi::problems::{
    BadRequest, NotFound, TokenRefused, Unprocessable, UnsupportedMediaType,
};
use crate::auth::PlatformToken;
use crate::context::Context;
use crate::domain::webhooks::{self, WebhookView};
use crate::extract::Json;
use crate::problem::Result;

pub fn routes() -> DocumentedRoutes {
    DocumentedRoutes::new()
        .routes(utoipa_axum::routes!(list, create))
        .routes(utoipa_axum::routes!(remove))
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
