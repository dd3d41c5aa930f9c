//! What the API and the console read of the bridge: the node's offers and
//! the catalog's as DFC graphs, and each DFC source's last run.

use serde::Serialize;
use serde_json::Value;

use crate::apub::objects::offer::payload_from_object;
use crate::context::Context;
use crate::dfc::export::{self, Exported};
use crate::error::Result;
use crate::model::kinds::ObjectKind;
use crate::model::payload::OfferPayload;
use crate::model::time::format_millis;
use crate::store::CatalogFilter;

/// Rows read per query while collecting every offer.
const BATCH: i64 = 500;

/// Most offers `GET /dfc/catalog` (public, without a token) serves: the
/// oldest ones, the answer then says it was cut (`Passerelle-Dfc-Truncated`).
pub const PUBLIC_EXPORT_MAX: usize = 2_000;

/// This node's live offers (the public ones only, for anonymous readers,
/// at most `PUBLIC_EXPORT_MAX`) as a DFC graph.
pub async fn own_offers(ctx: &Context, public_only: bool) -> Result<Exported> {
    let cap = if public_only {
        PUBLIC_EXPORT_MAX
    } else {
        usize::MAX
    };
    own_offers_at_most(ctx, public_only, cap).await
}

/// [`own_offers`], the oldest `cap` at most (`truncated` when there are
/// more).
pub async fn own_offers_at_most(ctx: &Context, public_only: bool, cap: usize) -> Result<Exported> {
    let mut offers = Vec::new();
    let mut after = 0;
    let mut truncated = false;
    while !truncated {
        let rows = ctx
            .store
            .list_objects(ObjectKind::Offer, after, BATCH, public_only)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id.0;
        for row in rows.iter().filter(|r| r.deleted_at.is_none()) {
            if offers.len() == cap {
                truncated = true;
                break;
            }
            if let Ok(payload) = serde_json::from_str::<OfferPayload>(&row.payload) {
                offers.push((row.uri.clone(), payload));
            }
        }
    }
    let mut exported = export::graph(&offers);
    exported.truncated = truncated;
    Ok(exported)
}

/// The offers received from followed peers as a DFC graph; an offer whose
/// object no longer reads as an offer payload is left out and counted.
pub async fn catalog_offers(ctx: &Context) -> Result<Exported> {
    let mut offers = Vec::new();
    let mut unreadable = 0;
    let mut after = 0;
    loop {
        let rows = ctx
            .store
            .list_catalog(ObjectKind::Offer, &CatalogFilter::default(), after, BATCH)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in &rows {
            let payload = serde_json::from_str::<Value>(&row.document)
                .ok()
                .and_then(|object| payload_from_object(&object).ok())
                .and_then(|payload| serde_json::from_value::<OfferPayload>(payload).ok());
            match payload {
                Some(payload) => offers.push((row.object_uri.clone(), payload)),
                None => unreadable += 1,
            }
        }
    }
    let mut exported = export::graph(&offers);
    exported.omitted += unreadable;
    Ok(exported)
}

/// A DFC source as the console shows it.
#[derive(Debug, Serialize)]
pub struct SourceView {
    pub catalog_url: String,
    /// In `[[dfc.sources]]` (otherwise imported once from the command line).
    pub configured: bool,
    pub last_run_at: Option<String>,
    pub last_outcome: Option<String>,
    pub created: i64,
    pub updated: i64,
    pub deleted: i64,
    pub unchanged: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

/// Every configured source and every source that ran, by URL.
pub async fn sources(ctx: &Context) -> Result<Vec<SourceView>> {
    let rows = ctx.store.dfc_sources().await?;
    let configured: Vec<String> = ctx
        .settings
        .dfc
        .sources
        .iter()
        .map(|s| s.catalog_url.to_string())
        .collect();
    let mut views: Vec<SourceView> = rows
        .into_iter()
        .map(|row| SourceView {
            configured: configured.contains(&row.catalog_url),
            catalog_url: row.catalog_url,
            last_run_at: Some(format_millis(row.last_run_at)),
            last_outcome: Some(row.last_outcome),
            created: row.created,
            updated: row.updated,
            deleted: row.deleted,
            unchanged: row.unchanged,
            last_error: row.last_error,
            last_error_at: row.last_error_at.map(format_millis),
        })
        .collect();
    for url in configured {
        if !views.iter().any(|v| v.catalog_url == url) {
            views.push(SourceView {
                catalog_url: url,
                configured: true,
                last_run_at: None,
                last_outcome: None,
                created: 0,
                updated: 0,
                deleted: 0,
                unchanged: 0,
                last_error: None,
                last_error_at: None,
            });
        }
    }
    Ok(views)
}
