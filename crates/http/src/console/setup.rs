//! The one-time setup link (`/admin/setup/{secret}`): a page with one
//! button (GET changes nothing), and its form, which creates the first
//! admin token, shows it once and opens a console session. A used,
//! expired or superseded link is refused with a page saying why.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Router, routing::get};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::console::i18n::Lang;
use crate::console::session::{nonce_matches, signed_in_jar, with_nonce};
use crate::console::{Page, render_error};
use crate::domain::setup::{self, LinkState};
use crate::state::NodeState;

pub fn routes() -> Router<NodeState> {
    Router::new().route("/admin/setup/{secret}", get(setup_page).post(use_link))
}

/// The page a refused link shows, with its status.
fn refused(ctx: &NodeState, lang: Lang, state: LinkState) -> Response {
    let (key, status) = match state {
        LinkState::Used => ("setup_used", StatusCode::GONE),
        LinkState::Expired => ("setup_expired", StatusCode::GONE),
        LinkState::AdminExists => ("setup_admin_exists", StatusCode::GONE),
        LinkState::Unknown | LinkState::Usable => ("setup_unknown", StatusCode::NOT_FOUND),
    };
    let page = Page::new(ctx, lang, "setup").with("refused", lang.text(key));
    (status, page.render(ctx, "console/setup.html")).into_response()
}

async fn setup_page(
    State(ctx): State<NodeState>,
    lang: Lang,
    jar: CookieJar,
    Path(secret): Path<String>,
) -> Response {
    match setup::state(&ctx, &secret).await {
        Ok(LinkState::Usable) => {
            let (jar, nonce) = with_nonce(&ctx, jar);
            let page = Page::new(&ctx, lang, "setup")
                .with("nonce", nonce)
                .with("action", format!("{}{secret}", setup::SETUP_PATH))
                .with("token_name", setup::FIRST_TOKEN_NAME);
            (jar, page.render(&ctx, "console/setup.html")).into_response()
        }
        Ok(state) => refused(&ctx, lang, state),
        Err(e) => render_error(&ctx, lang, &e),
    }
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    nonce: String,
}

async fn use_link(
    State(ctx): State<NodeState>,
    lang: Lang,
    jar: CookieJar,
    Path(secret): Path<String>,
    form: Result<Form<SetupForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let nonce = form.map(|Form(f)| f.nonce).unwrap_or_default();
    if !nonce_matches(&jar, &nonce) {
        let error = crate::error::Error::Forbidden(lang.text("error_csrf"));
        return render_error(&ctx, lang, &error);
    }
    let outcome = match setup::redeem(&ctx, &secret).await {
        Ok(Some(done)) => done,
        Ok(None) => {
            return match setup::state(&ctx, &secret).await {
                Ok(state) => refused(&ctx, lang, state),
                Err(e) => render_error(&ctx, lang, &e),
            };
        }
        Err(e) => return render_error(&ctx, lang, &e),
    };
    let jar = signed_in_jar(&ctx, jar, outcome.session.id);
    let page = Page::new(&ctx, lang, "setup")
        .with("token", outcome.token)
        .with("token_name", outcome.session.token_name);
    (jar, page.render(&ctx, "console/setup.html")).into_response()
}
