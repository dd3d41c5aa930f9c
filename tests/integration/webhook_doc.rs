//! The README's webhook verifier is code that works: its Python block,
//! run as written, accepts a real delivery from a node and refuses the
//! same delivery with one byte of its body changed. Needs `python3`.

use std::io::Write;
use std::process::{Command, Stdio};

use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::catalog::Receiver;
use crate::rig::{Backend, TestDatabase, TestNode, eventually, skipped};

/// The README's block after `<!-- webhook-verifier -->`.
fn readme_verifier() -> String {
    let readme = include_str!("../../README.md");
    let after = readme
        .split("<!-- webhook-verifier -->")
        .nth(1)
        .expect("the README marks its webhook verifier");
    let code = after
        .split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a python block after the marker");
    code.to_owned()
}

/// Runs the verifier on `body` with the delivery's headers; its output.
fn verify(
    code: &str,
    secret: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> (bool, String) {
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(code)
        .env("WEBHOOK_SECRET", secret)
        .env("WEBHOOK_ID", header("webhook-id"))
        .env("WEBHOOK_TIMESTAMP", header("webhook-timestamp"))
        .env("WEBHOOK_SIGNATURE", header("webhook-signature"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_verifier_accepts_a_real_delivery() {
    if Command::new("python3").arg("--version").output().is_err() {
        skipped("python3", "no python3 to run the README's webhook verifier");
        return;
    }
    let code = readme_verifier();
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let node = TestNode::start(&db).await;
    let platform = node.token(Scope::Platform).await;
    let (receiver, hook) = Receiver::start().await;
    let created: Value = node
        .post_json(
            "/api/v1/webhooks",
            &platform,
            &json!({"url": hook, "events": ["catalog.created"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let tested = node
        .post_json(
            &format!("/api/v1/webhooks/{}/test", created["id"]),
            &platform,
            &json!({}),
        )
        .await;
    assert_eq!(tested.status(), 202);
    let (headers, body) = eventually("the test event delivered", 20, || async {
        receiver.calls.lock().unwrap().first().cloned()
    })
    .await;
    // The shape the README states.
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "webhook.test");
    assert!(event["timestamp"].as_str().is_some_and(|t| t.contains('T')));
    assert_eq!(event["data"]["url"], json!(hook));

    assert_eq!(
        verify(&code, &secret, &headers, body.as_bytes()),
        (true, "valid".into())
    );
    let tampered = body.replacen("webhook.test", "webhook.tesT", 1);
    assert_eq!(
        verify(&code, &secret, &headers, tampered.as_bytes()),
        (false, "invalid".into())
    );
    // The secret's text instead of its decoded bytes: the common mistake.
    let raw_key = format!(
        "whsec_{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            secret.as_bytes()
        )
    );
    assert!(!verify(&code, &raw_key, &headers, body.as_bytes()).0);
    node.stop().await;
}
