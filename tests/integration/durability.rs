//! Nothing accepted is lost: the real binary killed with SIGKILL while it
//! has deliveries pending sends them all after a restart.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::federation::{admin, node_named};
use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(kill_9_loses_nothing);

struct Binary {
    env: Vec<(String, String)>,
    url: String,
}

impl Binary {
    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_passerelle"));
        for (key, _) in std::env::vars() {
            if key.starts_with("PASSERELLE_") {
                command.env_remove(key);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null());
        command
    }

    async fn serve(&self) -> Child {
        let mut child = self
            .command()
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = client.get(format!("{}/readyz", self.url)).send().await {
                if response.status() == 200 {
                    return child;
                }
            }
            assert!(child.try_wait().unwrap().is_none(), "serve exited early");
            assert!(Instant::now() < deadline, "the node did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn cli(&self, args: &[&str]) -> String {
        let output = self.command().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

async fn kill_9_loses_nothing(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let a_admin = admin(&a).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let b = Binary {
        url: format!("http://localhost:{port}"),
        env: vec![
            (
                "PASSERELLE_PUBLIC_URL".into(),
                format!("http://localhost:{port}"),
            ),
            ("PASSERELLE_LISTEN".into(), format!("127.0.0.1:{port}")),
            ("PASSERELLE_DATABASE_URL".into(), db.url.clone()),
            ("PASSERELLE_PLATFORM__SLUG".into(), "velocoop".into()),
            (
                "PASSERELLE_FEDERATION__ALLOW_PRIVATE_ADDRESSES".into(),
                "true".into(),
            ),
            ("PASSERELLE_FEDERATION__ADMISSION".into(), "open".into()),
        ],
    };
    let mut process = b.serve().await;
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
    let client = reqwest::Client::new();
    let example: Value = {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/examples/offer.json"
        ))
        .unwrap();
        serde_json::from_str(&text).unwrap()
    };
    for n in 0..20 {
        let mut offer = example.clone();
        offer["name"] = json!(format!("Offer {n}"));
        let response = client
            .put(format!("{}/api/v1/offers/o{n}", b.url))
            .bearer_auth(&token)
            .json(&offer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    process.kill().unwrap();
    process.wait().unwrap();

    // Both come back: every acknowledged offer reaches A.
    let a = TestNode::start_on(a_settings).await;
    let mut process = b.serve().await;
    let a_platform = a.token(Scope::Platform).await;
    eventually("A to receive all 20 offers", 60, || async {
        let page = a.api("/api/v1/catalog/offers?limit=100", &a_platform).await;
        (page["items"].as_array().unwrap().len() == 20).then_some(())
    })
    .await;
    process.kill().unwrap();
    process.wait().unwrap();
    a.stop().await;
}
