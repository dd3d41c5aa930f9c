//! Signing in to the console: an admin token is exchanged for a session
//! cookie (`HttpOnly`, `SameSite=Strict`, `Secure` behind https). Every
//! state-changing form carries the session's CSRF token; the sign-in form,
//! posted before there is a session, carries a double-submit token.

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Router, routing::get, routing::post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::console::i18n::Lang;
use crate::console::{Page, render_error};
use crate::context::Context;
use crate::domain::sessions::{self, Session};
use crate::domain::tokens;
use crate::error::Error;
use crate::state::NodeState;

const SESSION_COOKIE: &str = "passerelle_session";
const SIGN_IN_COOKIE: &str = "passerelle_sign_in";
pub const SIGN_IN_PATH: &str = "/admin/sign-in";

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route(SIGN_IN_PATH, get(sign_in_page).post(sign_in))
        .route("/admin/sign-out", post(sign_out))
}

/// A signed-in admin. Without a live session, pages redirect to sign-in.
pub struct ConsoleSession {
    pub session: Session,
    pub lang: Lang,
}

impl ConsoleSession {
    /// How decisions taken in the console are recorded in the audit log.
    pub fn decided_by(&self) -> String {
        format!("admin console (token `{}`)", self.session.token.name)
    }
}

fn cookie<'a>(ctx: &Context, name: &'a str, value: String) -> Cookie<'a> {
    Cookie::build((name, value))
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(ctx.settings.public_url.scheme() == "https")
        .build()
}

fn sign_in_redirect(uri: &Uri) -> Response {
    let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/admin");
    let target = format!(
        "{SIGN_IN_PATH}?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    Redirect::to(&target).into_response()
}

async fn live_session(ctx: &Context, jar: &CookieJar) -> Result<Option<Session>, Error> {
    match jar.get(SESSION_COOKIE) {
        Some(cookie) => sessions::find(ctx, cookie.value()).await,
        None => Ok(None),
    }
}

impl<S> FromRequestParts<S> for ConsoleSession
where
    S: Send + Sync,
    NodeState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = NodeState::from_ref(state);
        let Ok(lang) = Lang::from_request_parts(parts, state).await;
        let jar = CookieJar::from_headers(&parts.headers);
        match live_session(&ctx, &jar).await {
            Ok(Some(session)) => Ok(ConsoleSession { session, lang }),
            Ok(None) => Err(sign_in_redirect(&parts.uri)),
            Err(e) => Err(render_error(&ctx, lang, &e)),
        }
    }
}

/// A form posted from a console page: the session is live and the form's
/// `csrf` field is the session's, or the post is refused and nothing changes.
pub struct CsrfForm<T> {
    pub session: ConsoleSession,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    NodeState: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = NodeState::from_ref(state);
        let (mut parts, body) = request.into_parts();
        let session = ConsoleSession::from_request_parts(&mut parts, state).await?;
        let lang = session.lang;
        let request = Request::from_parts(parts, body);
        let is_form = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| render_error(&ctx, lang, &Error::BadRequest(e.body_text())))?;
        let csrf = serde_urlencoded::from_bytes::<CsrfField>(&body)
            .map(|field| field.csrf)
            .unwrap_or_default();
        if !is_form || !sessions::csrf_matches(&session.session, &csrf) {
            return Err(render_error(
                &ctx,
                lang,
                &Error::Forbidden(lang.text("error_csrf")),
            ));
        }
        let form = serde_urlencoded::from_bytes(&body).map_err(|e| {
            render_error(
                &ctx,
                lang,
                &Error::BadRequest(format!("{}: {e}", lang.text("error_form"))),
            )
        })?;
        Ok(CsrfForm { session, form })
    }
}

#[derive(Deserialize, Default)]
struct SignInQuery {
    next: Option<String>,
}

/// Only local console paths are followed after signing in (no open redirect).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with("/admin") && !path.starts_with("//") => path,
        _ => "/admin",
    }
}

/// A double-submit token for a form posted before there is a session
/// (sign-in, the setup link): set as a cookie and given to the form.
pub(super) fn with_nonce(ctx: &Context, jar: CookieJar) -> (CookieJar, String) {
    let nonce = tokens::random_secret();
    (jar.add(cookie(ctx, SIGN_IN_COOKIE, nonce.clone())), nonce)
}

