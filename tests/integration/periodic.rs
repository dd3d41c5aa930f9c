//! Periodic tasks run once across the processes sharing a database: two
//! nodes on one database both ask to prune at start, one prunes.

use std::time::Duration;

use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode, eventually, holds_for, metric_value};

on_both_backends!(pruning_runs_once_across_replicas);

async fn prune_runs(node: &TestNode) -> u64 {
    let text = node.get("/metrics").await.text().await.unwrap_or_default();
    metric_value(&text, "passerelle_periodic_runs_total{task=\"prune\"}")
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
