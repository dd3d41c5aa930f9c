//! Deleting an object: a signed tombstone in its place, its earlier
//! activities withdrawn, and a `Delete` recorded for the same audience.

use serde_json::Value;
use url::Url;

use crate::apub::activities::{self, delete};
use crate::change;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::kinds::ObjectKind;
use crate::model::time;
use crate::outgoing::sign;
use crate::publish::{Change, Published, check_local_id, record_activity, to_json};
use crate::store::ChangeTx;

/// Withdraws an object: its URL answers 410 with a tombstone and a
/// `Delete` is recorded for the same audience. Deleting again is a no-op.
pub async fn delete(ctx: &Context, kind: ObjectKind, local_id: &str) -> Result<Published> {
    let mut tx = change::begin(ctx).await?;
    let published = delete_in(ctx, &mut tx, kind, local_id).await?;
    if published.change == Change::Deleted {
        change::commit(ctx, tx).await?;
        tracing::info!(kind = kind.as_str(), local_id, "deleted");
    }
    Ok(published)
}

/// [`delete`] inside the caller's change transaction; the caller commits,
/// wakes the delivery workers and logs what it commits.
pub async fn delete_in(
    ctx: &Context,
    tx: &mut ChangeTx,
    kind: ObjectKind,
    local_id: &str,
) -> Result<Published> {
    check_local_id(local_id)?;
    crate::moving::ensure_not_moved(tx).await?;
    let row = tx
        .object(kind, local_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no {} `{local_id}`", kind.as_str())))?;
    if row.deleted_at.is_some() {
        return Ok(Published {
            change: Change::Unchanged,
            object: row,
            activity_uri: None,
        });
    }
    let now = time::now();
    let former_type = serde_json::from_str::<Value>(&row.document)
        .ok()
        .and_then(|d| d.get("type").cloned())
        .unwrap_or_default();
    let uri = Url::parse(&row.uri)?;
    let audience = row.audience.clone();
    let mut tombstone = delete::tombstone(&uri, &former_type, &now);
    if let Value::Object(fields) = &mut tombstone {
        fields.insert(
            "@context".into(),
            crate::apub::context::object_context(&ctx.settings),
        );
    }
    let tombstone = sign(ctx, &tombstone)?;
    tx.mark_deleted(row.id, &to_json(&tombstone)?).await?;
    // Its earlier activities carried its content: they become tombstones.
    for (activity_row, activity_uri, activity_kind) in tx.activities_of_object(row.id).await? {
        let activity_uri = Url::parse(&activity_uri)?;
        let mut withdrawn =
            delete::tombstone(&activity_uri, &Value::from(activity_kind.as_str()), &now);
        if let Value::Object(fields) = &mut withdrawn {
            fields.insert(
                "@context".into(),
                crate::apub::context::object_context(&ctx.settings),
            );
        }
        let withdrawn = sign(ctx, &withdrawn)?;
        tx.withdraw_activity(activity_row, &to_json(&withdrawn)?)
            .await?;
    }
    let activity_id = activities::new_activity_id(&ctx.settings);
    let activity = activities::document(
        &ctx.settings,
        delete::TYPE,
        activity_id.clone(),
        tombstone,
        &audience,
        &now,
    )?;
    record_activity(
        tx,
        &activity_id,
        delete::TYPE,
        row.id,
        &audience,
        &sign(ctx, &activity)?,
    )
    .await?;
    let object = tx.object(kind, local_id).await?;
    Ok(Published {
        change: Change::Deleted,
        object: object
            .ok_or_else(|| Error::Internal("object vanished inside its transaction".into()))?,
        activity_uri: Some(activity_id.to_string()),
    })
}
