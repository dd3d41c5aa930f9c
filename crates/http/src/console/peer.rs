//! The console's page of one peer (`/admin/peers/{id}`): its profile, the
//! relationship both ways, its sharing scope and terms, its delivery
//! stream (delivered, refused and skipped, gone, next attempt), what it
//! received and when (the ledger, paged), and exclusion.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::console::Page;
use crate::console::pages::{Outcome, page, with_outcome};
use crate::console::session::ConsoleSession;
use crate::domain::peers;
use crate::domain::sharing;
use crate::extract::Query;
use crate::model::parse_id;
use crate::problem::Result;
use crate::state::NodeState;

const RECEIVED_PAGE: i64 = 25;

pub fn routes() -> Router<NodeState> {
    Router::new().route("/admin/peers/{id}", get(peer_page))
}

#[derive(Deserialize)]
struct PeerQuery {
    /// Position in the ledger the received list starts at.
    received: Option<i64>,
    done: Option<String>,
    error: Option<String>,
}

async fn peer_page(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    Path(id): Path<String>,
    query: Result<Query<PeerQuery>>,
) -> Response {
    page(&ctx, &session, async || {
        let query = query?.0;
        let id = parse_id(&id)?;
        let peer = peers::view_by_id(&ctx, id).await?;
        let scopes = sharing::views(&ctx, std::slice::from_ref(&peer)).await?;
        let offset = query.received.unwrap_or(0).max(0);
        let mut received = peers::received(&ctx, id, offset, RECEIVED_PAGE + 1).await?;
        let next =
            (crate::model::count(received.len()) > RECEIVED_PAGE).then_some(offset + RECEIVED_PAGE);
        received.truncate(crate::model::length(RECEIVED_PAGE));
        let outcome = Ok(Query(Outcome {
            done: query.done,
            error: query.error,
        }));
        Ok(
            with_outcome(Page::signed_in(&ctx, &session, "peers"), &session, outcome)
                .with("p", &peer)
                .with("sc", scopes.get(&peer.peer.id.to_string()))
                .with("peer_terms", sharing::terms::terms_by_peer(&ctx).await?)
                .with("received", received)
                .with("received_offset", offset)
                .with("received_next", next)
                .with(
                    "received_previous",
                    (offset > 0).then(|| (offset - RECEIVED_PAGE).max(0)),
                )
                .render(&ctx, "console/peer.html"),
        )
    })
    .await
}
