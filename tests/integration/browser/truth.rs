//! The console tells the truth, in Chromium (issue 28): a gone peer never
//! shows healthy; the published-data page walks past the first 1,000
//! rows to the oldest; unfollowing, excluding and forgetting a DFC source
//! are not sent until their confirmation box is ticked, and then do what
//! the box said.

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use reqwest::StatusCode;
use serde_json::json;

use super::harness::Browser;
use crate::console_truth::thousand_more_rows;
use crate::dfc::offers;
use crate::dfc::stub::{PRODUCER_CATALOG, Stub};
use crate::mock_peer::{MockPeer, new_key};
use crate::rig::federation::{
    admin, approve_follower, node_named, request_follow, wait_follow_state,
};
use crate::rig::{Backend, TestDatabase, TestNode, eventually};

/// Whether the form at `action` would be sent as it stands (the browser
/// checks its `required` fields before sending).
async fn sendable(browser: &Browser, action: &str) -> bool {
    browser
        .client
        .execute(
            &format!("return document.querySelector(\"form[action='{action}']\").checkValidity();"),
            vec![],
        )
        .await
        .unwrap()
        == json!(true)
}

/// Whether the page has a link whose text is exactly `text`.
async fn links_to(browser: &Browser, text: &str) -> bool {
    browser
        .client
        .execute(
            "return [...document.querySelectorAll('main a')].some(a => a.textContent.trim() === arguments[0]);",
            vec![json!(text)],
        )
        .await
        .unwrap()
        == json!(true)
}

/// Clicks the submit button of the form at `action` with its box unticked:
/// the browser keeps the page, and `sendable` says why.
async fn refused_unticked(browser: &Browser, action: &str) {
    let before = browser.path().await;
    browser
        .click_and(&format!("form[action='{action}'] button"), false)
        .await;
    assert!(!sendable(browser, action).await, "{action} without its box");
    assert_eq!(browser.path().await, before, "{action} was not sent");
}

/// Opens the `<details>` holding the form at `action`, clicks its button
/// unticked (refused), then ticks the box and sends it.
async fn confirm_after_refusal(browser: &Browser, action: &str) {
    browser
        .click_and(
            &format!("details:has(form[action='{action}']) summary"),
            false,
        )
        .await;
    refused_unticked(browser, action).await;
    browser
        .click_and(
            &format!("form[action='{action}'] input[name='confirm']"),
            false,
        )
        .await;
    assert!(sendable(browser, action).await, "{action} once ticked");
    browser
        .click(&format!("form[action='{action}'] button"))
        .await;
}

