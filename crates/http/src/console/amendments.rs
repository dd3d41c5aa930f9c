//! The console's "Amendments" page: open votes with the changes each
//! proposes, our vote, the results once tallied, our commitments made
//! outdated by an adopted version (with *Renew*), and the drafts members
//! offered (with *Open the vote* and *Reject*). Forms call the same domain
//! functions as the admin API.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::console::Page;
use crate::console::actions::{Empty, Reason, back};
use crate::console::pages::{Outcome, page, with_outcome};
use crate::console::paging::Cursors;
use crate::console::session::{ConsoleSession, CsrfForm};
use crate::domain::amendments::{self, Acceptance};
use crate::extract::Query;
use crate::model::{AmendmentState, parse_id};
use crate::problem::Result;
use crate::state::NodeState;

const PAGE: &str = "/admin/amendments";

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route(PAGE, get(amendments_page))
        .route("/admin/amendments/{id}/vote", post(vote))
        .route("/admin/amendments/{id}/renew", post(renew))
        .route("/admin/amendments/drafts/{id}/accept", post(accept))
        .route("/admin/amendments/drafts/{id}/reject", post(reject))
}

async fn amendments_page(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    outcome: Result<Query<Outcome>>,
    cursors: Result<Query<Cursors>>,
) -> Response {
    page(&ctx, &session, async || {
        let after = cursors?.0.after;
        let all = amendments::list(&ctx).await?;
        let (open, closed): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|a| a.state == AmendmentState::Open);
        Ok(with_outcome(
            Page::signed_in(&ctx, &session, "amendments"),
            &session,
            outcome,
        )
        .with("open", open)
        .with_page("closed", closed, after, |a| a.id.0)
        .with("drafts", amendments::drafts(&ctx).await?)
        .render(&ctx, "console/amendments.html"))
    })
    .await
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    choice: String,
}

async fn vote(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Choice>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        amendments::vote(&ctx, parse_id(&id)?, &form.form.choice, &by).await?;
        Ok("voted")
    };
    back(PAGE, outcome.await)
}

async fn renew(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        amendments::renew(&ctx, parse_id(&id)?, &by).await?;
        Ok("renewed")
    };
    back(PAGE, outcome.await)
}

async fn accept(
    State(state): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        amendments::accept_draft(&state, parse_id(&id)?, &Acceptance::default(), &by).await?;
        Ok("vote_opened")
    };
    back(PAGE, outcome.await)
}

async fn reject(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Reason>,
) -> Response {
    let by = form.session.decided_by();
    let reason = form.form.reason.trim().to_owned();
    let outcome = async {
        let reason = (!reason.is_empty()).then_some(reason.as_str());
        amendments::reject_draft(&ctx, parse_id(&id)?, reason, &by).await?;
        Ok("draft_rejected")
    };
    back(PAGE, outcome.await)
}
