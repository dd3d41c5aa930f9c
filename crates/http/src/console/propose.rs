//! Proposing an amendment from the console: the principles of a charter
//! hosted here in a form (a row each, a few empty rows to add one, a
//! *remove* box to drop one: no script), a preview of what the proposal
//! adds, removes and changes, then *Open the vote* through
//! `amendments::open`, as the admin API does.

use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::console::Page;
use crate::console::actions::back;
use crate::console::pages::page;
use crate::console::session::{ConsoleSession, CsrfForm};
use crate::domain::amendments::preview::{self, HostedCharter};
use crate::domain::amendments::{self, DEFAULT_QUORUM_PERCENT, Proposal};
use crate::error::Error;
use crate::extract::Query;
use crate::problem::Result;
use crate::state::NodeState;

/// Empty rows offered to add principles.
const EMPTY_ROWS: usize = 3;
/// Most principle rows a form is read for.
const MAX_ROWS: usize = 200;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/admin/amendments/new", get(new))
        .route("/admin/amendments/preview", post(preview_page))
        .route("/admin/amendments/open", post(open))
}

#[derive(Deserialize)]
struct Chosen {
    charter: Option<String>,
}

/// The form's values: from a hosted charter, or as posted.
fn form_values(hosted: &HostedCharter) -> Value {
    let mut rows: Vec<Value> = hosted
        .charter
        .principles
        .iter()
        .map(|p| json!({"key": p.key, "name": p.name, "content": p.content}))
        .collect();
    rows.extend((0..EMPTY_ROWS).map(|_| json!({"key": "", "name": "", "content": ""})));
    json!({
        "charter": hosted.local_id, "name": hosted.charter.name,
        "content": hosted.charter.content, "rows": rows, "summary": "",
        "duration_days": "7", "quorum_percent": DEFAULT_QUORUM_PERCENT.to_string(),
        "majority": "simple",
    })
}

async fn new(
    State(ctx): State<NodeState>,
    session: ConsoleSession,
    query: Result<Query<Chosen>>,
) -> Response {
    page(&ctx, &session, async || {
        let chosen = query?.0.charter;
        let charters = preview::hosted_charters(&ctx).await?;
        let selected = match chosen {
            Some(id) => Some(preview::hosted_charter(&ctx, &id).await?),
            None if charters.len() == 1 => charters.into_iter().next(),
            None => None,
        };
        let charters = preview::hosted_charters(&ctx).await?;
        Ok(Page::signed_in(&ctx, &session, "amendments")
            .with("charters", charters)
            .with("form", selected.as_ref().map(form_values))
            .render(&ctx, "console/amendment_new.html"))
    })
    .await
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", |v| v.trim())
}

/// The posted form as the template shows it again, and as a proposal.
fn read_form(form: &HashMap<String, String>) -> (Value, std::result::Result<Proposal, Error>) {
    let mut rows = Vec::new();
    let mut principles = Vec::new();
    for index in 0..MAX_ROWS {
        let (key, name, content) = (
            field(form, &format!("key_{index}")),
            field(form, &format!("name_{index}")),
            field(form, &format!("content_{index}")),
        );
        if !form.contains_key(&format!("key_{index}")) {
            break;
        }
        let removed = form.contains_key(&format!("remove_{index}"));
        let empty = key.is_empty() && name.is_empty() && content.is_empty();
        if !removed && !empty {
            rows.push(json!({"key": key, "name": name, "content": content}));
            principles.push(json!({"key": key, "name": name, "content": content}));
        }
    }
    rows.extend((0..EMPTY_ROWS).map(|_| json!({"key": "", "name": "", "content": ""})));
    let values = json!({
        "charter": field(form, "charter"), "name": field(form, "name"),
        "content": field(form, "content"), "rows": rows,
        "summary": field(form, "summary"), "duration_days": field(form, "duration_days"),
        "quorum_percent": field(form, "quorum_percent"), "majority": field(form, "majority"),
    });
    let mut proposed = json!({"name": field(form, "name"), "principles": principles});
    if !field(form, "content").is_empty() {
        proposed["content"] = json!(field(form, "content"));
    }
    let proposal = rules(form).map(|(duration_seconds, quorum_percent)| Proposal {
        charter: field(form, "charter").to_owned(),
        summary: field(form, "summary").to_owned(),
        proposed,
        duration_seconds: Some(duration_seconds),
        quorum_percent: Some(quorum_percent),
        majority: Some(field(form, "majority").to_owned()),
    });
    (values, proposal)
}

/// The voting period (days, decimals allowed, in seconds) and the quorum.
fn rules(form: &HashMap<String, String>) -> std::result::Result<(u64, u64), Error> {
    let days = field(form, "duration_days");
    let seconds = days
        .parse::<f64>()
        .ok()
        .filter(|d| d.is_finite() && *d > 0.0 && *d <= 90.0)
        .map(|d| (d * 86_400.0).round())
        .ok_or_else(|| {
            Error::UnprocessableAt("/duration_days".into(), format!("`{days}`: 0 to 90 days"))
        })?;
    let quorum = field(form, "quorum_percent");
    let quorum = quorum.parse::<u64>().map_err(|_| {
        Error::UnprocessableAt("/quorum_percent".into(), format!("`{quorum}`: 0 to 100"))
    })?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok((seconds as u64, quorum))
}

async fn preview_page(
    State(ctx): State<NodeState>,
    form: CsrfForm<HashMap<String, String>>,
) -> Response {
    let session = &form.session;
    let (values, proposal) = read_form(&form.form);
    let checked = match proposal {
        Ok(proposal) => preview::preview(&ctx, &proposal)
            .await
            .map(|p| (p, proposal)),
        Err(e) => Err(e),
    };
    page(&ctx, session, async || match checked {
        Ok((preview, proposal)) => {
            let carried = json!({
                "charter": proposal.charter, "summary": proposal.summary,
                "proposed": preview.proposed, "duration_seconds": proposal.duration_seconds,
                "quorum_percent": proposal.quorum_percent, "majority": proposal.majority,
            });
            Ok(Page::signed_in(&ctx, session, "amendments")
                .with("preview", preview)
                .with("proposal", carried.to_string())
                .with("summary", &proposal.summary)
                .with("rules", &values)
                .render(&ctx, "console/amendment_preview.html"))
        }
        Err(e) => {
            let charters = preview::hosted_charters(&ctx).await?;
            Ok(Page::signed_in(&ctx, session, "amendments")
                .with("charters", charters)
                .with("form", values)
                .with("error", e.to_string())
                .render(&ctx, "console/amendment_new.html"))
        }
    })
    .await
}

#[derive(Deserialize)]
struct Carried {
    #[serde(default)]
    proposal: String,
}

async fn open(State(ctx): State<NodeState>, form: CsrfForm<Carried>) -> Response {
    let by = form.session.decided_by();
    let outcome = async {
        let proposal: Proposal = serde_json::from_str(&form.form.proposal)
            .map_err(|e| Error::BadRequest(format!("the proposal is not readable: {e}")))?;
        amendments::open(&ctx, &proposal, &by).await?;
        Ok("amendment_opened")
    };
    back("/admin/amendments", outcome.await)
}
