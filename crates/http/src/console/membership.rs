//! The console's "Membership" page (issue 27): the requests to join a
//! network hosted here (with *Open the inclusion vote* and *Refuse*), our
//! own requests and a form to ask to join, the open inclusion and
//! exclusion votes (with our vote, replaceable until the end time, and our
//! reply when a vote is about this node), a form to propose an exclusion,
//! and the results. Forms call the same domain functions as the API.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::console::Page;
use crate::console::actions::{Reason, back};
use crate::console::pages::{Outcome, page, with_outcome};
use crate::console::paging::Cursors;
use crate::console::session::{ConsoleSession, CsrfForm};
use crate::domain::amendments;
use crate::domain::network::participation::{self, ExclusionProposal};
use crate::domain::network::votes::{self, VoteRules};
use crate::domain::network::{candidacy, joins};
use crate::extract::Query;
use crate::model::{AmendmentState, JoinRole, parse_id};
use crate::problem::Result;
use crate::state::NodeState;

const PAGE: &str = "/admin/membership";

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route(PAGE, get(membership_page))
        .route("/admin/membership/join", post(ask_to_join))
        .route("/admin/membership/requests/{id}/vote", post(open_vote))
        .route("/admin/membership/requests/{id}/refuse", post(refuse))
        .route("/admin/membership/votes/{id}/vote", post(vote))
        .route("/admin/membership/votes/{id}/reply", post(reply))
        .route("/admin/membership/exclusions", post(propose_exclusion))
}

async fn membership_page(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    outcome: Result<Query<Outcome>>,
    cursors: Result<Query<Cursors>>,
) -> Response {
    page(&ctx, &session, async || {
        let after = cursors?.0.after;
        let (open, closed): (Vec<_>, Vec<_>) = amendments::list_membership(&ctx)
            .await?
            .into_iter()
            .partition(|a| a.state == AmendmentState::Open);
        Ok(with_outcome(
            Page::signed_in(&ctx, &session, "membership"),
            &session,
            outcome,
        )
        .with("received", joins::list(&ctx, JoinRole::Host).await?)
        .with("sent", joins::list(&ctx, JoinRole::Candidate).await?)
        .with("networks", &ctx.settings.federation.networks)
        .with("us", crate::apub::actor::actor_id(&ctx.settings).as_str())
        .with("open", open)
        .with_page("closed", closed, after, |v| v.id.0)
        .render(&ctx, "console/membership.html"))
    })
    .await
}

#[derive(Deserialize)]
struct JoinForm {
    #[serde(default)]
    network: String,
    /// One `principle-key: answer` per line.
    #[serde(default)]
    answers: String,
}

async fn ask_to_join(State(ctx): State<NodeState>, form: CsrfForm<JoinForm>) -> Response {
    let by = form.session.decided_by();
    let answers: BTreeMap<String, String> = form
        .form
        .answers
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(key, text)| (key.trim().to_owned(), text.trim().to_owned()))
        .collect();
    let request = joins::JoinRequest {
        network: form.form.network.trim().to_owned(),
        answers,
    };
    let outcome = async {
        candidacy::join(&ctx, &request, &by).await?;
        Ok("join_sent")
    };
    back(PAGE, outcome.await)
}

#[derive(Deserialize)]
struct RulesForm {
    #[serde(default)]
    days: String,
}

impl RulesForm {
    fn rules(&self) -> VoteRules {
        VoteRules {
            duration_seconds: self.days.trim().parse::<u64>().ok().map(|d| d * 24 * 3600),
            ..VoteRules::default()
        }
    }
}

async fn open_vote(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<RulesForm>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        votes::open_inclusion(&ctx, parse_id(&id)?, &form.form.rules(), &by).await?;
        Ok("inclusion_opened")
    };
    back(PAGE, outcome.await)
}

async fn refuse(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Reason>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        joins::refuse(&ctx, parse_id(&id)?, &form.form.reason, &by).await?;
        Ok("join_refused")
    };
    back(PAGE, outcome.await)
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
        Ok("network_voted")
    };
    back(PAGE, outcome.await)
}

#[derive(Deserialize)]
struct ReplyForm {
    #[serde(default)]
    content: String,
}

async fn reply(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<ReplyForm>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        participation::reply(&ctx, parse_id(&id)?, &form.form.content, &by).await?;
        Ok("replied")
    };
    back(PAGE, outcome.await)
}

#[derive(Deserialize)]
struct ExclusionForm {
    #[serde(default)]
    network: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    days: String,
}

async fn propose_exclusion(
    State(ctx): State<NodeState>,
    form: CsrfForm<ExclusionForm>,
) -> Response {
    let by = form.session.decided_by();
    let f = &form.form;
    let proposal = ExclusionProposal {
        network: f.network.trim().to_owned(),
        member: f.member.trim().to_owned(),
        reasons: f.reasons.trim().to_owned(),
        duration_seconds: f.days.trim().parse::<u64>().ok().map(|d| d * 24 * 3600),
        quorum_percent: None,
        majority: None,
        draft: None,
    };
    let outcome = async {
        participation::propose_exclusion(&ctx, &proposal, &by).await?;
        Ok("exclusion_proposed")
    };
    back(PAGE, outcome.await)
}
