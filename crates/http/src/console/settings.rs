//! The Settings page: every setting the node runs with, grouped by
//! section, each with its value (secrets masked) and where it came from:
//! the settings file, a `PASSERELLE_…` environment variable, or the
//! default; and the node's move to a new address (`domain::moving`, as
//! `passerelle move` does), confirmed with a checkbox.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::console::Page;
use crate::console::actions::back;
use crate::console::pages::{Outcome, page, with_outcome};
use crate::console::session::{ConsoleSession, CsrfForm};
use crate::domain::identity::{self, KeyKind};
use crate::domain::moving;
use crate::error::Error;
use crate::extract::Query;
use crate::problem::Result;
use crate::state::NodeState;
use passerelle_config::Entry;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/admin/settings", get(settings))
        .route("/admin/settings/move", post(move_node))
        .route("/admin/settings/keys", post(rotate_key))
}

/// The settings of one section of the file, in the file's order.
#[derive(Serialize)]
struct Section {
    /// The section's key (`federation`), `general` for top-level keys.
    name: String,
    entries: Vec<Entry>,
}

fn sections(entries: Vec<Entry>) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for entry in entries {
        let name = if entry.section.is_empty() {
            "general".to_owned()
        } else {
            entry.section.clone()
        };
        match sections.iter_mut().find(|s| s.name == name) {
            Some(section) => section.entries.push(entry),
            None => sections.push(Section {
                name,
                entries: vec![entry],
            }),
        }
    }
    sections
}

async fn settings(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    outcome: Result<Query<Outcome>>,
) -> Response {
    page(&ctx, &session, async || {
        let moved = moving::addresses(&ctx).await?.moved_to.clone();
        let file = ctx.settings.entries().iter().find_map(|e| match &e.source {
            passerelle_config::Source::File(path) => Some(path.clone()),
            _ => None,
        });
        Ok(with_outcome(
            Page::signed_in(&ctx, &session, "settings"),
            &session,
            outcome,
        )
        .with("sections", sections(ctx.settings.entries()))
        .with("file", file)
        .with("moved_to", moved.as_ref().map(|m| m.actor.to_string()))
        .with("proof_key", ctx.keys().ed25519_fragment.clone())
        .with(
            "moved_at",
            moved.map(|m| crate::model::time::format_millis(m.at)),
        )
        .render(&ctx, "console/settings.html"))
    })
    .await
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    to: String,
    confirm: Option<String>,
}

async fn move_node(State(ctx): State<NodeState>, form: CsrfForm<MoveForm>) -> Response {
    let CsrfForm { session, form } = form;
    let outcome = async {
        if form.confirm.as_deref() != Some("yes") {
            return Err(Error::BadRequest(
                session.lang.text("error_confirm_required"),
            ));
        }
        moving::move_to_public_url(&ctx, &form.to, &session.decided_by()).await?;
        Ok("node_moved")
    };
    back("/admin/settings", outcome.await)
}

#[derive(Deserialize)]
struct RotateForm {
    #[serde(default)]
    key: String,
    confirm: Option<String>,
}

/// Rotates a key of the running node, as `passerelle keys rotate` does
/// with the node stopped.
async fn rotate_key(State(ctx): State<NodeState>, form: CsrfForm<RotateForm>) -> Response {
    let CsrfForm { session, form } = form;
    let outcome = async {
        let kind = match form.key.as_str() {
            "rsa" => KeyKind::Rsa,
            "ed25519" => KeyKind::Ed25519,
            other => {
                return Err(Error::BadRequest(format!(
                    "`{other}` is not a key of this node: rsa or ed25519"
                )));
            }
        };
        if form.confirm.as_deref() != Some("yes") {
            return Err(Error::BadRequest(
                session.lang.text("error_confirm_required"),
            ));
        }
        identity::rotate_live(&ctx, kind, &session.decided_by()).await?;
        Ok("key_rotated")
    };
    back("/admin/settings", outcome.await)
}
