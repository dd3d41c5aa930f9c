//! Nothing accepted is lost: the real binary killed with SIGKILL while it
//! has deliveries pending sends them all after a restart.

use std::time::Duration;

use passerelle::domain::tokens::Scope;
use serde_json::json;

use crate::federation::{admin, node_named};
use crate::on_both_backends;
use crate::process::{Binary, free_port, kill_9};
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(kill_9_loses_nothing);

async fn kill_9_loses_nothing(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let a_admin = admin(&a).await;
    let port = free_port();
    let b = Binary::node("velocoop", &db.url, port, port);
    let process = b.serve().await;
    let token = b.cli(&[
        "token", "create", "--name", "platform", "--scope", "platform",
    ]);
    let follow = a
        .post_json(
            "/api/v1/admin/follows",
            &a_admin,
            &json!({"target": format!("@velocoop@localhost:{port}")}),
        )
        .await;
    assert_eq!(follow.status(), 202);
    let b_node_handle = format!("{}/actor", b.url);
    eventually("A's follow to be accepted", 20, || async {
        let follows = a.api("/api/v1/admin/follows", &a_admin).await;
        (follows[0]["peer"]["actor"] == b_node_handle && follows[0]["state"] == "active")
            .then_some(())
    })
    .await;

    // A goes away; B accepts 20 offers, then is killed outright.
    let a_settings = a.settings.clone();
    a.stop().await;
    b.publish_offers(&token, "o", &(0..20).collect::<Vec<_>>(), 1)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    kill_9(process);

    // Both come back: every acknowledged offer reaches A.
    let a = TestNode::start_on(a_settings).await;
    let process = b.serve().await;
    let a_platform = a.token(Scope::Platform).await;
    eventually("A to receive all 20 offers", 60, || async {
        let page = a.api("/api/v1/catalog/offers?limit=100", &a_platform).await;
        (page["items"].as_array().unwrap().len() == 20).then_some(())
    })
    .await;
    kill_9(process);
    a.stop().await;
}
