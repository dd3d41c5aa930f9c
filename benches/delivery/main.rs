//! Federation throughput, latency and memory, each figure next to the
//! ceiling it is measured against in the same run on the same machine:
//! fan-out against signatures/s (every delivery is signed afresh), and the
//! sender's CPU time per delivery against one signature's, intake
//! against Ed25519 verifications/s (every proposal carries a proof and an
//! HTTP signature), propagation and memory against the targets of issue 15,
//! fan-out to distant peers against the window's `in_flight / rtt`.
//!
//! Run: `cargo bench --bench delivery` (optionally `-- OFFERS PEERS` for the
//! end-to-end run); `PASSERELLE_BENCH_QUICK=1` runs the same scenarios small
//! (what CI does: they keep working, no figure is asserted). The figures go
//! to `target/bench/results.json`, the scaling curve to
//! `target/bench/fanout_scaling.svg`. The PostgreSQL figures run when
//! PostgreSQL answers at 127.0.0.1:5432 (`POSTGRES_TEST_URL`).

// A benchmark is a script and its counts are small: the crate's length and
// cast lints are for the product's code.
#![allow(
    clippy::too_many_lines,
    clippy::cast_possible_wrap,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

mod child;
mod fanout;
mod harness;
mod ingress;
mod memory;
mod network;
mod plot;
mod propagation;
mod rtt;

use std::time::Duration;

use fanout::SinkSigning;
use harness::{Backend, Ceilings, record};

/// How big each scenario is.
struct Plan {
    end_to_end_offers: usize,
    end_to_end_peers: usize,
    fanout_offers: usize,
    fanout_followers: usize,
    ingress_peers: usize,
    ingress_per_peer: usize,
    propagation_samples: usize,
    backlog_offers: usize,
    scaling_followers: [usize; 3],
    scaling_offers: usize,
    /// Offers each of the 20 distant peers receives, per round trip.
    rtt_offers: usize,
    /// Nodes of the network (each its own process) and offers each publishes.
    network_nodes: usize,
    network_offers: usize,
}

impl Plan {
    fn new(quick: bool, args: &[usize]) -> Plan {
        let mut plan = if quick {
            Plan {
                end_to_end_offers: 20,
                end_to_end_peers: 3,
                fanout_offers: 5,
                fanout_followers: 20,
                ingress_peers: 5,
                ingress_per_peer: 10,
                propagation_samples: 5,
                backlog_offers: 200,
                scaling_followers: [10, 100, 1_000],
                scaling_offers: 3,
                rtt_offers: 24,
                network_nodes: 6,
                network_offers: 3,
            }
        } else {
            Plan {
                end_to_end_offers: 300,
                end_to_end_peers: 3,
                fanout_offers: 20,
                fanout_followers: 500,
                ingress_peers: 50,
                ingress_per_peer: 40,
                propagation_samples: 100,
                backlog_offers: 10_000,
                scaling_followers: [100, 1_000, 10_000],
                scaling_offers: 10,
                rtt_offers: 200,
                network_nodes: 100,
                network_offers: 10,
            }
        };
        if let Some(offers) = args.first() {
            plan.end_to_end_offers = (*offers).clamp(1, 5_000);
        }
        if let Some(peers) = args.get(1) {
            plan.end_to_end_peers = (*peers).clamp(1, 500);
        }
        plan
    }
}

fn suffixed(name: &str, backend: Backend) -> String {
    match backend {
        Backend::Sqlite => name.to_owned(),
        Backend::Postgres => format!("{name}_postgres"),
    }
}

/// The figures that run on both stores.
async fn on_backend(
    dir: &std::path::Path,
    plan: &Plan,
    backend: Backend,
    ceilings: &Ceilings,
    records: &mut Vec<serde_json::Value>,
) {
    const ED_SIGN: &str = "Ed25519 signatures/s x cores";
    const ED_VERIFY: &str = "Ed25519 verifications/s x cores";
    if wanted("end_to_end") {
        let rate =
            fanout::end_to_end(dir, backend, plan.end_to_end_offers, plan.end_to_end_peers).await;
        records.push(record(
            &suffixed("delivery_end_to_end", backend),
            rate,
            "deliveries/s",
            ceilings.ed25519_signing(),
            ED_SIGN,
        ));
    }
    if wanted("fanout") {
        for (signing, name) in [
            (SinkSigning::Rsa, "fanout_rsa"),
            (SinkSigning::Ed25519, "fanout_ed25519"),
        ] {
            let fanout = fanout::to_sinks(
                dir,
                backend,
                plan.fanout_offers,
                plan.fanout_followers,
                signing,
            )
            .await;
            fanout_records(
                &suffixed(name, backend),
                &fanout,
                signing,
                ceilings,
                records,
            );
        }
    }
    if wanted("ingress") {
        let rate =
            ingress::proposals(dir, backend, plan.ingress_peers, plan.ingress_per_peer).await;
        records.push(record(
            &suffixed("ingress_proposals", backend),
            rate,
            "activities/s",
            ceilings.ed25519_verifying(),
            ED_VERIFY,
        ));
    }
    if wanted("propagation") {
        let (p50, p99) = propagation::percentiles(dir, backend, plan.propagation_samples).await;
        let target = "the 50 ms target of issue 15 (p99)";
        records.push(record(
            &suffixed("propagation_p50", backend),
            p50,
            "ms",
            50.0,
            target,
        ));
        records.push(record(
            &suffixed("propagation_p99", backend),
            p99,
            "ms",
            50.0,
            target,
        ));
    }
}

