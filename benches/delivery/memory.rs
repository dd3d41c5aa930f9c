//! Resident memory of the release binary (read from `/proc`): idle, and
//! at its peak while it works through a backlog of deliveries left in its
//! database (published while no delivery worker ran).

use std::sync::atomic::Ordering;
use std::time::Duration;

use passerelle::node::Node;

use crate::fanout::{SinkSigning, add_sink_followers, publish_offers, sinks};
use crate::harness::{Backend, database_url, settings, until};

fn free_port() -> Option<u16> {
    Some(
        std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port(),
    )
}

/// The release binary serving `database` as `slug` on `port`.
fn spawn_node(
    dir: &std::path::Path,
    port: u16,
    database: &str,
    slug: &str,
) -> Option<std::process::Child> {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passerelle"));
    // The node reads its settings from PASSERELLE_* variables: the bench's
    // own (PASSERELLE_BENCH_QUICK) are not settings.
    for (key, _) in std::env::vars() {
        if key.starts_with("PASSERELLE_") {
            command.env_remove(key);
        }
    }
    command
        .arg("serve")
        .current_dir(dir)
        .env("PASSERELLE_PUBLIC_URL", format!("http://localhost:{port}"))
        .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PASSERELLE_DATABASE_URL", database)
        .env("PASSERELLE_PLATFORM__SLUG", slug)
        .env("PASSERELLE_FEDERATION__ALLOW_PRIVATE_ADDRESSES", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()
}

/// A line of `/proc/PID/status` in MiB (`VmRSS`, `VmHWM`).
fn status_mib(pid: u32, field: &str) -> Option<f64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}

async fn ready(port: u16) -> bool {
    until(Duration::from_secs(60), || async {
        reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
            .await
            .is_ok_and(|response| response.status().is_success())
    })
    .await
}

/// MiB resident of an idle node, 2 s after it answers `/readyz`.
pub async fn rss_idle(dir: &std::path::Path) -> Option<f64> {
    let port = free_port()?;
    let database = format!("sqlite://{}", dir.join("idle.db").display());
    let mut child = spawn_node(dir, port, &database, "idle")?;
    let rss = if ready(port).await {
        tokio::time::sleep(Duration::from_secs(2)).await;
        status_mib(child.id(), "VmRSS:")
    } else {
        None
    };
    let _ = child.kill();
    let _ = child.wait();
    rss
}

/// Peak MiB resident (`VmHWM`) of a node started with `offers` offers
/// waiting for each of `followers` followers, until all are delivered.
pub async fn rss_peak_backlog(
    dir: &std::path::Path,
    offers: usize,
    followers: usize,
) -> Option<f64> {
    let port = free_port()?;
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let database = database_url(dir, "backlog", Backend::Sqlite).await;
    let sinks = sinks(followers.min(50)).await;
    {
        // Opened, never served: no delivery worker runs, so everything
        // published waits in the database.
        let node = Node::open(settings(listen, database.clone(), "backlog"))
            .await
            .expect("node");
        add_sink_followers(node.state(), &sinks, followers, SinkSigning::Rsa).await;
        publish_offers(node.state(), "Backlog", offers).await;
        node.state().store.close().await;
    }
    let expected = offers * followers;
    let mut child = spawn_node(dir, port, &database, "backlog")?;
    let delivered = until(Duration::from_secs(900), || async {
        sinks.received.load(Ordering::Relaxed) >= expected
    })
    .await;
    let peak = status_mib(child.id(), "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "backlog: {offers} offers x {followers} followers waiting; {} delivered{}",
        sinks.received.load(Ordering::Relaxed),
        if delivered {
            ""
        } else {
            " (stopped at the time limit)"
        }
    );
    peak
}
