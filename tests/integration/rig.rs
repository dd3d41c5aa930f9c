//! The test rig: real nodes on loopback ports over a fresh database each,
//! SQLite or PostgreSQL. Every integration test starts from here.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use passerelle::config::Settings;
use passerelle::domain::tokens::{self, Scope};
use passerelle::node::{AppContext, Node};
use serde_json::Value;
use sqlx::Connection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the tests find PostgreSQL (trust auth), unless overridden.
pub fn postgres_base_url() -> String {
    std::env::var("POSTGRES_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A database of its own for one test: a SQLite file in a temporary
/// directory, or a PostgreSQL schema dropped when the test ends.
pub struct TestDatabase {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_schema: Option<String>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    /// `None` when the backend is unavailable outside CI (the skip is
    /// printed); under `CI=true` an unavailable PostgreSQL fails the test.
    pub async fn new(backend: Backend) -> Option<TestDatabase> {
        let dir = tempfile::tempdir().expect("temporary directory");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("node.db").display());
                Some(TestDatabase {
                    backend,
                    url,
                    dir,
                    pg_schema: None,
                })
            }
            Backend::Postgres => {
                let base = postgres_base_url();
                let connected = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    sqlx::PgConnection::connect(&base),
                )
                .await;
                let mut conn = match connected {
                    Ok(Ok(conn)) => conn,
                    Ok(Err(e)) => return postgres_unavailable(&base, &e.to_string()),
                    Err(_) => return postgres_unavailable(&base, "connection timed out"),
                };
                let schema = format!(
                    "t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    rand::random::<u32>()
                );
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test schema");
                let _ = conn.close().await;
                let url = with_search_path(&base, &schema);
                Some(TestDatabase {
                    backend,
                    url,
                    dir,
                    pg_schema: Some(schema),
                })
            }
        }
    }

    /// The same database reached through another host and port (a proxy).
    pub fn url_via(&self, addr: SocketAddr) -> String {
        let mut url = Url::parse(&self.url).expect("database URL");
        url.set_host(Some(&addr.ip().to_string())).expect("host");
        url.set_port(Some(addr.port())).expect("port");
        url.to_string()
    }

    /// Runs one statement on the test database from outside the node.
    pub async fn execute(&self, statement: &str) {
        sqlx::query(statement)
            .execute(&mut self.connect().await)
            .await
            .expect(statement);
    }

    /// One integer read from the test database from outside the node.
    pub async fn query_i64(&self, query: &str) -> i64 {
        sqlx::query_scalar(query)
            .fetch_one(&mut self.connect().await)
            .await
            .expect(query)
    }

    /// Makes every insert into `table` fail (a trigger raises), as a
    /// database fault in the middle of a transaction.
    pub async fn inject_insert_fault(&self, table: &str) {
        let statements = match self.backend {
            Backend::Sqlite => vec![format!(
                "CREATE TRIGGER injected_fault_{table} BEFORE INSERT ON {table} \
                 BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )],
            Backend::Postgres => vec![
                "CREATE OR REPLACE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$"
                    .to_owned(),
                format!(
                    "CREATE TRIGGER injected_fault_{table} BEFORE INSERT ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION injected_fault()"
                ),
            ],
        };
        for statement in statements {
            self.execute(&statement).await;
        }
    }

    /// Lifts `inject_insert_fault`.
    pub async fn lift_insert_fault(&self, table: &str) {
        self.execute(&match self.backend {
            Backend::Sqlite => format!("DROP TRIGGER injected_fault_{table}"),
            Backend::Postgres => format!("DROP TRIGGER injected_fault_{table} ON {table}"),
        })
        .await;
    }

    /// Waits until `query`'s single text column reads `expected`.
    pub async fn wait_for_rows(&self, what: &str, query: &str, expected: &[&str]) {
        eventually(what, 20, || async {
            (self.query_text(query).await == expected).then_some(())
        })
        .await;
    }

    /// Each row of `query`'s single text column (for diagnostics).
    pub async fn query_text(&self, query: &str) -> Vec<String> {
        sqlx::query_scalar(query)
            .fetch_all(&mut self.connect().await)
            .await
            .expect(query)
    }

    async fn connect(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.url)
            .await
            .expect("the test database")
    }
}

