//! The monitoring files in `deploy/monitoring/` parse, and every metric
//! they query is one the node exports: registered in
//! `crates/observability/src/metrics.rs`, and present on a running node's
//! `/metrics` once used (the gauges at once, with the values they should
//! have on a healthy node).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::rig::{Backend, TestDatabase, TestNode, metric_value};

fn read(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Metric names (identifiers starting with `prefix`) in a PromQL expression.
fn names_in(expr: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = expr;
    while let Some(at) = rest.find(prefix) {
        let preceded = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if !preceded {
            names.insert(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    names
}

/// The names the node registers: the first string literal of each
/// `counter(`, `histogram(` and `gauge(` call, with the registry's prefix;
/// a histogram also exports `_bucket`, `_sum` and `_count`.
pub(crate) fn registered() -> BTreeSet<String> {
    let source = read("crates/observability/src/metrics.rs");
    let mut names = BTreeSet::new();
    for call in ["counter(", "histogram(", "gauge("] {
        for segment in source.split(call).skip(1) {
            let head: String = segment.chars().take(80).collect();
            let Some(open) = head.find('"') else { continue };
            let Some(len) = head[open + 1..].find('"') else {
                continue;
            };
            let name = &head[open + 1..open + 1 + len];
            if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                let full = format!("passerelle_{name}");
                if call == "histogram(" {
                    for suffix in ["_bucket", "_sum", "_count"] {
                        names.insert(format!("{full}{suffix}"));
                    }
                }
                names.insert(full);
            }
        }
    }
    names
}

fn dashboard_exprs() -> Vec<String> {
    let dashboard: Value =
        serde_json::from_str(&read("deploy/monitoring/grafana-dashboard.json")).unwrap();
    assert!(dashboard["title"].is_string());
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 8);
    panels
        .iter()
        .flat_map(|panel| panel["targets"].as_array().unwrap().iter())
        .map(|target| target["expr"].as_str().unwrap().to_owned())
        .collect()
}

fn alert_rules() -> Vec<(String, String)> {
    let rules: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&read("deploy/monitoring/alerts.yaml")).unwrap();
    rules["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|group| group["rules"].as_sequence().unwrap().iter())
        .map(|rule| {
            let name = rule["alert"].as_str().unwrap().to_owned();
            assert!(rule["annotations"]["summary"].is_string(), "{name}");
            assert!(rule["labels"]["severity"].is_string(), "{name}");
            (name, rule["expr"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn dashboard_and_alerts_query_only_exported_metrics() {
    let exported = registered();
    assert!(
        exported.contains("passerelle_deliveries_total"),
        "{exported:?}"
    );
    let alerts = alert_rules();
    let alert_names: Vec<&str> = alerts.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "PasserelleNotReady",
        "PasserelleDeliveryBacklogGrowing",
        "PasserellePeerUnreachable",
        "PasserelleWebhookDisabled",
        "PasserelleInboxRefusalsSpiking",
    ] {
        assert!(alert_names.contains(&expected), "{expected}");
    }
    let mut used = BTreeSet::new();
    for expr in dashboard_exprs()
        .into_iter()
        .chain(alerts.iter().map(|(_, e)| e.clone()))
    {
        let names = names_in(&expr, "passerelle_");
        // Every expression but Prometheus' own `up` queries the node.
        assert!(!names.is_empty() || expr.starts_with("up{"), "{expr}");
        used.extend(names);
    }
    let unknown: Vec<&String> = used.difference(&exported).collect();
    assert!(unknown.is_empty(), "not exported: {unknown:?}");
    // The docs explain every alert.
    let docs = read("docs/operating.md");
    for name in alert_names {
        assert!(
            docs.contains(name),
            "docs/operating.md does not explain {name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_node_exports_the_health_gauges() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let node = TestNode::start(&db).await;
    assert_eq!(node.get("/readyz").await.status(), 200);
    let text = node.get("/metrics").await.text().await.unwrap();
    let types: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_owned)
        .collect();
    let exported = registered();
    for gauge in [
        "passerelle_ready",
        "passerelle_delivery_queue_depth",
        "passerelle_webhook_queue_depth",
        "passerelle_peers_unreachable",
        "passerelle_webhooks_disabled",
    ] {
        assert!(types.contains(gauge), "{gauge} not on /metrics");
        assert!(exported.contains(gauge), "{gauge} not found in metrics.rs");
    }
    // What the scrape shows is what the source registers.
    assert!(types.iter().all(|t| exported.contains(t)), "{types:?}");
    assert_eq!(metric_value(&text, "passerelle_ready "), 1);
    assert_eq!(metric_value(&text, "passerelle_peers_unreachable "), 0);
    assert_eq!(metric_value(&text, "passerelle_webhooks_disabled "), 0);
    node.stop().await;
}
