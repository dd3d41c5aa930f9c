//! The console's "DFC sources" page: each source's last run (what it
//! created, updated, deleted), its last error, *Run now* for a configured
//! source and *Forget* (confirmed: it deletes the source's offers) —
//! through `dfc::admin`, audited.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::console::Page;
use crate::console::actions::{back, confirmed};
use crate::console::pages::{Outcome, page, with_outcome};
use crate::console::session::{ConsoleSession, CsrfForm};
use crate::domain::dfc::admin;
use crate::extract::Query;
use crate::problem::Result;
use crate::state::NodeState;

const PAGE: &str = "/admin/dfc";

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route(PAGE, get(sources))
        .route("/admin/dfc/run", post(run_now))
        .route("/admin/dfc/forget", post(forget))
}

async fn sources(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    outcome: Result<Query<Outcome>>,
) -> Response {
    page(&ctx, &session, async || {
        let sources = admin::sources(&ctx).await?;
        Ok(
            with_outcome(Page::signed_in(&ctx, &session, "dfc"), &session, outcome)
                .with("sources", sources)
                .render(&ctx, "console/dfc.html"),
        )
    })
    .await
}

#[derive(Deserialize)]
struct SourceForm {
    #[serde(default)]
    url: String,
    confirm: Option<String>,
}

async fn run_now(State(ctx): State<NodeState>, form: CsrfForm<SourceForm>) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        admin::run_now(&ctx, form.form.url.trim(), &by).await?;
        Ok("dfc_run")
    };
    back(PAGE, outcome.await)
}

async fn forget(State(ctx): State<NodeState>, form: CsrfForm<SourceForm>) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        confirmed(form.form.confirm.as_deref(), form.session.lang)?;
        admin::forget_source(&ctx, form.form.url.trim(), &by).await?;
        Ok("dfc_forgotten")
    };
    back(PAGE, outcome.await)
}
