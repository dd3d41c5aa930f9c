//! One import run of a DFC source, all or nothing: the catalog is fetched
//! (and the enterprise and address it names but does not hold), read and
//! mapped on a blocking thread, and every offer validated, before anything
//! is written; then every publication and deletion of the run goes through
//! the platform API's own publication path (`publish::prepare`, `publish::publish_in` /
//! `delete_in`) in ONE change transaction, committed at the end. A failure
//! at any step changes nothing; it is logged, counted in
//! `passerelle_dfc_import_runs_total{outcome}` and kept for the console.
//! A run that would delete every offer a source has is refused: a catalog
//! that lost all its items is far more often broken than emptied
//! (`passerelle dfc forget URL` removes a source's offers on purpose).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use crate::change;
use crate::context::Context;
use crate::dfc::graph::{Graph, malformed, quoted};
use crate::dfc::mapping::{self, Mapped};
use crate::dfc::source::{self, Source};
use crate::error::{DfcFailure, Error, Result};
use crate::model::count;
use crate::model::kinds::ObjectKind;
use crate::publish::{self, Change, Prepared};
use crate::store::{ChangeTx, DfcItemRow, DfcSourceRow, now_millis};

/// Documents fetched besides the catalog (enterprises, addresses), at most.
const MAX_EXTRA_FETCHES: usize = 8;
/// Ids skipped in one run for an item whose next id is held by an object
/// the import did not publish (the platform's, another source's).
const MAX_ID_SKIPS: i64 = 1000;

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
pub async fn run(ctx: &Context, source: &Source) -> Result<RunReport> {
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
            // The run committed: a failure to record it is logged, and the
            // run still reports what it changed.
            let recorded = ctx
                .store
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
                .await;
            if let Err(e) = recorded {
                tracing::error!(source = url, error = %e, "cannot record the DFC run");
            }
            tracing::info!(source = url, ?report, "DFC import done");
        }
        Err(error) => record_failure(ctx, url, error).await,
    }
    outcome
}

/// Records a failed run: logged, counted and kept for the console.
pub async fn record_failure(ctx: &Context, url: &str, error: &Error) {
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

async fn attempt(ctx: &Context, source: &Source) -> Result<RunReport> {
    let catalog = source::fetch(ctx, source, source.catalog_url.as_str()).await?;
    if !names_dfc(&catalog) {
        return Err(malformed(
            "the document has no DFC `@context`: not a DFC catalog",
        ));
    }
    let mut graph = blocking(move || {
        let graph = Graph::read(&catalog)?;
        mapping::check_size(&graph)?;
        Ok(graph)
    })
    .await?;
    let mut fetched = HashSet::new();
    // The enterprise first, then its address: two rounds.
    for _ in 0..2 {
        for id in mapping::missing_references(&graph, &source.catalog_url) {
            if fetched.len() >= MAX_EXTRA_FETCHES || !fetched.insert(id.clone()) {
                continue;
            }
            let document = source::fetch(ctx, source, &id).await?;
            graph = blocking(move || {
                graph.merge(&document)?;
                mapping::check_size(&graph)?;
                Ok(graph)
            })
            .await?;
        }
    }
    let catalog_url = source.catalog_url.clone();
    let items = blocking(move || mapping::map_catalog(&graph, &catalog_url)).await?;
    let mut offers = Vec::with_capacity(items.len());
    for item in &items {
        let offer = publish::prepare(ctx, ObjectKind::Offer, &item.payload).await;
        offers.push(offer.map_err(|e| refused(item, &e))?);
        tokio::task::yield_now().await;
    }
    publish_all(ctx, source.catalog_url.as_str(), &items, &offers).await
}

/// Runs CPU-bound reading or mapping on a blocking thread, off the async
/// workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("the DFC reader stopped: {e}")))?
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
            "catalog item {} cannot be published: {}",
            quoted(&item.item_id),
            quoted(&detail)
        ),
    )
}

async fn publish_all(
    ctx: &Context,
    url: &str,
    items: &[Mapped],
    offers: &[Prepared],
) -> Result<RunReport> {
    let mut tx = change::begin(ctx).await?;
    let known: BTreeMap<String, DfcItemRow> = tx
        .dfc_items(url)
        .await?
        .into_iter()
        .map(|row| (row.item_id.clone(), row))
        .collect();
    let present: HashSet<&str> = items.iter().map(|i| i.item_id.as_str()).collect();
    refuse_deleting_all(&known, &present)?;
    let mut report = RunReport::default();
    for (item, offer) in items.iter().zip(offers) {
        let (local_id, generation) = local_id_for(&mut tx, item, known.get(&item.item_id)).await?;
        let published = publish::publish_in(ctx, &mut tx, &local_id, offer)
            .await
            .map_err(|e| refused(item, &e))?;
        match published.change {
            Change::Created => report.created += 1,
            Change::Updated => report.updated += 1,
            Change::Unchanged | Change::Deleted => report.unchanged += 1,
        }
        tx.track_dfc_item(url, &item.item_id, &local_id, generation)
            .await?;
    }
    for (item_id, row) in &known {
        let Some(local_id) = &row.local_id else {
            continue;
        };
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
    change::commit(ctx, tx).await?;
    Ok(report)
}

/// Refuses a run that would delete every offer the source has (at least
/// one): an empty catalog, or one none of whose items is known.
fn refuse_deleting_all(
    known: &BTreeMap<String, DfcItemRow>,
    present: &HashSet<&str>,
) -> Result<()> {
    let tracked: Vec<&DfcItemRow> = known.values().filter(|r| r.local_id.is_some()).collect();
    if tracked.is_empty() || tracked.iter().any(|r| present.contains(r.item_id.as_str())) {
        return Ok(());
    }
    let n = tracked.len();
    let detail = if present.is_empty() {
        format!("the catalog is empty: refusing to delete all {n} offers")
    } else {
        format!(
            "none of the {n} offers imported from this catalog is in it any more: refusing to \
             delete them all (`passerelle dfc forget URL` removes a source's offers)"
        )
    };
    Err(Error::DfcSource(DfcFailure::Malformed, detail))
}

/// The local id of an item's offer and its generation: the one it has
/// while that offer lives; otherwise the next generation whose id no
/// object holds (the derived id, then `id-2`, `id-3`…: deleted ids are
/// never reused). The generation is stored, so ids are not probed again
/// from the start at each run.
async fn local_id_for(
    tx: &mut ChangeTx,
    item: &Mapped,
    known: Option<&DfcItemRow>,
) -> Result<(String, i64)> {
    if let Some(DfcItemRow {
        local_id: Some(local_id),
        generation,
        ..
    }) = known
    {
        let live = tx
            .object(ObjectKind::Offer, local_id)
            .await?
            .is_some_and(|row| row.deleted_at.is_none());
        if live {
            return Ok((local_id.clone(), *generation));
        }
    }
    let first = known.map_or(0, |row| row.generation + 1);
    for generation in first..first + MAX_ID_SKIPS {
        let candidate = mapping::local_id_at(&item.local_id, generation);
        if tx.object(ObjectKind::Offer, &candidate).await?.is_none() {
            return Ok((candidate, generation));
        }
    }
    Err(Error::Conflict(format!(
        "no free offer id for catalog item {}",
        quoted(&item.item_id)
    )))
}
