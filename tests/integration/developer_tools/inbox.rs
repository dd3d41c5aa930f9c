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
    tool.env("TMPDIR", dir.path())
        .args([
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

    // Stopped as Ctrl-C or a service manager would: it removes its
    // throw-away database.
    let pid = child.id().expect("running").to_string();
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(stopped.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the tool stops on SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    publisher.stop().await;
}

/// Bad input ends the tool at once with one line and exit 1, and leaves
/// nothing behind: neither its temporary database nor a file where it ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_refuses_bad_input_in_one_line_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("a directory");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let taken = taken.local_addr().expect("its address").to_string();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--follow", "camille", "--listen", "127.0.0.1:0"],
            "neither @name@host nor a URL",
        ),
        (
            &["--follow", "@velocoop@127.0.0.1:9", "--listen", &taken],
            "cannot listen on",
        ),
        (&["--listen", "127.0.0.1:0"], "--follow"),
    ];
    for (args, says) in cases {
        // Its temporary directory inside `dir`: all it may leave is there.
        let output = passerelle(dir.path())
            .env("TMPDIR", dir.path())
            .arg("inbox")
            .args(args)
            .output()
            .expect("run passerelle inbox");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
