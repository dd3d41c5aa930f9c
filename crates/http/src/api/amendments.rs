//! Charter amendments (scope `admin`: proposing, voting and deciding on
//! drafts are decisions of the node, recorded in the audit log with the
//! name of the token that took them).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::api::documented::DocumentedRoutes;
use crate::api::openapi::parameters::RowId;
use crate::api::openapi::problems::{
    BadRequest, Conflict, NotFound, TokenRefused, Unprocessable, UnsupportedMediaType,
};
use crate::auth::AdminToken;
use crate::context::Context;
use crate::domain::amendments::{
    self, Acceptance, AmendmentView, DraftRequest, DraftView, Proposal,
};
use crate::extract::Json;
use crate::model::parse_id;
use crate::problem::Result;
use crate::state::NodeState;

pub fn routes() -> DocumentedRoutes {
    use utoipa_axum::routes;
    DocumentedRoutes::new()
        .routes(routes!(list_amendments, open_amendment))
        .routes(routes!(get_amendment))
        .routes(routes!(vote_on_amendment))
        .routes(routes!(renew_commitments))
        .routes(routes!(list_amendment_drafts, offer_amendment_draft))
        .routes(routes!(accept_amendment_draft))
        .routes(routes!(reject_amendment_draft))
}

fn decided_by(token: &AdminToken) -> String {
    format!("admin token `{}`", token.token.name)
}

#[utoipa::path(post, path = "/api/v1/amendments", tag = "amendments",
    summary = "Open an amendment to a charter hosted here: a vote of the nodes committed to its current version",
    security(("bearer" = ["admin"])), request_body = Proposal,
    responses((status = 201, description = "Opened", body = AmendmentView),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn open_amendment(
    token: AdminToken,
    State(state): State<NodeState>,
    Json(proposal): Json<Proposal>,
) -> Result<(StatusCode, Json<AmendmentView>)> {
    let opened = amendments::open(&state, &proposal, &decided_by(&token)).await?;
    Ok((StatusCode::CREATED, Json(opened)))
}

#[utoipa::path(get, path = "/api/v1/amendments", tag = "amendments",
    summary = "Amendments hosted here and those this node was asked to vote on, newest first",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "The amendments", body = [AmendmentView]), TokenRefused))]
async fn list_amendments(
    _token: AdminToken,
    State(ctx): State<Context>,
) -> Result<Json<Vec<AmendmentView>>> {
    Ok(Json(amendments::list(&ctx).await?))
}

#[utoipa::path(get, path = "/api/v1/amendments/{id}", tag = "amendments",
    summary = "One amendment: proposal, changes, rules, tally, outcome, our commitments' status",
    params(RowId), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The amendment", body = AmendmentView), TokenRefused, NotFound))]
async fn get_amendment(
    _token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<AmendmentView>> {
    Ok(Json(amendments::view(&ctx, parse_id(&id)?).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Ballot {
    /// approve, reject or abstain
    choice: String,
}

#[utoipa::path(post, path = "/api/v1/amendments/{id}/vote", tag = "amendments",
    summary = "Vote on an amendment (a signed Note to its host); once: a vote is final (FEP-9967, as Mastodon polls)",
    params(RowId), security(("bearer" = ["admin"])), request_body = Ballot,
    responses((status = 202, description = "Vote sent", body = AmendmentView),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn vote_on_amendment(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    Json(ballot): Json<Ballot>,
) -> Result<(StatusCode, Json<AmendmentView>)> {
    let id = parse_id(&id)?;
    let view = amendments::vote(&ctx, id, &ballot.choice, &decided_by(&token)).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

#[utoipa::path(post, path = "/api/v1/amendments/{id}/renew", tag = "amendments",
    summary = "Renew our commitments to the amended version as commitments to the adopted one",
    params(RowId), security(("bearer" = ["admin"])),
    responses((status = 200, description = "Renewed", body = AmendmentView), TokenRefused, NotFound, Conflict))]
async fn renew_commitments(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<AmendmentView>> {
    Ok(Json(
        amendments::renew(&ctx, parse_id(&id)?, &decided_by(&token)).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Offered {
    /// The id of the `Offer` sent to the charter's host.
    offer: String,
}

#[utoipa::path(post, path = "/api/v1/amendments/drafts", tag = "amendments",
    summary = "Offer a draft amendment to the peer hosting a charter (an Offer its admin accepts or rejects)",
    security(("bearer" = ["admin"])), request_body = DraftRequest,
    responses((status = 202, description = "Offer sent", body = Offered),
        BadRequest, TokenRefused, NotFound, UnsupportedMediaType, Unprocessable))]
async fn offer_amendment_draft(
    token: AdminToken,
    State(ctx): State<Context>,
    Json(request): Json<DraftRequest>,
) -> Result<(StatusCode, Json<Offered>)> {
    let offer = amendments::offer_draft(&ctx, &request, &decided_by(&token)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Offered {
            offer: offer.to_string(),
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/amendments/drafts", tag = "amendments",
    summary = "Drafts member nodes offered, newest first",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "The drafts", body = [DraftView]), TokenRefused))]
async fn list_amendment_drafts(
    _token: AdminToken,
    State(ctx): State<Context>,
) -> Result<Json<Vec<DraftView>>> {
    Ok(Json(amendments::drafts(&ctx).await?))
}

#[utoipa::path(post, path = "/api/v1/amendments/drafts/{id}/accept", tag = "amendments",
    summary = "Accept a draft: opens its vote and answers Accept to its proposer",
    params(RowId), security(("bearer" = ["admin"])), request_body = Acceptance,
    responses((status = 201, description = "Vote opened", body = AmendmentView),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn accept_amendment_draft(
    token: AdminToken,
    State(state): State<NodeState>,
    Path(id): Path<String>,
    Json(rules): Json<Acceptance>,
) -> Result<(StatusCode, Json<AmendmentView>)> {
    let id = parse_id(&id)?;
    let opened = amendments::accept_draft(&state, id, &rules, &decided_by(&token)).await?;
    Ok((StatusCode::CREATED, Json(opened)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Refusal {
    /// Sent to the proposer.
    reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/amendments/drafts/{id}/reject", tag = "amendments",
    summary = "Reject a draft (Reject to its proposer, with the reason)",
    params(RowId), security(("bearer" = ["admin"])), request_body = Refusal,
    responses((status = 204, description = "Rejected"),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn reject_amendment_draft(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    Json(refusal): Json<Refusal>,
) -> Result<StatusCode> {
    let id = parse_id(&id)?;
    amendments::reject_draft(&ctx, id, refusal.reason.as_deref(), &decided_by(&token)).await?;
    Ok(StatusCode::NO_CONTENT)
}
