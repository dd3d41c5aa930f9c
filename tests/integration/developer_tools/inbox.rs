//! `passerelle inbox` as a developer runs it: a throw-away actor follows a
//! real node and prints what arrives, signature and proof verdicts
//! included, and says so when a request is not signed.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::ChildStdout;

use crate::on_both_backends;
use crate::rig::federation::node_named;
use crate::rig::{TestDatabase, passerelle};

on_both_backends!(inbox_prints_what_a_followed_node_sends);

/// Reads the tool's output until a line containing `wanted`; everything
/// read so far is kept in `printed` for the failure message.
async fn read_until(lines: &mut Lines<BufReader<ChildStdout>>, printed: &mut String, wanted: &str) {
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("stdout") {
            printed.push_str(&line);
            printed.push('\n');
            if line.contains(wanted) {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(found, Ok(true)),
        "`{wanted}` never printed:\n{printed}"
    );
}

async fn inbox_prints_what_a_followed_node_sends(db: TestDatabase) {
    let (publisher, _publisher_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = passerelle::config::Admission::Open;
    })
    .await;
    let dir = tempfile::tempdir().expect("a directory");
    let mut tool = tokio::process::Command::from(passerelle(dir.path()));
    tool.args([
        "inbox",
        "--follow",
        &publisher.handle(),
        "--listen",
        "127.0.0.1:0",
        "--allow-private-addresses",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null())
    .kill_on_drop(true);
    let mut child = tool.spawn().expect("run passerelle inbox");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut printed = String::new();
    read_until(&mut lines, &mut printed, "listening as @inbox@").await;
    let inbox = printed
        .split_whitespace()
        .find(|word| word.starts_with("(http://"))
        .map(|word| word.trim_start_matches('(').replace("actor);", "inbox"))
        .expect("the tool's URL");
    read_until(&mut lines, &mut printed, "follow ").await;

    // The open publisher accepts: its signed Accept arrives and is taken.
    read_until(&mut lines, &mut printed, "--- Accept").await;
    read_until(
        &mut lines,
        &mut printed,
        &format!("signature: valid, by {}", publisher.actor()),
    )
    .await;
    read_until(&mut lines, &mut printed, "answer: 202 accepted").await;

    // A public offer: its Create carries the offer with a proof that verifies.
    let platform = publisher
        .token(passerelle::domain::tokens::Scope::Platform)
        .await;
    let response = publisher
        .put_json(
            "/api/v1/offers/bike",
            &platform,
            &publisher.example("offer"),
        )
        .await;
    assert_eq!(response.status(), 201);
    read_until(&mut lines, &mut printed, "--- Create").await;
    // The offer travels whole, its proof checked against the publisher's key.
    read_until(
        &mut lines,
        &mut printed,
        &format!(
            "{}, proof: valid, signed by {}",
            publisher.url("/offers/bike"),
            publisher.actor()
        ),
    )
    .await;

    // A stranger's unsigned post: shown as refused, answered 401.
    let stranger = reqwest::Client::new()
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .body(
            json!({
                "id": "http://127.0.0.1:9/activities/1",
                "type": "Create",
                "actor": "http://127.0.0.1:9/actor",
                "object": {"type": "Note", "content": "hello"}
            })
            .to_string(),
        )
        .send()
        .await
        .expect("post to the tool's inbox");
    assert_eq!(stranger.status(), 401, "{inbox}");
    read_until(
        &mut lines,
        &mut printed,
        "--- Create http://127.0.0.1:9/activities/1",
    )
    .await;
    read_until(&mut lines, &mut printed, "signature: refused").await;

    child.kill().await.expect("stop the tool");
    publisher.stop().await;
}
