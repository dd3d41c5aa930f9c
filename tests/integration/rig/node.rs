//! A node serving HTTP on a loopback port in the test's process: started,
//! spoken to, waited on, restarted and stopped.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use passerelle::Node;
use passerelle::config::Settings;
use passerelle::context::Context;
use passerelle::domain::tokens::{self, Scope};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

use super::TestDatabase;
use super::waiting::STEP;

/// Settings for a test node listening on `addr` over `database_url`.
fn test_settings(addr: SocketAddr, database_url: &str) -> Settings {
    let mut settings = Settings {
        // A host name, not an IP: ActivityPub ids need a domain.
        public_url: Url::parse(&format!("http://localhost:{}", addr.port())).expect("public URL"),
        listen: addr,
        database_url: database_url.to_owned(),
        ..Settings::default()
    };
    settings.platform.slug = "foodhub".to_owned();
    settings.platform.name = "Food Hub Cooperative".to_owned();
    settings.platform.summary = "Short food chains for the valley.".to_owned();
    settings.federation.allow_private_addresses = true;
    settings
}

/// A node serving HTTP on a loopback port, in this process.
pub struct TestNode {
    pub base: Url,
    pub settings: Settings,
    pub context: Context,
    /// The node's state, for calling the library as the node does.
    pub state: passerelle::node::NodeState,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl TestNode {
    pub async fn start(db: &TestDatabase) -> TestNode {
        Self::start_with(&db.url, |_| {}).await
    }

    /// Starts a node on `database_url` with settings adjusted by `adjust`.
    pub async fn start_with(database_url: &str, adjust: impl FnOnce(&mut Settings)) -> TestNode {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let mut settings = Self::settings_for(&listener, database_url);
        adjust(&mut settings);
        Self::serve(listener, settings).await
    }

    /// Starts a node on `listener`, bound by the test beforehand (its
    /// address was needed first), on `database_url`.
    pub async fn start_listening(
        listener: tokio::net::TcpListener,
        database_url: &str,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestNode {
        let mut settings = Self::settings_for(&listener, database_url);
        adjust(&mut settings);
        Self::serve(listener, settings).await
    }

    /// The settings a node on `listener` and `database_url` starts with.
    pub fn settings_for(listener: &tokio::net::TcpListener, database_url: &str) -> Settings {
        let addr = listener.local_addr().expect("local addr");
        let mut settings = test_settings(addr, database_url);
        settings.log.level = "error".to_owned();
        settings
    }

    /// Starts a node with exactly these settings (its port included):
    /// a restart of a node stopped before.
    pub async fn start_on(settings: Settings) -> TestNode {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .expect("bind the same port");
        Self::serve(listener, settings).await
    }

    async fn serve(listener: tokio::net::TcpListener, settings: Settings) -> TestNode {
        settings.validate().expect("test settings are valid");
        // Errors are printed (and shown with a failing test); RUST_LOG for more.
        passerelle::observability::logging::init(&settings.log);
        let base = settings.public_url.clone();
        let node = Node::open(settings.clone()).await.expect("node opens");
        let context = node.context().clone();
        let state = node.state().clone();
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            node.serve(listener, async {
                let _ = stop.await;
            })
            .await
            .expect("node serves");
        });
        TestNode {
            base,
            settings,
            context,
            state,
            client: reqwest::Client::new(),
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.base.join(path).expect("path").to_string()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_accept(&self, path: &str, accept: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("accept", accept)
            .send()
            .await
            .expect("GET")
    }

    /// A fresh API token of `scope` on this node.
    pub async fn token(&self, scope: Scope) -> String {
        let name = format!("test-{}", rand::random::<u32>());
        tokens::create(&self.context.store, &name, scope)
            .await
            .expect("token")
    }

    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("PUT")
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    /// GET with a token, parsed as JSON.
    pub async fn api(&self, path: &str, token: &str) -> Value {
        let response = self.get_with(path, token).await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.expect("JSON")
    }

    /// Waits until every delivery stream has caught up with the activity
    /// log: each peer was sent, or passed over (refused by policy, skipped
    /// after refusals), everything this node recorded before the call.
    /// Tests wait for delivery with this, never with a sleep; and show that
    /// nothing was sent with it too: wait until delivered, then find that
    /// the peer got nothing. A stream paused for a gone inbox would never
    /// catch up: that fails at once.
    pub async fn wait_until_delivered(&self) {
        self.wait_for_streams("every delivery stream to catch up", |stream| {
            let caught_up = stream["backlog"] == 0;
            assert!(
                caught_up || stream["gone_since"].is_null(),
                "a delivery stream paused for a gone inbox will not catch up: {stream}"
            );
            caught_up
        })
        .await;
    }

    /// Waits until every activity this node recorded was delivered or
    /// answered with an error (a refusal, a peer down): nothing waits for
    /// its first attempt. For peers that fail, where `wait_until_delivered`
    /// would wait for ever.
    pub async fn wait_until_attempted(&self) {
        self.wait_for_streams("every delivery to be attempted", |stream| {
            stream["backlog"] == 0 || stream["failures"].as_i64() > Some(0)
        })
        .await;
    }

    /// Polls the admin API's delivery streams until each is `settled`
    /// (a node without streams is); a timeout shows the streams as last seen.
    async fn wait_for_streams(&self, what: &str, settled: impl Fn(&Value) -> bool) {
        let admin = self.token(Scope::Admin).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let streams = self.api("/api/v1/admin/deliveries?state=all", &admin).await;
            if streams
                .as_array()
                .is_some_and(|streams| streams.iter().all(&settled))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {streams:#}"
            );
            tokio::time::sleep(STEP).await;
        }
    }

    /// `@slug@host` of this node.
    pub fn handle(&self) -> String {
        format!(
            "@{}@{}",
            self.context.settings.platform.slug,
            self.base.authority()
        )
    }

    pub fn actor(&self) -> String {
        self.url("/actor")
    }

    pub async fn delete_with(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("DELETE")
    }

    pub async fn get_with(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    /// GET with `Accept: application/activity+json`, parsed.
    pub async fn get_activity_json(&self, path_or_url: &str) -> (u16, Value) {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            self.url(path_or_url)
        };
        let response = self
            .client
            .get(url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The example payload of `kind` from `schemas/examples/`, with the
    /// quick-start node's URL replaced by this node's.
    pub fn example(&self, kind: &str) -> Value {
        let path = format!(
            "{}/schemas/examples/{kind}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).expect("example");
        let origin = self.base.as_str().trim_end_matches('/');
        serde_json::from_str(&text.replace("http://127.0.0.1:8080", origin)).expect("example JSON")
    }

    /// Stops the node and starts it again on the same port and database
    /// (what runs at start runs again).
    pub async fn restart(self) -> TestNode {
        let settings = self.settings.clone();
        self.stop().await;
        TestNode::start_on(settings).await
    }

    /// Stops the node gracefully and waits until it has.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
