//! Every metric the docs and monitoring files name is one the node exports, and docs/operating.md's table lists every one.

use std::collections::BTreeSet;

use super::{documents, read, table_after};
use crate::monitoring::registered;
use crate::rig::{Backend, TestDatabase, TestNode};

/// Names starting `passerelle_` in `text`, as whole identifiers.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(found) = text[at..].find("passerelle_") {
        let start = at + found;
        let preceded =
            start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(text.len(), |len| start + len);
        if !preceded {
            names.insert(text[start..end].to_owned());
        }
        at = end;
    }
    names
}

/// A histogram's series name back to its family.
fn family(name: &str) -> &str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
}

/// What is not a metric though it starts like one: the console's cookies
/// and the test rig's variables.
const NOT_METRICS: &[&str] = &["passerelle_session", "passerelle_sign_in"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_named_is_exported_and_every_exported_one_is_in_the_table() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    // Behind a token, as operators are told to run it: the scrape the
    // docs describe is the one checked.
    let token = "docs-drift-scrape-token-0123456789";
    let node = TestNode::start_with(&db.url, |s| s.metrics.token = Some(token.to_owned())).await;
    assert_eq!(
        node.get("/metrics").await.status(),
        401,
        "/metrics without the token"
    );
    // The first scrape is itself an HTTP request: the second shows its counters.
    scrape(&node, token).await;
    let text = scrape(&node, token).await;
    node.stop().await;
    let on_node: BTreeSet<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|line| line.split(' ').next())
        .map(str::to_owned)
        .collect();
    assert!(on_node.contains("passerelle_ready"), "{on_node:?}");
    // Counters with labels appear on /metrics once used: the source
    // registers them all.
    let exported: BTreeSet<String> = registered()
        .iter()
        .map(|name| family(name).to_owned())
        .chain(on_node.iter().cloned())
        .collect();

    let mut named = Vec::new();
    for (path, text) in documents() {
        named.extend(metric_names(&text).into_iter().map(|m| (path.clone(), m)));
    }
    for path in [
        "deploy/monitoring/alerts.yaml",
        "deploy/monitoring/grafana-dashboard.json",
    ] {
        named.extend(
            metric_names(&read(path))
                .into_iter()
                .map(|m| (path.to_owned(), m)),
        );
    }
    // A test named `passerelle_nodes_…` is cited, not a metric.
    let tests: String = super::rust_files("tests")
        .iter()
        .filter_map(|file| std::fs::read_to_string(file).ok())
        .collect();
    let unknown: Vec<String> = named
        .iter()
        .filter(|(_, name)| !NOT_METRICS.contains(&name.as_str()))
        .filter(|(_, name)| !tests.contains(&format!("fn {name}(")))
        .filter(|(_, name)| !exported.contains(family(name)))
        .map(|(path, name)| format!("{path}: {name}"))
        .collect();
    assert!(unknown.is_empty(), "named but not exported: {unknown:#?}");

    let table: BTreeSet<String> = table_after(&read("docs/operating.md"), "## Metrics")
        .iter()
        .flat_map(|row| metric_names(&row[0]))
        .collect();
    let missing: Vec<&String> = exported.iter().filter(|m| !table.contains(*m)).collect();
    assert!(
        missing.is_empty(),
        "exported but not in docs/operating.md's metrics table: {missing:?}"
    );
}

async fn scrape(node: &TestNode, token: &str) -> String {
    node.client
        .get(node.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text")
}

#[test]
fn metric_names_are_whole_identifiers() {
    let names =
        metric_names("`passerelle_ready`, x_passerelle_no, passerelle_deliveries_total{target}");
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["passerelle_deliveries_total", "passerelle_ready"]
    );
    assert_eq!(
        family("passerelle_delivery_latency_seconds_bucket"),
        "passerelle_delivery_latency_seconds"
    );
}

/// The `task` labels of `passerelle_periodic_runs_total`: the strings
/// `Task::label` returns in `crates/domain/src/scheduler.rs` (private
/// there; a closed set), the network task's through its constant.
fn periodic_task_labels() -> BTreeSet<String> {
    let source = read("crates/domain/src/scheduler.rs");
    let body = source
        .split("fn label(&self)")
        .nth(1)
        .and_then(|rest| rest.split("\n    }\n").next())
        .expect("Task::label");
    let network = source
        .split("pub const NETWORK_TASK: &str = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("NETWORK_TASK");
    body.split("=> ")
        .skip(1)
        .filter_map(|arm| {
            let arm = arm.trim_start();
            if arm.starts_with("NETWORK_TASK") {
                Some(network.to_owned())
            } else {
                arm.strip_prefix('"')?.split('"').next().map(str::to_owned)
            }
        })
        .collect()
}

#[test]
fn the_docs_name_every_periodic_task() {
    let labels = periodic_task_labels();
    assert!(labels.len() >= 6, "{labels:?}");
    let operating = read("docs/operating.md");
    let table_row = table_after(&operating, "## Metrics")
        .into_iter()
        .find(|row| row[0].contains("passerelle_periodic_runs_total"))
        .expect("the periodic runs' row");
    let counted = operating
        .split("`passerelle_periodic_runs_total{task}`\ncounts the runs (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the runs counted, in the replicas' paragraph");
    let mut missing = Vec::new();
    for label in &labels {
        let span = format!("`{label}`");
        if !table_row[1].contains(&span) {
            missing.push(format!("the metrics table: {label}"));
        }
        if !counted.contains(&span) {
            missing.push(format!("the replicas' paragraph: {label}"));
        }
    }
    assert!(
        missing.is_empty(),
        "tasks docs/operating.md does not name: {missing:?}"
    );
}
