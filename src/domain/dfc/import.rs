//! One import run of a DFC source, all or nothing: the catalog is fetched
//! (and the enterprise and address it names but does not hold), read,
//! mapped and every offer validated before anything is written; then
//! every publication and deletion of the run goes through the platform
//! API's own publication path (`publish::upsert_in` / `delete_in`) in ONE
//! change transaction, committed at the end. A failure at any step
//! changes nothing; it is logged, counted in
//! `passerelle_dfc_import_runs_total{outcome}` and kept for the console.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::domain::dfc::graph::{Graph, malformed};
use crate::domain::dfc::mapping::{self, Mapped};
use crate::domain::dfc::source::{self, Source};
use crate::domain::publish::{self, Change};
use crate::domain::validation;
use crate::error::{DfcFailure, Error, Result};
use crate::model::count;
use crate::model::kinds::ObjectKind;
use crate::node::AppContext;
use crate::store::{ChangeTx, DfcSourceRow, now_millis};

/// Documents fetched besides the catalog (enterprises, addresses), at most.
const MAX_EXTRA_FETCHES: usize = 8;
/// Ids tried for a new item whose first choice is taken (`…-2`, `…-3`).
const MAX_ID_TRIES: usize = 50;

/// What a run changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

/// Runs an import of `source`, records its outcome (store, metrics, log)
/// and returns it.
pub async fn run(ctx: &AppContext, source: &Source) -> Result<RunReport> {
    let url = source.catalog_url.as_str();
    let outcome = attempt(ctx, source).await;
    match &outcome {
        Ok(report) => {
            ctx.metrics.dfc_runs.with_label_values(&["ok"]).inc();
            for (change, n) in [
                ("created", report.created),
                ("updated", report.updated),
                ("deleted", report.deleted),
            ] {
                ctx.metrics
                    .dfc_changes
                    .with_label_values(&[change])
                    .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
            }
            ctx.store
                .record_dfc_success(&DfcSourceRow {
                    catalog_url: url.to_owned(),
                    last_run_at: now_millis(),
                    last_outcome: "ok".to_owned(),
                    created: count(report.created),
                    updated: count(report.updated),
                    deleted: count(report.deleted),
                    unchanged: count(report.unchanged),
                    last_error: None,
                    last_error_at: None,
                })
                .await?;
            tracing::info!(source = url, ?report, "DFC import done");
        }
        Err(error) => record_failure(ctx, url, error).await,
    }
    outcome
}

/// Records a failed run: logged, counted and kept for the console.
pub async fn record_failure(ctx: &AppContext, url: &str, error: &Error) {
    let label = match error {
        Error::DfcSource(kind, _) => kind.as_str(),
        _ => "error",
    };
    ctx.metrics.dfc_runs.with_label_values(&[label]).inc();
    tracing::warn!(source = url, outcome = label, %error, "DFC import failed; nothing changed");
    if let Err(e) = ctx
        .store
        .record_dfc_failure(url, now_millis(), &error.to_string())
        .await
    {
        tracing::error!(source = url, error = %e, "cannot record the DFC run");
    }
}

async fn attempt(ctx: &AppContext, source: &Source) -> Result<RunReport> {
    let catalog = source::fetch(ctx, source, source.catalog_url.as_str()).await?;
    if !names_dfc(&catalog) {
        return Err(malformed(
            "the document has no DFC `@context`: not a DFC catalog",
        ));
    }
    let mut graph = Graph::read(&catalog)?;
    let mut fetched = HashSet::new();
    // The enterprise first, then its address: two rounds.
    for _ in 0..2 {
        for id in mapping::missing_references(&graph, &source.catalog_url) {
            if fetched.len() >= MAX_EXTRA_FETCHES || !fetched.insert(id.clone()) {
                continue;
            }
            graph.merge(&source::fetch(ctx, source, &id).await?)?;
        }
    }
    let items = mapping::map_catalog(&graph, &source.catalog_url)?;
    for item in &items {
        validation::validate(ObjectKind::Offer, &item.payload).map_err(|e| refused(item, &e))?;
    }
    publish_all(ctx, source.catalog_url.as_str(), &items).await
}

/// Whether a document's `@context` is DFC's (by URL or by its prefixes):
/// JSON of another kind (an error body served with 200) deletes nothing.
fn names_dfc(document: &Value) -> bool {
    let Some(context) = document.get("@context") else {
        return false;
    };
    let text = context.to_string();
    text.contains("datafoodconsortium") || text.contains("w3id.org/dfc")
}

/// An item the publication path refused, named.
fn refused(item: &Mapped, error: &Error) -> Error {
    let detail = match error {
        Error::Unprocessable(violations) => violations
            .iter()
            .map(|v| format!("{} {}", v.pointer, v.detail))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    Error::DfcSource(
        DfcFailure::Malformed,
        format!(
            "catalog item {} cannot be published: {detail}",
            item.item_id
        ),
    )
}

async fn publish_all(ctx: &AppContext, url: &str, items: &[Mapped]) -> Result<RunReport> {
    let mut tx = ctx.store.begin_change().await?;
    let tracked: HashMap<String, String> = tx.dfc_items(url).await?.into_iter().collect();
    let mut report = RunReport::default();
    for item in items {
        let local_id = local_id_for(&mut tx, url, item, tracked.get(&item.item_id)).await?;
        let published =
            publish::upsert_in(ctx, &mut tx, ObjectKind::Offer, &local_id, &item.payload)
                .await
                .map_err(|e| refused(item, &e))?;
        match published.change {
            Change::Created => report.created += 1,
            Change::Updated => report.updated += 1,
            Change::Unchanged | Change::Deleted => report.unchanged += 1,
        }
        tx.track_dfc_item(url, &item.item_id, &local_id).await?;
    }
    let present: HashSet<&str> = items.iter().map(|i| i.item_id.as_str()).collect();
    for (item_id, local_id) in &tracked {
        if present.contains(item_id.as_str()) {
            continue;
        }
        match publish::delete_in(ctx, &mut tx, ObjectKind::Offer, local_id).await {
            Ok(published) if published.change == Change::Deleted => report.deleted += 1,
            Ok(_) | Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        tx.untrack_dfc_item(url, item_id).await?;
    }
    tx.commit().await?;
    if report.created + report.updated + report.deleted > 0 {
        ctx.delivery_wakeup.notify_one();
    }
    Ok(report)
}

/// The local id of an item's offer: the one it has, or, for a new item
/// (or one whose offer the platform deleted), the first free id among its
/// derived id, `id-2`, `id-3`… (deleted ids are never reused).
async fn local_id_for(
    tx: &mut ChangeTx,
    url: &str,
    item: &Mapped,
    tracked: Option<&String>,
) -> Result<String> {
    if let Some(local_id) = tracked {
        let live = tx
            .object(ObjectKind::Offer, local_id)
            .await?
            .is_some_and(|row| row.deleted_at.is_none());
        if live {
            return Ok(local_id.clone());
        }
        tx.untrack_dfc_item(url, &item.item_id).await?;
    }
    for n in 1..=MAX_ID_TRIES {
        let candidate = if n == 1 {
            item.local_id.clone()
        } else {
            format!("{}-{n}", item.local_id)
        };
        if tx.object(ObjectKind::Offer, &candidate).await?.is_none() {
            return Ok(candidate);
        }
    }
    Err(Error::Conflict(format!(
        "no free offer id for catalog item {}",
        item.item_id
    )))
}
