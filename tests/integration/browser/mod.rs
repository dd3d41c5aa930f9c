//! The admin console in a real browser (the harness is `harness.rs`):
//! an admin decides follow requests, reads the catalog and the charter;
//! each page is saved as a screenshot under `target/screenshots/`.

mod access;
mod accessibility;
mod glance;
pub mod harness;
mod pages;
mod truth;

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::rig::federation::{admin, ask_to_follow, node_named};
use crate::rig::{Backend, TestDatabase, TestNode, eventually};
use harness::Browser;

fn request_id(requests: &Value, node: &TestNode) -> i64 {
    requests
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["peer"]["actor"] == node.actor())
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[ignore = "needs Chromium: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_decides_in_the_browser() {
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (a, _a_db) = node_named(&db, "foodhub", |s| {
        s.platform.name = "Open Food Hub".into();
        s.platform.summary = "A food hub linking local producers with shops and families.".into();
        s.federation.admission = Admission::Manual;
    })
    .await;
    let (b, _b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;
    let (d, _d_db) = node_named(&db, "freelance", |_| {}).await;
    let (a_admin, b_admin, c_admin, d_admin) = (
        admin(&a).await,
        admin(&b).await,
        admin(&c).await,
        admin(&d).await,
    );
    let (a_platform, d_platform) = (
        a.token(Scope::Platform).await,
        d.token(Scope::Platform).await,
    );
    // Something to show: a charter in two versions, an offer, a member.
    let mut charter = a.example("charter");
    a.put_json("/api/v1/charters/pec-charter", &a_platform, &charter)
        .await;
    charter["content"] =
        json!("The platforms that sign this charter share data only with partners they know.");
    a.put_json("/api/v1/charters/pec-charter", &a_platform, &charter)
        .await;
    a.put_json("/api/v1/offers/apples", &a_platform, &a.example("offer"))
        .await;
    a.put_json("/api/v1/members/coteau", &a_platform, &a.example("member"))
        .await;
    let mut van = d.example("offer");
    van["name"] = json!("Electric van by the hour");
    van["summary"] = json!("Three electric vans for deliveries and moves.");
    d.put_json("/api/v1/offers/van", &d_platform, &van).await;
    ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    ask_to_follow(&c, &c_admin, &a, &a_admin).await;
    let requests = a.api("/api/v1/admin/follow-requests", &a_admin).await;
    let (b_request, c_request) = (request_id(&requests, &b), request_id(&requests, &c));

    // Signing in.
    browser
        .client
        .goto(&a.url("/admin/requests"))
        .await
        .unwrap();
    assert_eq!(browser.path().await, "/admin/sign-in");
    browser.fill("#token", "psl_wrong").await;
    browser.click("button[type=submit]").await;
    assert!(
        browser
            .text()
            .await
            .contains("This token is not known to this node")
    );
    browser.screenshot("sign-in-refused").await;
    browser.fill("#token", &a_admin).await;
    browser.click("main button[type=submit]").await;
    assert_eq!(browser.path().await, "/admin/requests");
    browser.screenshot("follow-requests").await;

    // Approve B: it becomes a follower.
    browser
        .click(&format!(
            "form[action='/admin/requests/{b_request}/approve'] button"
        ))
        .await;
    assert!(browser.text().await.contains("Request approved"));
    let peers = a.api("/api/v1/admin/peers", &a_admin).await;
    let b_peer = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["actor"] == b.actor())
        .unwrap();
    assert_eq!(b_peer["follower"], "approved");
    eventually("B to see its follow accepted", 20, || async {
        let follows = b.api("/api/v1/admin/follows", &b_admin).await;
        (follows[0]["state"] == "active").then_some(())
    })
    .await;

    // Reject C with a reason.
    browser
        .fill(
            &format!("#reason-{c_request}"),
            "Not yet committed to the charter",
        )
        .await;
    browser
        .click(&format!(
            "form[action='/admin/requests/{c_request}/reject'] button"
        ))
        .await;
    assert!(browser.text().await.contains("Request rejected"));
    let all = a
        .api("/api/v1/admin/follow-requests?state=all", &a_admin)
        .await;
    let c_row = all
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == c_request)
        .unwrap();
    assert_eq!(c_row["state"], "rejected");
    assert_eq!(c_row["reason"], "Not yet committed to the charter");
    browser.screenshot("follow-requests-decided").await;

    // Follow D by its handle.
    browser.client.goto(&a.url("/admin/peers")).await.unwrap();
    browser.fill("#handle", &d.handle()).await;
    browser
        .click("form[action='/admin/peers/follow'] button")
        .await;
    assert!(browser.text().await.contains("Follow request sent"));
    let from_a = eventually("A's request to reach D", 20, || async {
        let requests = d.api("/api/v1/admin/follow-requests", &d_admin).await;
        requests
            .as_array()
            .unwrap()
            .first()
            .map(|r| r["id"].clone())
    })
    .await;
    d.post_json(
        &format!("/api/v1/admin/follow-requests/{from_a}/approve"),
        &d_admin,
        &json!({}),
    )
    .await;
    eventually("A's follow of D to be accepted", 20, || async {
        let follows = a.api("/api/v1/admin/follows", &a_admin).await;
        follows
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["peer"]["actor"] == d.actor() && f["state"] == "active")
            .then_some(())
    })
    .await;

    // Exclude C, giving a reason.
    let c_id = a
        .api("/api/v1/admin/peers", &a_admin)
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["actor"] == c.actor())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    browser.client.goto(&a.url("/admin/peers")).await.unwrap();
    browser
        .click_and(
            &format!("details:has(form[action='/admin/peers/{c_id}/exclude']) summary"),
            false,
        )
        .await;
    browser
        .fill(&format!("#exclude-{c_id}"), "Spam requests")
        .await;
    // Exclusion asks for its confirmation box.
    browser
        .click_and(
            &format!("form[action='/admin/peers/{c_id}/exclude'] input[name='confirm']"),
            false,
        )
        .await;
    browser
        .click(&format!(
            "form[action='/admin/peers/{c_id}/exclude'] button"
        ))
        .await;
    assert!(browser.text().await.contains("Peer excluded"));
    let peers = a.api("/api/v1/admin/peers", &a_admin).await;
    let c_peer = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == c_id)
        .unwrap();
    assert_eq!(c_peer["excluded"]["reason"], "Spam requests");
    browser.screenshot("peers").await;

    // The other pages, once D's offer reached the catalog.
    eventually("D's offer in A's catalog", 20, || async {
        let page = a.api("/api/v1/catalog/offers", &a_platform).await;
        (page["items"].as_array().unwrap().len() == 1).then_some(())
    })
    .await;
    for (path, name, expected) in [
        ("/admin", "dashboard", "Open Food Hub"),
        (
            "/admin/charter?charter=pec-charter&from=1&to=2",
            "charter",
            "v1 → v2",
        ),
        (
            "/admin/catalog?q=van",
            "catalog",
            "Electric van by the hour",
        ),
        ("/admin/audit", "audit-log", "Spam requests"),
    ] {
        browser.client.goto(&a.url(path)).await.unwrap();
        let text = browser.text().await;
        assert!(text.contains(expected), "{path}: {text}");
        browser.screenshot(name).await;
    }
    // The published page says who received what was pushed to followers.
    let mut veg = a.example("offer");
    veg["name"] = json!("Seasonal vegetable box");
    a.put_json("/api/v1/offers/veg-box", &a_platform, &veg)
        .await;
    let b_id = b_peer["id"].as_i64().unwrap();
    eventually("the box delivered to B", 20, || async {
        let received = a
            .api(&format!("/api/v1/admin/peers/{b_id}/received"), &a_admin)
            .await;
        (!received.as_array().unwrap().is_empty()).then_some(())
    })
    .await;
    browser
        .client
        .goto(&a.url("/admin/published"))
        .await
        .unwrap();
    assert!(browser.text().await.contains("velocoop cooperative"));
    browser.screenshot("published-data").await;

    // Readable on a phone.
    browser.client.set_window_size(390, 844).await.unwrap();
    browser
        .client
        .goto(&a.url("/admin/requests"))
        .await
        .unwrap();
    let overflow = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow,
        json!(false),
        "the page scrolls sideways on a phone"
    );
    browser.screenshot("follow-requests-phone").await;
    browser.client.set_window_size(1280, 1000).await.unwrap();

    // A form whose CSRF token was tampered with changes nothing.
    browser.client.goto(&a.url("/admin/peers")).await.unwrap();
    browser
        .client
        .execute(
            "document.querySelector(\"form[action='/admin/peers/follow'] input[name=csrf]\").value = 'forged';",
            vec![],
        )
        .await
        .unwrap();
    browser.fill("#handle", &c.handle()).await;
    browser
        .click("form[action='/admin/peers/follow'] button")
        .await;
    assert!(browser.text().await.contains("nothing was changed"));
    let follows = a.api("/api/v1/admin/follows", &a_admin).await;
    assert!(
        follows
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["peer"]["actor"] != c.actor())
    );

    // Signing out.
    browser.client.goto(&a.url("/admin")).await.unwrap();
    browser
        .click("header form[action='/admin/sign-out'] button")
        .await;
    assert_eq!(browser.path().await, "/admin/sign-in");
    browser.client.goto(&a.url("/admin/peers")).await.unwrap();
    assert_eq!(browser.path().await, "/admin/sign-in");

    browser.quit().await;
    for node in [a, b, c, d] {
        node.stop().await;
    }
}
