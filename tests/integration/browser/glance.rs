//! The federation at a glance, in Chromium: the dashboard's picture names
//! each peer, its health and each kind that flows each way, with a
//! sparkline of the last 24 hours (screenshot `dashboard-glance`).

use fantoccini::Locator;
use passerelle::domain::tokens::Scope;
use serde_json::json;

use super::harness::Browser;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{Backend, TestDatabase, TestNode, eventually};

/// `follower` follows `followed`, approved there.
async fn follows(follower: &TestNode, f_admin: &str, followed: &TestNode, d_admin: &str) {
    let request = ask_to_follow(follower, f_admin, followed, d_admin).await;
    followed
        .post_json(
            &format!("/api/v1/admin/follow-requests/{}/approve", request["id"]),
            d_admin,
            &json!({}),
        )
        .await;
    wait_follow_state(follower, f_admin, followed, "active").await;
}

#[ignore = "needs Chromium: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_federation_at_a_glance() {
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (a, _a_db) = node_named(&db, "foodhub", |s| s.platform.name = "Open Food Hub".into()).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| s.platform.name = "Vélocoop".into()).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let (a_platform, b_platform) = (
        a.token(Scope::Platform).await,
        b.token(Scope::Platform).await,
    );
    follows(&b, &b_admin, &a, &a_admin).await;
    follows(&a, &a_admin, &b, &b_admin).await;
    b.put_json("/api/v1/offers/bike", &b_platform, &b.example("offer"))
        .await;
    a.put_json("/api/v1/offers/apples", &a_platform, &a.example("offer"))
        .await;
    eventually(
        "B's offer in A's catalog, A's offer delivered",
        20,
        || async {
            let catalog = a.api("/api/v1/catalog/offers", &a_platform).await;
            let delivered = a.api("/api/v1/admin/deliveries", &a_admin).await;
            (catalog["items"].as_array().is_some_and(|i| !i.is_empty())
                && delivered[0]["backlog"] == 0)
                .then_some(())
        },
    )
    .await;

    browser.client.goto(&a.url("/admin")).await.unwrap();
    browser.fill("#token", &a_admin).await;
    browser.click("main button[type=submit]").await;
    assert_eq!(browser.path().await, "/admin");
    let svg = browser
        .client
        .find(Locator::Css("svg.glance"))
        .await
        .expect("the picture");
    assert_eq!(svg.attr("role").await.unwrap().as_deref(), Some("img"));
    let html = svg.html(false).await.unwrap();
    let desc_start = html.find("<desc").unwrap();
    let desc = &html[desc_start..html.find("</desc>").unwrap()];
    for words in [
        "Vélocoop",
        "healthy",
        "we send: Offers",
        "they send: Offers",
    ] {
        assert!(desc.contains(words), "{words} in {desc}");
    }
    let sparkline = browser
        .client
        .find(Locator::Css("svg.sparkline title"))
        .await
        .unwrap()
        .html(true)
        .await
        .unwrap();
    assert!(sparkline.starts_with("Vélocoop:"), "{sparkline}");
    assert!(!sparkline.contains(": 0 delivered"), "{sparkline}");
    browser
        .client
        .execute(
            "document.getElementById('glance-title').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    browser.screenshot("dashboard-glance").await;
    browser.quit().await;
    a.stop().await;
    b.stop().await;
}
