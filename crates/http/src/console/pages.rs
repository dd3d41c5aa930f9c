//! The console's pages (GET): each reads through the domain and renders
//! one template.

use axum::Router;
use axum::extract::State;
use axum::response::{Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::console::paging::{Cursors, LIST_PAGE};
use crate::console::session::ConsoleSession;
use crate::console::{Page, render_error};
use crate::domain::agreements as agreement_views;
use crate::domain::audit;
use crate::domain::catalog_listing::{self, CatalogSearch};
use crate::domain::listing::PageRequest;
use crate::domain::overview;
use crate::domain::peers;
use crate::domain::sharing::{self, register};
use crate::extract::Query;
use crate::model::kinds::ObjectKind;
use crate::model::{AgreementState, FollowerState, Side};
use crate::problem::Result;
use crate::state::NodeState;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/", get(|| async { Redirect::permanent("/admin") }))
        .route("/admin/requests", get(requests))
        .route("/admin/peers", get(peer_list))
        .route("/admin/charter", get(charter))
        .route("/admin/catalog", get(catalog))
        .route("/admin/sharing", get(sharing))
        .route("/admin/agreements", get(agreements))
}

/// What an action's redirect says happened (`?done=`), or why it failed
/// (`?error=`), shown on the page it returns to.
#[derive(Deserialize, Default)]
pub(super) struct Outcome {
    pub(super) done: Option<String>,
    pub(super) error: Option<String>,
}

pub(super) fn with_outcome(
    page: Page,
    session: &ConsoleSession,
    outcome: Result<Query<Outcome>>,
) -> Page {
    let outcome = outcome.map(|q| q.0).unwrap_or_default();
    let notice = outcome
        .done
        .filter(|key| key.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|key| session.lang.text(&format!("done_{key}")));
    let error = outcome
        .error
        .map(|text| crate::console::phrases::translate(session.lang, &text));
    page.with("notice", notice).with("error", error)
}

/// Renders a page built by `build`, or the console's error page.
pub(super) async fn page<F>(ctx: &NodeState, session: &ConsoleSession, build: F) -> Response
where
    F: AsyncFnOnce() -> Result<Response>,
{
    match build().await {
        Ok(response) => response,
        Err(e) => render_error(ctx, session.lang, &e.0),
    }
}

async fn dashboard(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    outcome: Result<Query<Outcome>>,
) -> Response {
    page(&ctx, &session, async || {
        let overview = overview::overview(&ctx).await?;
        let peer_views = peers::list(&ctx).await?;
        let glance = crate::domain::glance::glance(&ctx, &peer_views).await?;
        let glance =
            crate::console::glance::view(session.lang, &ctx.settings.platform.name, &glance);
        let recent = audit::page(
            &ctx,
            &PageRequest {
                cursor: None,
                limit: 8,
            },
        )
        .await?
        .items;
        let dfc_sources = crate::domain::dfc::views::sources(&ctx).await?;
        Ok(with_outcome(
            Page::signed_in(&ctx, &session, "dashboard"),
            &session,
            outcome,
        )
        .with("overview", overview)
        .with("glance", glance)
        .with("summary", &ctx.settings.platform.summary)
        .with("public_url", ctx.settings.public_url.as_str())
        .with("audit", recent)
        .with("dfc_sources", dfc_sources)
        .render(&ctx, "console/dashboard.html"))
    })
    .await
}

async fn requests(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    outcome: Result<Query<Outcome>>,
    cursors: Result<Query<Cursors>>,
) -> Response {
    page(&ctx, &session, async || {
        let cursors = cursors?.0;
        let pending = peers::requests(&ctx, Some(FollowerState::Pending)).await?;
        let mut decided = peers::requests(&ctx, None).await?;
        decided.retain(|r| r.state != FollowerState::Pending);
        Ok(with_outcome(
            Page::signed_in(&ctx, &session, "requests"),
            &session,
            outcome,
        )
        .with_page("pending", pending, cursors.pending_after, |r| r.id.0)
        .with_page("decided", decided, cursors.after, |r| r.id.0)
        .render(&ctx, "console/requests.html"))
    })
    .await
}

async fn peer_list(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    outcome: Result<Query<Outcome>>,
    cursors: Result<Query<Cursors>>,
) -> Response {
    page(&ctx, &session, async || {
        let peers = peers::list(&ctx).await?;
        let scopes = sharing::views(&ctx, &peers).await?;
        Ok(
            with_outcome(Page::signed_in(&ctx, &session, "peers"), &session, outcome)
                .with_page("peers", peers, cursors?.0.after, |p| p.peer.id.0)
                .with("scopes", scopes)
                .with("peer_terms", sharing::terms::terms_by_peer(&ctx).await?)
                .render(&ctx, "console/peers.html"),
        )
    })
    .await
}

#[derive(Deserialize)]
struct DiffQuery {
    charter: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    /// Where the page of peers' commitments starts.
    after: Option<i64>,
}

