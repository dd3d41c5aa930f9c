//! The console's forms (POST): each takes one decision through the same
//! domain function as the admin API, then redirects back to the page it
//! came from with what happened (`?done=`) or why it failed (`?error=`).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;

use crate::console::session::CsrfForm;
use crate::domain::{agreements, follows, sharing};
use crate::error::Error;
use crate::model::kinds::ObjectKind;
use crate::model::{SharingScope, parse_id};
use crate::state::NodeState;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/admin/requests/{id}/approve", post(approve))
        .route("/admin/requests/{id}/reject", post(reject))
        .route("/admin/peers/follow", post(follow))
        .route("/admin/peers/{id}/unfollow", post(unfollow))
        .route("/admin/peers/{id}/exclude", post(exclude))
        .route("/admin/peers/{id}/reinclude", post(reinclude))
        .route("/admin/peers/{id}/scope", post(scope))
        .route("/admin/agreements/{id}/accept", post(accept_agreement))
        .route("/admin/agreements/{id}/reject", post(reject_agreement))
}

/// Back to `page`: with `done` on success, with the error's message when
/// the decision was refused (nothing changed then).
pub(super) fn back(page: &str, outcome: crate::error::Result<&str>) -> Response {
    let query = match outcome {
        Ok(done) => format!("done={done}"),
        Err(e) => {
            if matches!(&e, Error::Database(_) | Error::Internal(_)) {
                tracing::error!(error = %e, "console action failed");
            }
            let message = e.to_string();
            format!(
                "error={}",
                url::form_urlencoded::byte_serialize(message.as_bytes()).collect::<String>()
            )
        }
    };
    Redirect::to(&format!("{page}?{query}")).into_response()
}

/// Refuses a destructive action whose form did not carry the checked
/// `confirm` box (`yes`): nothing is changed then.
pub(super) fn confirmed(
    session: &crate::console::session::ConsoleSession,
    confirm: Option<&str>,
) -> crate::error::Result<()> {
    if confirm == Some("yes") {
        Ok(())
    } else {
        Err(Error::BadRequest(session.lang.text("error_not_confirmed")))
    }
}

/// A console form with nothing but its CSRF token.
#[derive(Deserialize)]
pub(super) struct Empty {}

/// A console form giving an optional reason.
#[derive(Deserialize)]
pub(super) struct Reason {
    #[serde(default)]
    pub(super) reason: String,
}

/// The exclusion form: a reason and the checked confirmation box.
#[derive(Deserialize)]
struct Exclusion {
    #[serde(default)]
    reason: String,
    confirm: Option<String>,
}

#[derive(Deserialize)]
struct Target {
    #[serde(default)]
    handle: String,
}

async fn approve(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        follows::approve(&ctx, parse_id(&id)?, &by).await?;
        Ok("approved")
    };
    back("/admin/requests", outcome.await)
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
        follows::reject(&ctx, parse_id(&id)?, reason, &by).await?;
        Ok("rejected")
    };
    back("/admin/requests", outcome.await)
}

async fn follow(State(state): State<NodeState>, form: CsrfForm<Target>) -> Response {
    let by = form.session.decided_by();
    let handle = form.form.handle.trim().to_owned();
    let outcome = async {
        if handle.is_empty() {
            return Err(Error::BadRequest(
                form.session.lang.text("error_handle_empty"),
            ));
        }
        follows::follow(&state, &handle, &by).await?;
        Ok("follow_sent")
    };
    back("/admin/peers", outcome.await)
}

async fn unfollow(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        follows::unfollow_peer(&ctx, parse_id(&id)?, &by).await?;
        Ok("unfollowed")
    };
    back("/admin/peers", outcome.await)
}

async fn exclude(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Exclusion>,
) -> Response {
    let by = form.session.decided_by();
    let reason = form.form.reason.trim().to_owned();
    let outcome = async {
        confirmed(&form.session, form.form.confirm.as_deref())?;
        follows::exclude(&ctx, parse_id(&id)?, &reason, &by).await?;
        Ok("excluded")
    };
    back("/admin/peers", outcome.await)
}

async fn reinclude(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        follows::reinclude(&ctx, parse_id(&id)?, &by).await?;
        Ok("reincluded")
    };
    back("/admin/peers", outcome.await)
}

/// The scope form: a checkbox a kind, categories one a line (or comma
/// separated), purpose, retention in days (empty: no limit).
#[derive(Deserialize)]
struct ScopeForm {
    kind_offer: Option<String>,
    kind_member: Option<String>,
    kind_charter: Option<String>,
    kind_commitment: Option<String>,
    #[serde(default)]
    categories: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    retention_days: String,
}

impl ScopeForm {
    fn scope(&self) -> crate::error::Result<SharingScope> {
        let kinds = [
            (&self.kind_offer, ObjectKind::Offer),
            (&self.kind_member, ObjectKind::Member),
            (&self.kind_charter, ObjectKind::Charter),
            (&self.kind_commitment, ObjectKind::Commitment),
        ]
        .into_iter()
        .filter(|(checked, _)| checked.is_some())
        .map(|(_, kind)| kind)
        .collect();
        let retention = self.retention_days.trim();
        let retention_days = if retention.is_empty() {
            None
        } else {
            Some(retention.parse::<u32>().map_err(|_| {
                Error::UnprocessableAt(
                    "/retentionDays".into(),
                    format!("`{retention}` is not a number of days"),
                )
            })?)
        };
        Ok(SharingScope {
            kinds,
            categories: self
                .categories
                .split([',', '\n'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            purpose: self.purpose.clone(),
            retention_days,
        })
    }
}

async fn scope(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<ScopeForm>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        sharing::set_scope(&ctx, parse_id(&id)?, form.form.scope()?, &by).await?;
        Ok("scope_set")
    };
    back("/admin/peers", outcome.await)
}

async fn accept_agreement(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        agreements::accept(&ctx, &id, &by).await?;
        Ok("agreement_accepted")
    };
    back("/admin/agreements", outcome.await)
}

async fn reject_agreement(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    form: CsrfForm<Reason>,
) -> Response {
    let by = form.session.decided_by();
    let reason = form.form.reason.trim().to_owned();
    let outcome = async {
        let reason = (!reason.is_empty()).then_some(reason.as_str());
        agreements::reject(&ctx, &id, reason, &by).await?;
        Ok("agreement_rejected")
    };
    back("/admin/agreements", outcome.await)
}
