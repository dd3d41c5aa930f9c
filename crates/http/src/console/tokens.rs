//! The Tokens page: API tokens with their scope, creation and last use,
//! paged newest first; creating one (its secret shown once, on the page
//! the form returns) and revoking one (confirmed with a checkbox). Both
//! go through `domain::tokens`, as the command line does, and land in
//! the audit log.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::console::actions::back;
use crate::console::pages::{Outcome, page, with_outcome};
use crate::console::session::{ConsoleSession, CsrfForm};
use crate::console::{Page, render_error};
use crate::domain::listing::PageRequest;
use crate::domain::tokens::{self, Scope};
use crate::error::Error;
use crate::extract::Query;
use crate::model::TokenId;
use crate::problem::Result;
use crate::state::NodeState;

const TOKENS_PAGE: i64 = 50;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/admin/tokens", get(token_list).post(create))
        .route("/admin/tokens/{id}/revoke", post(revoke))
}

#[derive(Deserialize)]
struct TokensQuery {
    before: Option<i64>,
}

async fn token_list(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    query: Result<Query<TokensQuery>>,
    outcome: Result<Query<Outcome>>,
) -> Response {
    page(&ctx, &session, async || {
        let query = query?.0;
        let request = PageRequest {
            cursor: query.before,
            limit: TOKENS_PAGE,
        };
        let found = tokens::page(&ctx.store, &request).await?;
        Ok(
            with_outcome(Page::signed_in(&ctx, &session, "tokens"), &session, outcome)
                .with("tokens", found.items)
                .with("next", found.next_cursor)
                .with("paged", query.before.is_some())
                .render(&ctx, "console/tokens.html"),
        )
    })
    .await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
}

async fn create(State(ctx): State<NodeState>, form: CsrfForm<CreateForm>) -> Response {
    let CsrfForm { session, form } = form;
    let lang = session.lang;
    let name = form.name.trim();
    let checked = if name.is_empty() {
        Err(Error::BadRequest(lang.text("error_token_name_empty")))
    } else {
        Scope::parse(form.scope.trim())
            .ok_or_else(|| Error::BadRequest(lang.text("error_token_scope_unknown")))
    };
    let created = match checked {
        Ok(scope) => tokens::create_recorded(&ctx.store, name, scope, &session.decided_by())
            .await
            .map(|secret| (scope, secret)),
        Err(e) => Err(e),
    };
    match created {
        Ok((scope, secret)) => Page::signed_in(&ctx, &session, "tokens")
            .with("name", name)
            .with("scope", scope.as_str())
            .with("secret", secret)
            .render(&ctx, "console/token_created.html"),
        Err(e @ (Error::Database(_) | Error::Internal(_))) => render_error(&ctx, lang, &e),
        Err(e) => back("/admin/tokens", Err(e)),
    }
}

/// A destructive form: its `confirm` checkbox must be ticked.
#[derive(Deserialize)]
struct Confirmed {
    confirm: Option<String>,
}

async fn revoke(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Confirmed>,
) -> Response {
    let by = form.session.decided_by();
    let lang = form.session.lang;
    let outcome = async {
        let id: TokenId = crate::model::parse_id(&id)?;
        if form.form.confirm.as_deref() != Some("yes") {
            return Err(Error::BadRequest(lang.text("error_confirm")));
        }
        tokens::revoke_recorded(&ctx.store, Ok(id), &by).await?;
        Ok("token_revoked")
    };
    back("/admin/tokens", outcome.await)
}
