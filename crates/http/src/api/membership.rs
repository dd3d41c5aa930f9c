//! Joining a network and deciding its membership (issue 27; scope
//! `admin`): requests to join, inclusion and exclusion votes, replies.
//! The member directory and local overrides are in `api::network`.

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
use crate::domain::amendments::{self, AmendmentView};
use crate::domain::network::candidacy;
use crate::domain::network::joins::{self, JoinRequest, JoinView};
use crate::domain::network::participation::{self, ExclusionProposal, Proposed};
use crate::domain::network::votes::{self, VoteRules};
use crate::error::Error;
use crate::extract::Json;
use crate::model::{AmendmentId, JoinRole, parse_id};
use crate::problem::Result;

pub fn routes() -> DocumentedRoutes {
    use utoipa_axum::routes;
    DocumentedRoutes::new()
        .routes(routes!(ask_to_join))
        .routes(routes!(list_join_requests))
        .routes(routes!(get_join_request))
        .routes(routes!(refuse_join_request))
        .routes(routes!(open_inclusion_vote))
        .routes(routes!(propose_exclusion))
        .routes(routes!(list_network_votes))
        .routes(routes!(get_network_vote))
        .routes(routes!(vote_on_membership))
        .routes(routes!(reply_to_vote))
}

fn decided_by(token: &AdminToken) -> String {
    format!("admin token `{}`", token.token.name)
}

#[utoipa::path(post, path = "/api/v1/network/join", tag = "network",
    summary = "Ask the host of a network's charter to join the network (a Join with our commitment and answers)",
    security(("bearer" = ["admin"])), request_body = JoinRequest,
    responses((status = 202, description = "Join sent", body = JoinView),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn ask_to_join(
    token: AdminToken,
    State(ctx): State<Context>,
    Json(request): Json<JoinRequest>,
) -> Result<(StatusCode, Json<JoinView>)> {
    let sent = candidacy::join(&ctx, &request, &decided_by(&token)).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

/// Requests to join, on both sides.
#[derive(Serialize, utoipa::ToSchema)]
struct JoinRequests {
    /// Candidates that asked to join a network hosted here.
    received: Vec<JoinView>,
    /// Our requests to join other hosts' networks.
    sent: Vec<JoinView>,
}

#[utoipa::path(get, path = "/api/v1/network/requests", tag = "network",
    summary = "Requests to join: received (candidates) and sent (ours), newest first",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "The requests", body = JoinRequests), TokenRefused))]
