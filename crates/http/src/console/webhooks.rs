//! The console's "Webhooks" pages: the platform's endpoints and their
//! state (active, or disabled after failing with the reason), one
//! endpoint's deliveries and failures paged, *Enable again* and *Send a
//! test event* — the same domain functions as the webhooks API, audited.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::console::Page;
use crate::console::actions::{Empty, back};
use crate::console::pages::{Outcome, page, with_outcome};
use crate::console::session::{ConsoleSession, CsrfForm};
use crate::domain::listing::PageRequest;
use crate::domain::webhooks;
use crate::extract::Query;
use crate::model::parse_id;
use crate::problem::Result;
use crate::state::NodeState;

const PAGE: &str = "/admin/webhooks";
const DELIVERIES_PAGE: i64 = 25;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route(PAGE, get(list))
        .route("/admin/webhooks/{id}", get(one))
        .route("/admin/webhooks/{id}/enable", post(enable))
        .route("/admin/webhooks/{id}/test", post(test))
}

async fn list(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    outcome: Result<Query<Outcome>>,
) -> Response {
    page(&ctx, &session, async || {
        let hooks = webhooks::list(&ctx).await?;
        Ok(with_outcome(
            Page::signed_in(&ctx, &session, "webhooks"),
            &session,
            outcome,
        )
        .with("webhooks", hooks)
        .render(&ctx, "console/webhooks.html"))
    })
    .await
}

#[derive(Deserialize)]
struct Older {
    before: Option<i64>,
    done: Option<String>,
    error: Option<String>,
}

async fn one(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    Path(id): Path<String>,
    query: Result<Query<Older>>,
) -> Response {
    page(&ctx, &session, async || {
        let query = query?.0;
        let id = parse_id(&id)?;
        let hook = webhooks::get(&ctx, id).await?;
        let request = PageRequest {
            cursor: query.before,
            limit: DELIVERIES_PAGE,
        };
        let deliveries = webhooks::deliveries(&ctx, id, &request).await?;
        let outcome = Ok(Query(Outcome {
            done: query.done,
            error: query.error,
        }));
        Ok(with_outcome(
            Page::signed_in(&ctx, &session, "webhooks"),
            &session,
            outcome,
        )
        .with("webhook", hook)
        .with("deliveries", deliveries.items)
        .with("next", deliveries.next_cursor)
        .with("paged", query.before.is_some())
        .render(&ctx, "console/webhook.html"))
    })
    .await
}

async fn enable(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        webhooks::enable(&ctx, parse_id(&id)?, &by).await?;
        Ok("webhook_enabled")
    };
    back(&back_to(&id), outcome.await)
}

async fn test(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        webhooks::send_test(&ctx, parse_id(&id)?, &by).await?;
        Ok("webhook_tested")
    };
    back(&back_to(&id), outcome.await)
}

/// The endpoint's page when `id` is one (digits), else the list.
fn back_to(id: &str) -> String {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
        format!("{PAGE}/{id}")
    } else {
        PAGE.to_owned()
    }
}
