//! The test rig: real nodes on loopback ports over a fresh database each,
//! SQLite or PostgreSQL. Every integration test starts from here.

mod binary;
mod database;
pub mod federation;
mod node;
mod proxy;
mod skips;
mod waiting;

pub use binary::{passerelle, passerelle_as, run_as};
pub use database::{Backend, TestDatabase, postgres_base_url, under_ci};
pub use node::TestNode;
pub use proxy::TcpProxy;
pub use skips::skipped;
pub use waiting::{STEP, eventually, holds_for};

use serde_json::Value;

/// The sum of the series starting with `series` in a Prometheus
/// text exposition (0 when absent).
pub fn metric_value(text: &str, series: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(series))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// The metric families a Prometheus text exposition declares (its
/// `# TYPE` lines).
pub fn metric_families(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|line| line.split(' ').next())
        .map(str::to_owned)
        .collect()
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

            #[ignore = "needs PostgreSQL: scripts/test runs it (or cargo test -- --include-ignored)"]
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

/// `passerelle verify FILE` on `document`: (success, what it printed).
pub fn verify_offline(node: &TestNode, document: &Value) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("document.json");
    std::fs::write(&file, serde_json::to_vec(document).unwrap()).unwrap();
    let output = passerelle(dir.path())
        .env("PASSERELLE_PUBLIC_URL", node.settings.public_url.as_str())
        .args(["verify", "--allow-private-addresses"])
        .arg(&file)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}
