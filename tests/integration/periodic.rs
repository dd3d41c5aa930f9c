//! Periodic tasks run once across the processes sharing a database: two
//! nodes on one database both ask to prune at start, one prunes; both are
//! configured with the same DFC catalog, one fetches it.

use std::time::Duration;

use crate::dfc::stub::{PRODUCER_CATALOG, Stub};
use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode, eventually, holds_for, metric_value};

on_both_backends!(
    pruning_runs_once_across_replicas,
    a_dfc_catalog_is_fetched_once_per_interval_across_replicas,
);

async fn periodic_runs(node: &TestNode, task: &str) -> u64 {
    let text = node.get("/metrics").await.text().await.unwrap_or_default();
    metric_value(
        &text,
        &format!("passerelle_periodic_runs_total{{task=\"{task}\"}}"),
    )
}

async fn prune_runs(node: &TestNode) -> u64 {
    periodic_runs(node, "prune").await
}

async fn pruning_runs_once_across_replicas(db: TestDatabase) {
    let first = TestNode::start(&db).await;
    let second = TestNode::start_with(&db.url, |_| {}).await;
    let runs = || async { prune_runs(&first).await + prune_runs(&second).await };
    eventually("a pruning run", 20, || async {
        (runs().await >= 1).then_some(())
    })
    .await;
    holds_for("one pruning run", Duration::from_secs(2), || async {
        runs().await == 1
    })
    .await;
    let due = db
        .query_i64("SELECT due_at - ran_at FROM periodic_runs WHERE task = 'prune'")
        .await;
    assert_eq!(due, 3_600_000, "the next run is due an hour later");
    first.stop().await;
    second.stop().await;
}

async fn a_dfc_catalog_is_fetched_once_per_interval_across_replicas(db: TestDatabase) {
    let stub = Stub::start().await;
    let source = crate::dfc::configured(&stub, PRODUCER_CATALOG, None, 3600);
    let configured = |s: &mut passerelle::Settings| s.dfc.sources = vec![source.clone()];
    let first = TestNode::start_with(&db.url, configured).await;
    let second = TestNode::start_with(&db.url, configured).await;
    let runs =
        || async { periodic_runs(&first, "dfc").await + periodic_runs(&second, "dfc").await };
    eventually("an import run", 20, || async {
        (runs().await >= 1 && stub.requests() >= 1).then_some(())
    })
    .await;
    // Both replicas keep asking (every minute at most, here at start); the
    // catalog is not fetched again before its hour is up.
    holds_for(
        "one import across both replicas",
        Duration::from_secs(2),
        || async { runs().await == 1 && stub.requests() == 1 },
    )
    .await;
    let due = db
        .query_i64(&format!(
            "SELECT due_at - ran_at FROM periodic_runs WHERE task = 'dfc {}'",
            source.catalog_url
        ))
        .await;
    assert_eq!(due, 3_600_000, "the next import is due an interval later");
    first.stop().await;
    second.stop().await;
}
