//! The console's new pages in Chromium: a webhook disabled after failures
//! shows so and is enabled again from its page, then delivers; a peer's
//! page shows what was delivered to it (screenshots `webhook-disabled`,
//! `webhook-enabled`, `peer`).

use passerelle::domain::tokens::Scope;

use super::harness::Browser;
use crate::admin_pages::peer::follower_with_a_delivery;
use crate::admin_pages::sink::Sink;
use crate::admin_pages::webhooks::failing_webhook;
use crate::rig::federation::{admin, node_named};
use crate::rig::{Backend, TestDatabase, TestNode, eventually};

#[ignore = "needs Chromium: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_and_peers_are_run_from_their_pages() {
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (a, _a_db) = node_named(&db, "foodhub", |s| {
        s.delivery.dead_after = std::time::Duration::from_secs(1);
    })
    .await;
    let (b, _b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let platform = a.token(Scope::Platform).await;
    let sink = Sink::failing().await;
    let id = failing_webhook(&a, &sink).await;

    browser.client.goto(&a.url("/admin")).await.unwrap();
    browser.fill("#token", &a_admin).await;
    browser.click("main button[type=submit]").await;

    // A test event sent from the page fails until the webhook is disabled.
    let page = a.url(&format!("/admin/webhooks/{id}"));
    browser.client.goto(&page).await.unwrap();
    browser
        .click(&format!("form[action='/admin/webhooks/{id}/test'] button"))
        .await;
    wait_disabled(&a, &platform, true).await;
    browser.client.goto(&page).await.unwrap();
    assert!(browser.text().await.contains("disabled after failures"));
    browser.screenshot("webhook-disabled").await;

    // Fixed, enabled again from the page: what waited is delivered.
    sink.succeed();
    browser
        .click(&format!(
            "form[action='/admin/webhooks/{id}/enable'] button"
        ))
        .await;
    wait_disabled(&a, &platform, false).await;
    eventually("the waiting event to be delivered", 30, || async {
        (!sink.accepted().is_empty()).then_some(())
    })
    .await;
    assert!(!browser.text().await.contains("disabled after failures"));
    browser.screenshot("webhook-enabled").await;

    // A peer's page shows what it received.
    let peer = follower_with_a_delivery(&a, &a_admin, &b, &b_admin).await;
    browser
        .client
        .goto(&a.url(&format!("/admin/peers/{peer}")))
        .await
        .unwrap();
    let text = browser.text().await;
    assert!(text.contains(&a.url("/offers/apples")), "{text}");
    browser.screenshot("peer").await;
    browser.quit().await;
}

/// Waits until the node's one webhook is (or is no longer) disabled.
async fn wait_disabled(node: &TestNode, platform: &str, disabled: bool) {
    eventually("the webhook's state", 30, || async {
        let hooks = node.api("/api/v1/webhooks", platform).await;
        (hooks[0]["disabled_at"].is_string() == disabled).then_some(())
    })
    .await;
}