#[ignore = "needs Chromium: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_tells_the_truth_in_the_browser() {
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let Some(browser) = Browser::start().await else {
        return;
    };
    let stub = Stub::start().await;
    let source = crate::dfc::configured(&stub, PRODUCER_CATALOG, None, 3600);
    let node = TestNode::start_with(&db.url, |s| s.dfc.sources = vec![source]).await;
    let (node_admin, platform) = (admin(&node).await, node.token(Scope::Platform).await);
    let (followed, _followed_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open
    })
    .await;
    request_follow(&node, &node_admin, &followed.handle()).await;
    wait_follow_state(&node, &node_admin, &followed, "active").await;
    let key = new_key();
    let gone = MockPeer::with_actor_answering(&key, None, StatusCode::GONE).await;
    approve_follower(&node, &node_admin, &gone.url("/actor"), &key).await;
    node.put_json("/api/v1/offers/jam", &platform, &node.example("offer"))
        .await;
    eventually("the gone peer marked gone", 20, || async {
        let deliveries = node.api("/api/v1/admin/deliveries", &node_admin).await;
        deliveries
            .as_array()?
            .iter()
            .any(|d| d["gone_since"].is_string())
            .then_some(())
    })
    .await;
    let imported = eventually("the DFC source's first run", 20, || async {
        let got = offers(&node, &platform).await;
        (!got.is_empty()).then_some(got.len())
    })
    .await;
    let peers = node.api("/api/v1/admin/peers", &node_admin).await;
    let id_of = |actor: &str| {
        peers
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["actor"] == actor)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (gone_id, followed_id) = (id_of(&gone.url("/actor")), id_of(&followed.actor()));

    browser
        .client
        .goto(&node.url("/admin/sign-in"))
        .await
        .unwrap();
    browser.fill("#token", &node_admin).await;
    browser.click("main button[type=submit]").await;

    // A gone peer shows gone, on its card, its page and the dashboard.
    browser
        .client
        .goto(&node.url("/admin/peers"))
        .await
        .unwrap();
    let card = browser
        .client
        .find(fantoccini::Locator::Css(&format!(
            "article[aria-labelledby='peer-{gone_id}']"
        )))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let card = card.to_lowercase();
    assert!(card.contains("gone") && !card.contains("healthy"), "{card}");
    browser
        .client
        .goto(&node.url(&format!("/admin/peers/{gone_id}")))
        .await
        .unwrap();
    let health = browser
        .client
        .execute(
            "return document.querySelector('#peer-delivery [data-health]').dataset.health;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(health, json!("gone"), "the peer's own page");
    browser.client.goto(&node.url("/admin")).await.unwrap();
    let gone_count = browser
        .client
        .execute(
            "return document.querySelector('[data-health=gone] .n').textContent;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(gone_count, json!("1"), "the dashboard counts the gone peer");

    // Forgetting a DFC source asks first, then deletes its offers.
    browser.client.goto(&node.url("/admin/dfc")).await.unwrap();
    assert_eq!(offers(&node, &platform).await.len(), imported);
    refused_unticked(&browser, "/admin/dfc/forget").await;
    assert_eq!(offers(&node, &platform).await.len(), imported);
    browser
        .click_and(
            "form[action='/admin/dfc/forget'] input[name='confirm']",
            false,
        )
        .await;
    browser
        .click("form[action='/admin/dfc/forget'] button")
        .await;
    assert!(browser.text().await.contains("Source forgotten"));
    assert_eq!(offers(&node, &platform).await.len(), 1, "jam alone is left");

    thousand_more_rows(&db).await;
    // Published data: the newest first, and "older" links down to the
    // first offer published, past 1,000 rows.
    browser
        .client
        .goto(&node.url("/admin/published?kind=offer"))
        .await
        .unwrap();
    assert!(links_to(&browser, "jam-1100").await, "the newest first");
    let mut pages = 1;
    while !links_to(&browser, "jam").await {
        assert!(pages < 40, "no end to the pages");
        browser.click("a[href*='before=']").await;
        pages += 1;
    }
    assert!(pages > 20, "{pages} pages for 1,100 rows");

    // Unfollowing asks first, then purges.
    browser
        .client
        .goto(&node.url("/admin/peers"))
        .await
        .unwrap();
    confirm_after_refusal(&browser, &format!("/admin/peers/{followed_id}/unfollow")).await;
    let text = browser.text().await;
    assert!(text.contains("You no longer follow this peer"), "{text}");
    let follows = node.api("/api/v1/admin/follows", &node_admin).await;
    assert!(
        follows
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["peer"]["actor"] != followed.actor() || f["state"] != "active"),
        "{follows}"
    );

    // Excluding the gone peer asks first.
    browser
        .client
        .goto(&node.url("/admin/peers"))
        .await
        .unwrap();
    let exclude = format!("/admin/peers/{gone_id}/exclude");
    browser
        .click_and(
            &format!("details:has(form[action='{exclude}']) summary"),
            false,
        )
        .await;
    browser
        .fill(&format!("#exclude-{gone_id}"), "Gone for good")
        .await;
    refused_unticked(&browser, &exclude).await;
    let peers = node.api("/api/v1/admin/peers", &node_admin).await;
    assert!(
        peers
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["excluded"].is_null())
    );

    browser.quit().await;
    node.stop().await;
    followed.stop().await;
}
