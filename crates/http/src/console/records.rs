//! The console's paged records: what we publish (newest first, every
//! object reachable) and the audit log, filtered by action, peer and time.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::console::Page;
use crate::console::pages::page;
use crate::console::session::ConsoleSession;
use crate::domain::audit::{self, AuditSearch};
use crate::domain::listing::PageRequest;
use crate::domain::overview;
use crate::domain::peers;
use crate::extract::Query;
use crate::model::kinds::ObjectKind;
use crate::problem::Result;
use crate::state::NodeState;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/admin/published", get(published))
        .route("/admin/audit", get(audit))
}

/// Rows a page of the published list or the audit log shows.
const PAGE: i64 = 50;

#[derive(Deserialize)]
struct PublishedQuery {
    /// One kind, paged; absent: the newest of each kind.
    kind: Option<String>,
    before: Option<i64>,
}

async fn published(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    query: Result<Query<PublishedQuery>>,
) -> Response {
    page(&ctx, &session, async || {
        let query = query?.0;
        let only = match query.kind.as_deref().filter(|k| !k.is_empty()) {
            Some(kind) => Some(ObjectKind::parse(kind).ok_or_else(|| {
                crate::error::Error::BadRequest(format!("`{kind}` is not a kind of object"))
            })?),
            None => None,
        };
        let counts: std::collections::HashMap<String, i64> = ctx
            .store
            .count_live_objects_by_kind()
            .await?
            .into_iter()
            .collect();
        let request = PageRequest {
            cursor: query.before.filter(|_| only.is_some()),
            limit: PAGE,
        };
        let mut kinds = Vec::new();
        for kind in ObjectKind::ALL {
            if only.is_some_and(|k| k != kind) {
                continue;
            }
            let found = overview::published_page(&ctx, kind, &request).await?;
            kinds.push(serde_json::json!({
                "kind": kind.as_str(),
                "total": counts.get(kind.as_str()).copied().unwrap_or(0),
                "objects": found.items,
                "next": found.next_cursor,
            }));
        }
        Ok(Page::signed_in(&ctx, &session, "published")
            .with("kinds", kinds)
            .with("only", only.map(ObjectKind::as_str))
            .with("paged", request.cursor.is_some())
            .render(&ctx, "console/published.html"))
    })
    .await
}

#[derive(Deserialize)]
struct AuditQuery {
    before: Option<i64>,
    action: Option<String>,
    peer: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

async fn audit(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    query: Result<Query<AuditQuery>>,
) -> Response {
    page(&ctx, &session, async || {
        let query = query?.0;
        let search = AuditSearch {
            action: query.action,
            peer: query.peer,
            since: query.since,
            until: query.until,
        };
        let filter = audit::filter(&ctx, &search).await?;
        let request = PageRequest {
            cursor: query.before,
            limit: PAGE,
        };
        let entries = audit::filtered(&ctx, &request, &filter).await?;
        // The filter again, for the links to other pages.
        let kept: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                [
                    ("action", &search.action),
                    ("peer", &search.peer),
                    ("since", &search.since),
                    ("until", &search.until),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v))),
            )
            .finish();
        let peer_choices: Vec<_> = peers::list(&ctx)
            .await?
            .into_iter()
            .map(|p| p.peer)
            .collect();
        Ok(Page::signed_in(&ctx, &session, "audit")
            .with("entries", entries.items)
            .with("next", entries.next_cursor)
            .with("paged", query.before.is_some())
            .with("actions", audit::actions(&ctx).await?)
            .with("peers", peer_choices)
            .with(
                "search",
                serde_json::json!({
                    "action": search.action, "peer": search.peer,
                    "since": search.since, "until": search.until,
                }),
            )
            .with("kept", kept)
            .render(&ctx, "console/audit.html"))
    })
    .await
}
