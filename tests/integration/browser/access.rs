//! Access in a real browser: the setup link signs in once and never
//! again; a token created on the Tokens page works on the API and stops
//! working once revoked there; the Settings page shows each value's
//! source. Screenshots: `setup`, `tokens`, `token-created`, `settings`.

use fantoccini::Locator;
use passerelle::domain::setup;

use super::harness::Browser;
use crate::rig::{Backend, TestDatabase, TestNode};

/// The value of the read-only field showing a secret once.
async fn shown_secret(browser: &Browser) -> String {
    browser
        .client
        .find(Locator::Css("#secret"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .expect("a secret")
}

#[ignore = "needs Chromium: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_the_node_and_manages_tokens_in_the_browser() {
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let Some(browser) = Browser::start().await else {
        return;
    };
    let node = TestNode::start(&db).await;
    let link = setup::issue(&node.context).await.unwrap().expect("a link");

    // The setup link: a page with one button, then the token, shown once.
    browser.client.goto(link.as_str()).await.unwrap();
    assert!(browser.text().await.contains("no admin token yet"));
    browser.screenshot("setup").await;
    browser.click("main form button[type=submit]").await;
    let admin = shown_secret(&browser).await;
    assert!(admin.starts_with("psl_"));
    assert_eq!(
        node.api("/api/v1/admin/peers", &admin).await,
        serde_json::json!([])
    );
    browser.click_and("main a.button", true).await;
    assert_eq!(browser.path().await, "/admin");

    // Never again, not even for the admin it signed in.
    browser.client.goto(link.as_str()).await.unwrap();
    assert!(browser.text().await.contains("already used"));
    assert!(
        browser
            .client
            .find(Locator::Css("main form"))
            .await
            .is_err()
    );

    // A platform token created in the browser opens the API…
    browser
        .client
        .goto(&node.url("/admin/tokens"))
        .await
        .unwrap();
    browser.fill("#token-name", "ofn").await;
    browser.click("form[action='/admin/tokens'] button").await;
    let platform = shown_secret(&browser).await;
    browser.screenshot("token-created").await;
    assert_eq!(
        node.get_with("/api/v1/offers", &platform).await.status(),
        200
    );

    // …bad input changes nothing…
    browser
        .client
        .goto(&node.url("/admin/tokens"))
        .await
        .unwrap();
    browser
        .client
        .execute(
            "document.querySelector('#token-scope').innerHTML = '<option value=\"root\">root</option>';",
            vec![],
        )
        .await
        .unwrap();
    browser.fill("#token-name", "rooted").await;
    browser.click("form[action='/admin/tokens'] button").await;
    assert!(
        browser
            .text()
            .await
            .contains("Choose the scope platform or admin")
    );
    browser
        .client
        .execute(
            "document.querySelector(\"form[action='/admin/tokens'] input[name=csrf]\").value = 'forged';",
            vec![],
        )
        .await
        .unwrap();
    browser.fill("#token-name", "forged").await;
    browser.click("form[action='/admin/tokens'] button").await;
    assert!(browser.text().await.contains("nothing was changed"));
    let names: Vec<String> = passerelle::domain::tokens::list(&node.context.store)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["admin", "ofn"]);

    // …and revoking it there, once confirmed, closes the API to it.
    browser
        .client
        .goto(&node.url("/admin/tokens"))
        .await
        .unwrap();
    let ofn = passerelle::domain::tokens::list(&node.context.store)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "ofn")
        .unwrap()
        .id;
    browser
        .click_and(&format!("#token-{ofn} details summary"), false)
        .await;
    browser.screenshot("tokens").await;
    // Unticked, the browser itself refuses to send the form.
    browser
        .click_and(
            &format!("form[action='/admin/tokens/{ofn}/revoke'] button"),
            false,
        )
        .await;
    assert_eq!(browser.path().await, "/admin/tokens");
    assert_eq!(
        node.get_with("/api/v1/offers", &platform).await.status(),
        200
    );
    browser.click_and(&format!("#confirm-{ofn}"), false).await;
    browser
        .click(&format!("form[action='/admin/tokens/{ofn}/revoke'] button"))
        .await;
    assert!(browser.text().await.contains("Token revoked"));
    assert_eq!(
        node.get_with("/api/v1/offers", &platform).await.status(),
        401
    );

    // The settings, read-only, each with where it came from.
    browser
        .client
        .goto(&node.url("/admin/settings"))
        .await
        .unwrap();
    let text = browser.text().await;
    assert!(text.contains("federation.admission") && text.contains("default"));
    browser.screenshot("settings").await;

    browser.quit().await;
    node.stop().await;
}
