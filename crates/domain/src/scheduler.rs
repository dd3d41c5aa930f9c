//! The node's one scheduler. Every periodic task (the DFC imports, the
//! amendment tally, retention, owed receipts, the sharing terms' retention,
//! the networks' member directories) is claimed in `periodic_runs` before it
//! runs, so it runs once per period across the replicas sharing the
//! database (`Store::claim_periodic_run`): with three replicas, a DFC
//! catalog is still fetched once per interval.

use std::time::Duration;

use tokio::sync::watch;

use crate::amendments::{TALLY_EVERY, tally_due};
use crate::context::Context;
use crate::dfc::import;
use crate::dfc::schedule::source_of;
use crate::error::Result;
use crate::model::time::millis;
use crate::network::membership;
use crate::retention::{self, PRUNE_EVERY};
use crate::sharing::expiry;
use crate::sharing::receipts;
use crate::store::now_millis;
use passerelle_config::{DfcSourceSettings, Settings};

/// How often a replica asks, at most, whether a task is due: a replica
/// that died after claiming a run delays the next one by at most this.
const CHECK_AT_MOST: Duration = Duration::from_secs(60);

/// A periodic task.
#[derive(Debug, Clone)]
pub enum Task {
    /// Forget what is past its retention (hourly).
    Prune,
    /// Close the hosted amendments whose end time passed.
    Tally,
    /// Send the receipts owed to origins (every couple of seconds).
    Receipts,
    /// Remove from the catalog what is past its peer's sharing terms'
    /// retention (`federation.retention_check_every`).
    Expire(Duration),
    /// Import one configured DFC catalog, every `interval` of its own.
    Dfc(DfcSourceSettings),
    /// Mirror and apply the member directory of each network this node
    /// belongs to (`federation.network_sync_every`, and at once when a
    /// network's host announces a change).
    Network(Duration),
}

/// The claim key of the network task.
pub const NETWORK_TASK: &str = "network";

impl Task {
    /// The claim's key in `periodic_runs`: one per task, one per DFC source.
    fn key(&self) -> String {
        match self {
            Task::Prune => "prune".to_owned(),
            Task::Tally => "tally".to_owned(),
            Task::Receipts => "receipts".to_owned(),
            Task::Expire(_) => "expire".to_owned(),
            Task::Dfc(source) => format!("dfc {}", source.catalog_url),
            Task::Network(_) => NETWORK_TASK.to_owned(),
        }
    }

    /// The `task` label of `passerelle_periodic_runs_total` (a closed set).
    fn label(&self) -> &'static str {
        match self {
            Task::Prune => "prune",
            Task::Tally => "tally",
            Task::Receipts => "receipts",
            Task::Expire(_) => "expire",
            Task::Dfc(_) => "dfc",
            Task::Network(_) => NETWORK_TASK,
        }
    }

    fn every(&self) -> Duration {
        match self {
            Task::Prune => PRUNE_EVERY,
            Task::Tally => TALLY_EVERY,
            Task::Receipts => receipts::SEND_EVERY,
            Task::Expire(every) => *every,
            Task::Dfc(source) => source.interval,
            Task::Network(every) => *every,
        }
    }

    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            Task::Prune => retention::prune(ctx).await,
            Task::Tally => tally_due(ctx).await.map(|_| ()),
            Task::Receipts => receipts::send_owed(ctx).await,
            Task::Expire(_) => expiry::expire(ctx).await.map(|_| ()),
            Task::Network(_) => membership::sync(ctx).await,
            Task::Dfc(settings) => {
                match source_of(settings) {
                    // A failed run is recorded by the import itself.
                    Ok(source) => drop(import::run(ctx, &source).await),
                    Err(error) => {
                        import::record_failure(ctx, settings.catalog_url.as_str(), &error).await;
                    }
                }
                Ok(())
            }
        }
    }
}

/// The node's periodic tasks under `settings`.
pub fn tasks(settings: &Settings) -> Vec<Task> {
    let mut tasks = vec![
        Task::Prune,
        Task::Tally,
        Task::Receipts,
        Task::Expire(settings.federation.retention_check_every),
    ];
    tasks.extend(settings.dfc.sources.iter().cloned().map(Task::Dfc));
    if !settings.federation.networks.is_empty() {
        tasks.push(Task::Network(settings.federation.network_sync_every));
    }
    tasks
}

/// Runs every task, each when due, until `stop` turns true.
pub async fn run(ctx: Context, stop: watch::Receiver<bool>) {
    let loops: Vec<_> = tasks(&ctx.settings)
        .into_iter()
        .map(|task| tokio::spawn(keep_running(ctx.clone(), task, stop.clone())))
        .collect();
    for running in loops {
        let _ = running.await;
    }
}

/// Asks whether `task` is due every period (at most every minute). A run
/// cut short by the stop rolls back: its transaction is never committed.
async fn keep_running(ctx: Context, task: Task, mut stop: watch::Receiver<bool>) {
    let check = task.every().min(CHECK_AT_MOST);
    loop {
        if *stop.borrow() {
            return;
        }
        let turn = async {
            if let Err(e) = run_if_due(&ctx, &task).await {
                tracing::warn!(task = task.label(), error = %e, "periodic task failed");
            }
        };
        tokio::select! {
            () = turn => {}
            _ = stop.changed() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(check) => {}
            () = woken(&ctx, &task) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Resolves when `task` is asked to run before its time (the network task,
/// by an announced directory change); never for the others.
async fn woken(ctx: &Context, task: &Task) {
    match task {
        Task::Network(_) => ctx.network_wakeup.notified().await,
        _ => std::future::pending().await,
    }
}

/// Runs `task` when it is due and no other replica claimed this run; true
/// when this replica ran it.
pub async fn run_if_due(ctx: &Context, task: &Task) -> Result<bool> {
    let now = now_millis();
    let next = now + millis(task.every());
    if !ctx
        .store
        .claim_periodic_run(&task.key(), &ctx.process, now, next)
        .await?
    {
        return Ok(false);
    }
    ctx.metrics
        .periodic_runs
        .with_label_values(&[task.label()])
        .inc();
    task.run(ctx).await?;
    Ok(true)
}
