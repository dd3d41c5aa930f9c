//! Intake in batches (group commit): object changes verified at the same
//! time are written in one transaction, each in a part of its own, and
//! each is answered 202 only once that transaction committed. One that
//! fails leaves the others of its batch stored; a receiver killed with
//! SIGKILL in the middle of batches holds every activity it answered 202.

use std::collections::BTreeSet;

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use passerelle::error::Error;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::process::{Binary, free_port, kill_9};
use crate::rig::federation::{admin, ask_to_follow, catalog_names, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually};
use crate::signing::SignedPost;

on_both_backends!(
    a_batch_with_a_forged_proof_stores_the_others,
    a_failing_part_undoes_only_itself,
    every_202_survives_kill_9_of_the_receiver,
);

/// `node`'s offer `n`, with its FEP-8b32 proof (by another key when `forged`).
fn proposal(node: &TestNode, n: usize, forged_by: Option<&TestNode>) -> Value {
    let object = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2", node.url("/ns")],
        "id": node.url(&format!("/offers/batch-{n}")), "type": "Proposal", "attributedTo": node.actor(),
        "name": format!("Batch {n:03}"), "purpose": "offer",
        "publishes": {"type": "Intent", "action": "transfer", "name": "x", "resourceQuantity": {"hasUnit": "kg", "hasNumericalValue": "1"}},
        "url": "https://velo.example/x", "updated": "2026-01-01T00:00:00Z"
    });
    let signer = forged_by.unwrap_or(node);
    let mut signed = passerelle::apub::proof::sign(
        &object,
        &signer.context.keys().ed25519,
        &passerelle::apub::proof::ProofOptions {
            verification_method: &format!("{}#ed25519-key", signer.actor()),
            created: "2026-01-01T00:00:00Z",
        },
    )
    .unwrap();
    // Claimed as the sender's own key: the proof does not verify.
    signed["proof"]["verificationMethod"] = json!(format!("{}#ed25519-key", node.actor()));
    signed
}

/// A `Create` of `object` by `from`, signed for `inbox`.
fn create(from: &TestNode, inbox: &str, activity: &str, object: Value) -> SignedPost {
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": from.url(&format!("/activities/{activity}")), "type": "Create",
        "actor": from.actor(), "object": object,
    });
    SignedPost::by_node(from, inbox, serde_json::to_vec(&activity).unwrap())
}

/// Holds `node`'s writer busy until the returned sender is used (or
/// dropped): what is verified meanwhile queues for one batch.
async fn hold_the_writer(node: &TestNode) -> tokio::sync::oneshot::Sender<()> {
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let (holding, held) = tokio::sync::oneshot::channel::<()>();
    let intake = node.context.intake.clone();
    tokio::spawn(async move {
        intake
            .write(move |tx| {
                Box::pin(async move {
                    let _ = holding.send(());
                    let _ = released.await;
                    (tx, Ok(()))
                })
            })
            .await
    });
    held.await.unwrap();
    release
}