async fn list_join_requests(
    _token: AdminToken,
    State(ctx): State<Context>,
) -> Result<Json<JoinRequests>> {
    Ok(Json(JoinRequests {
        received: joins::list(&ctx, JoinRole::Host).await?,
        sent: joins::list(&ctx, JoinRole::Candidate).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/network/requests/{id}", tag = "network",
    summary = "One request to join", params(RowId), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The request", body = JoinView), TokenRefused, NotFound))]
async fn get_join_request(
    _token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<JoinView>> {
    Ok(Json(joins::view(&ctx, parse_id(&id)?).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Refusal {
    /// Sent to the candidate.
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/network/requests/{id}/refuse", tag = "network",
    summary = "Refuse a pending request outright (Reject to the candidate, with the reason)",
    params(RowId), security(("bearer" = ["admin"])), request_body = Refusal,
    responses((status = 200, description = "Refused", body = JoinView),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn refuse_join_request(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    Json(refusal): Json<Refusal>,
) -> Result<Json<JoinView>> {
    let id = parse_id(&id)?;
    Ok(Json(
        joins::refuse(&ctx, id, &refusal.reason, &decided_by(&token)).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/network/requests/{id}/vote", tag = "network",
    summary = "Open an inclusion vote on a pending request among the network's members",
    params(RowId), security(("bearer" = ["admin"])), request_body = VoteRules,
    responses((status = 201, description = "Vote opened", body = AmendmentView),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn open_inclusion_vote(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    Json(rules): Json<VoteRules>,
) -> Result<(StatusCode, Json<AmendmentView>)> {
    let id = parse_id(&id)?;
    let opened = votes::open_inclusion(&ctx, id, &rules, &decided_by(&token)).await?;
    Ok((StatusCode::CREATED, Json(opened)))
}

#[utoipa::path(post, path = "/api/v1/network/exclusions", tag = "network",
    summary = "Propose to exclude a member: the host opens the vote; a member sends the host its proposal",
    security(("bearer" = ["admin"])), request_body = ExclusionProposal,
    responses((status = 202, description = "Vote opened (host) or proposal sent (member)", body = Proposed),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn propose_exclusion(
    token: AdminToken,
    State(ctx): State<Context>,
    Json(proposal): Json<ExclusionProposal>,
) -> Result<(StatusCode, Json<Proposed>)> {
    let done = participation::propose_exclusion(&ctx, &proposal, &decided_by(&token)).await?;
    Ok((StatusCode::ACCEPTED, Json(done)))
}

#[utoipa::path(get, path = "/api/v1/network/votes", tag = "network",
    summary = "Inclusion and exclusion votes hosted here or this node was asked to vote on, newest first",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "The votes", body = [AmendmentView]), TokenRefused))]
async fn list_network_votes(
    _token: AdminToken,
    State(ctx): State<Context>,
) -> Result<Json<Vec<AmendmentView>>> {
    Ok(Json(amendments::list_membership(&ctx).await?))
}

/// A membership vote by id (404 for a charter amendment).
async fn membership_vote(ctx: &Context, id: &str) -> Result<AmendmentView> {
    let id: AmendmentId = parse_id(id)?;
    let view = amendments::view(ctx, id).await?;
    if !view.subject.is_membership() {
        return Err(
            Error::NotFound(format!("no membership vote {id}: see /api/v1/amendments")).into(),
        );
    }
    Ok(view)
}

#[utoipa::path(get, path = "/api/v1/network/votes/{id}", tag = "network",
    summary = "One membership vote: subject, rules, tally, outcome, the subject's reply",
    params(RowId), security(("bearer" = ["admin"])),
    responses((status = 200, description = "The vote", body = AmendmentView), TokenRefused, NotFound))]
async fn get_network_vote(
    _token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
) -> Result<Json<AmendmentView>> {
    Ok(Json(membership_vote(&ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Ballot {
    /// approve, reject or abstain
    choice: String,
}

#[utoipa::path(post, path = "/api/v1/network/votes/{id}/vote", tag = "network",
    summary = "Vote on a membership vote (a signed Note to the host); a later vote replaces it until the end time",
    params(RowId), security(("bearer" = ["admin"])), request_body = Ballot,
    responses((status = 202, description = "Vote sent", body = AmendmentView),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn vote_on_membership(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    Json(ballot): Json<Ballot>,
) -> Result<(StatusCode, Json<AmendmentView>)> {
    let vote = membership_vote(&ctx, &id).await?;
    let view = amendments::vote(&ctx, vote.id, &ballot.choice, &decided_by(&token)).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReplyText {
    /// This node's reply, attached to the vote about it.
    content: String,
}

#[utoipa::path(post, path = "/api/v1/network/votes/{id}/reply", tag = "network",
    summary = "Reply to the vote about this node (a signed Note to the host, kept with the vote)",
    params(RowId), security(("bearer" = ["admin"])), request_body = ReplyText,
    responses((status = 202, description = "Reply sent", body = AmendmentView),
        BadRequest, TokenRefused, NotFound, Conflict, UnsupportedMediaType, Unprocessable))]
async fn reply_to_vote(
    token: AdminToken,
    State(ctx): State<Context>,
    Path(id): Path<String>,
    Json(reply): Json<ReplyText>,
) -> Result<(StatusCode, Json<AmendmentView>)> {
    let vote = membership_vote(&ctx, &id).await?;
    let view = participation::reply(&ctx, vote.id, &reply.content, &decided_by(&token)).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}
