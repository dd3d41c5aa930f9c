//! The console's access pages over plain HTTP: the one-time setup link
//! (first sign-in without a shell), the Tokens page and the read-only
//! Settings page. (`browser/access.rs` drives them in Chromium.)

use std::time::{Duration, Instant};

use passerelle::domain::setup;
use passerelle::domain::tokens::{self, Scope};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use sha2::Digest;

use crate::console::{Session, client, cookie_value, hidden, page, sign_in};
use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(
    setup_link_opens_the_console_once,
    setup_links_refused,
    tokens_page_creates_lists_and_revokes
);

/// The path of a setup link.
fn path_of(link: &url::Url) -> String {
    link.path().to_owned()
}

/// What a browser does first with a setup link: GET its page, which
/// sets a cookie and gives the form its nonce.
async fn open_setup_link(node: &TestNode, path: &str) -> (String, String) {
    let page = client().get(node.url(path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{path}");
    let nonce_cookie = cookie_value(&page, "passerelle_sign_in").expect("nonce cookie");
    (nonce_cookie, hidden(&page.text().await.unwrap(), "nonce"))
}

/// Then it posts the page's form.
async fn post_setup_form(
    node: &TestNode,
    path: &str,
    opened: &(String, String),
) -> reqwest::Response {
    client()
        .post(node.url(path))
        .header(COOKIE, format!("passerelle_sign_in={}", opened.0))
        .form(&[("nonce", opened.1.as_str())])
        .send()
        .await
        .unwrap()
}

/// Both: the response of the form's POST.
pub async fn use_setup_link(node: &TestNode, path: &str) -> reqwest::Response {
    let opened = open_setup_link(node, path).await;
    post_setup_form(node, path, &opened).await
}

/// The value of the read-only `#secret` field of a page.
pub fn shown_secret(html: &str) -> String {
    let marker = "id=\"secret\" value=\"";
    let start = html.find(marker).expect("a secret shown") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn admin_tokens(node: &TestNode) -> usize {
    tokens::list(&node.context.store)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.scope == "admin" && t.revoked_at.is_none())
        .count()
}

async fn setup_link_opens_the_console_once(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let first = setup::issue(&node.context).await.unwrap().expect("a link");
    assert!(first.as_str().starts_with(&node.url("/admin/setup/")));
    // A restart before use prints another; either works, once.
    let second = setup::issue(&node.context).await.unwrap().expect("a link");
    assert_ne!(first, second);

    // Opening it changes nothing; the page has one button.
    let (status, html) = page(&node, "", &path_of(&second)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Create the first admin token and sign in"));
    assert_eq!(admin_tokens(&node).await, 0);

    // A forged form token creates nothing.
    let forged = client()
        .post(node.url(&path_of(&second)))
        .header(COOKIE, "passerelle_sign_in=aaaa")
        .form(&[("nonce", "bbbb")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(admin_tokens(&node).await, 0);

    // Used: the first admin token, shown once, and a session.
    let used = use_setup_link(&node, &path_of(&second)).await;
    assert_eq!(used.status(), StatusCode::OK);
    let cookie = format!(
        "passerelle_session={}",
        cookie_value(&used, "passerelle_session").expect("a session")
    );
    let token = shown_secret(&used.text().await.unwrap());
    assert!(token.starts_with("psl_"), "{token}");
    assert_eq!(page(&node, &cookie, "/admin").await.0, StatusCode::OK);
    let audit = node.api("/api/v1/admin/audit", &token).await;
    assert_eq!(audit["items"][0]["action"], "token.created");
    assert_eq!(audit["items"][0]["decided_by"], "setup link");
    assert_eq!(admin_tokens(&node).await, 1);

    // Never again: neither this link nor the other one, nor a new one.
    for link in [&second, &first] {
        let (status, html) = page(&node, "", &path_of(link)).await;
        assert_eq!(status, StatusCode::GONE, "{link}");
        assert!(html.contains("already used"), "{html}");
    }
    let replay = client()
        .post(node.url(&path_of(&second)))
        .header(COOKIE, "passerelle_sign_in=n")
        .form(&[("nonce", "n")])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::GONE);
    assert!(setup::issue(&node.context).await.unwrap().is_none());
    assert_eq!(admin_tokens(&node).await, 1);
    node.stop().await;
}

/// A setup link whose secret the test knows, stored as `issue` stores one.
async fn stored_link(node: &TestNode, secret: &str, expires_at: i64) -> String {
    let hash = hex::encode(sha2::Sha256::digest(secret.as_bytes()));
    node.context
        .store
        .insert_setup_link(&hash, expires_at)
        .await
        .unwrap();
    format!("/admin/setup/{secret}")
}

async fn setup_links_refused(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let now = passerelle::store::now_millis();
    // Expired: refused with a clear page, nothing created.
    let expired = stored_link(&node, "expired-secret", now - 1).await;
    let (status, html) = page(&node, "", &expired).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("expired"), "{html}");
    let (status, html) = page(&node, "", "/admin/setup/never-issued").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("not known"), "{html}");

    // Two browsers (or replicas) use one link at once: one wins.
    let link = stored_link(&node, "raced-secret", now + 600_000).await;
    let (one, other) = (
        open_setup_link(&node, &link).await,
        open_setup_link(&node, &link).await,
    );
    let (a, b) = tokio::join!(
        post_setup_form(&node, &link, &one),
        post_setup_form(&node, &link, &other)
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::GONE]);
    assert_eq!(admin_tokens(&node).await, 1);

    // Once an admin token exists, a pending link no longer works.
    let late = stored_link(&node, "late-secret", now + 600_000).await;
    let (status, html) = page(&node, "", &late).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("already has an admin token"), "{html}");
    assert_eq!(admin_tokens(&node).await, 1);
    node.stop().await;
}