async fn charter(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    query: Result<Query<DiffQuery>>,
) -> Response {
    page(&ctx, &session, async || {
        let charters = overview::charters(&ctx).await?;
        // The diff asked for, or by default the last change of the first
        // charter that has one.
        let query = query?.0;
        let query = Some(query);
        let chosen = query.as_ref().and_then(|q| q.charter.clone());
        let compared = charters
            .iter()
            .find(|c| chosen.as_ref().is_none_or(|id| &c.local_id == id) && c.versions.len() > 1)
            .map(|c| {
                let last = crate::model::count(c.versions.len());
                let to = query.as_ref().and_then(|q| q.to).unwrap_or(last);
                let from = query.as_ref().and_then(|q| q.from).unwrap_or(to - 1);
                let text = |n: i64| {
                    c.versions
                        .iter()
                        .find(|v| v.version == n)
                        .map(|v| v.text.as_str())
                };
                match (text(from), text(to)) {
                    (Some(old), Some(new)) => serde_json::json!({
                        "charter": c.local_id, "name": c.name, "from": from, "to": to,
                        "lines": overview::diff(old, new),
                    }),
                    _ => serde_json::json!({
                        "charter": c.local_id, "name": c.name, "from": from, "to": to,
                        "missing": true,
                    }),
                }
            });
        let first = PageRequest {
            cursor: None,
            limit: LIST_PAGE,
        };
        let ours = overview::published_page(&ctx, ObjectKind::Commitment, &first).await?;
        let after = query.as_ref().and_then(|q| q.after);
        let theirs = catalog_listing::page(
            &ctx,
            ObjectKind::Commitment,
            &CatalogSearch::default(),
            &PageRequest {
                cursor: after,
                limit: LIST_PAGE,
            },
        )
        .await?;
        Ok(Page::signed_in(&ctx, &session, "charter")
            .with("charters", charters)
            .with("diff", compared)
            .with("our_commitments", ours.items)
            .with("our_commitments_more", ours.next_cursor.is_some())
            .with("peer_commitments", theirs.items)
            .with("peer_commitments_next", theirs.next_cursor)
            .with("peer_commitments_paged", after.is_some())
            .render(&ctx, "console/charter.html"))
    })
    .await
}

#[derive(Deserialize)]
struct CatalogQuery {
    peer: Option<String>,
    q: Option<String>,
    after: Option<i64>,
}

const CATALOG_PAGE: i64 = 50;

async fn catalog(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    query: Result<Query<CatalogQuery>>,
) -> Response {
    page(&ctx, &session, async || {
        let query = Some(query?.0);
        let peer = query
            .as_ref()
            .and_then(|q| q.peer.as_deref())
            .and_then(|p| p.parse::<i64>().ok());
        let text = query
            .as_ref()
            .and_then(|q| q.q.clone())
            .filter(|t| !t.trim().is_empty());
        let search = CatalogSearch {
            peer: peer.map(|id| id.to_string()),
            text: text.clone(),
            ..CatalogSearch::default()
        };
        let request = PageRequest {
            cursor: query.as_ref().and_then(|q| q.after),
            limit: CATALOG_PAGE,
        };
        let found = catalog_listing::page(&ctx, ObjectKind::Offer, &search, &request).await?;
        let peers: Vec<_> = peers::list(&ctx)
            .await?
            .into_iter()
            .filter(|p| p.following.is_some())
            .map(|p| p.peer)
            .collect();
        Ok(Page::signed_in(&ctx, &session, "catalog")
            .with("items", found.items)
            .with("next", found.next_cursor)
            .with("peers", peers)
            .with("peer", peer)
            .with("q", text)
            .render(&ctx, "console/catalog.html"))
    })
    .await
}

/// The sharing register: whom we share with, under which scope, and what
/// the ledger says each peer holds and acknowledged.
async fn sharing(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    cursors: Result<Query<Cursors>>,
) -> Response {
    page(&ctx, &session, async || {
        let mut register = register::register(&ctx).await?;
        let entries = std::mem::take(&mut register.peers);
        Ok(Page::signed_in(&ctx, &session, "sharing")
            .with("register", register)
            .with_page("entries", entries, cursors?.0.after, |e| e.peer.id.0)
            .render(&ctx, "console/sharing.html"))
    })
    .await
}

/// Agreements both ways: those asked of this node and still pending, with
/// *Accept* and *Reject*; then all of them, a page at a time in the order
/// they were made.
async fn agreements(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    outcome: Result<Query<Outcome>>,
    cursors: Result<Query<Cursors>>,
) -> Response {
    page(&ctx, &session, async || {
        let cursors = cursors?.0;
        let page_from = |cursor| PageRequest {
            cursor,
            limit: crate::console::paging::LIST_PAGE,
        };
        let pending = agreement_views::list(
            &ctx,
            Some(AgreementState::Pending),
            Some(Side::Owner),
            &page_from(cursors.pending_after),
        )
        .await?;
        let all = agreement_views::list(&ctx, None, None, &page_from(cursors.after)).await?;
        Ok(with_outcome(
            Page::signed_in(&ctx, &session, "agreements"),
            &session,
            outcome,
        )
        .with("pending", pending.items)
        .with("pending_next", pending.next_cursor)
        .with("pending_paged", cursors.pending_after.is_some())
        .with("agreements", all.items)
        .with("agreements_next", all.next_cursor)
        .with("agreements_paged", cursors.after.is_some())
        .render(&ctx, "console/agreements.html"))
    })
    .await
}
