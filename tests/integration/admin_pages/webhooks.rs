//! The Webhooks pages: a webhook that fails for longer than
//! `delivery.dead_after` shows disabled with its failures, is enabled
//! again from the page and then delivers; a test event is sent from the
//! page; the API offers the same (enable, test, deliveries paged).

use passerelle::domain::tokens::Scope;
use reqwest::StatusCode;
use serde_json::json;

use super::sink::Sink;
use super::{audit_actions, post_form};
use crate::console::{page, sign_in};
use crate::on_both_backends;
use crate::rig::federation::admin;
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(webhook_disabled_after_failures_is_enabled_from_the_console);

pub async fn failing_webhook(node: &TestNode, sink: &Sink) -> i64 {
    let platform = node.token(Scope::Platform).await;
    let response = node
        .post_json(
            "/api/v1/webhooks",
            &platform,
            &json!({"url": sink.url, "events": ["follow_request.received"]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn webhook_disabled_after_failures_is_enabled_from_the_console(db: TestDatabase) {
    let node = TestNode::start_with(&db.url, |s| {
        s.delivery.dead_after = std::time::Duration::from_secs(1);
    })
    .await;
    let (admin, platform) = (admin(&node).await, node.token(Scope::Platform).await);
    let sink = Sink::failing().await;
    let id = failing_webhook(&node, &sink).await;
    let session = sign_in(&node, &admin).await;
    let one = format!("/admin/webhooks/{id}");

    let (status, html) = page(&node, &session.cookie, "/admin/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&super::escaped(&sink.url)) && html.contains("active"),
        "{html}"
    );

    // Enabling an active webhook is refused; nothing changes.
    let (_, location) = post_form(&node, &session, &format!("{one}/enable"), &[]).await;
    assert!(location.starts_with(&format!("{one}?error=")), "{location}");

    // A test event, sent from the page, fails and fails again: disabled.
    let (status, location) = post_form(&node, &session, &format!("{one}/test"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{one}?done=webhook_tested"));
    eventually("the webhook to be disabled", 30, || async {
        let hooks = node.api("/api/v1/webhooks", &platform).await;
        hooks[0]["disabled_at"].is_string().then_some(())
    })
    .await;
    let (_, html) = page(&node, &session.cookie, &one).await;
    assert!(html.contains("disabled after failures"), "{html}");
    assert!(
        html.contains("webhook.test") && html.contains("failing"),
        "{html}"
    );
    let (_, list) = page(&node, &session.cookie, "/admin/webhooks").await;
    assert!(list.contains("disabled after failures"));

    // While disabled, a test is refused.
    let (_, location) = post_form(&node, &session, &format!("{one}/test"), &[]).await;
    assert!(location.starts_with(&format!("{one}?error=")), "{location}");

    // Fixed, then enabled again from the page: what waited is delivered.
    sink.succeed();
    let (_, location) = post_form(&node, &session, &format!("{one}/enable"), &[]).await;
    assert_eq!(location, format!("{one}?done=webhook_enabled"));
    eventually("the test event to be delivered", 30, || async {
        sink.accepted()
            .contains(&"webhook.test".to_owned())
            .then_some(())
    })
    .await;
    let hooks = node.api("/api/v1/webhooks", &platform).await;
    assert!(hooks[0].get("disabled_at").is_none(), "{hooks}");
    let actions = audit_actions(&node, &admin).await;
    for action in ["webhook.tested", "webhook.disabled", "webhook.enabled"] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action}: {actions:?}"
        );
    }
    eventually("the page to show it delivered", 10, || async {
        let (_, html) = page(&node, &session.cookie, &one).await;
        html.contains("delivered").then_some(())
    })
    .await;

    // The API: a second test, deliveries paged, enable refused when active.
    let response = node
        .post_json(
            &format!("/api/v1/webhooks/{id}/test"),
            &platform,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let first = node
        .api(
            &format!("/api/v1/webhooks/{id}/deliveries?limit=1"),
            &platform,
        )
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = node
        .api(
            &format!("/api/v1/webhooks/{id}/deliveries?limit=1&cursor={cursor}"),
            &platform,
        )
        .await;
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);
    let response = node
        .post_json(
            &format!("/api/v1/webhooks/{id}/enable"),
            &platform,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 409);

    // Bad ids: not found, or refused, and nothing changes.
    let before = audit_actions(&node, &admin).await;
    assert_eq!(
        page(&node, &session.cookie, "/admin/webhooks/999").await.0,
        StatusCode::NOT_FOUND
    );
    assert!(
        page(&node, &session.cookie, "/admin/webhooks/abc")
            .await
            .0
            .is_client_error()
    );
    let (_, location) = post_form(&node, &session, "/admin/webhooks/999/enable", &[]).await;
    assert!(
        location.starts_with("/admin/webhooks/999?error="),
        "{location}"
    );
    let (_, location) = post_form(&node, &session, "/admin/webhooks/x/test", &[]).await;
    assert!(location.starts_with("/admin/webhooks?error="), "{location}");
    assert_eq!(audit_actions(&node, &admin).await.len(), before.len());
    node.stop().await;
}
