//! Forgetting a DFC source (`passerelle dfc forget URL`): every offer its
//! catalog items became is deleted through the publication path (a
//! `Delete` to the peers that hold it), and what the node knew of the
//! source (its items, its last run) is dropped, in one transaction. For a
//! source removed from the settings, or before renaming its URL (the
//! node knows sources by URL: a renamed one would import its items again,
//! as new offers).

use crate::audit;
use crate::change;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::kinds::ObjectKind;
use crate::publish::{self, Change};

/// Deletes the offers tracked for `catalog_url`; returns how many were
/// deleted. A source the node never imported from deletes nothing. The
/// audit log names `by`, in the same transaction.
pub async fn forget(ctx: &Context, catalog_url: &str, by: &str) -> Result<usize> {
    let mut tx = change::begin(ctx).await?;
    let mut deleted = 0;
    for row in tx.dfc_items(catalog_url).await? {
        let Some(local_id) = row.local_id else {
            continue;
        };
        match publish::delete_in(ctx, &mut tx, ObjectKind::Offer, &local_id).await {
            Ok(published) if published.change == Change::Deleted => deleted += 1,
            Ok(_) | Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    tx.forget_dfc_source(catalog_url).await?;
    audit::record(
        &mut tx,
        audit::Event::DfcForgotten,
        None,
        by,
        &format!("DFC source {catalog_url} forgotten: {deleted} offers deleted"),
    )
    .await?;
    change::commit(ctx, tx).await?;
    tracing::info!(source = catalog_url, deleted, "DFC source forgotten");
    Ok(deleted)
}