fn with_search_path(base: &str, schema: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-c%20search_path%3D{schema}")
}

fn postgres_unavailable(url: &str, why: &str) -> Option<TestDatabase> {
    if under_ci() {
        panic!("PostgreSQL is required under CI=true but {url} is unavailable: {why}");
    }
    eprintln!("SKIPPED (PostgreSQL unavailable at {url}: {why}; start it to run this test)");
    None
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(schema) = self.pg_schema.take() else {
            return;
        };
        let base = postgres_base_url();
        // Drop runs inside the test's runtime; a thread with its own keeps
        // this synchronous without blocking that runtime's workers.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Settings for a test node listening on `addr` over `database_url`.
pub fn test_settings(addr: SocketAddr, database_url: &str) -> Settings {
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
    pub context: AppContext,
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
        let addr = listener.local_addr().expect("local addr");
        let mut settings = test_settings(addr, database_url);
        settings.log.level = "error".to_owned();
        adjust(&mut settings);
        Self::serve(listener, settings).await
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

    /// Waits until every peer has received everything this node recorded
    /// for it (no delivery stream with a backlog): tests wait for delivery
    /// with this, never with a sleep.
    pub async fn caught_up(&self) {
        self.wait_for_streams("every delivery stream to catch up", |stream| {
            stream["backlog"] == 0
        })
        .await;
    }

    /// Waits until every activity this node recorded was delivered or
    /// answered with an error (a refusal, a peer down): nothing waits for
    /// its first attempt.
    pub async fn delivery_attempted(&self) {
        self.wait_for_streams("every delivery to be attempted", |stream| {
            stream["backlog"] == 0 || stream["failures"].as_i64() > Some(0)
        })
        .await;
    }

    async fn wait_for_streams(&self, what: &str, settled: impl Fn(&Value) -> bool) {
        let admin = self.token(Scope::Admin).await;
        eventually(what, 60, || async {
            let streams = self.api("/api/v1/admin/deliveries?state=all", &admin).await;
            streams
                .as_array()
                .is_some_and(|streams| streams.iter().all(&settled))
                .then_some(())
        })
        .await;
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

/// A TCP relay to stand between a node and its database, so a test can cut
/// the database off as a network failure would.
pub struct TcpProxy {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
}

impl TcpProxy {
    pub async fn start(target: SocketAddr) -> TcpProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let tracked = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tracked.lock().expect("proxy lock").push(relay);
            }
        });
        TcpProxy {
            addr,
            task,
            connections,
        }
    }

    /// Closes the listener and every relayed connection.
    pub fn cut(&self) {
        self.task.abort();
        for relay in self.connections.lock().expect("proxy lock").drain(..) {
            relay.abort();
        }
    }
}

/// The sum of the series starting with `series` in a Prometheus
/// text exposition (0 when absent).
pub fn metric_value(text: &str, series: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(series))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Declares `mod NAME { sqlite, postgres }` running `async fn NAME(TestDatabase)`
/// once on each backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use $crate::rig::{Backend, TestDatabase};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(db) = TestDatabase::new(Backend::Sqlite).await {
                    super::$name(db).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = TestDatabase::new(Backend::Postgres).await {
                    super::$name(db).await;
                }
            }
        }
    )+};
}

/// GETs `url` (with `token` as a bearer, if given) and reads its JSON.
pub async fn get_json(url: &str, token: Option<&str>) -> Value {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON")
}

/// Polls `check` until it returns `Some`, failing after `seconds`.
pub async fn eventually<T, F, Fut>(what: &str, seconds: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