/// Whether a form's double-submit token is the cookie's.
pub(super) fn nonce_matches(jar: &CookieJar, submitted: &str) -> bool {
    use subtle::ConstantTimeEq;
    jar.get(SIGN_IN_COOKIE).is_some_and(|c| {
        !submitted.is_empty() && bool::from(c.value().as_bytes().ct_eq(submitted.as_bytes()))
    })
}

/// The jar once a session is open: its cookie set, the nonce dropped.
pub(super) fn signed_in_jar(ctx: &Context, jar: CookieJar, session_id: String) -> CookieJar {
    // A browser-session cookie; the server ends it after SESSION_LIFETIME.
    jar.remove(Cookie::build(SIGN_IN_COOKIE).path("/admin"))
        .add(cookie(ctx, SESSION_COOKIE, session_id))
}

fn sign_in_form(
    ctx: &NodeState,
    lang: Lang,
    jar: CookieJar,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (jar, nonce) = with_nonce(ctx, jar);
    let page = Page::new(ctx, lang, "sign_in")
        .with("nonce", &nonce)
        .with("next", next)
        .with("error", error);
    (status, jar, page.render(ctx, "console/sign_in.html")).into_response()
}

async fn sign_in_page(
    State(ctx): State<NodeState>,
    lang: Lang,
    jar: CookieJar,
    query: crate::problem::Result<crate::extract::Query<SignInQuery>>,
) -> Response {
    let next = query.ok().and_then(|q| q.0.next);
    if let Ok(Some(_)) = live_session(&ctx, &jar).await {
        return Redirect::to(safe_next(next.as_deref())).into_response();
    }
    sign_in_form(
        &ctx,
        lang,
        jar,
        safe_next(next.as_deref()),
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    nonce: String,
    next: Option<String>,
}

async fn sign_in(
    State(ctx): State<NodeState>,
    lang: Lang,
    jar: CookieJar,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return sign_in_form(
            &ctx,
            lang,
            jar,
            "/admin",
            Some(&lang.text("error_form")),
            StatusCode::BAD_REQUEST,
        );
    };
    let next = safe_next(form.next.as_deref()).to_owned();
    if !nonce_matches(&jar, &form.nonce) {
        return sign_in_form(
            &ctx,
            lang,
            jar,
            &next,
            Some(&lang.text("error_csrf")),
            StatusCode::FORBIDDEN,
        );
    }
    match sessions::open(&ctx, &form.token).await {
        Ok(opened) => {
            tracing::info!(token = %opened.token_name, "console: signed in");
            let jar = signed_in_jar(&ctx, jar, opened.id);
            (jar, Redirect::to(&next)).into_response()
        }
        Err(Error::Unauthorized(_)) if form.token.trim().is_empty() => sign_in_form(
            &ctx,
            lang,
            jar,
            &next,
            Some(&lang.text("error_token_empty")),
            StatusCode::UNAUTHORIZED,
        ),
        Err(Error::Unauthorized(_)) => sign_in_form(
            &ctx,
            lang,
            jar,
            &next,
            Some(&lang.text("error_token_unknown")),
            StatusCode::UNAUTHORIZED,
        ),
        Err(Error::Forbidden(_)) => sign_in_form(
            &ctx,
            lang,
            jar,
            &next,
            Some(&lang.text("error_token_scope")),
            StatusCode::FORBIDDEN,
        ),
        Err(e) => render_error(&ctx, lang, &e),
    }
}

#[derive(Deserialize)]
struct Nothing {}

async fn sign_out(
    State(ctx): State<NodeState>,
    jar: CookieJar,
    form: CsrfForm<Nothing>,
) -> Response {
    let CsrfForm {
        session,
        form: Nothing {},
    } = form;
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        if let Err(e) = sessions::close(&ctx, cookie.value()).await {
            return render_error(&ctx, session.lang, &e);
        }
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/admin"));
    (jar, Redirect::to(SIGN_IN_PATH)).into_response()
}
