//! The admin web console at `/admin`: server-rendered pages (minijinja
//! templates in `templates/console/`), plain forms, no script needed, in
//! English or French. Pages read through the same domain functions as the
//! admin API and forms call the same decisions, recorded in the audit log
//! with the token the session was opened with.

mod actions;
mod amendments;
mod dfc;
mod glance;
pub mod i18n;
mod membership;
mod network;
mod pages;
mod paging;
mod peer;
pub mod phrases;
mod propose;
mod records;
pub mod session;
mod settings;
mod setup;
mod tokens;
mod webhooks;

use axum::Router;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::context::Context;
use crate::domain::discovery;
use crate::error::Error;
use crate::problem::ApiError;
use crate::problem::status_of;
use crate::state::NodeState;
use i18n::Lang;
use session::ConsoleSession;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .merge(session::routes())
        .merge(pages::routes())
        .merge(actions::routes())
        .merge(amendments::routes())
        .merge(membership::routes())
        .merge(network::routes())
        .merge(setup::routes())
        .merge(tokens::routes())
        .merge(settings::routes())
        .merge(records::routes())
        .merge(webhooks::routes())
        .merge(dfc::routes())
        .merge(peer::routes())
        .merge(propose::routes())
}

/// A console page's template context: what every page shows (language,
/// messages, the node, the signed-in admin and the CSRF token) plus the
/// page's own values.
pub struct Page {
    context: Map<String, Value>,
}

impl Page {
    pub fn new(ctx: &Context, lang: Lang, active: &str) -> Page {
        let settings = &ctx.settings;
        let mut context = Map::new();
        context.insert("lang".into(), json!(lang.code()));
        context.insert("t".into(), Value::Object(lang.messages().clone()));
        context.insert("active".into(), json!(active));
        context.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
        context.insert(
            "node".into(),
            json!({
                "name": settings.platform.name,
                "handle": format!("@{}", discovery::account(settings)),
                "actor": settings.url_for("/actor").as_str(),
            }),
        );
        Page { context }
    }

    /// A page for a signed-in admin: adds the CSRF token for its forms.
    pub fn signed_in(ctx: &Context, session: &ConsoleSession, active: &str) -> Page {
        Page::new(ctx, session.lang, active)
            .with("csrf", &session.session.csrf)
            .with("signed_in_as", &session.session.token.name)
    }

    pub fn with(mut self, key: &str, value: impl Serialize) -> Page {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.context.insert(key.into(), value);
        self
    }

    pub fn render(self, ctx: &NodeState, template: &str) -> Response {
        let mut response = match ctx.templates.render(template, Value::Object(self.context)) {
            Ok(html) => html.into_response(),
            Err(e) => ApiError(e).into_response(),
        };
        // Console pages hold private data: never cached, never framed.
        let headers = response.headers_mut();
        headers.insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        headers.insert(
            "x-frame-options",
            axum::http::HeaderValue::from_static("DENY"),
        );
        headers.insert(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(
                "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
        response
    }
}

/// An error as a console page, with the status the API would give it.
pub fn render_error(ctx: &NodeState, lang: Lang, error: &Error) -> Response {
    let status = status_of(error);
    let message = if status.is_server_error() {
        tracing::error!(error = %error, "console request failed");
        lang.text("error_internal")
    } else {
        phrases::translate(lang, &error.to_string())
    };
    let page = Page::new(ctx, lang, "").with("message", &message);
    let mut response = page.render(ctx, "console/error.html");
    *response.status_mut() = status;
    response
}
