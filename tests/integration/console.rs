//! The admin console over plain HTTP: sign-in, sessions, CSRF, escaping,
//! languages. (The browser tests drive the same pages in Chromium.)

use passerelle::domain::tokens::Scope;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, node_named};
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(
    console_requires_a_session,
    console_session_and_csrf,
    console_escapes_peer_text
);

/// Where a console answers: a test node, or a node of another process.
pub trait Console {
    fn url(&self, path: &str) -> String;
}

impl Console for TestNode {
    fn url(&self, path: &str) -> String {
        TestNode::url(self, path)
    }
}

/// A node's origin, like `http://localhost:8081`.
impl Console for str {
    fn url(&self, path: &str) -> String {
        format!("{self}{path}")
    }
}

/// An HTTP client that does not follow redirects, so tests see them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            v[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_owned()
        })
}

pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect(name) + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Signs in with `token`; the raw response of the sign-in POST.
pub async fn sign_in_response(node: &(impl Console + ?Sized), token: &str) -> reqwest::Response {
    let client = client();
    let page = client.get(node.url("/admin/sign-in")).send().await.unwrap();
    let nonce_cookie = cookie_value(&page, "passerelle_sign_in").expect("sign-in cookie");
    let html = page.text().await.unwrap();
    client
        .post(node.url("/admin/sign-in"))
        .header(COOKIE, format!("passerelle_sign_in={nonce_cookie}"))
        .form(&[
            ("token", token),
            ("nonce", &hidden(&html, "nonce")),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap()
}

/// A signed-in console session: its cookie header and CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub async fn sign_in(node: &(impl Console + ?Sized), token: &str) -> Session {
    let response = sign_in_response(node, token).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = format!(
        "passerelle_session={}",
        cookie_value(&response, "passerelle_session").expect("session cookie")
    );
    let html = page(node, &cookie, "/admin").await.1;
    Session {
        csrf: hidden(&html, "csrf"),
        cookie,
    }
}

pub async fn page(
    node: &(impl Console + ?Sized),
    cookie: &str,
    path: &str,
) -> (StatusCode, String) {
    let response = client()
        .get(node.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Every console page (the accessibility test visits each, in English and
/// French, and the README's screenshots are taken from it).
pub(crate) const PAGES: &[&str] = &[
    "/admin",
    "/admin/requests",
    "/admin/peers",
    "/admin/charter",
    "/admin/amendments",
    "/admin/published",
    "/admin/catalog",
    "/admin/audit",
    "/admin/agreements",
    "/admin/sharing",
    "/admin/network",
    "/admin/membership",
    "/admin/tokens",
    "/admin/settings",
    "/admin/webhooks",
    "/admin/dfc",
    "/admin/amendments/new",
];
const FORMS: &[&str] = &[
    "/admin/requests/1/approve",
    "/admin/requests/1/reject",
    "/admin/peers/follow",
    "/admin/network/overrides",
    "/admin/network/overrides/1/remove",
    "/admin/peers/1/unfollow",
    "/admin/peers/1/exclude",
    "/admin/peers/1/reinclude",
    "/admin/peers/1/scope",
    "/admin/agreements/1/accept",
    "/admin/agreements/1/reject",
    "/admin/amendments/1/vote",
    "/admin/amendments/1/renew",
    "/admin/amendments/drafts/1/accept",
    "/admin/amendments/drafts/1/reject",
    "/admin/membership/join",
    "/admin/membership/requests/1/vote",
    "/admin/membership/requests/1/refuse",
    "/admin/membership/votes/1/vote",
    "/admin/membership/votes/1/reply",
    "/admin/membership/exclusions",
    "/admin/tokens",
    "/admin/tokens/1/revoke",
    "/admin/webhooks/1/enable",
    "/admin/webhooks/1/test",
    "/admin/dfc/run",
    "/admin/dfc/forget",
    "/admin/amendments/preview",
    "/admin/amendments/open",
    "/admin/sign-out",
];

async fn console_requires_a_session(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let client = client();
    for path in PAGES {
        let response = client.get(node.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let location = response.headers()[LOCATION].to_str().unwrap();
        assert!(
            location.starts_with("/admin/sign-in?next=%2Fadmin"),
            "{path}: {location}"
        );
    }
    for path in FORMS {
        let response = client
            .post(node.url(path))
            .form(&[("csrf", "x"), ("reason", "r"), ("handle", "@a@b")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
    }
    // A forged or expired cookie is no session either.
    let (status, _) = page(&node, "passerelle_session=forged", "/admin").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Wrong tokens are refused with a clear message and open no session.
    let wrong = sign_in_response(&node, "psl_not-a-token").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_value(&wrong, "passerelle_session").is_none());
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("This token is not known to this node, or it was revoked.")
    );
    let platform = node.token(Scope::Platform).await;
    let refused = sign_in_response(&node, &platform).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("the console needs a token with scope admin")
    );
    // Without the sign-in form's own token, sign-in is refused too.
    let admin = admin(&node).await;
    let response = client
        .post(node.url("/admin/sign-in"))
        .form(&[("token", admin.as_str()), ("nonce", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    node.stop().await;
}

async fn console_session_and_csrf(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let request = ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    let session = sign_in(&a, &a_admin).await;
    for path in PAGES {
        let (status, html) = page(&a, &session.cookie, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("<h1>"), "{path}");
    }
    let response = client()
        .get(a.url("/admin"))
        .header(COOKIE, &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (_, html) = page(&a, &session.cookie, "/admin/requests").await;
    assert!(html.contains("velocoop cooperative"));

    // Without the CSRF token, or with another one, nothing happens.
    let approve = a.url(&format!("/admin/requests/{}/approve", request["id"]));
    for form in [vec![], vec![("csrf", "0".repeat(64))]] {
        let response = client()
            .post(&approve)
            .header(COOKIE, &session.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("nothing was changed")
        );
    }
    let pending = a.api("/api/v1/admin/follow-requests", &a_admin).await;
    assert_eq!(pending.as_array().unwrap().len(), 1);

    // With it, the request is approved and the audit log names the token.
    let response = client()
        .post(&approve)
        .header(COOKIE, &session.cookie)
        .form(&[("csrf", &session.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        "/admin/requests?done=approved"
    );
    let all = a
        .api("/api/v1/admin/follow-requests?state=all", &a_admin)
        .await;
    assert_eq!(all[0]["state"], "approved");
    let audit = a.api("/api/v1/admin/audit", &a_admin).await;
    assert!(
        audit["items"][0]["decided_by"]
            .as_str()
            .unwrap()
            .starts_with("admin console")
    );

    // A refused decision comes back as an error on the page, nothing changed.
    let response = client()
        .post(a.url("/admin/peers/follow"))
        .header(COOKIE, &session.cookie)
        .form(&[("csrf", session.csrf.as_str()), ("handle", "not a handle")])
        .send()
        .await
        .unwrap();
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("/admin/peers?error="), "{location}");
    let (_, html) = page(&a, &session.cookie, &location).await;
    assert!(html.contains("role=\"alert\""));
    assert_eq!(a.api("/api/v1/admin/follows", &a_admin).await, json!([]));

    // French when the browser prefers it.
    let french = client()
        .get(a.url("/admin/requests"))
        .header(COOKIE, &session.cookie)
        .header("accept-language", "fr-FR,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(french.contains("<html lang=\"fr\">"));
    assert!(french.contains("Demandes d’abonnement"));

    // Signing out ends the session on the server.
    let response = client()
        .post(a.url("/admin/sign-out"))
        .header(COOKIE, &session.cookie)
        .form(&[("csrf", &session.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, _) = page(&a, &session.cookie, "/admin").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Revoking the token ends its sessions too.
    let store = &a.context.store;
    let token = passerelle::domain::tokens::create(store, "revoked-later", Scope::Admin)
        .await
        .unwrap();
    let session = sign_in(&a, &token).await;
    assert_eq!(page(&a, &session.cookie, "/admin").await.0, StatusCode::OK);
    passerelle::domain::tokens::revoke(store, "revoked-later")
        .await
        .unwrap();
    assert_eq!(
        page(&a, &session.cookie, "/admin").await.0,
        StatusCode::SEE_OTHER
    );
    a.stop().await;
    b.stop().await;
}

async fn console_escapes_peer_text(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (evil, _evil_db) = node_named(&db, "evil", |s| {
        s.platform.name = "<script>alert('owned')</script>".into();
        s.platform.summary = "<img src=x onerror=alert(1)>".into();
    })
    .await;
    let (a_admin, evil_admin) = (admin(&a).await, admin(&evil).await);
    ask_to_follow(&evil, &evil_admin, &a, &a_admin).await;
    let session = sign_in(&a, &a_admin).await;
    for path in ["/admin/requests", "/admin/peers"] {
        let (_, html) = page(&a, &session.cookie, path).await;
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(html.contains("&lt;script&gt;alert("), "{path}");
    }
    a.stop().await;
    evil.stop().await;
}