/// Ten offers, one of them sent twice, and three whose proofs do not
/// verify, all at once, while the writer is busy: the forged ones are
/// refused (422) before they reach the queue, the eleven others wait for
/// one batch, and once it commits each is answered 202: the ten are in
/// the catalog, the repeat is a duplicate processed once.
async fn a_batch_with_a_forged_proof_stores_the_others(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open
    })
    .await;
    let (x, _x_db) = node_named(&db, "stranger", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    let inbox = a.url("/inbox");
    let mut posts: Vec<(SignedPost, u16)> = (0..10)
        .map(|n| {
            (
                create(&b, &inbox, &format!("batch-{n}"), proposal(&b, n, None)),
                202,
            )
        })
        .collect();
    posts.push((create(&b, &inbox, "batch-3", proposal(&b, 3, None)), 202));
    for n in 10..13 {
        let forged = proposal(&b, n, Some(&x));
        posts.push((create(&b, &inbox, &format!("batch-{n}"), forged), 422));
    }

    let release = hold_the_writer(&a).await;
    let client = reqwest::Client::new();
    let sent: Vec<_> = posts
        .into_iter()
        .map(|(post, expected)| {
            let client = client.clone();
            tokio::spawn(async move { (post.send(&client).await.status().as_u16(), expected) })
        })
        .collect();
    eventually(
        "the eleven valid activities to wait for the writer",
        30,
        || async { (a.context.intake.queued() == 11).then_some(()) },
    )
    .await;
    release.send(()).unwrap();
    for answer in sent {
        let (status, expected) = answer.await.unwrap();
        assert_eq!(status, expected);
    }

    let platform = a.token(Scope::Platform).await;
    let expected: Vec<String> = (0..10).map(|n| format!("Batch {n:03}")).collect();
    assert_eq!(catalog_names(&a, &platform, "offers").await, expected);
    let metrics = a.get("/metrics").await.text().await.unwrap();
    for (outcome, count) in [("processed", 10), ("duplicate", 1), ("refused", 3)] {
        let series =
            format!(r#"passerelle_inbox_activities_total{{outcome="{outcome}",type="Create"}}"#);
        assert_eq!(
            crate::rig::metric_value(&metrics, &series),
            count,
            "{series}"
        );
    }
    for node in [a, b, x] {
        node.stop().await;
    }
}

/// In one batch, the part that fails after writing is undone and the
/// others commit: its claim on an activity id is gone, theirs are done.
async fn a_failing_part_undoes_only_itself(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let release = hold_the_writer(&node).await;
    let claims: Vec<_> = (0..5)
        .map(|n| {
            let intake = node.context.intake.clone();
            let process = node.context.process.clone();
            tokio::spawn(async move {
                intake
                    .write(move |mut tx| {
                        Box::pin(async move {
                            let id = format!("https://peer.example/activities/{n}");
                            let written = async {
                                tx.claim_activity(&id, &process, 0, 0).await?;
                                tx.activity_done(&id).await?;
                                if n == 2 {
                                    return Err(Error::BadRequest("this one fails".into()));
                                }
                                Ok(n)
                            }
                            .await;
                            (tx, written)
                        })
                    })
                    .await
            })
        })
        .collect();
    eventually("the five parts to wait for the writer", 30, || async {
        (node.context.intake.queued() == 5).then_some(())
    })
    .await;
    release.send(()).unwrap();
    let mut written = Vec::new();
    for claim in claims {
        match claim.await.unwrap() {
            Ok(n) => written.push(n),
            Err(e) => assert!(matches!(e, Error::BadRequest(_)), "{e}"),
        }
    }
    assert_eq!(written, [0, 1, 3, 4]);
    for n in 0..5 {
        let stored = db
            .query_i64(&format!(
                "SELECT COUNT(*) FROM inbox_seen WHERE done_at IS NOT NULL \
                 AND activity_uri = 'https://peer.example/activities/{n}'"
            ))
            .await;
        assert_eq!(stored, i64::from(n != 2), "activity {n}");
    }
    node.stop().await;
}

const SENT: usize = 600;

/// B (the real binary) follows A. A's offers are POSTed to B's inbox 24 at
/// a time and B is killed with SIGKILL in the middle: every offer it had
/// answered 202 is in its catalog after the restart, and no activity is
/// left claimed and unfinished.
async fn every_202_survives_kill_9_of_the_receiver(db: TestDatabase) {
    use futures::StreamExt as _;
    let (a, _a_db) = node_named(&db, "foodhub", |s| s.federation.admission = Admission::Open).await;
    let port = free_port();
    let b = Binary::node("velocoop", &db.url, port, port);
    let process = b.serve().await;
    let b_admin = b.cli(&["token", "create", "--name", "admin", "--scope", "admin"]);
    let client = reqwest::Client::new();
    b.follow_accepted(&b_admin, &a.handle()).await;

    let inbox = format!("{}/inbox", b.url);
    let posts: Vec<(usize, SignedPost)> = (0..SENT)
        .map(|n| {
            (
                n,
                create(&a, &inbox, &format!("kill-{n}"), proposal(&a, n, None)),
            )
        })
        .collect();
    let send = futures::stream::iter(posts)
        .map(|(n, post)| {
            let client = client.clone();
            async move {
                let mut request = client.post(post.url.clone()).body(post.body.clone());
                for (name, value) in post.headers() {
                    request = request.header(name, value);
                }
                // Cut off by the kill: no answer, so not acknowledged.
                let acknowledged = request
                    .send()
                    .await
                    .is_ok_and(|response| response.status() == 202);
                acknowledged.then_some(n)
            }
        })
        .buffer_unordered(24)
        .filter_map(|n| async move { n })
        .collect::<BTreeSet<usize>>();
    let db_ref = &db;
    let kill = async move {
        eventually("B to store a quarter of the offers", 60, || async {
            (db_ref.query_i64("SELECT COUNT(*) FROM catalog").await >= (SENT / 4) as i64)
                .then_some(())
        })
        .await;
        kill_9(process);
    };
    let (acknowledged, ()) = tokio::join!(send, kill);
    assert!(!acknowledged.is_empty());

    let process = b.serve().await;
    let stored: BTreeSet<usize> = (0..SENT).filter(|n| acknowledged.contains(n)).collect();
    for n in &stored {
        let held = db
            .query_i64(&format!(
                "SELECT COUNT(*) FROM catalog WHERE object_uri = '{}'",
                a.url(&format!("/offers/batch-{n}"))
            ))
            .await;
        assert_eq!(held, 1, "offer {n} was answered 202 but is not stored");
    }
    assert_eq!(
        db.query_i64("SELECT COUNT(*) FROM inbox_seen WHERE done_at IS NULL")
            .await,
        0
    );
    eprintln!(
        "{} of {SENT} offers answered 202 before the kill, all stored",
        acknowledged.len()
    );
    kill_9(process);
    a.stop().await;
}