async fn memory_figures(
    dir: &std::path::Path,
    plan: &Plan,
    quick: bool,
    records: &mut Vec<serde_json::Value>,
) {
    match memory::rss_idle(dir).await {
        Some(rss) => records.push(record(
            "rss_idle",
            rss,
            "MiB",
            40.0,
            "the 40 MiB target of issue 15",
        )),
        None => println!("memory: not measured (the release binary did not serve, or no /proc)"),
    }
    match memory::rss_peak_backlog(dir, plan.backlog_offers, 1).await {
        Some(rss) => records.push(record(
            if quick {
                "rss_peak_backlog"
            } else {
                "rss_peak_10k_backlog"
            },
            rss,
            "MiB",
            200.0,
            "the 200 MiB target of issue 15",
        )),
        None => println!("memory: the backlog peak was not measured"),
    }
}

/// A fan-out's two figures: the sender's CPU time per delivery (as
/// deliveries per CPU-second) against the CPU time of one signature (the
/// ratio is the share of a delivery's CPU that is signing), and its
/// deliveries per second against signatures/s on every core.
fn fanout_records(
    name: &str,
    fanout: &fanout::Fanout,
    signing: SinkSigning,
    ceilings: &Ceilings,
    records: &mut Vec<serde_json::Value>,
) {
    let (speed, signature, wall_ceiling) = match signing {
        SinkSigning::Rsa => (ceilings.rsa_aws_lc, "RSA-2048 (AWS-LC)", ceilings.rsa()),
        SinkSigning::Ed25519 => (ceilings.ed25519_sign, "Ed25519", ceilings.ed25519_signing()),
    };
    println!(
        "  {name}: {:.1} us of the sender's CPU per delivery, {:.1} us per {signature} signature",
        fanout.cpu_per_delivery * 1e6,
        1e6 / speed.cpu
    );
    records.push(record(
        name,
        1.0 / fanout.cpu_per_delivery,
        "deliveries per CPU-second of the sender (sinks in another process)",
        speed.cpu,
        &format!("{signature} signatures per CPU-second (the CPU time of one signature)"),
    ));
    records.push(record(
        &format!("{name}_wall"),
        fanout.rate,
        "deliveries/s",
        wall_ceiling,
        &format!("{signature} signatures/s x cores"),
    ));
}

/// Per-peer throughput to 20 peers whose inboxes answer after 20, 80 and
/// 150 ms, against what the window allows: `delivery.in_flight` requests
/// per round trip.
async fn fanout_rtt(dir: &std::path::Path, plan: &Plan, records: &mut Vec<serde_json::Value>) {
    const PEERS: usize = 20;
    let in_flight = passerelle::config::Settings::default().delivery.in_flight;
    for rtt_ms in [20_u64, 80, 150] {
        let rtt = Duration::from_millis(rtt_ms);
        let rate = rtt::per_peer(dir, PEERS, rtt, plan.rtt_offers).await;
        records.push(record(
            &format!("fanout_rtt_{rtt_ms}ms"),
            rate,
            "deliveries/s per peer",
            in_flight as f64 / rtt.as_secs_f64(),
            &format!("delivery.in_flight ({in_flight}) / {rtt_ms} ms round trip, {PEERS} peers"),
        ));
    }
}

/// The network of `network_nodes` processes, against the end-to-end
/// delivery rate of this run (measured here when it was not already).
async fn network_figures(dir: &std::path::Path, plan: &Plan, records: &mut Vec<serde_json::Value>) {
    let measured = records
        .iter()
        .find(|r| r["name"] == "delivery_end_to_end")
        .and_then(|r| r["value"].as_f64());
    let end_to_end = match measured {
        Some(rate) => rate,
        None => {
            fanout::end_to_end(
                dir,
                Backend::Sqlite,
                plan.end_to_end_offers,
                plan.end_to_end_peers,
            )
            .await
        }
    };
    let Some(network) = network::run(dir, plan.network_nodes, plan.network_offers).await else {
        println!("network: not measured (a stage did not finish; see above)");
        return;
    };
    let name = format!("network_{}", network.nodes);
    let deliveries = network.delivered;
    let ceiling_name = format!(
        "the end-to-end delivery rate of this run ({end_to_end:.0}/s, one sender to {} nodes)",
        plan.end_to_end_peers
    );
    records.push(record(
        &name,
        deliveries as f64 / network.complete_seconds,
        &format!(
            "deliveries/s: {deliveries} ({} nodes x {} offers to each other) until every catalog held them, in {:.1} s (follows: {} active in {:.1} s)",
            network.nodes,
            network.offers_each,
            network.complete_seconds,
            network.nodes * (network.nodes - 1),
            network.follows_seconds
        ),
        end_to_end,
        &ceiling_name,
    ));
    let backfilled = network.backfilled;
    records.push(record(
        &format!("{name}_join"),
        backfilled as f64 / network.join_seconds,
        &format!(
            "offers/s into one more node's catalog: {backfilled} in {:.1} s from its start",
            network.join_seconds
        ),
        end_to_end,
        &ceiling_name,
    ));
    records.push(record(
        &format!("{name}_memory"),
        network.peak_mib_total,
        &format!(
            "MiB: the sum of the {} processes' peaks (largest {:.1})",
            network.nodes + 1,
            network.peak_mib_largest
        ),
        40.0 * (network.nodes + 1) as f64,
        "the 40 MiB target of issue 15, per process",
    ));
}

