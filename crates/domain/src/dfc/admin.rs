//! What the console does with DFC sources: each source's last run and
//! what forgetting it would delete, *run now* for a configured source,
//! and *forget* — both recorded in the audit log.

use serde::Serialize;

use crate::audit;
use crate::change;
use crate::context::Context;
use crate::dfc::views::{self, SourceView};
use crate::dfc::{RunReport, forget, import, schedule};
use crate::error::{Error, Result};

/// A source as the console lists it, with the offers its items became.
#[derive(Debug, Serialize)]
pub struct SourcePanel {
    #[serde(flatten)]
    pub source: SourceView,
    /// Offers deleted (a `Delete` sent to the peers) if it is forgotten.
    pub tracked_offers: i64,
}

/// Every configured source and every source that ran.
pub async fn sources(ctx: &Context) -> Result<Vec<SourcePanel>> {
    let mut panels = Vec::new();
    for source in views::sources(ctx).await? {
        let tracked_offers = ctx.store.dfc_tracked_offers(&source.catalog_url).await?;
        panels.push(SourcePanel {
            source,
            tracked_offers,
        });
    }
    Ok(panels)
}

/// Runs the configured source `catalog_url` now, as its schedule would;
/// the run and its outcome are audited. A URL that is not in
/// `[[dfc.sources]]` is refused (no token is known for it).
pub async fn run_now(ctx: &Context, catalog_url: &str, by: &str) -> Result<RunReport> {
    let settings = ctx
        .settings
        .dfc
        .sources
        .iter()
        .find(|s| s.catalog_url.as_str() == catalog_url)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "{catalog_url} is not a configured DFC source ([[dfc.sources]])"
            ))
        })?;
    let outcome = match schedule::source_of(settings) {
        Ok(source) => import::run(ctx, &source).await,
        Err(e) => {
            import::record_failure(ctx, catalog_url, &e).await;
            Err(e)
        }
    };
    let detail = match &outcome {
        Ok(r) => format!(
            "DFC source {catalog_url} run now: {} created, {} updated, {} deleted, {} unchanged",
            r.created, r.updated, r.deleted, r.unchanged
        ),
        Err(e) => format!("DFC source {catalog_url} run now failed, nothing changed: {e}"),
    };
    let mut tx = change::begin(ctx).await?;
    audit::record(&mut tx, audit::Event::DfcRun, None, by, &detail).await?;
    change::commit(ctx, tx).await?;
    outcome
}

/// Forgets a source the node knows (configured or run): its offers are
/// deleted. Audited; an unknown URL is refused and changes nothing.
pub async fn forget_source(ctx: &Context, catalog_url: &str, by: &str) -> Result<usize> {
    let known = views::sources(ctx)
        .await?
        .iter()
        .any(|s| s.catalog_url == catalog_url);
    if !known {
        return Err(Error::NotFound(format!(
            "{catalog_url} is not a DFC source of this node"
        )));
    }
    forget(ctx, catalog_url, by).await
}
