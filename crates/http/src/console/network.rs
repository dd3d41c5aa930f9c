//! The console's "Network" page: the member directories hosted here, those
//! of the networks this node belongs to (mirrored), the local overrides
//! with a form to set and remove one, and the differences they make.
//! Forms call the same domain functions as the admin API.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::console::Page;
use crate::console::actions::{Empty, back};
use crate::console::pages::{Outcome, page, with_outcome};
use crate::console::session::{ConsoleSession, CsrfForm};
use crate::domain::network::overrides::{self, OverrideRequest};
use crate::extract::Query;
use crate::model::parse_id;
use crate::problem::Result;
use crate::state::NodeState;

const PAGE: &str = "/admin/network";

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route(PAGE, get(network_page))
        .route("/admin/network/overrides", post(set_override))
        .route(
            "/admin/network/overrides/{id}/remove",
            post(remove_override),
        )
}

async fn network_page(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    outcome: Result<Query<Outcome>>,
) -> Response {
    page(&ctx, &session, async || {
        let directory = overrides::directory(&ctx).await?;
        Ok(with_outcome(
            Page::signed_in(&ctx, &session, "network"),
            &session,
            outcome,
        )
        .with("directory", directory)
        .with("admission", ctx.settings.federation.admission)
        .render(&ctx, "console/network.html"))
    })
    .await
}

#[derive(Deserialize)]
struct OverrideForm {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn set_override(State(ctx): State<NodeState>, form: CsrfForm<OverrideForm>) -> Response {
    let by = form.session.decided_by();
    let request = OverrideRequest {
        actor: form.form.actor.clone(),
        decision: form.form.decision.clone(),
        reason: form.form.reason.clone(),
    };
    let outcome = async {
        overrides::set(&ctx, &request, &by).await?;
        Ok("override_set")
    };
    back(PAGE, outcome.await)
}

async fn remove_override(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        overrides::remove(&ctx, parse_id(&id)?, &by).await?;
        Ok("override_removed")
    };
    back(PAGE, outcome.await)
}