async fn post_form(
    node: &TestNode,
    session: &Session,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields = vec![("csrf", session.csrf.as_str())];
    fields.extend_from_slice(form);
    client()
        .post(node.url(path))
        .header(COOKIE, &session.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn tokens_page_creates_lists_and_revokes(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(Scope::Admin).await;
    let session = sign_in(&node, &admin).await;
    let count = || async { tokens::list(&node.context.store).await.unwrap().len() };
    let before = count().await;

    // Bad input changes nothing: unknown scope, empty or invalid name, no CSRF.
    for form in [
        [("name", "ofn"), ("scope", "root")],
        [("name", "  "), ("scope", "platform")],
        [("name", "not a name"), ("scope", "platform")],
    ] {
        let response = post_form(&node, &session, "/admin/tokens", &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{form:?}");
        assert!(
            location(&response).starts_with("/admin/tokens?error="),
            "{form:?}"
        );
    }
    let forged = client()
        .post(node.url("/admin/tokens"))
        .header(COOKIE, &session.cookie)
        .form(&[("csrf", "forged"), ("name", "ofn"), ("scope", "platform")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(count().await, before);

    // Created: the secret shown once, and it opens the API.
    let created = post_form(
        &node,
        &session,
        "/admin/tokens",
        &[("name", "ofn"), ("scope", "platform")],
    )
    .await;
    assert_eq!(created.status(), StatusCode::OK);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let secret = shown_secret(&created.text().await.unwrap());
    assert_eq!(node.get_with("/api/v1/offers", &secret).await.status(), 200);
    let again = post_form(
        &node,
        &session,
        "/admin/tokens",
        &[("name", "ofn"), ("scope", "admin")],
    )
    .await;
    assert!(
        location(&again).contains("already%20exists")
            || location(&again).contains("already+exists")
    );

    // Listed with its scope and last use, never its secret.
    let (_, html) = page(&node, &session.cookie, "/admin/tokens").await;
    assert!(html.contains("<code>ofn</code>"));
    assert!(!html.contains(&secret));
    let ofn = tokens::list(&node.context.store)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "ofn")
        .unwrap();
    assert!(ofn.last_used_at.is_some());
    assert_eq!(ofn.scope, "platform");

    // Revoking asks for confirmation; without it nothing changes.
    let revoke = format!("/admin/tokens/{}/revoke", ofn.id);
    let unconfirmed = post_form(&node, &session, &revoke, &[]).await;
    assert!(location(&unconfirmed).starts_with("/admin/tokens?error="));
    assert_eq!(node.get_with("/api/v1/offers", &secret).await.status(), 200);
    let confirmed = post_form(&node, &session, &revoke, &[("confirm", "yes")]).await;
    assert_eq!(location(&confirmed), "/admin/tokens?done=token_revoked");
    assert_eq!(node.get_with("/api/v1/offers", &secret).await.status(), 401);
    let twice = post_form(&node, &session, &revoke, &[("confirm", "yes")]).await;
    assert!(location(&twice).starts_with("/admin/tokens?error="));
    let audit = node.api("/api/v1/admin/audit", &admin).await;
    let actions: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["decided_by"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        actions[..2]
            .iter()
            .all(|(_, by)| by.starts_with("admin console")),
        "{actions:?}"
    );
    assert_eq!(actions[0].0, "token.revoked");
    assert_eq!(actions[1].0, "token.created");

    // The list is paged, newest first.
    for n in 0..55 {
        tokens::create(
            &node.context.store,
            &format!("bulk-{n:02}"),
            Scope::Platform,
        )
        .await
        .unwrap();
    }
    let (_, first) = page(&node, &session.cookie, "/admin/tokens").await;
    assert!(first.contains("bulk-54") && !first.contains("<code>ofn</code>"));
    let marker = "/admin/tokens?before=";
    let start = first.find(marker).expect("an older page") + marker.len();
    let cursor: String = first[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let (_, older) = page(&node, &session.cookie, &format!("{marker}{cursor}")).await;
    assert!(older.contains("<code>ofn</code>") && !older.contains("bulk-54"));
    node.stop().await;
}

/// `passerelle serve` on a new node prints the setup link once to its log;
/// the Settings page then shows where each value came from, secrets masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_node_prints_its_setup_link_and_shows_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::process::free_port();
    let database = format!("sqlite://{}", dir.path().join("node.db").display());
    let config = dir.path().join("passerelle.toml");
    std::fs::write(
        &config,
        "[platform]\nname = \"Food Hub from the file\"\n\
         [metrics]\ntoken = \"metrics-secret-0123456789\"\n",
    )
    .unwrap();
    let binary = crate::process::Binary::node("foodhub", &database, port, port)
        .with_env("PASSERELLE_LOG__LEVEL", "warn");
    let log_path = dir.path().join("node.log");
    let child = binary
        .command()
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let _served = crate::process::Served(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let link = loop {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(start) = log.find(&format!("http://localhost:{port}/admin/setup/")) {
            break log[start..].split_whitespace().next().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no setup link in the log: {log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let origin = format!("http://localhost:{port}");
    assert!(
        link.starts_with(&format!("{origin}/admin/setup/")),
        "{link}"
    );
    let path = link[origin.len()..].to_owned();

    let page_of = client().get(&link).send().await.unwrap();
    let nonce_cookie = cookie_value(&page_of, "passerelle_sign_in").unwrap();
    let html = page_of.text().await.unwrap();
    let used = client()
        .post(format!("{origin}{path}"))
        .header(COOKIE, format!("passerelle_sign_in={nonce_cookie}"))
        .form(&[("nonce", hidden(&html, "nonce"))])
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), StatusCode::OK);
    let cookie = format!(
        "passerelle_session={}",
        cookie_value(&used, "passerelle_session").unwrap()
    );
    let origin_str: &str = &origin;
    let (status, settings) = page(origin_str, &cookie, "/admin/settings").await;
    assert_eq!(status, StatusCode::OK);
    // From the file, from the environment, by default; the token masked.
    let row = |key: &str| {
        let start = settings
            .find(&format!("id=\"setting-{key}\""))
            .unwrap_or_else(|| panic!("{key}"));
        settings[start..start + settings[start..].find("</tr>").unwrap()].to_owned()
    };
    assert!(row("platform.name").contains("Food Hub from the file"));
    // (minijinja writes `/` as `&#x2f;` in HTML.)
    assert!(
        row("platform.name").contains(">file<") && row("platform.name").contains("passerelle.toml")
    );
    assert!(row("platform.slug").contains("PASSERELLE_PLATFORM__SLUG"));
    assert!(row("federation.admission").contains("PASSERELLE_FEDERATION__ADMISSION"));
    assert!(row("delivery.parallel_peers").contains(">default<"));
    assert!(row("metrics.token").contains("masked"));
    assert!(!settings.contains("metrics-secret-0123456789"));
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert_eq!(log.matches("/admin/setup/").count(), 1, "{log}");
}