/// Whether a part of the bench runs: all of them, or those named in
/// `PASSERELLE_BENCH_ONLY` (comma-separated: end_to_end, fanout, ingress,
/// propagation, postgres, scaling, fanout_rtt, memory, network).
fn wanted(part: &str) -> bool {
    std::env::var("PASSERELLE_BENCH_ONLY")
        .map_or(true, |only| only.split(',').any(|name| name.trim() == part))
}

/// Cost per delivery (wall microseconds) of the same offers to 100, 1,000
/// and 10,000 sink followers: flat means the total cost is linear in the
/// followers.
async fn scaling(dir: &std::path::Path, plan: &Plan, records: &mut Vec<serde_json::Value>) {
    let mut costs = Vec::new();
    for followers in plan.scaling_followers {
        let offers = plan.scaling_offers;
        let fanout =
            fanout::to_sinks(dir, Backend::Sqlite, offers, followers, SinkSigning::Rsa).await;
        costs.push((followers, 1e6 / fanout.rate));
    }
    let limit = costs[0].1 * 1.5;
    let ceiling_name = format!(
        "1.5 x the cost per delivery at {} followers (target)",
        costs[0].0
    );
    for (followers, cost) in costs {
        records.push(record(
            &format!("fanout_scaling_{followers}"),
            cost,
            "us/delivery",
            limit,
            &ceiling_name,
        ));
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().map(String::as_str) == Some(fanout::SINK_PROCESS) {
        let number = |at: usize| raw.get(at).and_then(|n| n.parse().ok()).expect("a count");
        fanout::sink_process(number(1), number(2)).await;
        return;
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let quick = std::env::var("PASSERELLE_BENCH_QUICK").is_ok_and(|v| v == "1");
    let plan = Plan::new(quick, &args);
    let dir = tempfile::tempdir().expect("tempdir");

    let keys = passerelle::model::keys::NodeKeys::generate().expect("keys");
    let window = Duration::from_millis(if quick { 300 } else { 2_000 });
    let ceilings = Ceilings::measure(&keys, window);
    println!(
        "ceilings, per core: RSA-2048 signatures/s {:.0} with AWS-LC (the node's signer), {:.0} with the rsa crate; \
         Ed25519 {:.0} signatures/s, {:.0} verifications/s; {} cores; \
         per CPU-second: RSA-2048 {:.0}, Ed25519 {:.0} signatures",
        ceilings.rsa_aws_lc.wall,
        ceilings.rsa_crate,
        ceilings.ed25519_sign.wall,
        ceilings.ed25519_verify,
        ceilings.cores,
        ceilings.rsa_aws_lc.cpu,
        ceilings.ed25519_sign.cpu
    );
    let mut records = Vec::new();
    on_backend(dir.path(), &plan, Backend::Sqlite, &ceilings, &mut records).await;
    if !wanted("postgres") {
        println!("the PostgreSQL figures are not among PASSERELLE_BENCH_ONLY");
    } else if harness::postgres_available().await {
        on_backend(
            dir.path(),
            &plan,
            Backend::Postgres,
            &ceilings,
            &mut records,
        )
        .await;
    } else if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!(
            "PostgreSQL is required under CI=true but does not answer at {}",
            harness::postgres_base_url()
        );
    } else {
        println!(
            "SKIPPED the PostgreSQL figures: PostgreSQL does not answer at {}",
            harness::postgres_base_url()
        );
    }
    if wanted("scaling") {
        scaling(dir.path(), &plan, &mut records).await;
    }
    if wanted("fanout_rtt") {
        fanout_rtt(dir.path(), &plan, &mut records).await;
    }
    if wanted("memory") {
        memory_figures(dir.path(), &plan, quick, &mut records).await;
    }
    if wanted("network") {
        network_figures(dir.path(), &plan, &mut records).await;
    }
    harness::write_results(&records);
    if let Some(path) = plot::scaling(&records) {
        println!("scaling curve: {}", path.display());
    }
}
