//! The read-only Settings page: every setting the node runs with, grouped
//! by section, each with its value (secrets masked) and where it came
//! from: the settings file, a `PASSERELLE_…` environment variable, or the
//! default.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use crate::console::Page;
use crate::console::pages::page;
use crate::console::session::ConsoleSession;
use crate::state::NodeState;
use passerelle_config::Entry;

pub fn routes() -> Router<NodeState> {
    Router::new().route("/admin/settings", get(settings))
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

async fn settings(State(ctx): State<NodeState>, session: ConsoleSession) -> Response {
    page(&ctx, &session, async || {
        let file = ctx.settings.entries().iter().find_map(|e| match &e.source {
            passerelle_config::Source::File(path) => Some(path.clone()),
            _ => None,
        });
        Ok(Page::signed_in(&ctx, &session, "settings")
            .with("sections", sections(ctx.settings.entries()))
            .with("file", file)
            .render(&ctx, "console/settings.html"))
    })
    .await
}
