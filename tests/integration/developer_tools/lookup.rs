//! `passerelle lookup` as a developer uses it against a peer: a handle
//! resolves through WebFinger, a followers-only object is read with the
//! node's signature, each proof is checked, and a tampered copy fails.

use serde_json::Value;

use crate::mock_peer::{Documents, MockPeer};
use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, passerelle_as};

on_both_backends!(lookup_reads_as_this_node_and_checks_proofs);

/// `passerelle lookup TARGET` run as `node`: (exit code, stdout, stderr).
fn lookup(node: &TestNode, target: &str) -> (Option<i32>, String, String) {
    let output = passerelle_as(&node.settings)
        .args(["lookup", target])
        .output()
        .expect("run passerelle lookup");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn lookup_reads_as_this_node_and_checks_proofs(db: TestDatabase) {
    let (reader, _reader_db) = node_named(&db, "foodhub", |_| {}).await;
    let (stranger, _stranger_db) = node_named(&db, "carshare", |_| {}).await;
    let (publisher, _publisher_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = passerelle::config::Admission::Open;
    })
    .await;
    let (reader_admin, publisher_admin) = (admin(&reader).await, admin(&publisher).await);
    ask_to_follow(&reader, &reader_admin, &publisher, &publisher_admin).await;
    wait_follow_state(&reader, &reader_admin, &publisher, "active").await;
    let platform = publisher
        .token(passerelle::domain::tokens::Scope::Platform)
        .await;
    let person = serde_json::json!({"type": "Person", "name": "Camille Martin", "role": "worker"});
    let response = publisher
        .put_json("/api/v1/members/camille", &platform, &person)
        .await;
    assert_eq!(response.status(), 201);
    let member = publisher.url("/members/camille");

    // The handle names the actor, through WebFinger.
    let (code, out, err) = lookup(&reader, &publisher.handle());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with(&publisher.actor()), "{out}");
    let described = out.lines().nth(1).unwrap_or_default();
    assert!(described.ends_with(&publisher.actor()), "{out}");

    // A followers-only member, read as the approved follower.
    let (code, out, err) = lookup(&reader, &member);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&format!("Person {member}")), "{out}");
    assert!(
        out.contains(&format!("proof: valid, signed by {}", publisher.actor())),
        "{out}"
    );
    let printed: Value = serde_json::from_str(&out[out.find("\n{").expect("the document")..])
        .expect("the document printed as JSON");
    assert_eq!(printed["name"], "Camille Martin");

    // Not a follower: the publisher answers 404, said on one line.
    let (code, out, err) = lookup(&stranger, &member);
    assert_eq!(code, Some(1), "{out}");
    assert!(err.contains("404") && err.lines().count() == 1, "{err}");

    // The same member, its name changed by whoever serves it: the proof
    // no longer verifies.
    let mut tampered = printed.clone();
    tampered["name"] = "Someone Else".into();
    let mut copy = MockPeer::bind().await;
    let mut documents = Documents::new();
    documents.insert(
        "/copy".into(),
        ("application/activity+json", tampered.to_string()),
    );
    copy.serve(documents);
    let (code, out, err) = lookup(&stranger, &copy.url("/copy"));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("proof: invalid"), "{out}");
    assert!(err.contains("1 invalid proof(s)"), "{err}");

    // Neither a URL nor a handle: a clear refusal, nothing fetched.
    let (code, _, err) = lookup(&reader, "camille");
    assert_eq!(code, Some(1));
    assert!(err.contains("neither @name@host nor a URL"), "{err}");
    for node in [reader, stranger, publisher] {
        node.stop().await;
    }
}
