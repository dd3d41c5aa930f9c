//! Resident memory of the release binary (read from `/proc`): idle, and
//! at its peak while it works through a backlog of deliveries left in its
//! database (published while no delivery worker ran).

use std::sync::atomic::Ordering;
use std::time::Duration;

use passerelle::node::Node;

use crate::child::{free_port, ready, spawn_serve, status_mib};
use crate::fanout::{SinkSigning, add_sink_followers, publish_offers, sinks};
use crate::harness::{Backend, database_url, settings, until};

/// The release binary serving `database` as `slug` on `port`, with the
/// default settings otherwise and its output discarded.
fn spawn_node(
    dir: &std::path::Path,
    port: u16,
    database: &str,
    slug: &str,
) -> Option<std::process::Child> {
    spawn_serve(
        dir,
        port,
        None,
        None,
        &[("DATABASE_URL", database), ("PLATFORM__SLUG", slug)],
    )
}

/// MiB resident of an idle node, 2 s after it answers `/readyz`.
pub async fn rss_idle(dir: &std::path::Path) -> Option<f64> {
    let port = free_port()?;
    let database = format!("sqlite://{}", dir.join("idle.db").display());
    let mut child = spawn_node(dir, port, &database, "idle")?;
    let rss = if ready(port, Duration::from_secs(60)).await {
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
