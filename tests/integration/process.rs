//! The real `passerelle` binary as a child process: for what only a
//! separate process shows (SIGKILL, several replicas on one database).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::rig::metric_value;

/// How to run one node's binary: its environment and where it answers.
pub struct Binary {
    pub env: Vec<(String, String)>,
    /// Where this process listens (its public URL may be another replica's).
    pub url: String,
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Binary {
    /// A node `slug` on `database_url`, listening on `port`, known to peers
    /// as `http://localhost:{public_port}`, admitting every follower.
    pub fn node(slug: &str, database_url: &str, port: u16, public_port: u16) -> Binary {
        Binary {
            url: format!("http://localhost:{port}"),
            env: vec![
                (
                    "PASSERELLE_PUBLIC_URL".into(),
                    format!("http://localhost:{public_port}"),
                ),
                ("PASSERELLE_LISTEN".into(), format!("127.0.0.1:{port}")),
                ("PASSERELLE_DATABASE_URL".into(), database_url.into()),
                ("PASSERELLE_PLATFORM__SLUG".into(), slug.into()),
                (
                    "PASSERELLE_FEDERATION__ALLOW_PRIVATE_ADDRESSES".into(),
                    "true".into(),
                ),
                ("PASSERELLE_FEDERATION__ADMISSION".into(), "open".into()),
            ],
        }
    }

    pub fn with_env(mut self, key: &str, value: &str) -> Binary {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn command(&self) -> Command {
        let mut command = crate::rig::passerelle(&std::env::temp_dir());
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command
    }

    /// Starts `serve` and waits until it is ready.
    pub async fn serve(&self) -> Served {
        let mut child = self
            .command()
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("TEST_BINARY_LOGS").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap();
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = client.get(format!("{}/readyz", self.url)).send().await {
                if response.status() == 200 {
                    return Served(child);
                }
            }
            assert!(child.try_wait().unwrap().is_none(), "serve exited early");
            assert!(Instant::now() < deadline, "the node did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs a CLI command to success; its standard output, trimmed.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = self.command().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// Asks, as `admin`, to follow `target` (a handle), and waits until it
    /// is accepted: the binary's first follow.
    pub async fn follow_accepted(&self, admin: &str, target: &str) {
        let follow = reqwest::Client::new()
            .post(format!("{}/api/v1/admin/follows", self.url))
            .bearer_auth(admin)
            .json(&json!({"target": target}))
            .send()
            .await
            .unwrap();
        assert_eq!(follow.status(), 202);
        let follows = format!("{}/api/v1/admin/follows", self.url);
        crate::rig::eventually("the follow to be accepted", 20, || async {
            let follows = crate::rig::get_json(&follows, Some(admin)).await;
            (follows[0]["state"] == "active").then_some(())
        })
        .await;
    }

    /// Publishes offers `{prefix}{n}` named `Offer {prefix}{n}` for each `n`,
    /// `parallel` requests at a time; every one must be accepted.
    pub async fn publish_offers(
        &self,
        token: &str,
        prefix: &str,
        numbers: &[usize],
        parallel: usize,
    ) {
        let client = reqwest::Client::new();
        let example = offer_example();
        for chunk in numbers.chunks(parallel) {
            let puts = chunk.iter().map(|n| {
                let mut offer = example.clone();
                offer["name"] = json!(format!("Offer {prefix}{n:03}"));
                let request = client
                    .put(format!("{}/api/v1/offers/{prefix}{n:03}", self.url))
                    .bearer_auth(token)
                    .json(&offer);
                async move {
                    let response = request.send().await.unwrap();
                    assert_eq!(response.status(), 201, "{:?}", response.text().await);
                }
            });
            futures::future::join_all(puts).await;
        }
    }

    /// A counter's value on this process's `/metrics` (0 when absent).
    pub async fn metric(&self, series: &str) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        metric_value(&text, series)
    }
}

/// SIGKILL: the process gets no chance to clean up.
/// A `passerelle serve` process, killed when dropped: a test that fails
/// half-way leaves no node running behind it.
pub struct Served(pub Child);

impl std::ops::Deref for Served {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Served {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

pub fn kill_9(mut process: Served) {
    process.kill().unwrap();
    process.wait().unwrap();
}

pub fn offer_example() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/examples/offer.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}
